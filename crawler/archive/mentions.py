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

from sqlite_utils import Database

from crawler.text.utc import iso

logger = logging.getLogger(__name__)

MENTION_COLUMNS = ("article_id", "company", "count", "in_title", "first_offset", "matched", "snippet")
INSERT_MENTION = (f"INSERT INTO mentions ({', '.join(MENTION_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(MENTION_COLUMNS))})")
WINDOWS = {"day": timedelta(days=1), "week": timedelta(weeks=1), "month": timedelta(days=30)}


def save_mentions(db: Database, article_id: int, mentions: list[dict]) -> None:
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


def _companies_of(db: Database, ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {i: set() for i in ids}
    marks = ", ".join("?" * len(ids))
    for article_id, company in db.conn.execute(
            f"SELECT article_id, company FROM mentions WHERE article_id IN ({marks})", ids):
        found[article_id].add(company)
    return found


def retag_archive(db: Database, matcher, batch_size: int = 500) -> dict:
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
            "SELECT id, title, body FROM article_text WHERE id > ? ORDER BY id LIMIT ?",
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


# Stories of the last month per company, by the story's date shown; all-time
# totals come from company_summary, kept by triggers (schema v5).
RECENT_COMPANY_SQL = """
    SELECT m.company AS company, COUNT(CASE WHEN s.shown >= :day THEN 1 END) AS day,
           COUNT(CASE WHEN s.shown >= :week THEN 1 END) AS week, COUNT(*) AS month
    FROM story_summary s JOIN mentions m ON m.article_id = s.story_id
    WHERE s.shown >= :month GROUP BY m.company"""


def company_counts(db: Database, now: datetime | None = None) -> list[dict]:
    """Per company: distinct stories naming it in the last day, week, month and ever.

    A copy of a story (duplicate_of set) is not counted; windows are on the
    story's date (published, else fetched_at). Sorted by the last week,
    then the month, then all time, most mentioned first. Reads the last
    month's stories and the company_summary table, not the whole archive.
    """
    now = now or datetime.now(timezone.utc)
    cutoffs = {name: _cutoff(now, span) for name, span in WINDOWS.items()}
    recent = {row["company"]: row for row in db.query(RECENT_COMPANY_SQL, cutoffs)}
    rows = [{"company": company, **{name: recent.get(company, {}).get(name, 0) for name in WINDOWS},
             "total": total}
            for company, total in db.execute(
                "SELECT company, stories FROM company_summary WHERE stories > 0")]
    return sorted(rows, key=lambda r: (-r["week"], -r["month"], -r["total"], r["company"]))


def company_filter_sql(company: str, article_alias: str = "articles") -> tuple[str, list]:
    """SQL condition (and its parameters) for articles that mention `company`.

    Matches the company name case-insensitively, for `search --company openai`:
    `f"WHERE {sql}"` with `article_alias` naming the articles table in the query.
    The NOCASE comparison is served by the index mentions_company_nocase.
    """
    sql = (f"{article_alias}.id IN "
           "(SELECT article_id FROM mentions WHERE company = ? COLLATE NOCASE)")
    return sql, [company]
