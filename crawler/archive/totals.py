"""Archive totals for `newsmon stats`."""

from __future__ import annotations

from pathlib import Path

from crawler.archive.schema import schema_version


def archive_totals(db, path: str | Path | None = None) -> dict:
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    totals = {
        "articles": one("SELECT COUNT(*) FROM articles"),
        "stories": one("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NULL"),
        "copies": one("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL"),
        "sources": one("SELECT COUNT(DISTINCT source) FROM articles"),
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


def articles_per_source(db) -> list[dict]:
    return list(db.query(
        """SELECT source, COUNT(*) AS articles,
                  SUM(duplicate_of IS NULL) AS stories, MAX(fetched_at) AS last_fetched
           FROM articles GROUP BY source ORDER BY articles DESC"""))
