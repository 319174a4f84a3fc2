"""Schema versions: a new archive is current; an old one is upgraded in place."""

import sqlite3

import pytest
import sqlite_utils

from crawler.archive import ArchiveError, SCHEMA_VERSION, open_archive, schema_version
from crawler.archive.schema import MIGRATIONS


def test_new_archive_has_current_version_and_wal(tmp_path):
    db = open_archive(tmp_path / "a.db")
    assert schema_version(db) == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"articles", "articles_fts", "mentions", "alerts", "runs", "fetch_state"} <= set(db.table_names())


def test_old_archive_is_upgraded_without_losing_rows(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    MIGRATIONS[0](old)
    old.execute("PRAGMA user_version = 1")
    old["articles"].insert({"url": "http://h/a", "title": "Kept", "body": "kept body"})
    old.conn.commit()
    old.close()
    db = open_archive(path)
    assert schema_version(db) == SCHEMA_VERSION
    assert db["articles"].get(1)["title"] == "Kept"
    assert db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'kept'").fetchall()


def test_reopening_is_idempotent(tmp_path):
    open_archive(tmp_path / "a.db").close()
    db = open_archive(tmp_path / "a.db")
    assert schema_version(db) == SCHEMA_VERSION


def test_archive_from_a_newer_newsmon_is_refused(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ArchiveError, match="newer"):
        open_archive(path)


def test_unopenable_path_is_an_archive_error(tmp_path):
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(ArchiveError):
        open_archive(tmp_path / "dir.db")
