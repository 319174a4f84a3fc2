"""One explicit write transaction, for code that must read what it is about to change.

Python's sqlite3 opens a transaction lazily, at the first write, so a read
before it sees the archive as it was before another writer's commit. BEGIN
IMMEDIATE takes the write lock first: the alert outbox claims rows with it,
and each schema upgrade from v5 on runs whole in one, version bump included,
so an interrupted upgrade rolls back to the intact older archive.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database


@contextmanager
def write_transaction(db: Database) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT; any exception rolls back and is raised again."""
    conn = db.conn
    if conn.in_transaction:
        conn.commit()
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
