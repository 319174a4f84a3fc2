"""Self-test of the fixture web: the end-to-end tests are only as good as the pages it serves.

Everything here goes through urllib, independently of newsmon, so a failing crawl test
can be blamed on the product once these pass.
"""

from __future__ import annotations

import gzip
import re
import threading
import time
import xml.etree.ElementTree as ET
from email.utils import formatdate
from urllib.parse import urlsplit

import feedparser
import pytest
import trafilatura

import fixtureweb
from conftest import wait_for
from fixtureweb import BROKEN, FEEDS, SITEMAPS, STORED, Entry, fetch


def test_sites_listen_on_two_loopback_addresses(fixture_web):
    assert urlsplit(fixture_web.frontier.base).hostname == "127.0.0.1"
    assert urlsplit(fixture_web.aiwire.base).hostname == "127.0.0.2"
    assert fetch(fixture_web.aiwire.url(fixtureweb.SYNDICATED_PATH))[0] == 200


def test_robots_txt_disallows_private(fixture_web):
    status, headers, body = fetch(fixture_web.frontier.url("/robots.txt"))
    assert status == 200
    assert "Disallow: /private/" in body.decode()


@pytest.mark.parametrize("path", [*FEEDS, *SITEMAPS])
def test_feeds_and_sitemaps_answer_304_when_unchanged(fixture_web, path):
    url = fixture_web.frontier.url(path)
    status, headers, body = fetch(url)
    assert status == 200 and headers["ETag"] and headers["Last-Modified"]
    assert fetch(url, {"If-None-Match": headers["ETag"]})[0] == 304
    assert fetch(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert fetch(url, {"If-None-Match": '"stale"'})[0] == 200
    assert fetch(url, {"If-Modified-Since": formatdate(0, usegmt=True)})[0] == 200


def test_article_pages_are_not_conditional(fixture_web):
    """The second crawl must avoid article pages itself; the server will not do it with a 304."""
    status, headers, _ = fetch(fixture_web.frontier.url(fixtureweb.SEED_PATH))
    assert status == 200 and "ETag" not in headers


def test_publish_changes_the_feed_etag_and_last_modified(fixture_web):
    site = fixture_web.frontier
    _, old, _ = fetch(site.url("/feed.xml"))
    page = fixtureweb.article_page("A new model", ["Words about a new model."] * 20, "2026-05-02T08:00:00Z")
    site.publish("/ai-labs/a-new-model", page, Entry("/ai-labs/a-new-model", "A new model", "2026-05-02T08:00:00Z"))
    status, new, body = fetch(site.url("/feed.xml"), {"If-None-Match": old["ETag"]})
    assert status == 200 and new["ETag"] != old["ETag"]
    assert fetch(site.url("/feed.xml"), {"If-Modified-Since": old["Last-Modified"]})[0] == 200
    assert feedparser.parse(body).entries[0].link == site.url("/ai-labs/a-new-model")
    assert fetch(site.url("/ai-labs/a-new-model"))[0] == 200


def test_routes_can_be_replaced_and_removed_while_running(fixture_web):
    site = fixture_web.frontier
    site.set("/ai-labs/late", "<html><body>late</body></html>")
    assert fetch(site.url("/ai-labs/late"))[2] == b"<html><body>late</body></html>"
    site.remove("/ai-labs/late")
    assert fetch(site.url("/ai-labs/late"))[0] == 404


def test_request_log_keeps_query_method_headers_and_status(fixture_web):
    site = fixture_web.frontier
    mark = site.mark()
    fetch(site.url("/ai-labs/anthropic-cloud-deal?utm_source=x"), {"User-Agent": "probe/1"})
    fetch(site.url("/nowhere"))
    first, second = site.requests_since(mark)
    assert (first.path, first.route, first.method, first.status) == (
        "/ai-labs/anthropic-cloud-deal?utm_source=x", "/ai-labs/anthropic-cloud-deal", "GET", 200)
    assert first.headers["user-agent"] == "probe/1"
    assert (second.path, second.status) == ("/nowhere", 404)
    assert [r.path for r in fixture_web.requests(since={"frontiernews": mark})] == [first.path, second.path]


def slow_requests(site) -> list:
    return [r for r in site.requests if r.route == "/ai-labs/slow-story"]


def test_slow_page_outlasts_the_crawl_timeout(fixture_web):
    with pytest.raises(TimeoutError):
        fetch(fixture_web.frontier.url("/ai-labs/slow-story"), timeout=1.5)
    assert len(slow_requests(fixture_web.frontier)) == 1, "the server got the request and held it"


def test_shutdown_does_not_wait_for_a_slow_answer():
    """Stopping the web hangs up on a client waiting for the slow page, at once."""
    outcome = []

    def client(url):
        try:
            outcome.append(fetch(url, timeout=fixtureweb.SLOW_SECONDS + 10))
        except OSError as exc:
            outcome.append(exc)

    with fixtureweb.serve_fixture_web() as web:
        waiting = threading.Thread(target=client, args=(web.frontier.url("/ai-labs/slow-story"),))
        waiting.start()
        wait_for(lambda: slow_requests(web.frontier), 10, "the slow request to arrive")
        started = time.monotonic()
    stop_seconds = time.monotonic() - started
    waiting.join(timeout=fixtureweb.SLOW_SECONDS + 10)

    assert stop_seconds < fixtureweb.SLOW_SECONDS, "the stop waited for the slow answer"
    assert len(outcome) == 1 and isinstance(outcome[0], OSError), "the client got an answer, not a hang-up"


def test_gzip_bomb_is_small_on_the_wire_and_huge_inflated(fixture_web):
    status, headers, body = fetch(fixture_web.frontier.url("/downloads/briefing-archive"))
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert len(body) < 64 * 1024
    assert len(gzip.decompress(body)) > 10 * 1024 * 1024


def test_oversized_page_is_larger_than_max_page_mb(fixture_web):
    status, headers, body = fetch(fixture_web.frontier.url("/ai-labs/live-blog-model-week"))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert int(headers["Content-Length"]) == len(body) > 1024 * 1024


def test_redirect_loop_and_plain_redirect(fixture_web):
    site = fixture_web.frontier
    assert fetch(site.url("/loop-a"))[1]["Location"] == site.url("/loop-b")
    assert fetch(site.url("/loop-b"))[1]["Location"] == site.url("/loop-a")
    status, headers, _ = fetch(site.url("/ai-labs/chip-export-story"))
    assert status == 301 and headers["Location"] == site.url("/ai-labs/nvidia-export-rules")
    assert fetch(headers["Location"])[0] == 200


@pytest.mark.parametrize("path, status, content_type", [
    ("/reports/ai-index-2026.pdf", 200, "application/pdf"),
    ("/ai-labs/garbled-page", 200, "text/html"),
    ("/ai-labs/retracted-story", 404, "text/html; charset=utf-8"),
    ("/ai-labs/server-error", 500, "text/html; charset=utf-8"),
    ("/no/such/page", 404, "text/html; charset=utf-8"),
])
def test_broken_pages_answer_as_declared(fixture_web, path, status, content_type):
    got_status, headers, body = fetch(fixture_web.frontier.url(path))
    assert (got_status, headers["Content-Type"]) == (status, content_type)


def test_binary_junk_is_not_text():
    with pytest.raises(UnicodeDecodeError):
        fixtureweb.JUNK.decode("utf-8")


def test_latin1_page_declares_no_charset_anywhere(fixture_web):
    status, headers, body = fetch(fixture_web.frontier.url(fixtureweb.LATIN1_PATH))
    assert headers["Content-Type"] == "text/html"
    assert b"charset" not in body.lower()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("latin-1")
    assert all(word in text for word in ("Zürich", "café", "naïve"))


def test_pages_link_to_the_real_host_and_port(fixture_web):
    site = fixture_web.frontier
    body = fetch(site.url(fixtureweb.SEED_PATH))[2].decode()
    assert f'<link rel="canonical" href="{site.url(fixtureweb.SEED_PATH)}">' in body
    for path in [*fixtureweb.ARTICLE_FILES, *FEEDS, *SITEMAPS]:
        assert b".example" not in fetch(site.url(path))[2], path


def test_feeds_parse_and_link_every_declared_page(fixture_web):
    site = fixture_web.frontier
    links = [e.link for path in FEEDS for e in feedparser.parse(fetch(site.url(path))[2]).entries]
    assert site.url(fixtureweb.SEED_PATH + "?utm_source=rss&utm_medium=feed#comments") in links
    assert site.url(fixtureweb.DISALLOWED) in links
    assert any("fbclid=" in link and "mc_cid=" in link for link in links)
    assert len(feedparser.parse(fetch(site.url("/atom.xml"))[2]).entries) == len(fixtureweb.ATOM_ENTRIES)


def _locs(xml: bytes) -> list[str]:
    return [el.text for el in ET.fromstring(xml).iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]


def test_sitemap_index_leads_to_a_google_news_sitemap(fixture_web):
    site = fixture_web.frontier
    maps = _locs(fetch(site.url("/sitemap_index.xml"))[2])
    assert site.url("/news-sitemap.xml") in maps
    news = ET.fromstring(fetch(site.url("/news-sitemap.xml"))[2])
    ns = {"n": "http://www.google.com/schemas/sitemap-news/0.9"}
    dates = [el.text for el in news.iterfind(".//n:publication_date", ns)]
    titles = [el.text for el in news.iterfind(".//n:title", ns)]
    assert len(dates) == len(titles) == len(fixtureweb.NEWS_ENTRIES)
    assert all(d.startswith("2026-") for d in dates)


def test_every_discovered_url_is_stored_broken_or_excluded(fixture_web):
    """The layout constants cover every page the feeds, sitemaps and section page lead to."""
    site = fixture_web.frontier
    found = {urlsplit(e.link).path for path in FEEDS for e in feedparser.parse(fetch(site.url(path))[2]).entries}
    found |= {urlsplit(u).path for path in SITEMAPS[1:] for u in _locs(fetch(site.url(path))[2])}
    explained = {*STORED, *BROKEN, *fixtureweb.REDIRECTS, *fixtureweb.CANONICALS, fixtureweb.DISALLOWED}
    assert found <= explained
    assert set(STORED) - {"/ai-labs/open-weights-leaderboard", "/ai-labs/deepmind-weather-model"} <= (
        found | set(fixtureweb.REDIRECTS.values()) | set(fixtureweb.CANONICALS.values()))


def test_section_page_links_articles_and_other_pages(fixture_web):
    site = fixture_web.frontier
    body = fetch(site.url(fixtureweb.SECTION_PATH))[2].decode()
    hrefs = re.findall(r'href="([^"]+)"', body)
    absolute = [href if href.startswith("http") else site.url(href) for href in hrefs]
    articles = {url for url in absolute if re.search(fixtureweb.FOLLOW, url)}
    assert {urlsplit(u).path for u in articles} == {
        "/ai-labs/open-weights-leaderboard", "/ai-labs/deepmind-weather-model", "/ai-labs/anthropic-cloud-deal"}
    assert {site.url(p) for p in ("/about", "/tag/openai")} <= set(absolute)


def _body(site, path):
    return trafilatura.extract(fetch(site.url(path))[2], include_comments=False)


def test_duplicate_pair_extracts_to_the_same_body(fixture_web):
    first, second = (_body(fixture_web.frontier, p) for p in fixtureweb.DUPLICATE_PAIR)
    assert first == second and len(first.split()) > 200


@pytest.mark.parametrize("path", [p for p in STORED if p not in (fixtureweb.SEED_PATH,)])
def test_generated_articles_are_long_enough(fixture_web, path):
    assert 200 <= len(_body(fixture_web.frontier, path).split()) <= 520


def test_short_pages_are_short(fixture_web):
    assert len(_body(fixture_web.frontier, "/ai-labs/in-brief-robotics").split()) < 50
    assert len(_body(fixture_web.frontier, "/about").split()) < 50


def test_write_config_loads(fixture_web, write_config, tmp_path):
    from crawler.config.loader import load_config

    config = load_config(write_config(tmp_path, timeout=3))
    assert [s.name for s in config.sources] == ["frontiernews", "aiwire"]
    assert config.timeout == 3 and config.max_page_mb == 1 and config.obey_robots is True
    assert config.archive_path == tmp_path / "newsmon.db"
    assert config.source("frontiernews").feeds[0] == fixture_web.frontier.url("/feed.xml")
