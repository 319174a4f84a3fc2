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

logger = logging.getLogger(__name__)


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


# Append new migrations; never edit one that has shipped.
MIGRATIONS = [_v1_spine]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> int:
    """Bring `db` up to SCHEMA_VERSION; return how many migrations ran."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"archive schema version {current} is newer than this newsmon ({SCHEMA_VERSION})")
    for version, migration in enumerate(MIGRATIONS[current:], start=current + 1):
        logger.info("migrating archive to schema version %d (%s)", version, migration.__name__)
        migration(db)
        db.execute(f"PRAGMA user_version = {version}")
    return SCHEMA_VERSION - current
