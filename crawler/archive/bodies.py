"""Article bodies, stored compressed in their own table (schema v7).

A body is most of an article's bytes (2.8 KB of text for ~410 words), and
stored in the `articles` row it left most of each 4 KB page empty and made
every metadata scan read it. Since v7 it lives in `article_bodies`
(article_id, body BLOB): one format byte, then the encoded text, so the
encoding can change without a migration:

- `z`: zlib (the standard library's, level 9) of the UTF-8 text; 2.2-2.3x
  smaller on news text. zlib's stream is what the `sqlite3` shell's
  `sqlar_uncompress()` reads, so a plain shell user reads a body with
  `CAST(sqlar_uncompress(substr(body, 2), 16777216) AS TEXT)`.
- `t`: the UTF-8 text as it is, for bodies zlib would not make smaller.

An article whose body retention dropped (`[archive] keep_bodies_days`) has
no row here. Readers get text through one place: the SQL function
`newsmon_body(blob)` (`register_functions` puts it on every connection
newsmon opens: crawler/archive/__init__.py, the dashboard's
crawler/web/plugin.py) and the `article_text` view built on it (id, title,
body), which is also the FTS5 index's content table, so snippet() and the
index's delete triggers see text; `bodies_of` is the same for Python callers.
"""

from __future__ import annotations

import logging
import sqlite3
import zlib
from collections.abc import Iterable

from sqlite_utils import Database

from crawler.archive.cursor import id_chunks

logger = logging.getLogger(__name__)

ZLIB, PLAIN = b"z", b"t"
LEVEL = 9
BODY_FUNCTION = "newsmon_body"        # SQL: newsmon_body(article_bodies.body) -> text
TEXT_VIEW = "article_text"            # SQL view: id, title, body (as text)


class BodyFormatError(ValueError):
    """A stored body whose format byte this newsmon does not know."""


def pack(text: str | None) -> bytes | None:
    """The stored form of a body: a format byte, then zlib or plain UTF-8; None stays None."""
    if text is None:
        return None
    raw = text.encode("utf-8")
    packed = zlib.compress(raw, LEVEL)
    return ZLIB + packed if len(packed) < len(raw) else PLAIN + raw


def unpack(blob: bytes | None) -> str | None:
    """The text of a stored body (what `pack` made); None stays None."""
    if blob is None:
        return None
    kind, data = bytes(blob[:1]), bytes(blob[1:])
    if kind == ZLIB:
        return zlib.decompress(data).decode("utf-8")
    if kind == PLAIN:
        return data.decode("utf-8")
    raise BodyFormatError(f"unknown body format {kind!r} (written by a newer newsmon?)")


def register_functions(conn: sqlite3.Connection) -> None:
    """Put `newsmon_body()` on a connection: the FTS index's content view needs it."""
    conn.create_function(BODY_FUNCTION, 1, unpack, deterministic=True)


def store_body(db: Database, article_id: int, text: str | None) -> None:
    """Write (or replace) an article's body, in the caller's transaction; None drops it.

    A delete and an insert rather than INSERT OR REPLACE: the FTS triggers on
    article_bodies must see the old body go, and REPLACE fires delete triggers
    only where recursive_triggers is on.
    """
    db.conn.execute("DELETE FROM article_bodies WHERE article_id = ?", [article_id])
    if text is not None:
        db.conn.execute("INSERT INTO article_bodies (article_id, body) VALUES (?, ?)",
                        [article_id, pack(text)])


def bodies_of(db: Database, article_ids: Iterable[int]) -> dict[int, str]:
    """{article id: body text} for those of `article_ids` that have a body.

    A body that cannot be decoded (a damaged row, a newer format) is left out
    with a warning: one bad row must not stop a crawl's batch.
    """
    found: dict[int, str] = {}
    for chunk in id_chunks(list(dict.fromkeys(article_ids))):
        marks = ", ".join("?" * len(chunk))
        for article_id, blob in db.conn.execute(
                f"SELECT article_id, body FROM article_bodies WHERE article_id IN ({marks})", chunk):
            try:
                text = unpack(blob)
            except (ValueError, zlib.error) as exc:   # UnicodeDecodeError is a ValueError
                logger.warning("cannot read the body of article %d: %s", article_id, exc)
                continue
            if text is not None:
                found[article_id] = text
    return found
