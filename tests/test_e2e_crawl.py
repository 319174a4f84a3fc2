"""End to end: `newsmon crawl` against the fixture web, judged by the archive and the request log.

A crawl is expensive (a child process, a slow page that must time out), so each scenario
runs once per module and many small tests read its results. The layout being checked
(what is reachable how, what is broken and why) is declared in fixtureweb.py.
"""

from __future__ import annotations

import json
import socket
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import fixtureweb
from crawler.archive.bodies import register_functions
from fixtureweb import (AIWIRE_FEEDS, BROKEN, FEEDS, SEED, SEED_PATH, SITEMAPS, STORED,
                        FixtureWeb, Request, serve_fixture_web, write_config_file)

TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "#")
LISTINGS = {"/robots.txt", *FEEDS, *SITEMAPS, fixtureweb.SECTION_PATH}


ARTICLES_WITH_BODY = "SELECT a.*, t.body FROM articles a JOIN article_text t ON t.id = a.id"


def query(db_path: Path, sql: str, *params) -> list[dict]:
    with closing(sqlite3.connect(db_path)) as conn:
        register_functions(conn)       # newsmon_body(), behind the article_text view
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def normalised(text: str) -> str:
    """Whitespace collapsed: line breaks inside the body are not part of the contract."""
    return " ".join(text.split())


def utc(stamp: str) -> datetime:
    parsed = datetime.fromisoformat(stamp)
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0, stamp
    return parsed


@dataclass
class Crawl:
    """Two crawls of the fixture web into one archive, with what each saw and left."""

    web: FixtureWeb
    db: Path
    user_agent: str
    started: datetime
    first: object           # CompletedProcess
    second: object
    first_requests: list[Request]
    second_requests: list[Request]
    articles: list[dict]    # after the first run
    runs: list[dict]        # after the first run
    articles_after_second: list[dict]
    runs_after_second: list[dict]

    def url(self, path: str) -> str:
        return self.web.frontier.url(path)

    def article(self, path: str) -> dict:
        [row] = [a for a in self.articles if a["url"] == self.url(path)]
        return row

    def run_row(self, source: str, runs=None) -> dict:
        [row] = [r for r in (runs or self.runs) if r["source"] == source]
        return row


@pytest.fixture(scope="module")
def crawl(run_newsmon, tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    with serve_fixture_web() as web:
        config = write_config_file(web, folder)
        db = folder / "newsmon.db"
        started = datetime.now(timezone.utc).replace(microsecond=0)
        first = run_newsmon("crawl", "--config", config)
        between = web.mark()
        articles, runs = query(db, ARTICLES_WITH_BODY), query(db, "select * from runs")
        second = run_newsmon("crawl", "--config", config)
        yield Crawl(web, db, "newsmon-test/1.0 (+http://127.0.0.1/)", started, first, second,
                    web.requests(), web.requests(since=between), articles, runs,
                    query(db, ARTICLES_WITH_BODY), query(db, "select * from runs order by id"))


# -- the run itself -------------------------------------------------------------------
def test_first_run_exits_0_despite_broken_pages(crawl):
    assert crawl.first.returncode == 0, crawl.first.stderr[-3000:]


def test_log_names_broken_pages_without_dumping_them(crawl):
    """Warnings say which URL failed and why; no page HTML ends up in a cron mail or log."""
    log = crawl.first.stderr
    assert "/ai-labs/retracted-story" in log and "http_404" in log
    assert "<html" not in log.lower() and "<p>" not in log


def test_summary_names_every_source(crawl):
    assert "frontiernews" in crawl.first.stdout and "aiwire" in crawl.first.stdout


def test_every_request_carries_the_configured_user_agent(crawl):
    agents = {r.headers.get("user-agent") for r in crawl.first_requests + crawl.second_requests}
    assert agents == {crawl.user_agent}


# -- what is stored -----------------------------------------------------------------------
@pytest.mark.parametrize("path", STORED)
def test_reachable_article_is_stored_under_its_clean_url(crawl, path):
    assert crawl.url(path) in {a["url"] for a in crawl.articles}


def test_nothing_else_is_stored(crawl):
    expected = {crawl.url(p) for p in STORED} | {crawl.web.aiwire.url(fixtureweb.SYNDICATED_PATH)}
    assert {a["url"] for a in crawl.articles} - expected == set()


def test_each_url_is_stored_once(crawl):
    assert len({a["url"] for a in crawl.articles}) == len(crawl.articles)


def test_stored_urls_carry_no_tracking_parameters_or_fragments(crawl):
    assert [a["url"] for a in crawl.articles if any(t in a["url"] for t in TRACKING)] == []


def test_article_from_feed_sitemap_and_section_is_stored_and_fetched_once(crawl):
    path = "/ai-labs/anthropic-cloud-deal"
    assert [a["url"] for a in crawl.articles if path in a["url"]] == [crawl.url(path)]
    assert len([r for r in crawl.first_requests if r.route == path]) == 1


def test_redirected_article_is_stored_under_its_final_url(crawl):
    [(start, final)] = fixtureweb.REDIRECTS.items()
    urls = {a["url"] for a in crawl.articles}
    assert crawl.url(final) in urls and crawl.url(start) not in urls


def test_canonical_on_the_same_site_is_preferred(crawl):
    [(served, canonical)] = fixtureweb.CANONICALS.items()
    assert any(r.route == served for r in crawl.first_requests), f"{served} was never requested"
    urls = {a["url"] for a in crawl.articles}
    assert crawl.url(canonical) in urls and crawl.url(served) not in urls


def test_sitemap_entry_outside_follow_is_crawled(crawl):
    """`follow` selects article links on section pages; sitemap entries are articles already."""
    assert any(r.route == fixtureweb.OUTSIDE_FOLLOW for r in crawl.first_requests)


def test_exact_duplicate_is_stored_with_duplicate_of(crawl):
    first, second = (crawl.article(p) for p in fixtureweb.DUPLICATE_PAIR)
    links = {(first["duplicate_of"], second["duplicate_of"])}
    assert links <= {(None, first["id"]), (second["id"], None)}, links
    assert first["content_hash"] == second["content_hash"]


def test_syndicated_copy_is_stored_once_under_its_clean_url(crawl):
    rows = [a for a in crawl.articles if a["source"] == "aiwire"]
    assert [a["url"] for a in rows] == [crawl.web.aiwire.url(fixtureweb.SYNDICATED_PATH)]


def test_syndicated_copy_links_to_the_original_on_the_other_site(crawl):
    """The aiwire copy (preface line, other headline, published later) is a
    near-duplicate of the seed; the seed, published first, is the story's original
    whichever of the two the crawl happened to store first."""
    seed = crawl.article(SEED_PATH)
    (copy,) = [a for a in crawl.articles if a["source"] == "aiwire"]
    assert seed["duplicate_of"] is None
    assert copy["duplicate_of"] == seed["id"]
    assert copy["similarity"] >= 0.5


def test_stories_view_shows_the_story_once_with_both_outlets(crawl):
    seed = crawl.article(SEED_PATH)
    (story,) = query(crawl.db, "SELECT * FROM stories WHERE story_id = ?", seed["id"])
    assert story["copies"] == 2
    assert set(story["outlets"].split(",")) == {"frontiernews", "aiwire"}


@pytest.mark.parametrize("path", [SEED_PATH, "/ai-labs/anthropic-cloud-deal", "/ai-labs/deepmind-weather-model"])
def test_articles_are_stored_under_their_source(crawl, path):
    assert crawl.article(path)["source"] == "frontiernews"


# -- the seed article's content ---------------------------------------------------------
@pytest.mark.parametrize("sentence", SEED["body_must_contain"], ids=lambda s: s[:40])
def test_seed_body_contains(crawl, sentence):
    assert normalised(sentence) in normalised(crawl.article(SEED_PATH)["body"])


@pytest.mark.parametrize("phrase", SEED["body_must_not_contain"])
def test_seed_body_has_no_boilerplate(crawl, phrase):
    assert phrase not in crawl.article(SEED_PATH)["body"]


def test_seed_title(crawl):
    assert crawl.article(SEED_PATH)["title"] == SEED["title"]


def test_seed_published_date(crawl):
    assert crawl.article(SEED_PATH)["published"].startswith(SEED["published"])


def test_seed_word_count_matches_body(crawl):
    seed = crawl.article(SEED_PATH)
    assert abs(seed["word_count"] - len(seed["body"].split())) <= len(seed["body"].split()) // 20


@pytest.mark.parametrize("word", ["Zürich", "café", "naïve", "crème brûlée"])
def test_latin1_page_without_charset_is_decoded(crawl, word):
    assert word in crawl.article(fixtureweb.LATIN1_PATH)["body"]


def test_dates_are_iso_8601_utc(crawl):
    finished = datetime.now(timezone.utc)
    for article in crawl.articles:
        utc(article["published"])
        assert crawl.started <= utc(article["fetched_at"]) <= finished, article["url"]


# -- what is not fetched or not stored ---------------------------------------------------
def test_nothing_disallowed_by_robots_is_requested(crawl):
    assert [r.path for r in crawl.first_requests + crawl.second_requests
            if r.route.startswith("/private/")] == []


def test_robots_txt_is_read(crawl):
    assert any(r.route == "/robots.txt" for r in crawl.first_requests if r.site == "frontiernews")


def test_links_on_the_section_page_outside_follow_are_not_requested(crawl):
    requested = {r.route for r in crawl.first_requests}
    assert requested & set(fixtureweb.NOT_FOLLOWED) == set()


def test_section_page_itself_is_not_stored(crawl):
    assert crawl.url(fixtureweb.SECTION_PATH) not in {a["url"] for a in crawl.articles}


@pytest.mark.parametrize("path", [*BROKEN, "/loop-b"])
def test_broken_page_is_not_stored(crawl, path):
    assert not [a["url"] for a in crawl.articles if urlsplit(a["url"]).path == path]


# -- runs ----------------------------------------------------------------------------------
def details(crawl, source="frontiernews", runs=None) -> dict:
    return json.loads(crawl.run_row(source, runs)["details"])


ERRORS = Counter(reason for section, reason in BROKEN.values() if section == "errors")
DROPPED = Counter(reason for section, reason in BROKEN.values() if section == "dropped" and reason)
DROP_REASONS = ("not_html", "no_body", "too_short", "too_large")


@pytest.mark.parametrize("reason, count", sorted(ERRORS.items()))
def test_error_is_counted_once_per_page_with_its_reason(crawl, reason, count):
    assert details(crawl)["errors"].get(reason) == count, details(crawl)["errors"]


@pytest.mark.parametrize("reason, count", sorted(DROPPED.items()))
def test_dropped_page_is_counted_with_its_reason(crawl, reason, count):
    """At least: the page of random bytes may land on not_html, no_body or too_short too."""
    assert details(crawl)["dropped"].get(reason, 0) >= count, details(crawl)["dropped"]


def test_all_dropped_pages_are_counted(crawl):
    dropped = details(crawl)["dropped"]
    assert sum(dropped.get(r, 0) for r in DROP_REASONS) == sum(s == "dropped" for s, _ in BROKEN.values())


def test_run_columns_agree_with_details(crawl):
    row, found = crawl.run_row("frontiernews"), details(crawl)
    assert row["errors"] == sum(found["errors"].values())
    assert row["dropped"] == sum(found["dropped"].values())


def test_one_runs_row_per_source_per_crawl(crawl):
    assert Counter(r["source"] for r in crawl.runs_after_second) == {"frontiernews": 2, "aiwire": 2}
    for row in crawl.runs_after_second:
        assert utc(row["started"]) <= utc(row["finished"]) and row["outcome"] and row["requests"] > 0


def test_first_run_counts_new_articles(crawl):
    stored = Counter(a["source"] for a in crawl.articles)
    frontier = crawl.run_row("frontiernews")
    assert frontier["new_articles"] + frontier["duplicates"] == stored["frontiernews"]
    aiwire = crawl.run_row("aiwire")
    assert aiwire["new_articles"] + aiwire["duplicates"] == stored["aiwire"] == 1


# -- the second run --------------------------------------------------------------------
def test_second_run_exits_0(crawl):
    assert crawl.second.returncode == 0, crawl.second.stderr[-3000:]


RETRYABLE = sorted(path for path, (section, reason) in BROKEN.items()
                   if section == "errors" and reason in ("timeout", "http_500"))


def test_second_run_requests_no_article_page_except_failures_worth_retrying(crawl):
    """Stored, duplicate, not-an-article and gone-for-good (404, loop) pages are never
    fetched again; a timeout or a 500 is retried directly (its feed answers 304)."""
    articles = {r.route for r in crawl.second_requests if r.route not in LISTINGS}
    assert articles == set(RETRYABLE)


@pytest.mark.parametrize("path, outcome, attempts", [
    ("/ai-labs/slow-story", "error", 2), ("/ai-labs/server-error", "error", 2),
    ("/ai-labs/retracted-story", "gone", 1), ("/loop-a", "gone", 1)])
def test_failures_are_remembered_for_bounded_retries(crawl, path, outcome, attempts):
    (row,) = query(crawl.db, "SELECT outcome, attempts FROM fetch_state WHERE url = ?", crawl.url(path))
    assert (row["outcome"], row["attempts"]) == (outcome, attempts)


def test_second_run_gets_304_for_every_feed_and_sitemap(crawl):
    listings = [r for r in crawl.second_requests if r.route in {*FEEDS, *SITEMAPS, *AIWIRE_FEEDS}]
    assert {(r.site, r.route) for r in listings} >= {
        *(("frontiernews", p) for p in (*FEEDS, "/sitemap_index.xml")), ("aiwire", "/feed.xml")}
    assert [(r.url, r.status) for r in listings if r.status != 304] == []


def test_second_run_adds_no_rows(crawl):
    assert crawl.articles_after_second == crawl.articles


def test_second_run_counts_not_modified(crawl):
    second = crawl.runs_after_second[len(crawl.runs):]
    assert crawl.run_row("frontiernews", second)["not_modified"] == len(FEEDS) + 1
    assert crawl.run_row("aiwire", second)["not_modified"] == 1
    assert all(r["new_articles"] == 0 for r in second)


def test_fetch_state_keeps_each_feeds_etag(crawl):
    state = {row["url"]: row for row in query(crawl.db, "select * from fetch_state")}
    for site, path in [(crawl.web.frontier, p) for p in FEEDS] + [(crawl.web.aiwire, "/feed.xml")]:
        assert state[site.url(path)]["etag"] == site.route(path).etag


# -- other scenarios ---------------------------------------------------------------------
def closed_port() -> int:
    """A port on 127.0.0.1 that refuses connections (checked, not assumed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with socket.socket() as client, pytest.raises(ConnectionRefusedError):
        client.connect(("127.0.0.1", port))
    return port


@pytest.fixture(scope="module")
def offline(run_newsmon, tmp_path_factory):
    folder = tmp_path_factory.mktemp("offline")
    port = closed_port()
    config = write_config_file(None, folder, sources=[
        {"name": "offline", "feeds": [f"http://127.0.0.1:{port}/feed.xml"],
         "sitemaps": [f"http://127.0.0.1:{port}/sitemap.xml"]}])
    proc = run_newsmon("crawl", "--config", config)
    return proc, folder / "newsmon.db"


def test_offline_source_exits_0(offline):
    proc, _ = offline
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_offline_source_failure_is_counted_in_runs(offline):
    proc, db = offline
    [row] = query(db, "select * from runs where source = 'offline'")
    errors = json.loads(row["details"])["errors"]
    assert row["errors"] >= 1 and errors.get("connection", 0) >= 1, row
    assert query(db, "select count(*) as n from articles") == [{"n": 0}]


def test_source_option_crawls_only_that_source(run_newsmon, fixture_web, write_config, tmp_path):
    proc = run_newsmon("crawl", "--config", write_config(tmp_path), "--source", "aiwire")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert fixture_web.frontier.requests == []
    assert [r["source"] for r in query(tmp_path / "newsmon.db", "select source from runs")] == ["aiwire"]


def test_quiet_crawl_prints_nothing_when_no_source_failed(run_newsmon, fixture_web, write_config, tmp_path):
    """For cron, which mails whatever a job prints: silence means every source was read."""
    proc = run_newsmon("crawl", "--config", write_config(tmp_path), "--source", "aiwire", "--quiet")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout == "" and proc.stderr == ""
    assert query(tmp_path / "newsmon.db", "select count(*) as n from articles")[0]["n"] == 1


def test_archive_that_cannot_be_opened_exits_3(run_newsmon, write_config, tmp_path):
    (tmp_path / "blocker").write_text("a file where the archive's folder should be")
    proc = run_newsmon("crawl", "--config", write_config(tmp_path, archive="blocker/newsmon.db"))
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-2000:])
    assert "blocker" in proc.stderr


def test_unreadable_feed_and_sitemap_are_counted_not_fatal(run_newsmon, fixture_web, write_config, tmp_path):
    """A feed that is an HTML error page and a sitemap that is truncated XML: the run
    completes, nothing is stored from them, and each is named in the run's errors."""
    site = fixture_web.frontier
    site.set("/broken-feed.xml", "<html><body><h1>Service unavailable</h1></body></html>",
             content_type="text/html")
    site.set("/broken-sitemap.xml", '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps',
             content_type="application/xml")
    sources = [{"name": "broken", "feeds": [site.url("/broken-feed.xml")],
                "sitemaps": [site.url("/broken-sitemap.xml")]}]
    proc = run_newsmon("crawl", "--config", write_config(tmp_path, sources=sources))
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run,) = query(tmp_path / "newsmon.db", "select * from runs")
    assert json.loads(run["details"])["errors"] == {"bad_listing": 2}
    assert run["outcome"] == "partial" and run["new_articles"] == 0
    assert "unreadable listing" in proc.stderr
