"""The `mentions` table: which tracked companies each stored article names.

Rows are written by the store stage (`save_mentions`, inside its batch
transaction), rewritten for the whole archive by `newsmon retag` when the
company list changes, and read by `newsmon companies` and
`newsmon search --company`. Counts ignore copies (`duplicate_of` set), so a
syndicated story counts once, and time windows use the article's date
(`published`, else `fetched_at`, as `search --since` does): an old article
found today by a first crawl is not news of the last day.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta, timezone

from crawler.utc import iso

logger = logging.getLogger(__name__)

MENTION_COLUMNS = ("article_id", "company", "count", "in_title", "first_offset", "matched", "snippet")
INSERT_MENTION = (f"INSERT INTO mentions ({', '.join(MENTION_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(MENTION_COLUMNS))})")
WINDOWS = {"day": timedelta(days=1), "week": timedelta(weeks=1), "month": timedelta(days=30)}
ARTICLE_DATE = "COALESCE(a.published, a.fetched_at)"


def save_mentions(db, article_id: int, mentions: list[dict]) -> None:
    """Replace the article's mention rows with `mentions` (dicts as from `Mention`).

    Runs in the caller's transaction and does not commit: the store stage
    calls it inside its batch (`with db.conn:`); other callers wrap it likewise.
    """
    db.conn.execute("DELETE FROM mentions WHERE article_id = ?", [article_id])
    db.conn.executemany(INSERT_MENTION, [
        (article_id, m["company"], m["count"], int(bool(m["in_title"])), m["first_offset"],
         m["matched"], m["snippet"])
        for m in mentions
    ])


def _companies_of(db, ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {i: set() for i in ids}
    marks = ", ".join("?" * len(ids))
    for article_id, company in db.conn.execute(
            f"SELECT article_id, company FROM mentions WHERE article_id IN ({marks})", ids):
        found[article_id].add(company)
    return found


def retag_archive(db, matcher, batch_size: int = 500) -> dict:
    """Re-apply `matcher` (a CompanyMatcher) to every stored article.

    One transaction per batch of `batch_size` articles, so a retag of a large
    archive neither holds one huge transaction nor commits per row, and an
    interrupted retag leaves every article either old-tagged or new-tagged.
    Returns counts: articles, tagged (with at least one mention), mentions
    (rows written), added and removed (article-company pairs that changed).
    """
    totals = dict.fromkeys(("articles", "tagged", "mentions", "added", "removed"), 0)
    last_id = 0
    while True:
        rows = db.conn.execute(
            "SELECT id, title, body FROM articles WHERE id > ? ORDER BY id LIMIT ?",
            [last_id, batch_size]).fetchall()
        if not rows:
            break
        last_id = rows[-1][0]
        with db.conn:
            before = _companies_of(db, [row[0] for row in rows])
            for article_id, title, body in rows:
                mentions = [asdict(m) for m in matcher.find_mentions(title or "", body or "")]
                save_mentions(db, article_id, mentions)
                after = {m["company"] for m in mentions}
                totals["tagged"] += bool(mentions)
                totals["mentions"] += len(mentions)
                totals["added"] += len(after - before[article_id])
                totals["removed"] += len(before[article_id] - after)
        totals["articles"] += len(rows)
        logger.info("retagged %d articles so far", totals["articles"])
    return totals


def _cutoff(now: datetime, span: timedelta) -> str:
    return iso(now - span)


def company_counts(db, now: datetime | None = None) -> list[dict]:
    """Per company: distinct stories naming it in the last day, week, month and ever.

    A copy of a story (duplicate_of set) is not counted; windows are on the
    article's date (published, else fetched_at). Sorted by the last week,
    then the month, then all time, most mentioned first.
    """
    now = now or datetime.now(timezone.utc)
    windows = ", ".join(f"COUNT(DISTINCT CASE WHEN {ARTICLE_DATE} >= ? THEN m.article_id END) AS {name}"
                        for name in WINDOWS)
    sql = f"""
        SELECT m.company AS company, {windows}, COUNT(DISTINCT m.article_id) AS total
        FROM mentions m JOIN articles a ON a.id = m.article_id
        WHERE a.duplicate_of IS NULL
        GROUP BY m.company
        ORDER BY week DESC, month DESC, total DESC, company"""
    return list(db.query(sql, [_cutoff(now, span) for span in WINDOWS.values()]))
