"""newsmon's SQLite archive, used through sqlite-utils.

`open_archive(path)` is the one way in: it creates or upgrades the schema and
sets WAL mode. A new archive gets 8 KB pages: an article row (~3 KB with its
body) leaves a quarter of a 4 KB page empty, and FTS and index pages pack
better too (see README, "How big it grows"). Everything else is a plain function taking the Database, in the
manner of sqlite-utils, so the CLI, the pipelines and the tests share them.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

from crawler.archive.errors import ArchiveError
from crawler.archive.schema import SCHEMA_VERSION, migrate, schema_version

__all__ = ["open_archive", "SCHEMA_VERSION", "schema_version", "ArchiveError"]


PAGE_SIZE = 8192


def open_archive(path: str | os.PathLike, *, timeout: float = 30.0,
                 progress=None) -> sqlite_utils.Database:
    """Open (creating and migrating as needed) the archive at `path`.

    `progress(step, done, total)` is told the steps of a long upgrade
    (crawler/archive/schema.py), for a progress bar.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        new = not path.exists() or path.stat().st_size == 0
        conn = sqlite3.connect(str(path), timeout=timeout)
        if new:
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        db = sqlite_utils.Database(conn)
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        migrate(db, progress)
    except (OSError, sqlite3.Error) as exc:
        raise ArchiveError(f"{path}: cannot open archive: {exc}") from exc
    return db
