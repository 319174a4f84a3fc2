"""Full-text search over the archive (SQLite FTS5 syntax), newest first."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

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
            cutoff = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise SearchError(f"--since {text!r}: use 7d, 24h, 2w, 1m or a date like 2026-05-01") from None
        if cutoff.tzinfo is None:
            cutoff = cutoff.replace(tzinfo=timezone.utc)
    return cutoff.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def search_articles(db, query: str, *, company: str | None = None, since: str | None = None,
                    source: str | None = None, limit: int = 20, all_copies: bool = False) -> list[dict]:
    """Articles matching `query`; one row per story unless `all_copies`."""
    where, params = ["articles_fts MATCH ?"], [query]
    if not all_copies:
        where.append("a.duplicate_of IS NULL")
    if source:
        where.append("a.source = ?")
        params.append(source)
    if since:
        where.append("COALESCE(a.published, a.fetched_at) >= ?")
        params.append(parse_since(since))
    if company:
        where.append("a.id IN (SELECT article_id FROM mentions WHERE company = ? COLLATE NOCASE)")
        params.append(company)
    sql = f"""
        SELECT a.id, a.url, a.source, a.sitename, a.title, a.author, a.published, a.fetched_at,
               a.duplicate_of,
               snippet(articles_fts, 1, '{HIGHLIGHT[0]}', '{HIGHLIGHT[1]}', ' … ', 24) AS snippet
        FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
        WHERE {' AND '.join(where)}
        ORDER BY COALESCE(a.published, a.fetched_at) DESC, a.id DESC
        LIMIT ?"""
    try:
        return list(db.query(sql, [*params, limit]))
    except Exception as exc:  # sqlite3.OperationalError: fts5 syntax error near ...
        if "fts5" in str(exc) or "syntax" in str(exc) or "no such column" in str(exc):
            raise SearchError(f"bad search query {query!r}: {exc}") from None
        raise
