"""What newsmon fetches from the web it reads: no private space, no endless listings, no
stop on one broken link, no off-site section links, no control servers, no noise.

Real sites on loopback. `private_networks` is set (tests/fixtureweb.py) so that only
127.0.0.66 (and link-local) is private: it plays the intranet, while 127.0.0.1,
127.0.0.2 and ::1 play the public web.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from pathlib import Path

import pytest

from crawler.archive.bodies import register_functions
from conftest import unused_port
from fixtureweb import PRIVATE_HOST, Entry, FixtureSite, article_page, write_config_file

WORDS = ("model chip lab cloud deal court data policy agent robot startup fund research "
         "benchmark license contract energy market launch safety export talent training "
         "inference open weights regulator investor partner product release").split()


def story(seed: int) -> str:
    """An article page whose body is its own (no two are near-duplicates)."""
    rng = random.Random(seed)
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + "."
                  for _ in range(4)]
    return article_page(f"Story number {seed}", paragraphs, "2026-05-01T09:00:00Z")


@pytest.fixture
def sites():
    """Start FixtureSites on demand (public or private hosts); stop them all at the end."""
    started = []

    def start(name: str, host: str = "127.0.0.1") -> FixtureSite:
        site = FixtureSite(name, host, f"https://{name}.example").start()
        site.set("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
        started.append(site)
        return site

    yield start
    for site in started:
        site.stop()


def query(db_path: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        register_functions(db)       # newsmon_body(), behind the article_text view
        return db.execute(sql, params).fetchall()


def stored_urls(db_path: Path) -> set[str]:
    return {url for (url,) in query(db_path, "SELECT url FROM articles")}


def run_details(db_path: Path) -> dict[str, dict]:
    return {source: {"outcome": outcome, "new": new, **json.loads(details)}
            for source, outcome, new, details in
            query(db_path, "SELECT source, outcome, new_articles, details FROM runs")}


def crawl(run_newsmon, tmp_path, sources, *args, **crawl_keys):
    config = write_config_file(None, tmp_path, sources=sources, **crawl_keys)
    return run_newsmon("crawl", "--config", config, *args), tmp_path / "newsmon.db"


def rss(site: FixtureSite, links: list[str]) -> str:
    """An RSS feed whose item links are written exactly as given."""
    items = "".join(f"<item><title>Item {i}</title><link>{link.replace('&', '&amp;')}</link>"
                    f"<pubDate>Fri, 01 May 2026 09:00:00 GMT</pubDate></item>"
                    for i, link in enumerate(links))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{site.name}</title>'
            f"<link>{site.base}/</link>{items}</channel></rss>")


def urlset(links: list[str]) -> str:
    locs = "".join(f"<url><loc>{link.replace('&', '&amp;')}</loc></url>" for link in links)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>')


def sitemap_index(links: list[str]) -> str:
    locs = "".join(f"<sitemap><loc>{link}</loc></sitemap>" for link in links)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</sitemapindex>')


def json_feed(links: list[str]) -> str:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "JSON",
                       "items": [{"id": str(i), "url": link, "title": f"Item {i}"}
                                 for i, link in enumerate(links)]})


def publish_stories(site: FixtureSite, prefix: str, count: int, seed: int = 0) -> list[str]:
    paths = [f"/{prefix}/story-{i}" for i in range(count)]
    for i, path in enumerate(paths):
        site.set(path, story(seed + i))
    return [site.url(path) for path in paths]


# -- 1. no escalation from the public web into private space ------------------------------

def test_found_urls_into_private_space_are_never_requested(run_newsmon, tmp_path, sites):
    public, intranet = sites("public"), sites("intranet", PRIVATE_HOST)
    intranet.set("/secret", story(900))
    good = publish_stories(public, "news", 2, seed=100)
    public.set("/go-inside", b"", status=302, headers=(("Location", intranet.url("/other")),))
    p = intranet.port
    private_links = [
        intranet.url("/secret"),                         # the address as written
        f"http://2130706498:{p}/secret",                 # 127.0.0.66 as one decimal number
        f"http://127.66:{p}/secret",                     # short dotted form
        f"http://0x7f000042:{p}/secret",                 # hexadecimal
        f"http://[::ffff:{PRIVATE_HOST}]:{p}/secret",    # IPv4-mapped IPv6
        "http://169.254.169.254/latest/meta-data/",      # the cloud metadata address
        public.url("/go-inside"),                        # a public URL redirecting inside
    ]
    public.set("/feed.xml", rss(public, [good[0], *private_links, "file://localhost/etc/hostname"]),
               content_type="application/rss+xml")
    public.set("/sitemap.xml", urlset([good[1], "file:///etc/hostname"]),
               content_type="application/xml")
    public.set("/feed.json", json_feed(["file:///etc/hostname"]), content_type="application/json")
    done, db = crawl(run_newsmon, tmp_path, [{
        "name": "public", "feeds": [public.url("/feed.xml"), public.url("/feed.json")],
        "sitemaps": [public.url("/sitemap.xml")]}])

    assert done.returncode == 0, done.stderr[-2000:]
    assert intranet.requests == []          # not one request, not even robots.txt
    assert stored_urls(db) == set(good)
    assert not query(db, "SELECT a.id FROM articles a JOIN article_text t ON t.id = a.id"
                         " WHERE t.body LIKE '%root%' OR a.url LIKE 'file%'")
    dropped = run_details(db)["public"]["dropped"]
    assert dropped["private_address"] == len(private_links)
    assert dropped["bad_scheme"] == 3
    assert "private_address" in done.stdout   # the summary names the reason


def test_intranet_feed_may_link_into_its_intranet(run_newsmon, tmp_path, sites):
    intranet = sites("intranet", PRIVATE_HOST)
    articles = publish_stories(intranet, "memo", 2, seed=200)
    intranet.set("/moved", b"", status=301, headers=(("Location", articles[1]),))
    intranet.set("/feed.xml", rss(intranet, [articles[0], intranet.url("/moved")]),
                 content_type="application/rss+xml")
    done, db = crawl(run_newsmon, tmp_path, [{"name": "intranet",
                                              "feeds": [intranet.url("/feed.xml")]}])

    assert done.returncode == 0, done.stderr[-2000:]
    assert stored_urls(db) == set(articles)
    assert "private_address" not in run_details(db)["intranet"]["dropped"]


def test_public_page_may_not_redirect_a_config_url_into_private_space(run_newsmon, tmp_path,
                                                                       sites):
    public, intranet = sites("public"), sites("intranet", PRIVATE_HOST)
    intranet.set("/feed.xml", rss(intranet, []), content_type="application/rss+xml")
    public.set("/feed.xml", b"", status=302, headers=(("Location", intranet.url("/feed.xml")),))
    done, db = crawl(run_newsmon, tmp_path, [{"name": "public",
                                              "feeds": [public.url("/feed.xml")]}])

    assert done.returncode == 0, done.stderr[-2000:]
    assert intranet.requests == []
    assert run_details(db)["public"]["dropped"] == {"private_address": 1}


# -- 2. every listing once, nesting bounded, a wall-time limit ----------------------------

def test_self_listing_sitemap_index_ends_in_seconds(run_newsmon, tmp_path, sites):
    site = sites("maps")
    articles = publish_stories(site, "news", 2, seed=300)
    site.set("/index.xml", sitemap_index([site.url("/index.xml"), site.url("/loop-a.xml"),
                                          site.url("/deep-1.xml")]),
             content_type="application/xml")
    site.set("/loop-a.xml", sitemap_index([site.url("/loop-b.xml")]), content_type="application/xml")
    site.set("/loop-b.xml", sitemap_index([site.url("/loop-a.xml"), site.url("/index.xml"),
                                           site.url("/articles.xml")]),
             content_type="application/xml")
    site.set("/articles.xml", urlset(articles[:1]), content_type="application/xml")
    for depth in range(1, 6):   # index.xml -> deep-1 -> ... -> deep-5 -> urlset
        site.set(f"/deep-{depth}.xml", sitemap_index([site.url(f"/deep-{depth + 1}.xml")]),
                 content_type="application/xml")
    site.set("/deep-6.xml", urlset(articles[1:]), content_type="application/xml")
    started = time.monotonic()
    done, db = crawl(run_newsmon, tmp_path, [{"name": "maps", "sitemaps": [site.url("/index.xml")]}])

    assert done.returncode == 0, done.stderr[-2000:]
    assert time.monotonic() - started < 60
    fetched = [r.route for r in site.requests]
    for listing in ("/index.xml", "/loop-a.xml", "/loop-b.xml", "/articles.xml"):
        assert fetched.count(listing) == 1
    assert "/deep-4.xml" not in fetched             # index + 3 nested indexes at most
    assert stored_urls(db) == set(articles[:1])
    assert run_details(db)["maps"]["dropped"] == {"sitemap_too_deep": 1}


def test_crawl_stops_at_max_minutes_and_records_what_it_has(run_newsmon, tmp_path, sites):
    site = sites("slow")
    # 1 s each, 4 at a time per site: 75 s at the very least without the limit.
    slow = [site.url(f"/news/slow-{i}") for i in range(300)]
    for i, url in enumerate(slow):
        site.set(url.removeprefix(site.base), story(410 + i), delay=1)
    site.set("/feed.xml", rss(site, slow), content_type="application/rss+xml")
    started = time.monotonic()
    done, db = crawl(run_newsmon, tmp_path, [{"name": "slow", "feeds": [site.url("/feed.xml")]}],
                     timeout=10, max_minutes=0.05)

    assert done.returncode == 5, done.stderr[-2000:]
    assert "max_minutes" in done.stderr
    # Stopped after 3 s, plus the requests already in the downloader finishing.
    assert time.monotonic() - started < 45
    stored = stored_urls(db)
    assert 1 <= len(stored) < len(slow) // 2       # what was fetched in time is kept
    assert run_details(db)["slow"]["outcome"] == "interrupted"


# -- 3. one malformed link never stops a listing -------------------------------------------

def test_one_malformed_link_drops_only_itself(run_newsmon, tmp_path, sites):
    site = sites("links")
    port_links = publish_stories(site, "port", 9, seed=500)
    rss_links = publish_stories(site, "rss", 8, seed=700)
    map_links = publish_stories(site, "map", 3, seed=800)
    json_links = publish_stories(site, "json", 3, seed=850)
    broken_v6 = f"http://[::1:{site.port}/v6/story-0"          # the closing bracket is lost
    site.set("/port.xml", rss(site, [*port_links[:5], f"http://127.0.0.1:99999/port/x",
                                     *port_links[5:]]), content_type="application/rss+xml")
    site.set("/v6.xml", rss(site, [*rss_links[:3], broken_v6, *rss_links[3:]]),
             content_type="application/rss+xml")
    site.set("/map.xml", urlset([*map_links[:2], broken_v6, "http://exa mple.com/a",
                                 *map_links[2:]]), content_type="application/xml")
    site.set("/feed.json", json_feed([*json_links[:1], broken_v6, "http://127.0.0.1:70000/",
                                      *json_links[1:]]), content_type="application/json")
    done, db = crawl(run_newsmon, tmp_path, [
        {"name": "rss-port", "feeds": [site.url("/port.xml")]},
        {"name": "rss-ipv6", "feeds": [site.url("/v6.xml")]},
        {"name": "sitemap", "sitemaps": [site.url("/map.xml")]},
        {"name": "jsonfeed", "feeds": [site.url("/feed.json")]}])

    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert stored_urls(db) == {*port_links, *rss_links, *map_links, *json_links}
    runs = run_details(db)
    assert (runs["rss-port"]["new"], runs["rss-port"]["dropped"]) == (9, {"bad_url": 1})
    assert (runs["rss-ipv6"]["new"], runs["rss-ipv6"]["dropped"]) == (8, {"bad_url": 1})
    assert (runs["sitemap"]["new"], runs["sitemap"]["dropped"]) == (3, {"bad_url": 2})
    assert (runs["jsonfeed"]["new"], runs["jsonfeed"]["dropped"]) == (3, {"bad_url": 2})
    assert {run["outcome"] for run in runs.values()} == {"ok"}


# -- issue 10: section-page links stay on the page's site -----------------------------------

@pytest.mark.parametrize("allowed", [False, True])
def test_off_site_section_link_is_followed_only_for_allowed_hosts(run_newsmon, tmp_path, sites,
                                                                    allowed):
    site, partner = sites("outlet"), sites("partner", "127.0.0.2")
    local = publish_stories(site, "news", 1, seed=950)
    remote = publish_stories(partner, "news", 1, seed=960)
    site.set("/news/", "<html><body><h1>News</h1>" + "".join(
        f'<a href="{url}">story</a>' for url in (*local, *remote)) + "</body></html>")
    source = {"name": "outlet", "pages": [site.url("/news/")], "follow": ["/news/story-[0-9]+$"]}
    if allowed:
        source["allowed_hosts"] = ["127.0.0.2"]
    done, db = crawl(run_newsmon, tmp_path, [source])

    assert done.returncode == 0, done.stderr[-2000:]
    partner_routes = [r.route for r in partner.requests]
    if allowed:
        assert "/news/story-0" in partner_routes
        assert stored_urls(db) == {*local, *remote}
    else:
        assert partner_routes == []
        assert stored_urls(db) == set(local)


# -- 4 and 5. no control servers; quiet when healthy -----------------------------------------

def test_no_remote_control_server_or_job_files(run_newsmon, tmp_path, sites):
    site = sites("plain")
    site.set("/feed.xml", rss(site, publish_stories(site, "news", 1, seed=970)),
             content_type="application/rss+xml")
    home = tmp_path / "home"
    home.mkdir()
    done, _ = crawl(run_newsmon, tmp_path, [{"name": "plain", "feeds": [site.url("/feed.xml")]}],
                    "--log-level", "INFO")
    env = {"HOME": str(home), "XDG_STATE_HOME": str(home / "state")}
    again = run_newsmon("crawl", "--config", tmp_path / "newsmon.toml", "--log-level", "INFO",
                        env=env)

    for run in (done, again):
        assert run.returncode == 0, run.stderr[-2000:]
        assert "Spider opened" in run.stderr          # the INFO log is there...
        assert "Remote control" not in run.stderr     # ...without a control endpoint
        assert "Telnet console listening" not in run.stderr
    assert list(home.rglob("*")) == []                # no job files


def offline_sources(healthy: FixtureSite) -> list[dict]:
    refused = unused_port()
    return [
        {"name": "offline", "feeds": [f"http://127.0.0.1:{refused}/feed.xml"],
         "sitemaps": [f"http://127.0.0.1:{refused}/sitemap.xml"],
         "pages": [f"http://127.0.0.1:{refused}/news/"], "follow": ["/news/"]},
        {"name": "healthy", "feeds": [healthy.url("/feed.xml")]},
    ]


def test_offline_source_gives_one_line_per_failure_and_no_traceback(run_newsmon, tmp_path, sites):
    healthy = sites("healthy")
    healthy.set("/feed.xml", rss(healthy, publish_stories(healthy, "news", 1, seed=980)),
                content_type="application/rss+xml")
    done, db = crawl(run_newsmon, tmp_path, offline_sources(healthy))

    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) <= 3        # one line per failed listing
    assert run_details(db)["offline"]["outcome"] == "failed"


def test_quiet_prints_only_the_summary_when_a_source_failed(run_newsmon, tmp_path, sites):
    healthy = sites("healthy")
    healthy.set("/feed.xml", rss(healthy, publish_stories(healthy, "news", 1, seed=990)),
                content_type="application/rss+xml")
    done, _ = crawl(run_newsmon, tmp_path, offline_sources(healthy), "--quiet")

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["source", "outcome"]
    assert lines[-1].startswith("2 sources, 1 new articles")
    assert len(lines) == 5                           # header, rule, two sources, total


def test_quiet_prints_nothing_when_healthy(run_newsmon, tmp_path, sites):
    healthy = sites("healthy")
    healthy.set("/feed.xml", rss(healthy, publish_stories(healthy, "news", 1, seed=995)),
                content_type="application/rss+xml")
    done, db = crawl(run_newsmon, tmp_path, [{"name": "healthy", "feeds": [healthy.url("/feed.xml")]}],
                     "--quiet")

    assert done.returncode == 0, done.stderr[-2000:]
    assert (done.stdout, done.stderr) == ("", "")
    assert len(stored_urls(db)) == 1
