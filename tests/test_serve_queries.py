"""The dashboard's queries say what the terminal says: search, health, feeds, read-only.

These run the Datasette instance `newsmon serve` builds (crawler/web/app.py) in
process, through Datasette's own ASGI client, on an archive written the way
the crawl writes it (conftest.ArchiveWriter); the browser tests cover the
pages themselves.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from urllib.parse import urlencode

import feedparser
import pytest

from crawler.archive.maintenance import refresh_statistics
from crawler.archive.runs import health_report, record_run
from crawler.archive.search import search_articles
from crawler.config.loader import load_config
from crawler.daemon.timetable import cadence_seconds
from crawler.web import plugin, queries
from crawler.web.app import build_datasette
from fixtureweb import to_toml
from test_archive_scale import FULL_SCAN

BODY = ("Regulators said model distillation from a rival's system needs a licence, and labs "
        "including OpenAI and xAI asked for a clear rule on outputs used for training. ") * 4
OTHER = ("Nvidia reported record data centre revenue as cloud providers kept buying its "
         "accelerators for training and inference across every region it serves. ") * 4


@pytest.fixture
def served(tmp_path, alert_archive):
    """(datasette, db, ids): an archive with a story, its copy, an other story, runs, alerts."""
    seed = alert_archive.add("Distillation rules drafted", BODY, mentions=("OpenAI", "xAI"),
                             published="2026-05-01T09:00:00Z")
    copy = alert_archive.add("Distillation rules drafted (copy)", BODY, source="aiwire",
                             mentions=("OpenAI", "xAI"), published="2026-05-01T10:00:00Z")
    other = alert_archive.add("Nvidia revenue", OTHER, mentions=("Nvidia",),
                              published="2026-05-02T09:00:00Z")
    db = alert_archive.db
    for started, outcome in (("2026-05-01T09:00:00Z", "failed"), ("2026-05-01T10:00:00Z", "failed"),
                             ("2026-05-01T11:00:00Z", "crashed")):
        record_run(db, {"source": "aiwire", "started": started, "finished": started,
                        "outcome": outcome, "new_articles": 0})
    record_run(db, {"source": "frontiernews", "started": "2026-05-01T09:00:00Z",
                    "finished": "2026-05-01T09:01:00Z", "outcome": "ok", "new_articles": 2})
    with db.conn:
        for article, channel, status in ((copy, "json://a", "sent"), (seed, "json://b", "failed")):
            db.conn.execute(
                "INSERT INTO alerts (rule, article_id, story_id, channel, status, attempts,"
                " created, last_error) VALUES ('distillation', ?, ?, ?, ?, 1, ?, ?)",
                [article, seed, channel, status, "2026-05-01T12:00:00Z",
                 "refused" if status == "failed" else None])
    config = tmp_path / "newsmon.toml"
    config.write_text(to_toml({
        "archive": {"path": "archive.db"},
        "sources": [{"name": "frontiernews", "feeds": ["https://frontiernews.example/feed.xml"],
                     "schedule": "every 10m"},
                    {"name": "aiwire", "feeds": ["https://aiwire.example/feed.xml"]}],
        "alerts": [{"name": "distillation", "match": "distill*", "notify": ["json://127.0.0.1/x"]},
                   {"name": "quiet", "match": "nothingmatchesthis", "notify": ["json://127.0.0.1/y"]}],
    }), encoding="utf-8")
    datasette = build_datasette(load_config(config))
    return datasette, db, {"seed": seed, "copy": copy, "other": other}


def db_path(db) -> str:
    return db.execute("PRAGMA database_list").fetchone()[2]


def get(datasette, path: str):
    return asyncio.run(datasette.client.get(path))


def rows(datasette, query: str, **params) -> list[dict]:
    response = get(datasette, f"/newsmon/{query}.json?{urlencode({**params, '_shape': 'array'})}")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("params", [
    {"q": "distill*"}, {"q": "distill*", "source": "aiwire"}, {"q": "distill*", "company": "openai"},
    {"q": "distill*", "company": "Nvidia"}, {"q": "training"}, {"q": "training", "since": "2026-05-02"},
])
def test_search_query_finds_what_newsmon_search_finds(served, params):
    datasette, db, _ = served
    expected = search_articles(db, params["q"], company=params.get("company"),
                               source=params.get("source"), since=params.get("since"))
    found = rows(datasette, "search", **{"company": "", "source": "", "since": "", **params})
    assert [(r["story_id"], r["source"], r["title"]) for r in found] == \
        [(r["story_id"], r["source"], r["title"]) for r in expected]


def test_search_query_says_what_is_wrong_with_a_query(served):
    datasette, _, _ = served
    for query, message in (('"unterminated', "unterminated string"),
                           ("AND training", 'fts5: syntax error near "AND"')):
        response = get(datasette, "/newsmon/search.json?" + urlencode(
            {"q": query, "company": "", "source": "", "since": ""}))
        assert response.status_code == 400 and message in response.json()["error"], query
    assert rows(datasette, "search", q="", company="", source="", since="") == []


def test_latest_stories_one_row_per_story_with_also_on(served):
    datasette, _, ids = served
    found = {row["story_id"]: row for row in rows(datasette, "latest_stories")}
    assert set(found) == {ids["seed"], ids["other"]}
    assert found[ids["seed"]]["also_on"] == "aiwire" and found[ids["seed"]]["copies"] == 2
    assert found[ids["other"]]["also_on"] is None and found[ids["other"]]["companies"] == "Nvidia"
    story = rows(datasette, "story", id=ids["copy"])
    assert [(row["id"], row["role"]) for row in story] == [(ids["seed"], "original"),
                                                            (ids["copy"], "copy")]


def test_company_timeline_leaves_copies_out_and_ignores_case(served):
    datasette, _, ids = served
    assert [row["story_id"] for row in rows(datasette, "company_timeline", company="xai")] == [ids["seed"]]


def test_source_health_is_newsmon_sources_health(served):
    datasette, db, _ = served
    found = {row["source"]: row for row in rows(datasette, "source_health")}
    for source, schedule in (("frontiernews", "every 10m"), ("aiwire", "*/30 * * * *")):
        expected = health_report(db, source, cadence_seconds(schedule))
        assert (found[source]["health"], found[source]["why"]) == (expected["status"], expected["reason"])
    assert found["aiwire"]["health"] == "failing"
    assert list(found)[0] == "aiwire"                      # sources needing attention first
    home = get(datasette, "/").text
    assert "aiwire" in home.split('id="sources"')[1] and "refused" in home


def test_feed_has_one_entry_per_story_and_an_empty_rule_is_a_valid_feed(served):
    datasette, _, ids = served
    response = get(datasette, "/-/feeds/distillation.atom")
    feed = feedparser.parse(response.content)
    assert not feed.bozo and response.headers["content-type"].startswith("application/atom+xml")
    assert [entry.title for entry in feed.entries] == ["Distillation rules drafted"]  # the original
    assert feed.entries[0].id == f"urn:newsmon:story:{ids['seed']}"
    empty = feedparser.parse(get(datasette, "/-/feeds/quiet.atom").content)
    assert not empty.bozo and empty.entries == [] and "quiet" in empty.feed.title
    assert get(datasette, "/-/feeds/unknown.atom").status_code == 404


def test_nothing_served_can_write(served):
    datasette, db, _ = served
    before = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    for sql in ("delete from articles", "with x as (select 1) delete from articles",
                "with x as (select 1) update articles set title = 'x'"):
        response = get(datasette, "/newsmon.json?" + urlencode({"sql": sql}))
        assert response.status_code == 400, sql
    assert "readonly" in get(datasette, "/newsmon.json?" + urlencode(
        {"sql": "with x as (select 1) delete from articles"})).json()["error"]
    response = asyncio.run(datasette.client.post("/newsmon/latest_stories", data={"a": "1"}))
    assert response.status_code == 405
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == before


def test_metadata_hides_internal_tables_and_carries_no_secret(served):
    datasette, _, _ = served
    tables = {t["name"]: t for t in get(datasette, "/newsmon.json").json()["tables"]}
    for name in ("article_bodies", "lsh_bands", "fetch_state", "alert_state", "articles_fts"):
        assert tables[name]["hidden"], name
    assert not tables["articles"]["hidden"]
    metadata = json.dumps(get(datasette, "/-/metadata.json").json())
    assert "json://127.0.0.1/x" not in metadata and "distillation" in metadata


def dashboard_statements():
    """(name, sql, params) of every canned query, home panel and chart, with real parameters."""
    params = {"search": {"q": "distill*", "company": "openai", "source": "", "since": "2026-04-01"},
              "company_timeline": {"company": "xai", "since": "", "limit": ""},
              "story": {"id": 1}, "alerts": {"status": "failed", "rule": ""},
              "recent_runs": {"source": "aiwire", "limit": ""}, "rule_feed": {"rule": "distillation"},
              "latest_stories": {"source": "", "limit": ""}}
    for name, query in queries.CANNED.items():
        yield name, query["sql"], params.get(name, {})
    for name in ("HOME_STORIES", "COMPANIES_THIS_WEEK", "HOME_PROBLEMS",
                 "HOME_SOURCES_NEEDING_ATTENTION"):
        yield name, *getattr(queries, name)
    for slug, chart in queries.CHARTS.items():
        yield slug, chart["sql"], {}


def test_no_dashboard_statement_scans_the_articles_table(served):
    """Every statement a page runs, and those its functions run (search, health), picks
    its rows through an index: EXPLAIN QUERY PLAN shows no full scan of articles."""
    datasette, db, _ = served
    refresh_statistics(db)
    conn = sqlite3.connect(db_path(db))
    plugin.prepare_connection(conn, plugin.DATABASE, datasette)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    answered = {}
    for name, sql, params in dashboard_statements():
        answered[name] = conn.execute(sql, params).fetchall()
    conn.set_trace_callback(None)
    assert answered["search"] and answered["latest_stories"] and answered["company-stories"]
    scans = {}
    for sql in statements:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
            if any(FULL_SCAN.match(line) for line in plan):
                scans[sql] = plan
    assert len(statements) > len(answered) and scans == {}


def test_source_chart_counts_stories_by_the_day_they_were_stored(served):
    datasette, db, ids = served
    chart = get(datasette, "/newsmon.json?" + urlencode(
        {"sql": queries.CHARTS["source-stories"]["sql"], "_shape": "array"})).json()
    stored = db.execute("SELECT source, COUNT(*) FROM articles WHERE duplicate_of IS NULL"
                        " GROUP BY source").fetchall()
    assert {(row["source"], row["stories"]) for row in chart} == set(stored)   # stored today
    assert {row["source"] for row in chart} == {"frontiernews"}              # the copy is not a story


def test_article_text_and_the_articles_search_box_read_the_compressed_bodies(served):
    """Bodies are stored compressed (article_bodies); the dashboard's connections have
    newsmon_body(), so the article_text view shows them as text and the articles table's
    search box (FTS over article_text, named in the metadata) finds them."""
    datasette, db, _ = served
    texts = get(datasette, "/newsmon/article_text.json?_shape=array&_size=100").json()
    assert any("distillation from a rival" in (row["body"] or "") for row in texts)
    found = get(datasette, "/newsmon/articles.json?_search=licence&_shape=array").json()
    assert found and {row["id"] for row in found} <= {row["id"] for row in texts
                                                      if "licence" in (row["body"] or "")}
