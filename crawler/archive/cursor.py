"""What a statement gave back, typed as it is."""

from __future__ import annotations

import sqlite3


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The id an INSERT just gave its row (sqlite3 types `lastrowid` as optional;
    after an INSERT it is always set)."""
    row_id = cursor.lastrowid
    if row_id is None:
        raise sqlite3.InterfaceError("the statement inserted no row")
    return row_id
