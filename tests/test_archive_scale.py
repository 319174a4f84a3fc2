"""The archive at scale (issue 13): the v4 -> v5 upgrade, the summaries the triggers keep,
the query plans of the listings, and the two ways search chooses its rows."""

from __future__ import annotations

import random
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

import crawler.archive.search as search_module
from crawler.archive.alert_matching import backtest, first_per_story, matching_articles
from crawler.alerts.rules import AlertRule
from crawler.archive import SCHEMA_VERSION, open_archive, schema_version
from crawler.archive.schema import MIGRATIONS
from crawler.archive.articles import save_articles
from crawler.archive.bodies import register_functions
from crawler.archive.listings import company_timeline_sql, latest_stories, recent_runs_sql
from crawler.archive.maintenance import drop_old_bodies, refresh_statistics
from crawler.archive.mentions import company_counts, save_mentions
from crawler.archive.neardup_index import remove_signature
from crawler.archive.runs import health_report, last_runs, record_run
from crawler.archive.search import search_articles
from crawler.archive.totals import archive_totals, articles_per_source
from crawler.text.neardup import BANDS, fingerprints

V4_ARCHIVE = Path(__file__).parent / "data" / "archive_v4.db"
TABLES = ("mentions", "alerts", "alert_state", "runs", "fetch_state", "lsh_bands")
ARTICLE_META = ("id", "url", "source", "title", "author", "published", "fetched_at", "language",
                "description", "sitename", "image", "word_count", "content_hash", "duplicate_of",
                "similarity")
WORDS = ("model training chips cloud funding agents safety policy energy compute open weights "
         "benchmark startup inference regulation partnership revenue researchers datacenter").split()


def rows_of(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table; articles without their body, and `bodies`: (id, text) of each
    article, read from the articles table before schema 7, through article_text since."""
    conn = sqlite3.connect(path)
    register_functions(conn)
    found = {table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
             for table in TABLES}
    found["articles"] = conn.execute(f"SELECT {', '.join(ARTICLE_META)} FROM articles ORDER BY id").fetchall()
    apart = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'article_bodies'").fetchone()
    found["bodies"] = conn.execute(
        f"SELECT id, body FROM {'article_text' if apart else 'articles'} ORDER BY id").fetchall()
    conn.close()
    return found


@pytest.fixture
def v4_copy(tmp_path) -> Path:
    path = tmp_path / "v4.db"
    shutil.copyfile(V4_ARCHIVE, path)
    return path


def test_the_fixture_is_a_v4_archive_with_rows_in_every_table(v4_copy):
    conn = sqlite3.connect(v4_copy)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    assert all(rows for rows in rows_of(v4_copy).values())
    conn.close()


def test_upgrade_from_v4_keeps_every_row_and_summarises_stories(v4_copy):
    before = rows_of(v4_copy)
    steps = []
    db = open_archive(v4_copy, progress=lambda step, done, total: steps.append((done, total)))
    assert schema_version(db) == SCHEMA_VERSION == 7
    db.close()
    assert rows_of(v4_copy) == before
    assert "idx_articles_published" not in index_names(v4_copy)
    assert steps[0][0] == 0 and steps[-1][0] == steps[-1][1] and len(steps) > 5
    assert sum(text is not None for _id, text in before["bodies"]) == 12    # every body, as text
    db = open_archive(v4_copy)
    stories = {row["story_id"]: row for row in db.query("SELECT * FROM stories")}
    roots = {r[0] for r in before["articles"] if r[13] is None}    # duplicate_of is column 13
    assert set(stories) == roots
    assert sum(row["copies"] for row in stories.values()) == len(before["articles"])
    assert db.execute("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'story'").fetchone()[0] == 12
    shown = search_articles(db, "datacenter")
    assert shown and all("**datacenter**" in row["snippet"] for row in shown)  # read from the bodies
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
    assert archive_totals(db)["articles"] == 12
    # The rebuilt table kept its indexes (the next test compares their names). The other
    # listings' plans are checked on the 300-article archive below: on 12 rows the planner
    # rightly prefers a scan for search and the outlets, as it did on schema 6.
    lines = plans_of(db, lambda: (archive_totals(db), articles_per_source(db)))
    assert lines and not [line for line in lines if FULL_SCAN.match(line)], lines
    assert_summaries_are_true(db)


def index_names(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    conn.close()
    return names


def test_upgrade_from_v5_drops_the_unused_index_and_keeps_every_row(v4_copy):
    db = sqlite_utils.Database(v4_copy)
    MIGRATIONS[4](db)                                   # v4 -> v5, as newsmon 0.x left it
    assert schema_version(db) == 5
    db.close()
    before, indexes = rows_of(v4_copy), index_names(v4_copy)
    assert "idx_articles_published" in indexes
    db = open_archive(v4_copy)
    assert schema_version(db) == SCHEMA_VERSION
    assert_summaries_are_true(db)
    db.close()
    assert rows_of(v4_copy) == before
    # v7 records the signature scheme (in neardup_meta, new here) before dropping the signatures
    assert index_names(v4_copy) == indexes - {"idx_articles_published"} | {
        "sqlite_autoindex_neardup_meta_1"}


def interrupted_upgrade(path: Path, when) -> sqlite3.Connection:
    """Open `path` with a progress callback that interrupts when `when(step, done)`; then
    a plain connection to what is left."""
    def interrupt(step, done, total):
        if when(step, done):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        open_archive(path, progress=interrupt)
    return sqlite3.connect(path)


def test_an_interrupted_upgrade_rolls_back_and_runs_again(v4_copy):
    conn = interrupted_upgrade(v4_copy, lambda step, done: done == 5)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "articles_fetched" not in names and "story_summary" not in names
    conn.close()
    db = open_archive(v4_copy)
    assert schema_version(db) == SCHEMA_VERSION
    assert_summaries_are_true(db)


@pytest.mark.parametrize("stop_at", ["replace the articles table, drop signatures",
                                     "query planner statistics"])
def test_an_interrupted_v7_upgrade_rolls_back_to_v6_and_runs_again(v4_copy, stop_at):
    """Stopped after the copy, or after the FTS declaration changed: the archive is the v6
    one, whole, its index still reading `articles`; the next open upgrades it."""
    db = sqlite_utils.Database(v4_copy)
    MIGRATIONS[4](db)
    MIGRATIONS[5](db)
    db.close()
    before = rows_of(v4_copy)
    conn = interrupted_upgrade(v4_copy, lambda step, done: step == stop_at)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 6
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert not names & {"article_bodies", "articles_v7", "article_text"}
    assert conn.execute("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'datacenter'"
                        " AND snippet(articles_fts, 1, '[', ']', '', 8) LIKE '%[datacenter]%'"
                        ).fetchone()[0] > 0
    conn.close()
    assert rows_of(v4_copy) == before
    db = open_archive(v4_copy)
    assert schema_version(db) == SCHEMA_VERSION
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
    db.close()
    assert rows_of(v4_copy) == before


def test_without_newsmon_body_a_plain_connection_still_matches_and_reads_metadata(v4_copy):
    """What a `sqlite3` user can do without newsmon's SQL function (README: The archive)."""
    open_archive(v4_copy).close()
    conn = sqlite3.connect(v4_copy)
    found = conn.execute("SELECT a.title FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
                         " WHERE articles_fts MATCH 'datacenter' ORDER BY a.id").fetchall()
    assert len(found) > 0
    with pytest.raises(sqlite3.OperationalError, match="newsmon_body"):
        conn.execute("SELECT body FROM article_text").fetchall()
    with pytest.raises(sqlite3.OperationalError):        # FTS5 says only "SQL logic error"
        conn.execute("SELECT snippet(articles_fts, 1, '[', ']', '', 8) FROM articles_fts"
                     " WHERE articles_fts MATCH 'datacenter'").fetchall()
    assert conn.execute("SELECT bm25(articles_fts) FROM articles_fts"
                        " WHERE articles_fts MATCH 'datacenter' LIMIT 1").fetchone()[0] < 0
    conn.close()


# -- a small archive written through the storage code ------------------------------------

def body_text(rng: random.Random, words: int = 80) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


def make_article(rng, n: int, source: str, text: str, published: str | None, company=None) -> dict:
    digest, signature = fingerprints(text)
    mentions = [] if company is None else [{
        "company": company, "count": 1, "in_title": False, "first_offset": 0, "matched": company,
        "snippet": company}]
    return {"url": f"https://{source}.example/{n}", "source": source, "title": f"Title {n} {rng.choice(WORDS)}",
            "body": text, "word_count": len(text.split()), "content_hash": digest, "signature": signature,
            "published": published, "fetched_at": f"2026-0{1 + n // 100}-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
            "mentions": mentions}


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """300 articles on 5 sources: stories, exact copies, copies published earlier (which
    take over as original), undated articles, company mentions; then planner statistics."""
    rng = random.Random(5)
    db = open_archive(tmp_path_factory.mktemp("scale") / "a.db")
    texts = []
    batch = []
    for n in range(300):
        source = f"src{n % 5}"
        published = None if n % 17 == 0 else f"2026-0{1 + n // 100}-{1 + (n * 7) % 28:02d}T08:00:00Z"
        if texts and n % 6 == 0:
            text = rng.choice(texts[-20:])            # an exact copy of a recent story
        else:
            text = body_text(rng)
            texts.append(text)
        batch.append(make_article(rng, n, source, text, published,
                                  company=("OpenAI", "Nvidia", None, None)[n % 4]))
        if len(batch) == 50:
            save_articles(db, batch, near_threshold=0.5)
            batch = []
    for n in range(40):
        record_run(db, {"source": f"src{n % 5}", "started": f"2026-05-01T{n // 5:02d}:00:00Z",
                        "finished": f"2026-05-01T{n // 5:02d}:01:00Z", "outcome": "ok",
                        "requests": 3, "new_articles": n % 2, "details": {}})
    refresh_statistics(db)
    yield db
    db.close()


def assert_summaries_are_true(db):
    """story_summary, source_summary and company_summary equal a recount from scratch."""
    stories = db.execute(
        "SELECT r.id, COALESCE(r.published, r.fetched_at), MIN(c.fetched_at), COUNT(*)"
        " FROM articles r JOIN articles c ON c.id = r.id OR c.duplicate_of = r.id"
        " WHERE r.duplicate_of IS NULL GROUP BY r.id ORDER BY r.id").fetchall()
    assert db.execute("SELECT story_id, shown, first_seen, copies FROM story_summary"
                      " ORDER BY story_id").fetchall() == stories
    sources = db.execute("SELECT COALESCE(source, ''), COUNT(*), SUM(duplicate_of IS NULL),"
                         " MAX(fetched_at) FROM articles GROUP BY 1 ORDER BY 1").fetchall()
    assert db.execute("SELECT * FROM source_summary ORDER BY source").fetchall() == sources
    companies = db.execute("SELECT m.company, COUNT(*) FROM mentions m JOIN articles a"
                           " ON a.id = m.article_id WHERE a.duplicate_of IS NULL"
                           " GROUP BY m.company ORDER BY 1").fetchall()
    assert db.execute("SELECT company, stories FROM company_summary WHERE stories > 0"
                      " ORDER BY company").fetchall() == companies


def test_summaries_follow_inserts_relinks_retags_and_deletes(archive, tmp_path):
    assert_summaries_are_true(archive)
    assert archive.execute("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL").fetchone()[0] > 20
    db = open_archive(tmp_path / "b.db")
    rng = random.Random(9)
    text = body_text(rng)
    save_articles(db, [make_article(rng, 1, "late", text, "2026-03-02T08:00:00Z", "OpenAI")])
    save_articles(db, [make_article(rng, 2, "early", text, "2026-03-01T08:00:00Z", "Nvidia")])
    assert db.execute("SELECT duplicate_of FROM articles WHERE id = 1").fetchone()[0] == 2  # re-linked
    assert_summaries_are_true(db)
    with db.conn:
        save_mentions(db, 2, [{"company": "Meta", "count": 1, "in_title": 0, "first_offset": 0,
                               "matched": "Meta", "snippet": "Meta"}])
        db.conn.execute("DELETE FROM mentions WHERE article_id = 1")
        remove_signature(db, 1)
        db.conn.execute("DELETE FROM article_bodies WHERE article_id = 1")
        db.conn.execute("DELETE FROM articles WHERE id = 1")
    assert_summaries_are_true(db)


# -- query plans: no listing reads the whole articles table ------------------------------

FULL_SCAN = re.compile(r"^SCAN (articles|a|c|r|copy|story)( USING COVERING INDEX \w+)?$")


def plans_of(db, call) -> list[str]:
    """Every query plan line of the statements `call()` runs."""
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        call()
    finally:
        db.conn.set_trace_callback(None)
    lines = []
    for sql in statements:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            lines += [row[3] for row in db.conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
    return lines


@pytest.mark.parametrize("few_hits", [5000, 0])
@pytest.mark.parametrize("name, call", [
    ("stats", lambda db: (archive_totals(db), articles_per_source(db))),
    ("stories listing", lambda db: latest_stories(db, 20)),
    ("stories view", lambda db: db.execute("SELECT * FROM stories ORDER BY first_seen DESC LIMIT 20")
     .fetchall()),
    ("search", lambda db: search_articles(db, "model")),
    ("search filtered", lambda db: search_articles(db, "model", company="openai", since="2026-02-01",
                                                   source="src1")),
    ("companies", lambda db: company_counts(db)),
    ("company timeline", lambda db: list(db.query(company_timeline_sql(), {
        "company": "nvidia", "since": None, "limit": 50}))),
    ("sources", lambda db: (last_runs(db, ["src0", "src1"]), health_report(db, "src0"))),
    ("recent runs", lambda db: list(db.query(recent_runs_sql(), {"limit": 10, "source": None}))),
])
def test_listings_never_scan_the_articles_table(archive, monkeypatch, name, call, few_hits):
    monkeypatch.setattr(search_module, "FEW_HITS", few_hits)
    lines = plans_of(archive, lambda: call(archive))
    assert lines, name
    assert not [line for line in lines if FULL_SCAN.match(line)], (name, lines)


def test_stats_and_stories_read_their_indexes(archive):
    plan = " | ".join(plans_of(archive, lambda: latest_stories(archive, 20)))
    assert "story_summary_first_seen" in plan
    plan = " | ".join(plans_of(archive, lambda: archive_totals(archive)))
    assert "articles_fetched" in plan


# -- search: both ways of choosing the rows agree -------------------------------------------

@pytest.mark.parametrize("query, options", [
    ("model", {}),
    ("model", {"all_copies": True}),
    ("model", {"source": "src2"}),
    ("model", {"company": "OPENAI"}),
    ("training OR chips", {"since": "2026-03-01"}),
    ("funding", {"source": "src3", "company": "nvidia", "limit": 5}),
    ("title:title", {"limit": 100}),
])
def test_search_walk_and_few_hits_give_the_same_rows(archive, monkeypatch, query, options):
    few = search_articles(archive, query, **options)
    monkeypatch.setattr(search_module, "FEW_HITS", 0)           # force the walk
    walked = search_articles(archive, query, **options)
    assert few, (query, options)
    assert [r["id"] for r in walked] == [r["id"] for r in few]
    assert [r["snippet"] for r in walked] == [r["snippet"] for r in few]
    assert [r["also_on"] for r in walked] == [r["also_on"] for r in few]
    shown = [(r["published"] or r["fetched_at"], r["id"]) for r in few]
    assert shown == sorted(shown, reverse=True)
    if not options.get("all_copies"):
        assert len({r["story_id"] for r in few}) == len(few)


def test_search_shows_the_first_matching_copy_when_the_original_does_not_match(tmp_path):
    db = open_archive(tmp_path / "c.db")
    rng = random.Random(3)
    text = body_text(rng, 120)
    save_articles(db, [make_article(rng, 1, "orig", text, "2026-03-01T08:00:00Z")])
    save_articles(db, [make_article(rng, 2, "copy", text + " Update: zeppelin news.", "2026-03-02T08:00:00Z"),
                       make_article(rng, 3, "copy2", text + " Update: zeppelin again.", "2026-03-03T08:00:00Z")],
                  near_threshold=0.5)
    assert db.execute("SELECT COUNT(*) FROM articles WHERE duplicate_of = 1").fetchone()[0] == 2
    for few_hits in (5000, 0):
        search_module.FEW_HITS = few_hits
        try:
            rows = search_articles(db, "zeppelin")
        finally:
            search_module.FEW_HITS = 5000
        assert [(r["id"], r["also_on"]) for r in rows] == [(2, ["orig", "copy2"])]


# -- backtest --since reads only the window --------------------------------------------------

@pytest.mark.parametrize("rule", [
    AlertRule(name="r", notify=(), match="model"),
    AlertRule(name="r", notify=(), match="chips", companies=("nvidia",)),
    AlertRule(name="r", notify=(), companies=("OpenAI",), sources=("src0", "src4")),
])
@pytest.mark.parametrize("since", ["2026-01-15T00:00:00Z", "2026-02-20T00:00:00Z", "2026-03-27T00:00:00Z"])
def test_backtest_since_equals_the_whole_history_filtered(archive, rule, since):
    whole = [hit for hit in first_per_story(matching_articles(archive, rule))
             if (hit.fetched_at or "") >= since]
    assert backtest(archive, rule, fetched_since=since) == whole


# -- retention and the commands ----------------------------------------------------------------

def test_old_bodies_are_dropped_and_everything_else_kept(tmp_path):
    db = open_archive(tmp_path / "r.db")
    rng = random.Random(4)
    save_articles(db, [make_article(rng, n, "s", body_text(rng) + f" marker{n}", None, "OpenAI")
                       for n in (1, 150)])
    old, new = (row[0] for row in db.execute("SELECT id FROM articles ORDER BY fetched_at"))
    from datetime import datetime, timezone
    now = datetime(2026, 2, 15, tzinfo=timezone.utc)
    assert drop_old_bodies(db, 30, now=now) == 1
    assert drop_old_bodies(db, 30, now=now) == 0
    assert db.execute("SELECT body IS NULL, title IS NOT NULL FROM article_text WHERE id = ?", [old]).fetchone() == (1, 1)
    assert db.execute("SELECT body IS NOT NULL FROM article_text WHERE id = ?", [new]).fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM mentions").fetchone()[0] == 2
    banded = db.execute("SELECT article_id, COUNT(*) FROM lsh_bands GROUP BY 1").fetchall()
    assert banded == [(new, BANDS)]                 # the old article left the near-dup index
    fts = lambda q: [r[0] for r in db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", [q])]  # noqa: E731
    assert fts("marker1") == [] and fts("marker150") == [new] and old in fts("title")


def test_stories_and_maintain_commands(v4_copy, tmp_path, run_newsmon):
    config = tmp_path / "n.toml"
    config.write_text(f'[archive]\npath = "{v4_copy}"\nkeep_bodies_days = 1\n')
    done = run_newsmon("stories", "--config", config, "--limit", "2")
    assert done.returncode == 0, done.stderr
    assert "Anthropic story 4 (2 copies)" in done.stdout and "on: aiwire, syndic" in done.stdout
    assert done.stderr == ""                                      # no progress bar off a terminal
    done = run_newsmon("maintain", "--config", config, "--vacuum")
    assert done.returncode == 0, done.stderr
    assert "drop old bodies: 12" in done.stdout and "VACUUM" in done.stdout
    conn = sqlite3.connect(v4_copy)
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 12
    assert conn.execute("SELECT COUNT(*) FROM article_bodies").fetchone()[0] == 0
    conn.close()
