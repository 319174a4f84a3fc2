"""The archive's schema and its migrations: the only place tables are defined.

The schema version lives in SQLite's own `PRAGMA user_version`, so `sqlite3`,
`sqlite-utils` and Datasette users see a plain database. Opening an archive
made by an older newsmon runs the missing migrations in order. sqlite-utils
commits DDL as it goes (enable_fts uses executescript), so instead of relying
on a transaction each migration is idempotent (`if_not_exists`, `replace`) and
the version is bumped only after it completed: an interrupted upgrade is simply
run again on the next open. From v5 on, a migration is plain SQL run in ONE
transaction that also bumps the version: interrupted, it rolls back and the
next open starts it over from a clean v4.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable

import sqlite_utils

from crawler.archive.bodies import BODY_FUNCTION, TEXT_VIEW, bodies_of, pack
from crawler.archive.errors import ArchiveError
from crawler.archive.neardup_index import (RESIGNING_KEY, SCHEME_KEY, drop_bands, resign_pending,
                                           set_meta, stored_scheme)
from crawler.archive.transactions import write_transaction
from crawler.text.neardup import blob_scheme, deserialise, signature

logger = logging.getLogger(__name__)


def add_missing_columns(db: sqlite_utils.Database, table: str, columns: dict) -> None:
    """Idempotent ALTER TABLE ADD COLUMN, so a migration can simply run again."""
    existing = db[table].columns_dict
    for name, col_type in columns.items():
        if name not in existing:
            db.table(table).add_column(name, col_type)


def _v1_spine(db: sqlite_utils.Database) -> None:
    db.table("articles").create(
        {
            "id": int, "url": str, "source": str, "title": str, "author": str,
            "published": str, "fetched_at": str, "language": str, "description": str,
            "sitename": str, "image": str, "body": str, "word_count": int,
            "content_hash": str, "duplicate_of": int,
        },
        pk="id",
        not_null={"url"},
        if_not_exists=True,
        foreign_keys=[("duplicate_of", "articles", "id")],
    )
    db.table("articles").create_index(["url"], unique=True, if_not_exists=True)
    db.table("articles").create_index(["content_hash"], if_not_exists=True)
    db.table("articles").create_index(["published"], if_not_exists=True)
    db.table("articles").create_index(["duplicate_of"], if_not_exists=True)
    db.table("articles").enable_fts(["title", "body"], create_triggers=True,
                              tokenize="porter unicode61 remove_diacritics 2", replace=True)
    db.table("mentions").create(
        {"article_id": int, "company": str, "count": int, "in_title": int,
         "first_offset": int, "matched": str, "snippet": str},
        pk=("article_id", "company"),
        foreign_keys=[("article_id", "articles", "id")],
        if_not_exists=True,
    )
    db.table("mentions").create_index(["company"], if_not_exists=True)
    db.table("alerts").create(
        {"id": int, "rule": str, "article_id": int, "channel": str, "status": str,
         "attempts": int, "last_error": str, "created": str, "sent": str, "next_attempt": str},
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
        if_not_exists=True,
    )
    db.table("runs").create(
        {"id": int, "source": str, "started": str, "finished": str, "outcome": str,
         "requests": int, "new_articles": int, "duplicates": int, "not_modified": int,
         "dropped": int, "errors": int, "details": str},
        pk="id",
        if_not_exists=True,
    )
    db.table("runs").create_index(["source", "started"], if_not_exists=True)
    db.table("fetch_state").create(
        {"url": str, "kind": str, "source": str, "etag": str, "last_modified": str,
         "status": int, "outcome": str, "article_id": int, "first_seen": str,
         "last_fetched": str},
        pk="url",
        if_not_exists=True,
    )


def _v2_near_duplicates(db: sqlite_utils.Database) -> None:
    """Near-duplicate signatures, their LSH index, and one row per story.

    lsh_bands has no foreign key on purpose: deleting an article would then
    scan the whole band table for child rows (article_id is not its leading
    column); crawler.archive.neardup_index removes an article's bands by
    recomputing their keys from the stored signature instead. A story is an
    article that is nobody's copy; duplicate_of always points at such a root,
    so a story's copies are the root itself and the rows pointing at it.
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS signatures ("
        " article_id INTEGER PRIMARY KEY REFERENCES articles(id),"
        " minhash BLOB NOT NULL)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS lsh_bands ("
        " band_key INTEGER NOT NULL, article_id INTEGER NOT NULL,"
        " PRIMARY KEY (band_key, article_id)) WITHOUT ROWID")
    add_missing_columns(db, "articles", {"similarity": float})
    db.create_view("stories", """
        SELECT story.id AS story_id, story.title, story.url,
               MIN(copy.fetched_at) AS first_seen, story.published,
               COUNT(*) AS copies, group_concat(DISTINCT copy.source) AS outlets
        FROM articles AS story
        JOIN articles AS copy ON copy.id = story.id OR copy.duplicate_of = story.id
        WHERE story.duplicate_of IS NULL
        GROUP BY story.id""", replace=True)


def _v3_alert_outbox(db: sqlite_utils.Database) -> None:
    """What the alert outbox needs beyond v1's `alerts` table.

    `story_id` (the story root of the alerted article) with a UNIQUE index on
    (rule, story_id, channel) makes "once per rule per story and channel" a
    property of the table rather than of the code, so a re-run, a syndicated
    copy or a crash and retry can never enqueue a second alert. `digest` is
    the rule's digest mode when the row was queued. `alert_state` holds each
    rule's high-water mark: the last article id it was matched against, so
    matching only ever reads rows above it.
    """
    add_missing_columns(db, "alerts", {"story_id": int, "digest": str})
    db.execute("UPDATE alerts SET story_id = article_id WHERE story_id IS NULL")
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS alerts_rule_story_channel"
               " ON alerts (rule, story_id, channel)")
    db.execute("CREATE INDEX IF NOT EXISTS alerts_due ON alerts (status, next_attempt)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS alert_state ("
        " rule TEXT PRIMARY KEY, last_article_id INTEGER NOT NULL, updated TEXT)")


def _v4_article_retries(db: sqlite_utils.Database) -> None:
    """Failed article URLs are retried on later runs, a bounded number of times.

    Listings answer 304 when unchanged, so an article that failed (timeout,
    500) would never be seen again through its feed: `fetch_state` keeps the
    failure's `reason` and the number of `attempts` so the spider can retry it
    directly, and stop after a few.
    """
    add_missing_columns(db, "fetch_state", {"attempts": int, "reason": str})
    db.execute("CREATE INDEX IF NOT EXISTS fetch_state_retry ON fetch_state (outcome, source)")


SHOWN_DATE = "COALESCE(published, fetched_at)"  # the date an article is listed and filtered by


def _refresh_story(story: str) -> str:
    """Trigger SQL recomputing the story_summary row of story id expression `story`."""
    return f"""
      DELETE FROM story_summary WHERE story_id = {story};
      INSERT INTO story_summary (story_id, shown, first_seen, copies)
        SELECT r.id, COALESCE(r.published, r.fetched_at),
               (SELECT MIN(c.fetched_at) FROM articles c WHERE c.id = r.id OR c.duplicate_of = r.id),
               (SELECT COUNT(*) FROM articles c WHERE c.id = r.id OR c.duplicate_of = r.id)
        FROM articles r WHERE r.id = {story} AND r.duplicate_of IS NULL;"""


def _count_source(row: str, sign: int) -> str:
    """Trigger SQL adding (sign 1) or removing (sign -1) article `row` to its source's totals."""
    key = f"COALESCE({row}.source, '')"
    if sign > 0:
        return f"""
      INSERT INTO source_summary (source, articles, stories, last_fetched)
        VALUES ({key}, 1, {row}.duplicate_of IS NULL, {row}.fetched_at)
        ON CONFLICT (source) DO UPDATE SET articles = articles + 1,
          stories = stories + excluded.stories,
          last_fetched = CASE WHEN last_fetched IS NULL OR excluded.last_fetched > last_fetched
                              THEN excluded.last_fetched ELSE last_fetched END;"""
    return f"""
      UPDATE source_summary SET articles = articles - 1,
          stories = stories - ({row}.duplicate_of IS NULL),
          last_fetched = (SELECT MAX(fetched_at) FROM articles WHERE source = {row}.source)
        WHERE source = {key};
      DELETE FROM source_summary WHERE source = {key} AND articles <= 0;"""


STORY_OF_NEW, STORY_OF_OLD = "COALESCE(new.duplicate_of, new.id)", "COALESCE(old.duplicate_of, old.id)"

V5_STEPS = [
    ("full-text index: re-index only when title or body change",
     """DROP TRIGGER IF EXISTS articles_au;
        CREATE TRIGGER articles_au AFTER UPDATE OF title, body ON articles BEGIN
          INSERT INTO articles_fts (articles_fts, rowid, title, body)
            VALUES ('delete', old.rowid, old.title, old.body);
          INSERT INTO articles_fts (rowid, title, body) VALUES (new.rowid, new.title, new.body);
        END;"""),
    ("index articles by fetch time",
     "CREATE INDEX IF NOT EXISTS articles_fetched ON articles (fetched_at)"),
    ("index articles by date shown",
     f"CREATE INDEX IF NOT EXISTS articles_shown ON articles ({SHOWN_DATE})"),
    ("index articles by source and date shown",
     f"CREATE INDEX IF NOT EXISTS articles_source_shown ON articles (source, {SHOWN_DATE})"),
    ("index mentions by company, any case",
     """DROP INDEX IF EXISTS idx_mentions_company;
        CREATE INDEX IF NOT EXISTS mentions_company_nocase ON mentions (company COLLATE NOCASE)"""),
    ("index runs by source, newest first",
     "CREATE INDEX IF NOT EXISTS runs_source_id ON runs (source, id)"),
    ("one row per story",
     f"""CREATE TABLE IF NOT EXISTS story_summary (
           story_id INTEGER PRIMARY KEY REFERENCES articles(id),
           shown TEXT, first_seen TEXT, copies INTEGER NOT NULL);
         DELETE FROM story_summary;
         INSERT INTO story_summary (story_id, shown, first_seen, copies)
           SELECT r.id, COALESCE(r.published, r.fetched_at), s.first_seen, s.copies
           FROM (SELECT COALESCE(duplicate_of, id) AS story_id, MIN(fetched_at) AS first_seen,
                        COUNT(*) AS copies FROM articles GROUP BY 1) AS s
           JOIN articles r ON r.id = s.story_id AND r.duplicate_of IS NULL;
         CREATE INDEX IF NOT EXISTS story_summary_first_seen ON story_summary (first_seen);
         CREATE INDEX IF NOT EXISTS story_summary_shown ON story_summary (shown);
         DROP TRIGGER IF EXISTS story_ai;
         CREATE TRIGGER story_ai AFTER INSERT ON articles BEGIN {_refresh_story(STORY_OF_NEW)} END;
         DROP TRIGGER IF EXISTS story_ad;
         CREATE TRIGGER story_ad AFTER DELETE ON articles BEGIN {_refresh_story(STORY_OF_OLD)} END;
         DROP TRIGGER IF EXISTS story_au;
         CREATE TRIGGER story_au AFTER UPDATE OF duplicate_of, published, fetched_at ON articles
         BEGIN {_refresh_story(STORY_OF_OLD)} {_refresh_story(STORY_OF_NEW)} END;"""),
    ("totals per source",
     f"""CREATE TABLE IF NOT EXISTS source_summary (
           source TEXT PRIMARY KEY NOT NULL, articles INTEGER NOT NULL, stories INTEGER NOT NULL,
           last_fetched TEXT);
         DELETE FROM source_summary;
         INSERT INTO source_summary (source, articles, stories, last_fetched)
           SELECT COALESCE(source, ''), COUNT(*), SUM(duplicate_of IS NULL), MAX(fetched_at)
           FROM articles GROUP BY 1;
         DROP TRIGGER IF EXISTS source_ai;
         CREATE TRIGGER source_ai AFTER INSERT ON articles BEGIN {_count_source("new", 1)} END;
         DROP TRIGGER IF EXISTS source_ad;
         CREATE TRIGGER source_ad AFTER DELETE ON articles BEGIN {_count_source("old", -1)} END;
         DROP TRIGGER IF EXISTS source_au;
         CREATE TRIGGER source_au AFTER UPDATE OF source, duplicate_of, fetched_at ON articles
         BEGIN {_count_source("old", -1)} {_count_source("new", 1)} END;"""),
    ("stories per company",
     """CREATE TABLE IF NOT EXISTS company_summary (
           company TEXT PRIMARY KEY NOT NULL, stories INTEGER NOT NULL);
         DELETE FROM company_summary;
         INSERT INTO company_summary (company, stories)
           SELECT m.company, COUNT(*) FROM mentions m JOIN articles a ON a.id = m.article_id
           WHERE a.duplicate_of IS NULL GROUP BY m.company;
         DROP TRIGGER IF EXISTS company_mi;
         CREATE TRIGGER company_mi AFTER INSERT ON mentions
         WHEN (SELECT duplicate_of IS NULL FROM articles WHERE id = new.article_id) BEGIN
           INSERT INTO company_summary (company, stories) VALUES (new.company, 1)
             ON CONFLICT (company) DO UPDATE SET stories = stories + 1;
         END;
         DROP TRIGGER IF EXISTS company_md;
         CREATE TRIGGER company_md AFTER DELETE ON mentions
         WHEN (SELECT duplicate_of IS NULL FROM articles WHERE id = old.article_id) BEGIN
           UPDATE company_summary SET stories = stories - 1 WHERE company = old.company;
         END;
         DROP TRIGGER IF EXISTS company_au;
         CREATE TRIGGER company_au AFTER UPDATE OF duplicate_of ON articles
         WHEN (old.duplicate_of IS NULL) != (new.duplicate_of IS NULL) BEGIN
           INSERT INTO company_summary (company, stories)
             SELECT company, CASE WHEN new.duplicate_of IS NULL THEN 1 ELSE -1 END
             FROM mentions WHERE article_id = new.id AND 1
             ON CONFLICT (company) DO UPDATE SET stories = stories + excluded.stories;
         END;"""),
    ("the stories view reads story_summary",
     """DROP VIEW IF EXISTS stories;
        CREATE VIEW stories AS
          SELECT s.story_id, a.title, a.url, s.first_seen, a.published, s.copies,
                 (SELECT group_concat(source) FROM (
                    SELECT c.source FROM articles c WHERE c.id = s.story_id OR c.duplicate_of = s.story_id
                    GROUP BY c.source ORDER BY MIN(c.id))) AS outlets
          FROM story_summary s CROSS JOIN articles a ON a.id = s.story_id"""),
    ("query planner statistics", "PRAGMA analysis_limit = 1000;\nANALYZE"),
]


def _v5_large_archive(db: sqlite_utils.Database, progress=None) -> None:
    """Indexes on what listings filter and sort by; story, source and company summaries.

    A million articles made every listing scan the 4 GB `articles` table (see
    issue 13): `stats` read it four times, the `stories` view aggregated every
    story before LIMIT applied, `--company` could not use its index (NOCASE).
    story_summary holds one row per story (its date shown, when it was first
    fetched, its number of copies), kept by triggers on `articles`, so a
    listing of the newest stories walks an index instead of grouping the whole
    archive. source_summary keeps each source's article and story counts and
    last fetch the same way, so `stats` reads 30 rows, not a million; company_summary the number of
    stories naming each company, for `companies`. The FTS update trigger now fires only when title or body change,
    not when a copy is re-linked. Everything runs in one transaction, version
    bump included: each step is one scan of the table, and an interrupted
    upgrade rolls back.
    """
    with write_transaction(db) as conn:
        for done, (label, sql) in enumerate(V5_STEPS):
            if progress:
                progress(label, done, len(V5_STEPS))
            logger.info("schema v5, step %d/%d: %s", done + 1, len(V5_STEPS), label)
            for statement in _statements(sql):
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 5")
    if progress:
        progress("done", len(V5_STEPS), len(V5_STEPS))




def _statements(script: str) -> list[str]:
    """Split a script into statements (sqlite3.complete_statement keeps trigger bodies whole)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if current.strip() and sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


def _v6_unused_index(db: sqlite_utils.Database) -> None:
    """Drop the index on `published` alone: since v5 nothing reads through it.

    Listings and search filter and sort by the date shown (articles_shown,
    articles_source_shown, story_summary), and the dashboard reads those too
    (crawler/web/queries.py); the v1 index cost 40 of the 650 bytes per article
    that indexes take at 1,000,000 articles, and a B-tree write per insert.
    One transaction with the version bump, so it either happens whole or not.
    """
    with write_transaction(db) as conn:
        conn.execute("DROP INDEX IF EXISTS idx_articles_published")
        conn.execute("PRAGMA user_version = 6")


def _body_of(article: str) -> str:
    """SQL expression: the text of article `article`'s body (NULL when it has none)."""
    return f"(SELECT {BODY_FUNCTION}(body) FROM article_bodies WHERE article_id = {article})"


def _fts_replace(title: str, old_body: str, new_body: str, where: str) -> str:
    """Trigger SQL re-indexing article `where`: its (title, old_body) out, (title, new_body) in."""
    return f"""
      INSERT INTO articles_fts (articles_fts, rowid, title, body)
        SELECT 'delete', id, {title}, {old_body} FROM articles WHERE id = {where};
      INSERT INTO articles_fts (rowid, title, body)
        SELECT id, title, {new_body} FROM articles WHERE id = {where};"""


# The full-text index over article_text (schema v7): an article's title is indexed when
# its row is written, with its body when the body was written first (as save_articles
# does) or as soon as the body follows; dropping a body re-indexes the title alone.
FTS_TRIGGERS_V7 = f"""
    CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
      INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, {_body_of("new.id")});
    END;
    CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
      INSERT INTO articles_fts (articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, {_body_of("old.id")});
    END;
    CREATE TRIGGER articles_au AFTER UPDATE OF title ON articles BEGIN
      INSERT INTO articles_fts (articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, {_body_of("old.id")});
      INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, {_body_of("new.id")});
    END;
    CREATE TRIGGER article_bodies_ai AFTER INSERT ON article_bodies
    WHEN EXISTS (SELECT 1 FROM articles WHERE id = new.article_id) BEGIN
      {_fts_replace("title", "NULL", f"{BODY_FUNCTION}(new.body)", "new.article_id")}
    END;
    CREATE TRIGGER article_bodies_ad AFTER DELETE ON article_bodies
    WHEN EXISTS (SELECT 1 FROM articles WHERE id = old.article_id) BEGIN
      {_fts_replace("title", f"{BODY_FUNCTION}(old.body)", "NULL", "old.article_id")}
    END;
    CREATE TRIGGER article_bodies_au AFTER UPDATE OF body ON article_bodies
    WHEN EXISTS (SELECT 1 FROM articles WHERE id = new.article_id) BEGIN
      {_fts_replace("title", f"{BODY_FUNCTION}(old.body)", f"{BODY_FUNCTION}(new.body)",
                    "new.article_id")}
    END;"""

ARTICLE_BODIES = """
    CREATE TABLE article_bodies (
      article_id INTEGER PRIMARY KEY REFERENCES articles(id) DEFERRABLE INITIALLY DEFERRED,
      body BLOB NOT NULL)"""

TEXT_VIEW_SQL = f"""
    CREATE VIEW {TEXT_VIEW} AS
      SELECT a.id, a.title, {BODY_FUNCTION}(b.body) AS body
      FROM articles a LEFT JOIN article_bodies b ON b.article_id = a.id"""

FTS_CONTENT = re.compile(r"""content\s*=\s*(?:"articles"|'articles'|\[articles\]|articles\b)"""
                         r"""(\s*,\s*content_rowid\s*=\s*(?:"id"|'id'|\[id\]|id\b))?""", re.I)
BODY_COPY_BATCH = 5000


def _new_articles_table(conn: sqlite3.Connection) -> tuple[str, list[str]]:
    """CREATE TABLE articles_v7: `articles` without `body`; and the columns it keeps."""
    keys = {row[3]: (row[2], row[4]) for row in conn.execute("PRAGMA foreign_key_list(articles)")}
    columns, definitions = [], []
    for _cid, name, col_type, not_null, default, pk in conn.execute("PRAGMA table_info(articles)"):
        if name == "body":
            continue
        columns.append(name)
        definition = f'"{name}" {col_type}' + (" PRIMARY KEY" if pk else "")
        definition += " NOT NULL" if not_null and not pk else ""
        definition += f" DEFAULT {default}" if default is not None else ""
        if name in keys:
            definition += f' REFERENCES "{keys[name][0]}"("{keys[name][1]}")'
        definitions.append(definition)
    return f'CREATE TABLE "articles_v7" ({", ".join(definitions)})', columns


def _copy_articles(conn: sqlite3.Connection, report) -> None:
    """One pass over `articles`, in id order: metadata to articles_v7, bodies packed to
    article_bodies (a fresh archive's pages, filled in order)."""
    create, columns = _new_articles_table(conn)
    conn.execute("DROP TABLE IF EXISTS articles_v7")
    conn.execute(create)
    conn.execute(ARTICLE_BODIES)
    names = ", ".join(f'"{c}"' for c in columns)
    insert = f"INSERT INTO articles_v7 ({names}) VALUES ({', '.join('?' * len(columns))})"
    top = conn.execute("SELECT MAX(id) FROM articles").fetchone()[0] or 0
    reader = conn.execute(f"SELECT {names}, body FROM articles ORDER BY id")
    while rows := reader.fetchmany(BODY_COPY_BATCH):
        conn.executemany(insert, [row[:-1] for row in rows])
        conn.executemany("INSERT INTO article_bodies (article_id, body) VALUES (?, ?)",
                         [(row[0], pack(row[-1])) for row in rows if row[-1] is not None])
        report(rows[-1][0] / max(top, 1))


def _first_unsigned(db: sqlite_utils.Database) -> int | None:
    """The first article with a body that could be signed but has no stored signature.

    Texts too short to sign never had one; they are tried (signing is the only
    way to tell) until the first that does sign: in an archive from before
    schema 2 that is one of its first articles, elsewhere there is none.
    """
    unsigned = db.conn.execute(    # the new metadata table: a third of the bodies' pages
        "SELECT a.id FROM articles_v7 a WHERE NOT EXISTS"
        " (SELECT 1 FROM signatures s WHERE s.article_id = a.id) ORDER BY a.id")
    while chunk := [row[0] for row in unsigned.fetchmany(500)]:
        texts = bodies_of(db, chunk)
        for article_id in chunk:
            if article_id in texts and signature(texts[article_id]) is not None:
                return article_id
    return None


def _signatures_from_bodies(db: sqlite_utils.Database) -> None:
    """Drop the stored signatures: from v7 they are computed from the bodies when needed.

    Before the table goes, what only it knew is kept: the scheme the bands
    were made with (recorded in neardup_meta if it was not yet), and which
    articles a pending or never-run signing has still to sign (the
    `resigning` mark: the last article id done). The bands of articles whose
    body retention dropped are removed now, while their signature says which
    they are; later no signature could be made to find them.
    """
    conn = db.conn
    oldest = conn.execute("SELECT minhash FROM signatures ORDER BY article_id LIMIT 1").fetchone()
    if oldest and stored_scheme(db) is None:
        set_meta(db, SCHEME_KEY, blob_scheme(oldest[0]))
    if oldest is None or resign_pending(db):
        pending = 0 if conn.execute("SELECT 1 FROM article_bodies LIMIT 1").fetchone() else None
    else:
        first = _first_unsigned(db)
        pending = None if first is None else first - 1
    set_meta(db, RESIGNING_KEY, None if pending is None else str(pending))
    for article_id, blob in conn.execute(
            "SELECT s.article_id, s.minhash FROM signatures s WHERE NOT EXISTS"
            " (SELECT 1 FROM article_bodies b WHERE b.article_id = s.article_id)").fetchall():
        try:
            sig = deserialise(blob)
        except ValueError:   # another scheme's: a re-sign empties lsh_bands anyway
            continue
        drop_bands(db, article_id, sig)
    conn.execute("DROP TABLE signatures")


def _fts_reads_article_text(conn: sqlite3.Connection) -> None:
    """Point the FTS5 table's content at the article_text view, keeping its index.

    The index (articles_fts_data, _idx, _docsize, _config) holds the same terms
    whichever table the text is read from, so only the declaration changes:
    through SQLite's documented way of editing a schema entry in place
    (writable_schema, then a schema_version bump so every connection reloads
    it) instead of re-tokenising every article.
    """
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table'"
                       " AND name = 'articles_fts'").fetchone()[0]
    new_sql, found = FTS_CONTENT.subn(f"content='{TEXT_VIEW}', content_rowid='id'", sql)
    if found != 1:
        raise ArchiveError(f"unexpected declaration of articles_fts: {sql}")
    version = conn.execute("PRAGMA schema_version").fetchone()[0]
    conn.execute("PRAGMA writable_schema = ON")
    try:
        conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'articles_fts'",
                     [new_sql])
        conn.execute(f"PRAGMA schema_version = {version + 1}")
    finally:
        conn.execute("PRAGMA writable_schema = OFF")


def _v7_bodies_apart(db: sqlite_utils.Database, progress=None) -> None:
    """Bodies move, compressed, to `article_bodies`; the FTS index reads them through a view.

    At 1,000,000 articles `articles` was 4.1 KB per article: a 3.3 KB row
    alone in each 4 KB page. Without its body a row is ~0.5 KB and pages fill
    up; the body, zlib-compressed (crawler/archive/bodies.py), is ~1.3 KB.
    The table is rebuilt the way SQLite documents for changes ALTER TABLE
    cannot make: a new table filled in id order, the old one dropped, the new
    one renamed, its indexes, triggers and views created again from their
    stored SQL (the FTS triggers replaced by ones reading the bodies). The
    full-text index is kept (`_fts_reads_article_text`). The stored
    near-duplicate signatures (0.59 KB per article) go too: they are made
    from the bodies when needed (`_signatures_from_bodies`). One transaction
    with the version bump: interrupted, it rolls back and the next open
    starts over.
    The old table's pages become free pages, reused by new rows or given back
    to the disk by `newsmon maintain --vacuum`.
    """
    conn = db.conn
    steps = ["copy articles, compress bodies", "replace the articles table, drop signatures",
             "index articles",
             "full-text index reads the bodies", "query planner statistics"]
    units = 100 * len(steps)

    def at(step: int, fraction: float = 0.0) -> None:
        if progress:
            progress(steps[step], int(100 * (step + fraction)), units)

    checks_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")   # no effect inside a transaction: set before
    try:
        with write_transaction(db):
            logger.info("schema v7: %s", steps[0])
            at(0)
            _copy_articles(conn, lambda fraction: at(0, fraction))
            logger.info("schema v7: %s", steps[1])
            at(1)
            _signatures_from_bodies(db)
            saved = conn.execute(
                "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'articles' AND sql IS NOT NULL"
                " AND type IN ('index', 'trigger') AND name NOT IN ('articles_ai', 'articles_ad',"
                " 'articles_au')").fetchall()
            views = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall()
            for name, _sql in views:
                conn.execute(f'DROP VIEW "{name}"')
            conn.execute("DROP TABLE articles")
            conn.execute("PRAGMA legacy_alter_table = ON")   # rename only the table itself
            conn.execute('ALTER TABLE "articles_v7" RENAME TO "articles"')
            conn.execute("PRAGMA legacy_alter_table = OFF")
            logger.info("schema v7: %s", steps[2])
            indexes = [sql for kind, sql in saved if kind == "index"]
            for done, sql in enumerate(indexes):
                at(2, done / max(len(indexes), 1))
                conn.execute(sql)
            logger.info("schema v7: %s", steps[3])
            at(3)
            for _kind, sql in (row for row in saved if row[0] == "trigger"):
                conn.execute(sql)
            for statement in _statements(FTS_TRIGGERS_V7):
                conn.execute(statement)
            for _name, sql in views:
                conn.execute(sql)
            conn.execute(TEXT_VIEW_SQL)
            _fts_reads_article_text(conn)
            logger.info("schema v7: %s", steps[4])
            at(4)
            conn.execute("PRAGMA analysis_limit = 1000")
            conn.execute("ANALYZE articles")
            conn.execute("ANALYZE article_bodies")
            conn.execute("PRAGMA user_version = 7")
    finally:
        conn.execute("PRAGMA legacy_alter_table = OFF")
        conn.execute(f"PRAGMA foreign_keys = {int(checks_keys)}")
    if progress:
        progress("done", units, units)
    free = conn.execute("PRAGMA freelist_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    if free > 100 * 2**20:   # a small archive reuses its free pages soon enough
        logger.warning("schema v7: the archive file keeps %d MB of free pages from the old rows; "
                       "`newsmon maintain --vacuum` gives them back (about 2 minutes per "
                       "million articles)", free // 2**20)


# Append new migrations; never edit one that has shipped.
MIGRATIONS: list[Callable[..., None]] = [
    _v1_spine, _v2_near_duplicates, _v3_alert_outbox, _v4_article_retries, _v5_large_archive,
    _v6_unused_index, _v7_bodies_apart]
SCHEMA_VERSION = len(MIGRATIONS)
# Migrations long enough on a big archive to report their progress (they take `progress`).
REPORTS_PROGRESS = {_v5_large_archive, _v7_bodies_apart}


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database, progress=None) -> int:
    """Bring `db` up to SCHEMA_VERSION; return how many migrations ran.

    `progress(step, done, total)`, if given, is told what a long migration is doing.
    """
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise ArchiveError(
            f"archive schema version {current} is newer than this newsmon ({SCHEMA_VERSION})")
    for version, migration in enumerate(MIGRATIONS[current:], start=current + 1):
        logger.info("migrating archive to schema version %d (%s)", version, migration.__name__)
        if migration in REPORTS_PROGRESS:
            migration(db, progress if current else None)  # a new archive has nothing to upgrade
        else:
            migration(db)
        db.execute(f"PRAGMA user_version = {version}")
    return SCHEMA_VERSION - current
