"""Full-text search over the archive (SQLite FTS5 syntax), newest first."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta, timezone

from crawler.archive.stories import also_on
from crawler.utc import iso, parse_utc

RELATIVE = re.compile(r"^(\d+)\s*([hdwm])$")
UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1),
        "m": timedelta(days=30)}
HIGHLIGHT = ("**", "**")


class SearchError(ValueError):
    """A query the user must fix (bad FTS5 syntax, bad --since)."""


def parse_since(text: str, now: datetime | None = None) -> str:
    """'7d', '24h', '2w', '1m' or a date/time ('2026-05-01') -> ISO 8601 UTC cutoff."""
    now = now or datetime.now(timezone.utc)
    match = RELATIVE.match(text.strip().lower())
    if match:
        cutoff = now - int(match.group(1)) * UNIT[match.group(2)]
    else:
        try:
            cutoff = parse_utc(text)
        except ValueError:
            cutoff = None
        if cutoff is None:
            raise SearchError(f"--since {text!r}: use 7d, 24h, 2w, 1m or a date like 2026-05-01")
    return iso(cutoff)


def search_articles(db, query: str, *, company: str | None = None, since: str | None = None,
                    source: str | None = None, limit: int = 20, all_copies: bool = False) -> list[dict]:
    """Articles matching `query`, newest first.

    One row per story unless `all_copies`: the story's best matching copy (its
    original when that matches, else the first copy that does), so a story is
    still found when only a copy matches (an update paragraph, or `--source`
    naming an outlet that ran only a copy). Each row has `also_on`: the other
    outlets that ran the story.
    """
    where, params = ["articles_fts MATCH ?"], [query]
    if source:
        where.append("a.source = ?")
        params.append(source)
    if since:
        where.append("COALESCE(a.published, a.fetched_at) >= ?")
        params.append(parse_since(since))
    if company:
        where.append("a.id IN (SELECT article_id FROM mentions WHERE company = ? COLLATE NOCASE)")
        params.append(company)
    # FTS5's snippet() must be computed where MATCH is; the window runs outside.
    sql = f"""
        SELECT * FROM (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY story_id
                                         ORDER BY duplicate_of IS NOT NULL, id) AS nth
            FROM (
                SELECT a.id, a.url, a.source, a.sitename, a.title, a.author, a.published,
                       a.fetched_at, a.duplicate_of, COALESCE(a.duplicate_of, a.id) AS story_id,
                       snippet(articles_fts, 1, '{HIGHLIGHT[0]}', '{HIGHLIGHT[1]}', ' … ', 24)
                           AS snippet
                FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
                WHERE {' AND '.join(where)}))
        WHERE ? OR nth = 1
        ORDER BY COALESCE(published, fetched_at) DESC, id DESC
        LIMIT ?"""
    try:
        rows = list(db.query(sql, [*params, all_copies, limit]))
    except sqlite3.OperationalError as exc:  # fts5: syntax error near ...
        raise SearchError(f"bad search query {query!r}: {exc}") from None
    others = also_on(db, [row["id"] for row in rows])
    for row in rows:
        del row["nth"]
        row["also_on"] = others.get(row["id"], [])
    return rows
