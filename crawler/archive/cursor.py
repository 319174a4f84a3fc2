"""What a statement is given and gives back: ids in bounded chunks, the id it inserted."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

# Ids bound per statement, under SQLite's default limit of bound parameters.
ID_CHUNK = 500


def id_chunks(values: list[int]) -> Iterable[list[int]]:
    """`values` in slices of at most ID_CHUNK, for `... IN (?, ?, ...)` statements."""
    for start in range(0, len(values), ID_CHUNK):
        yield values[start:start + ID_CHUNK]


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The id an INSERT just gave its row (sqlite3 types `lastrowid` as optional;
    after an INSERT it is always set)."""
    row_id = cursor.lastrowid
    if row_id is None:
        raise sqlite3.InterfaceError("the statement inserted no row")
    return row_id
