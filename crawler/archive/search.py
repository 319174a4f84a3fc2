"""Full-text search over the archive (SQLite FTS5 syntax), newest first.

Shaped for a large archive (issue 13): ids are chosen first, and the
per-row work (FTS5 snippet(), the "also on" outlets) is done only for the
rows shown. Choosing the ids takes one of two ways:

- few matches (at most FEW_HITS): read them all from the FTS index and let
  SQL order them and keep one per story; the cost follows the number of
  matches.
- many matches (a common word): walk the articles newest first through the
  index on the date shown (`articles_shown`, or `articles_source_shown` with
  --source), WALK_CHUNK at a time, and keep those the FTS index matches,
  until the page is full; the cost follows the page size, not the archive.
  FTS5 (SQLite 3.40) does not use `rowid IN (...)`, so a chunk's ids are
  checked with one rowid-range query per cluster of nearby ids.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta, timezone

from sqlite_utils import Database

from crawler.archive.mentions import company_filter_sql
from crawler.archive.schema import SHOWN_DATE
from crawler.archive.stories import also_on
from crawler.text.utc import iso, parse_utc

RELATIVE = re.compile(r"^(\d+)\s*([hdwm])$")
UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1),
        "m": timedelta(days=30)}
HIGHLIGHT = ("**", "**")
FEW_HITS = 5000
WALK_CHUNK = 256
CLUSTER_GAP = 512       # ids further apart than this are checked by separate range queries


class SearchError(ValueError):
    """A query the user must fix (bad FTS5 syntax, bad --since)."""


def parse_since(text: str, now: datetime | None = None) -> str:
    """'7d', '24h', '2w', '1m' or a date/time ('2026-05-01') -> ISO 8601 UTC cutoff."""
    now = now or datetime.now(timezone.utc)
    match = RELATIVE.match(text.strip().lower())
    cutoff: datetime | None
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


def id_clusters(ids, gap: int = CLUSTER_GAP) -> list[tuple[int, int]]:
    """Sorted ids as (first, last) ranges, split where ids are more than `gap` apart."""
    ranges: list[tuple[int, int]] = []
    for article_id in sorted(set(ids)):
        if ranges and article_id - ranges[-1][1] <= gap:
            ranges[-1] = (ranges[-1][0], article_id)
        else:
            ranges.append((article_id, article_id))
    return ranges


def fts_hits_among(db: Database, query: str, ids) -> set[int]:
    """Which of `ids` the FTS5 `query` matches, reading only the index around them."""
    ids = set(ids)
    hits: set[int] = set()
    for first, last in id_clusters(ids):
        hits.update(row[0] for row in db.conn.execute(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid BETWEEN ? AND ?",
            [query, first, last]) if row[0] in ids)
    return hits


def _filters(company, since, source, alias: str = "a") -> tuple[list[str], list]:
    where, params = [], []
    if source:
        where.append(f"{alias}.source = ?")
        params.append(source)
    if since:
        where.append(f"COALESCE({alias}.published, {alias}.fetched_at) >= ?")
        params.append(since)
    if company:
        sql, company_params = company_filter_sql(company, alias)
        where.append(sql)
        params += company_params
    return where, params


def _few_hits(db: Database, hit_ids: list[int], filters, limit: int, all_copies: bool) -> list[int]:
    """Ids to show when the matches are few: SQL orders them and keeps one per story."""
    where, params = filters
    sql = f"""
        SELECT id FROM (
            SELECT a.id, COALESCE(a.published, a.fetched_at) AS shown,
                   ROW_NUMBER() OVER (PARTITION BY COALESCE(a.duplicate_of, a.id)
                                      ORDER BY a.duplicate_of IS NOT NULL, a.id) AS nth
            FROM articles a
            WHERE a.id IN (SELECT value FROM json_each(?)) {''.join(f' AND {w}' for w in where)})
        WHERE ? OR nth = 1
        ORDER BY shown DESC, id DESC LIMIT ?"""
    return [row[0] for row in db.conn.execute(sql, [json.dumps(hit_ids), *params, all_copies, limit])]


def _passing(db: Database, query: str, ids: list[int], filters) -> set[int]:
    """Which of `ids` match the query and the filters."""
    if not ids:
        return set()
    where, params = filters
    if where:
        ids = [row[0] for row in db.conn.execute(
            f"SELECT a.id FROM articles a WHERE a.id IN (SELECT value FROM json_each(?))"
            f"{''.join(f' AND {w}' for w in where)}", [json.dumps(ids), *params])]
    return fts_hits_among(db, query, ids)


def _is_first_match(db: Database, query: str, article_id: int, story: int, filters) -> bool:
    """Is this copy the story's shown copy: neither its original nor an earlier copy matches?"""
    earlier = [row[0] for row in db.conn.execute(
        "SELECT id FROM articles WHERE id = ? OR (duplicate_of = ? AND id < ?)",
        [story, story, article_id])]
    return not _passing(db, query, earlier, filters)


def _walk(db: Database, query: str, filters, source, since, limit: int, all_copies: bool) -> list[int]:
    """Ids to show when the matches are many: newest first through the date index."""
    index, where, params = "articles_shown", [], []
    if source:
        index = "articles_source_shown"
        where.append("source = ?")
        params.append(source)
    if since:
        where.append(f"{SHOWN_DATE} >= ?")
        params.append(since)
    cursor = db.conn.execute(
        f"SELECT id, duplicate_of FROM articles INDEXED BY {index}"
        f" {'WHERE ' + ' AND '.join(where) if where else ''}"
        f" ORDER BY {SHOWN_DATE} DESC, id DESC", params)
    chosen: list[int] = []
    while len(chosen) < limit:
        chunk = cursor.fetchmany(WALK_CHUNK)
        if not chunk:
            break
        hits = _passing(db, query, [row[0] for row in chunk], filters)
        for article_id, duplicate_of in chunk:
            if article_id not in hits:
                continue
            if all_copies or duplicate_of is None or _is_first_match(
                    db, query, article_id, duplicate_of, filters):
                chosen.append(article_id)
                if len(chosen) == limit:
                    break
    cursor.close()
    return chosen


def search_ids(db: Database, query: str, *, company: str | None = None, since: str | None = None,
               source: str | None = None, limit: int = 20, all_copies: bool = False) -> list[int]:
    """The ids `search_articles` shows, in order (newest first; one per story unless all_copies).

    A story's shown copy is its original when that matches (and passes the
    filters), else its first copy that does. `since` is an ISO cutoff.
    """
    filters = _filters(company, since, source)
    try:
        hits = [row[0] for row in db.conn.execute(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? LIMIT ?", [query, FEW_HITS + 1])]
        if len(hits) <= FEW_HITS:
            return _few_hits(db, hits, filters, limit, all_copies)
        return _walk(db, query, filters, source, since, limit, all_copies)
    except sqlite3.OperationalError as exc:  # fts5: syntax error near ...
        raise SearchError(f"bad search query {query!r}: {exc}") from None


# The match highlighted in the body; valid where articles_fts is MATCHed and positioned
# on the row shown (SHOWN_ROW_SQL here, the dashboard's search in crawler/web/queries.py).
SNIPPET_SQL = f"snippet(articles_fts, 1, '{HIGHLIGHT[0]}', '{HIGHLIGHT[1]}', ' … ', 24)"

SHOWN_ROW_SQL = f"""
    SELECT a.id, a.url, a.source, a.sitename, a.title, a.author, a.published, a.fetched_at,
           a.duplicate_of, COALESCE(a.duplicate_of, a.id) AS story_id, {SNIPPET_SQL} AS snippet
    FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
    WHERE articles_fts MATCH ? AND articles_fts.rowid = ?"""


def shown_rows(db: Database, query: str, ids: list[int]) -> list[dict]:
    """The rows for `ids`, in that order, with the match highlighted in `snippet`.

    One FTS5 lookup by rowid per row shown: snippet() is computed for these only.
    """
    rows = []
    for article_id in ids:
        cursor = db.conn.execute(SHOWN_ROW_SQL, [query, article_id])
        row = cursor.fetchone()
        if row:
            rows.append(dict(zip([column[0] for column in cursor.description], row)))
    return rows


def search_articles(db: Database, query: str, *, company: str | None = None, since: str | None = None,
                    source: str | None = None, limit: int = 20, all_copies: bool = False) -> list[dict]:
    """Articles matching `query`, newest first (the date shown: published, else fetched).

    One row per story unless `all_copies`: the story's best matching copy (its
    original when that matches, else the first copy that does), so a story is
    still found when only a copy matches (an update paragraph, or `--source`
    naming an outlet that ran only a copy). Each row has `snippet` (the match
    highlighted) and `also_on`: the other outlets that ran the story. `since`
    is '7d', '2026-05-01', ... as `parse_since` reads it.
    """
    cutoff = parse_since(since) if since else None
    ids = search_ids(db, query, company=company, since=cutoff, source=source, limit=limit,
                     all_copies=all_copies)
    rows = shown_rows(db, query, ids)
    others = also_on(db, ids)
    for row in rows:
        row["also_on"] = others.get(row["id"], [])
    return rows
