"""The archive's listings, as plain SQL and functions that the CLI and a dashboard share.

Every query here picks its rows through an index (or a small summary table
kept by triggers, see schema v5) and does per-row work only for the rows it
returns, so it stays fast with millions of articles. Named parameters
(`:limit`, `:company`, ...) make the SQL strings usable as they are, for
example as Datasette canned queries (crawler/web/queries.py wraps them): an
optional filter given as NULL or '' (what Datasette sends for an empty
field) filters nothing, and an empty `:limit` falls back to a default. The
other listings live next to their
data: `search_articles` (crawler/archive/search.py: search with company,
source and since filters), `company_counts` (mentions.py), `health_report`
and `last_runs` (runs.py), `archive_totals` and `articles_per_source`
(totals.py).
"""

from __future__ import annotations

from sqlite_utils import Database

from crawler.archive.stories import outlets


def limit_sql(default: int) -> str:
    """`LIMIT` of a listing: :limit, or `default` when it is NULL or ''."""
    return f"LIMIT COALESCE(NULLIF(:limit, ''), {default})"


def also_on_sql(story: str, source: str) -> str:
    """SQL expression: the outlets other than `source` that ran story `story`, in the order
    they first ran it, comma-separated (NULL if none); `stories.also_on` as SQL, for the
    rows shown (two index lookups: the original by id, its copies by duplicate_of)."""
    return f"""(SELECT group_concat(source, ', ') FROM (
        SELECT c.source FROM articles c
        WHERE (c.id = {story} OR c.duplicate_of = {story}) AND c.source IS NOT {source}
        GROUP BY c.source ORDER BY MIN(c.id)))"""


def latest_stories_sql(default_limit: int = 20) -> str:
    """The newest stories by when newsmon first saw them: walks story_summary_first_seen
    (CROSS JOIN keeps story_summary the outer loop whatever the statistics say)."""
    return f"""
    SELECT s.story_id, a.title, a.url, a.source, s.first_seen, a.published, a.fetched_at, s.copies
    FROM story_summary s INDEXED BY story_summary_first_seen CROSS JOIN articles a ON a.id = s.story_id
    WHERE (COALESCE(:source, '') = '' OR a.source = :source)
    ORDER BY s.first_seen DESC, s.story_id DESC
    {limit_sql(default_limit)}"""


def company_timeline_sql(default_limit: int = 50) -> str:
    """Stories naming a company, newest first by their date shown (published, else
    fetched): walks story_summary_shown and checks each story's mentions, so a page
    costs about limit / (share of stories naming the company) lookups."""
    return f"""
    SELECT s.story_id, a.title, a.url, a.source, s.shown, s.copies
    FROM story_summary s INDEXED BY story_summary_shown CROSS JOIN articles a ON a.id = s.story_id
    WHERE EXISTS (SELECT 1 FROM mentions m WHERE m.article_id = s.story_id
                  AND m.company = :company COLLATE NOCASE)
      AND s.shown >= COALESCE(:since, '')
    ORDER BY s.shown DESC, s.story_id DESC
    {limit_sql(default_limit)}"""


def recent_runs_sql(default_limit: int = 50) -> str:
    """The latest crawl runs, of every source or one, newest first."""
    return f"""
    SELECT id, source, started, finished, outcome, requests, new_articles, duplicates,
           not_modified, dropped, errors
    FROM runs WHERE (COALESCE(:source, '') = '' OR source = :source)
    ORDER BY id DESC {limit_sql(default_limit)}"""


LATEST_STORIES_SQL = latest_stories_sql()


def latest_stories(db: Database, limit: int = 20, source: str | None = None) -> list[dict]:
    """The newest stories first seen, each with `outlets`: every source that ran it."""
    rows = list(db.query(LATEST_STORIES_SQL, {"limit": limit, "source": source}))
    by_story = outlets(db, [row["story_id"] for row in rows])
    for row in rows:
        row["outlets"] = by_story.get(row["story_id"], [row["source"]])
    return rows
