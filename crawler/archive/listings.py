"""The archive's listings, as plain SQL and functions that the CLI and a dashboard share.

Every query here picks its rows through an index (or a small summary table
kept by triggers, see schema v5) and does per-row work only for the rows it
returns, so it stays fast with millions of articles. Named parameters
(`:limit`, `:company`, ...) make the SQL strings usable as they are, for
example as Datasette canned queries. The other listings live next to their
data: `search_articles` (crawler/archive/search.py: search with company,
source and since filters), `company_counts` (mentions.py), `health_report`
and `last_runs` (runs.py), `archive_totals` and `articles_per_source`
(totals.py).
"""

from __future__ import annotations

from sqlite_utils import Database

from crawler.archive.stories import outlets

# The newest stories by when newsmon first saw them: walks story_summary_first_seen
# (CROSS JOIN keeps story_summary the outer loop whatever the statistics say).
LATEST_STORIES_SQL = """
    SELECT s.story_id, a.title, a.url, a.source, s.first_seen, a.published, s.copies
    FROM story_summary s INDEXED BY story_summary_first_seen CROSS JOIN articles a ON a.id = s.story_id
    WHERE (:source IS NULL OR a.source = :source)
    ORDER BY s.first_seen DESC, s.story_id DESC
    LIMIT :limit"""

# Stories naming a company, newest first by their date shown (published, else
# fetched): walks story_summary_shown and checks each story's mentions, so a
# page costs about limit / (share of stories naming the company) lookups.
COMPANY_TIMELINE_SQL = """
    SELECT s.story_id, a.title, a.url, a.source, s.shown, s.copies
    FROM story_summary s INDEXED BY story_summary_shown CROSS JOIN articles a ON a.id = s.story_id
    WHERE EXISTS (SELECT 1 FROM mentions m WHERE m.article_id = s.story_id
                  AND m.company = :company COLLATE NOCASE)
      AND s.shown >= COALESCE(:since, '')
    ORDER BY s.shown DESC, s.story_id DESC
    LIMIT :limit"""

# Stories per day naming a company (for a chart), over the same rows.
COMPANY_DAILY_SQL = """
    SELECT substr(s.shown, 1, 10) AS day, COUNT(*) AS stories
    FROM mentions m JOIN story_summary s ON s.story_id = m.article_id
    WHERE m.company = :company COLLATE NOCASE AND s.shown >= :since
    GROUP BY day ORDER BY day"""

# The latest crawl runs, of every source or one (runs_source_id).
RECENT_RUNS_SQL = """
    SELECT id, source, started, finished, outcome, requests, new_articles, duplicates,
           not_modified, dropped, errors
    FROM runs WHERE (:source IS NULL OR source = :source)
    ORDER BY id DESC LIMIT :limit"""


def latest_stories(db: Database, limit: int = 20, source: str | None = None) -> list[dict]:
    """The newest stories first seen, each with `outlets`: every source that ran it."""
    rows = list(db.query(LATEST_STORIES_SQL, {"limit": limit, "source": source}))
    by_story = outlets(db, [row["story_id"] for row in rows])
    for row in rows:
        row["outlets"] = by_story.get(row["story_id"], [row["source"]])
    return rows


def company_timeline(db: Database, company: str, since: str | None = None, limit: int = 50) -> list[dict]:
    """Stories naming `company` (any case), newest first; `since` is an ISO cutoff."""
    return list(db.query(COMPANY_TIMELINE_SQL, {"company": company, "since": since, "limit": limit}))


def company_daily(db: Database, company: str, since: str) -> list[dict]:
    """[{day, stories}] naming `company` since the ISO cutoff `since`."""
    return list(db.query(COMPANY_DAILY_SQL, {"company": company, "since": since}))


def recent_runs(db: Database, limit: int = 50, source: str | None = None) -> list[dict]:
    """The latest crawl runs, newest first (without their JSON details)."""
    return list(db.query(RECENT_RUNS_SQL, {"limit": limit, "source": source}))
