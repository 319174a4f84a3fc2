"""Errors of the archive layer."""

import sqlite3


class ArchiveError(Exception):
    """The archive cannot be opened, upgraded or written (a run cannot happen)."""


class ArchiveMissing(ArchiveError):
    """A command that only reads found no archive file (it never creates one)."""


class ArchiveCorrupt(ArchiveError):
    """SQLite found the archive file damaged ("database disk image is malformed")."""


# Scrapy stats keys: an archive write failed during the crawl (the last message), and
# SQLite said the file is damaged.
WRITE_ERROR_STAT = "newsmon/archive/write_error"
CORRUPT_STAT = "newsmon/archive/corrupt"


def is_corruption(exc: BaseException) -> bool:
    """SQLITE_CORRUPT or SQLITE_NOTADB: the file, not the statement, is at fault."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
    text = str(exc)
    return "malformed" in text or "not a database" in text


def note_archive_error(stats, exc: BaseException) -> None:
    """Remember in the crawl's stats that the archive refused a write (and whether it is damaged)."""
    if stats is None:
        return
    stats.set_value(WRITE_ERROR_STAT, str(exc))
    if is_corruption(exc):
        stats.set_value(CORRUPT_STAT, str(exc))


# Primary SQLite result codes that mean "the archive file cannot be used", not "bad SQL".
ARCHIVE_FAULTS = {
    sqlite3.SQLITE_PERM, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_NOTADB,
}


def is_archive_fault(exc: BaseException) -> bool:
    """True when SQLite failed because of the file (damaged, full, unreadable), not the query."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.DatabaseError) and (
        (code is not None and code & 0xFF in ARCHIVE_FAULTS) or is_corruption(exc))
