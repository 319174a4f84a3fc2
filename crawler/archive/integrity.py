"""Checking an archive for damage and copying it safely while crawls write to it.

Both work on the file as it is, through plain sqlite3 connections: neither
creates, upgrades nor locks the archive, so they run beside a crawl or the
daemon (SQLite's WAL lets a reader see one consistent snapshot while a writer
carries on).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from crawler.archive.errors import ArchiveError, ArchiveMissing

MAX_PROBLEMS = 20      # integrity_check lists at most this many problems


@dataclass
class CheckReport:
    quick_check: list[str] = field(default_factory=list)       # ["ok"] when healthy
    integrity_check: list[str] = field(default_factory=list)
    error: str | None = None       # SQLite could not even run the checks

    @property
    def ok(self) -> bool:
        return self.error is None and self.quick_check == ["ok"] and self.integrity_check == ["ok"]


def _connect_existing(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise ArchiveMissing(f"{path}: no archive here")
    return sqlite3.connect(path, timeout=30)   # never written through: reads and backup only


def _pragma(conn: sqlite3.Connection, name: str) -> list[str]:
    return [row[0] for row in conn.execute(f"PRAGMA {name}({MAX_PROBLEMS})")]


def check_archive(path: str | os.PathLike) -> CheckReport:
    """PRAGMA quick_check (pages and b-trees), then integrity_check (also indexes vs rows)."""
    report = CheckReport()
    try:
        conn = _connect_existing(Path(path))
    except sqlite3.Error as exc:
        report.error = str(exc)
        return report
    try:
        report.quick_check = _pragma(conn, "quick_check")
        report.integrity_check = _pragma(conn, "integrity_check")
    except sqlite3.DatabaseError as exc:   # "file is not a database", unreadable header
        report.error = str(exc)
    finally:
        conn.close()
    return report


def recovery_steps(path: str | os.PathLike) -> list[str]:
    """What to tell the user whose archive is damaged."""
    path = Path(path)
    recovered = path.with_name(path.stem + "-recovered" + path.suffix)
    return [
        "Stop what writes the archive (the `newsmon schedule` daemon, cron's `newsmon crawl`).",
        f"Rescue what is readable into a new file with the sqlite3 shell:\n"
        f"      sqlite3 {path} .recover | sqlite3 {recovered}\n"
        f"  then check it (`sqlite3 {recovered} 'PRAGMA integrity_check'`) and put it in place:\n"
        f"      mv {path} {path}.damaged && mv {recovered} {path}",
        "Or restore the last copy made with `newsmon backup PATH` in place of the archive.",
        "Either way the next `newsmon crawl` fetches again what the archive lost "
        "(articles it no longer has are not in its seen-set).",
    ]


def backup_archive(path: str | os.PathLike, target: str | os.PathLike) -> dict:
    """Copy the archive to `target` through SQLite's online backup API; returns counts.

    One backup step copies every page from one read snapshot: a crawl writing
    meanwhile neither blocks it nor makes it start over, and the copy is
    consistent (its commits are all there or not at all). The copy is written
    next to `target` and renamed into place, so a failed backup leaves no
    half-written file under the name.
    """
    source_path, target = Path(path), Path(target)
    if target.exists():
        raise FileExistsError(f"{target} exists: choose another path or remove it first")
    partial = target.with_name(target.name + ".partial")
    source = _connect_existing(source_path)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            problems = _pragma(copy, "quick_check")
            articles = copy.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            runs = copy.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        finally:
            copy.close()
    except sqlite3.Error:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    if problems != ["ok"]:
        partial.unlink(missing_ok=True)
        raise ArchiveError(f"{source_path}: the archive is damaged and a backup would copy the "
                           f"damage; run `newsmon check` for the details and how to recover")
    os.replace(partial, target)
    return {"articles": articles, "runs": runs, "bytes": target.stat().st_size}
