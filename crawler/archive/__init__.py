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

from crawler.archive.errors import ArchiveError
from crawler.archive.schema import SCHEMA_VERSION, migrate, schema_version

__all__ = ["open_archive", "SCHEMA_VERSION", "schema_version", "ArchiveError"]


def open_archive(path: str | os.PathLike, *, timeout: float = 30.0,
                 progress=None) -> sqlite_utils.Database:
    """Open (creating and migrating as needed) the archive at `path`.

    `progress(step, done, total)` is told the steps of a long upgrade
    (crawler/archive/schema.py), for a progress bar.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=timeout)
        db = sqlite_utils.Database(conn)
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        migrate(db, progress)
    except (OSError, sqlite3.Error) as exc:
        raise ArchiveError(f"{path}: cannot open archive: {exc}") from exc
    return db
