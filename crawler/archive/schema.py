"""The archive's schema and its migrations: the only place tables are defined.

The schema version lives in SQLite's own `PRAGMA user_version`, so `sqlite3`,
`sqlite-utils` and Datasette users see a plain database. Opening an archive
made by an older newsmon runs the missing migrations in order. sqlite-utils
commits DDL as it goes (enable_fts uses executescript), so instead of relying
on a transaction each migration is idempotent (`if_not_exists`, `replace`) and
the version is bumped only after it completed: an interrupted upgrade is simply
run again on the next open.
"""

from __future__ import annotations

import logging

import sqlite_utils

from crawler.archive.errors import ArchiveError

logger = logging.getLogger(__name__)


def add_missing_columns(db: sqlite_utils.Database, table: str, columns: dict) -> None:
    """Idempotent ALTER TABLE ADD COLUMN, so a migration can simply run again."""
    existing = db[table].columns_dict
    for name, col_type in columns.items():
        if name not in existing:
            db[table].add_column(name, col_type)


def _v1_spine(db: sqlite_utils.Database) -> None:
    db["articles"].create(
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
    db["articles"].create_index(["url"], unique=True, if_not_exists=True)
    db["articles"].create_index(["content_hash"], if_not_exists=True)
    db["articles"].create_index(["published"], if_not_exists=True)
    db["articles"].create_index(["duplicate_of"], if_not_exists=True)
    db["articles"].enable_fts(["title", "body"], create_triggers=True,
                              tokenize="porter unicode61 remove_diacritics 2", replace=True)
    db["mentions"].create(
        {"article_id": int, "company": str, "count": int, "in_title": int,
         "first_offset": int, "matched": str, "snippet": str},
        pk=("article_id", "company"),
        foreign_keys=[("article_id", "articles", "id")],
        if_not_exists=True,
    )
    db["mentions"].create_index(["company"], if_not_exists=True)
    db["alerts"].create(
        {"id": int, "rule": str, "article_id": int, "channel": str, "status": str,
         "attempts": int, "last_error": str, "created": str, "sent": str, "next_attempt": str},
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
        if_not_exists=True,
    )
    db["runs"].create(
        {"id": int, "source": str, "started": str, "finished": str, "outcome": str,
         "requests": int, "new_articles": int, "duplicates": int, "not_modified": int,
         "dropped": int, "errors": int, "details": str},
        pk="id",
        if_not_exists=True,
    )
    db["runs"].create_index(["source", "started"], if_not_exists=True)
    db["fetch_state"].create(
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


# Append new migrations; never edit one that has shipped.
MIGRATIONS = [_v1_spine, _v2_near_duplicates, _v3_alert_outbox, _v4_article_retries]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> int:
    """Bring `db` up to SCHEMA_VERSION; return how many migrations ran."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise ArchiveError(
            f"archive schema version {current} is newer than this newsmon ({SCHEMA_VERSION})")
    for version, migration in enumerate(MIGRATIONS[current:], start=current + 1):
        logger.info("migrating archive to schema version %d (%s)", version, migration.__name__)
        migration(db)
        db.execute(f"PRAGMA user_version = {version}")
    return SCHEMA_VERSION - current
