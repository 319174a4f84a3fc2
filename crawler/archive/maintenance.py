"""Keeping a large archive small and its queries planned well.

- `refresh_statistics` (after every crawl): `PRAGMA optimize` with a bounded
  `analysis_limit`, plus ANALYZE when the archive has no statistics yet, so
  the query planner knows which index is selective. Milliseconds.
- `merge_fts` (`newsmon maintain`): FTS5 writes many small index segments;
  'merge' folds some of them together with bounded work per call.
- `drop_old_bodies` (`[archive] keep_bodies_days`): the `article_bodies`
  rows of articles fetched before the cutoff are deleted, and the articles
  leave the near-duplicate index (their signature is made from the body);
  metadata, mentions and story links stay, and the FTS index keeps their
  titles.
- `optimize_fts` and `vacuum` (`newsmon maintain --vacuum`): one FTS segment,
  then a rewrite of the whole file that returns free pages to the disk.
  (8 KB pages were measured and did not help: an article row of ~3.3 KB
  fills 4 and 8 KB pages alike, to about 80%.) Needs free disk space about the size
  of the archive and time proportional to it (see README).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlite_utils import Database

from crawler.archive.neardup_index import remove_signature
from crawler.text.utc import iso

logger = logging.getLogger(__name__)

ANALYSIS_LIMIT = 1000   # rows sampled per index by ANALYZE: bounded cost on any size
BODY_BATCH = 1000
MERGE_PAGES = 500       # FTS5 'merge' work per call (leaf pages)
MAX_MERGES = 200


def refresh_statistics(db: Database) -> None:
    """Planner statistics, cheaply: `PRAGMA optimize`, or ANALYZE when there are none."""
    db.conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
    has_stats = db.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()
    db.conn.execute("PRAGMA optimize" if has_stats else "ANALYZE")
    db.conn.commit()


def merge_fts(db: Database, pages: int = MERGE_PAGES, max_calls: int = MAX_MERGES) -> int:
    """Merge FTS5 index segments, `pages` at a time, until done or `max_calls`; returns calls."""
    for calls in range(1, max_calls + 1):
        before = db.conn.total_changes
        with db.conn:
            db.conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('merge', ?)", [pages])
        if db.conn.total_changes - before < 2:   # FTS5's sign that nothing was left to merge
            return calls
    return max_calls


def optimize_fts(db: Database) -> None:
    """Merge the whole FTS index into one segment (rewrites it: minutes on a large archive)."""
    with db.conn:
        db.conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")


def drop_old_bodies(db: Database, keep_days: float, now: datetime | None = None) -> int:
    """Delete the bodies of articles fetched more than `keep_days` ago; returns how many.

    One transaction per BODY_BATCH articles, found through the articles_fetched
    index, so it can be stopped at any point; a body already dropped is not
    touched again. Each article leaves the near-duplicate index first, while
    its body still tells which bands are its own.
    """
    cutoff = iso((now or datetime.now(timezone.utc)) - timedelta(days=keep_days))
    ids = [row[0] for row in db.conn.execute(
        "SELECT a.id FROM articles a INDEXED BY articles_fetched"
        " JOIN article_bodies b ON b.article_id = a.id WHERE a.fetched_at < ?", [cutoff])]
    dropped = 0
    for start in range(0, len(ids), BODY_BATCH):
        batch = ids[start:start + BODY_BATCH]
        with db.conn:
            for article_id in batch:
                remove_signature(db, article_id)
            cursor = db.conn.executemany("DELETE FROM article_bodies WHERE article_id = ?",
                                         [(i,) for i in batch])
        dropped += max(cursor.rowcount, 0)
    if dropped:
        logger.info("dropped the bodies of %d articles fetched before %s", dropped, cutoff)
    return dropped


def vacuum(db: Database) -> None:
    """Rewrite the file (VACUUM): free pages go back to the disk, tables are packed again."""
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.execute("VACUUM")


def checkpoint(db: Database) -> None:
    """Copy the WAL into the file and truncate it."""
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
