"""Archive totals for `newsmon stats`.

Every figure comes from an index or from the small tables the triggers keep
(story_summary, source_summary; see schema v5), so `stats` costs the same
with a thousand articles or a million.
"""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from crawler.archive.schema import schema_version

# Per source: articles, stories (originals) and the last fetch, kept by triggers.
PER_SOURCE_SQL = """
    SELECT NULLIF(source, '') AS source, articles, stories, last_fetched
    FROM source_summary ORDER BY articles DESC, source"""


def archive_totals(db: Database, path: str | Path | None = None) -> dict:
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    articles = one("SELECT COALESCE(SUM(articles), 0) FROM source_summary")
    stories = one("SELECT COUNT(*) FROM story_summary")
    totals = {
        "articles": articles,
        "stories": stories,
        "copies": articles - stories,
        "sources": one("SELECT COUNT(*) FROM source_summary WHERE source != ''"),
        "mentions": one("SELECT COUNT(*) FROM mentions"),
        "alerts": one("SELECT COUNT(*) FROM alerts"),
        "runs": one("SELECT COUNT(*) FROM runs"),
        "first_fetched": one("SELECT MIN(fetched_at) FROM articles"),
        "last_fetched": one("SELECT MAX(fetched_at) FROM articles"),
        "schema_version": schema_version(db),
    }
    if path is not None and Path(path).exists():
        totals["size_bytes"] = Path(path).stat().st_size
    return totals


def articles_per_source(db: Database) -> list[dict]:
    """Articles, stories and last fetch of every source that stored something (most first)."""
    return list(db.query(PER_SOURCE_SQL))
