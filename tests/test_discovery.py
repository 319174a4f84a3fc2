import gzip
import json
import re

import pytest

from crawler.spiders.listings import ListingError, follows, parse_feed, parse_sitemap

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>First</title><link>/a/1?utm_source=rss</link>
<pubDate>Fri, 01 May 2026 09:00:00 GMT</pubDate><author>Ann</author><description>d1</description></item>
<item><title>No link</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>t</title><entry><title>Atom one</title><link href="http://h/x"/><id>1</id>
<updated>2026-05-02T10:00:00+02:00</updated></entry></feed>"""

NEWS_SITEMAP = b"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>http://h/n/1</loc><news:news><news:publication><news:name>N</news:name>
<news:language>en</news:language></news:publication>
<news:publication_date>2026-05-03T08:30:00Z</news:publication_date>
<news:title>News one</news:title></news:news></url>
<url><loc>http://h/n/2</loc><lastmod>2026-05-04</lastmod></url>
</urlset>"""

INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://h/news.xml</loc></sitemap><sitemap><loc>http://h/more.xml.gz</loc></sitemap>
</sitemapindex>"""


def test_rss_links_are_absolute_and_carry_feed_metadata():
    links = parse_feed(RSS, "http://h/feed.xml")
    assert [link.url for link in links] == ["http://h/a/1?utm_source=rss"]
    assert links[0].hints == {"title": "First", "published": "2026-05-01T09:00:00Z",
                              "author": "Ann", "description": "d1"}


def test_atom_dates_become_utc():
    (link,) = parse_feed(ATOM, "http://h/")
    assert link.url == "http://h/x"
    assert link.hints["published"] == "2026-05-02T08:00:00Z"


def test_json_feed_is_read_without_feedparser():
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "url": "/j/1", "title": "J", "date_published": "2026-05-01T09:00:00Z",
         "authors": [{"name": "Bo"}]},
        {"id": "2"}]}).encode()
    (link,) = parse_feed(body, "http://h/feed.json")
    assert link.url == "http://h/j/1"
    assert link.hints == {"title": "J", "published": "2026-05-01T09:00:00Z", "author": "Bo"}


@pytest.mark.parametrize("body", [b"<html><body>not a feed</body></html>", b"{not json", b""])
def test_unreadable_feeds_raise_a_listing_error(body):
    with pytest.raises(ListingError):
        parse_feed(body, "http://h/")


def test_news_sitemap_metadata_and_lastmod():
    kind, links = parse_sitemap(NEWS_SITEMAP)
    assert kind == "urlset"
    assert links[0].url == "http://h/n/1"
    assert links[0].hints == {"title": "News one", "published": "2026-05-03T08:30:00Z"}
    assert links[1].hints == {"published": "2026-05-04T00:00:00Z"}


def test_sitemap_index_and_gzipped_sitemaps():
    kind, links = parse_sitemap(INDEX)
    assert kind == "index" and [l.url for l in links] == ["http://h/news.xml", "http://h/more.xml.gz"]
    kind, links = parse_sitemap(gzip.compress(NEWS_SITEMAP))
    assert kind == "urlset" and len(links) == 2


def test_gzipped_sitemap_bomb_is_refused():
    with pytest.raises(ListingError, match="larger than"):
        parse_sitemap(gzip.compress(b" " * 200_000), max_bytes=100_000)


@pytest.mark.parametrize("body", [b"<html/>", b"not xml at all", b'<?xml version="1.0"?><rss/>'])
def test_non_sitemaps_raise_a_listing_error(body):
    with pytest.raises(ListingError):
        parse_sitemap(body)


def test_sitemap_parser_does_not_resolve_entities(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    body = (f'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file://{secret}">]>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            '<url><loc>http://h/&x;</loc></url></urlset>').encode()
    _, links = parse_sitemap(body)
    assert all("TOPSECRET" not in link.url for link in links)


def test_follow_patterns_search_the_absolute_url():
    patterns = [re.compile(r"/ai-labs/[^/]+$")]
    assert follows("http://h/ai-labs/story-1", patterns)
    assert not follows("http://h/ai-labs/", patterns)
    assert not follows("http://h/about", patterns)


def test_truncated_sitemap_is_an_error_not_an_empty_listing():
    with pytest.raises(ListingError, match="malformed"):
        parse_sitemap(NEWS_SITEMAP[:120])


def test_a_sitemap_with_a_damaged_tail_keeps_what_it_could_read():
    kind, links = parse_sitemap(NEWS_SITEMAP.replace(b"</urlset>", b"<url><loc>http://h/n/3"))
    assert kind == "urlset" and [l.url for l in links][:2] == ["http://h/n/1", "http://h/n/2"]


def test_a_broken_link_stays_one_item_and_does_not_stop_the_feed():
    links = ["http://a.example/1", "http://a.example/2", "http://a.example/3", "http://[::1/x",
             "http://a.example/5"]
    rss = ('<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>' + "".join(
        f"<item><title>t</title><link>{u}</link></item>" for u in links) + "</channel></rss>")
    assert [link.url for link in parse_feed(rss.encode(), "http://a.example/feed")] == links
    feed = json.dumps({"version": "https://jsonfeed.org/version/1.1",
                       "items": [{"url": u} for u in links]}).encode()
    assert [link.url for link in parse_feed(feed, "http://a.example/feed")] == links
