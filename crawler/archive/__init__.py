"""newsmon's SQLite archive, used through sqlite-utils.

`open_archive(path)` is the one way in: it creates or upgrades the schema and
sets WAL mode. Everything else is a plain function taking the Database, in the
manner of sqlite-utils, so the CLI, the pipelines and the tests share them.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

from crawler.archive.bodies import register_functions
from crawler.archive.errors import ArchiveCorrupt, ArchiveError, ArchiveMissing, is_corruption
from crawler.archive.schema import SCHEMA_VERSION, migrate, schema_version

__all__ = ["open_archive", "SCHEMA_VERSION", "schema_version", "ArchiveError", "ArchiveCorrupt",
           "ArchiveMissing", "probe_write"]


def open_archive(path: str | os.PathLike, *, timeout: float = 30.0,
                 create: bool = True, progress=None) -> sqlite_utils.Database:
    """Open (migrating as needed) the archive at `path`; create it only if `create`.

    Commands that only read pass create=False, so that run in the wrong folder
    they say where they looked instead of leaving an empty newsmon.db there.
    `progress(step, done, total)` is told the steps of a long upgrade
    (crawler/archive/schema.py), for a progress bar.
    """
    path = Path(path)
    if not create and not path.is_file():
        raise ArchiveMissing(f"{path}: no archive here (run `newsmon crawl` first, or point "
                             f"--config or NEWSMON_CONFIG at the config whose archive you mean)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=timeout)
        register_functions(conn)
        db = sqlite_utils.Database(conn)
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        migrate(db, progress)
    except (OSError, sqlite3.Error) as exc:
        if is_corruption(exc):
            raise ArchiveCorrupt(corrupt_message(path, exc)) from exc
        raise ArchiveError(f"{path}: cannot open archive: {exc}") from exc
    return db


def probe_write(db: sqlite_utils.Database) -> None:
    """Take the write lock and give it back: raises sqlite3.OperationalError when the
    archive is read-only or another writer holds it."""
    db.execute("BEGIN IMMEDIATE")
    db.execute("ROLLBACK")


def corrupt_message(path, exc) -> str:
    return (f"{path}: the archive is damaged ({exc}). Run `newsmon check` for the details "
            f"and how to recover")
