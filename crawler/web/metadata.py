"""The Datasette metadata newsmon ships: titles, descriptions, facets, hidden tables, queries.

Built from code rather than a file users edit, so it always matches the
archive's schema (crawler/archive/schema.py) and the queries in
crawler/web/queries.py. Only names and schedules of sources and rules go in
(metadata is public at /-/metadata): never notify URLs or their secrets.
"""

from __future__ import annotations

from datetime import datetime, timezone

from crawler.web import queries
from crawler.web.plugin import DATABASE

ARTICLE_COLUMNS = {
    "id": "Article id; stories and alerts refer to it",
    "url": "Canonical URL (tracking parameters removed); unique",
    "source": "The configured source it was found through",
    "title": "Headline",
    "author": "Byline, when the page names one",
    "published": "Publication time, ISO 8601 UTC (from the page, else its feed or sitemap)",
    "fetched_at": "When newsmon stored it, ISO 8601 UTC",
    "language": "Detected language code",
    "description": "The page's summary",
    "sitename": "The outlet's name as the page gives it",
    "image": "Lead image URL",
    "word_count": "Words in the body (the text is in article_text)",
    "content_hash": "SHA-1 of the normalised body: exact copies share it",
    "duplicate_of": "For a copy: the story's original article",
    "similarity": "For a copy: its similarity to the original (1.0 = exact copy)",
}

TABLES = {
    "articles": {
        "title": "Articles",
        "description": "Every stored article, newest stored first. A copy of a story points "
                       "at its original (duplicate_of); an article's page links to its copies "
                       "and its company mentions.",
        "columns": ARTICLE_COLUMNS,
        "facets": ["source", "language"],
        "sort_desc": "id",
        "label_column": "title",
        "fts_table": "articles_fts",    # its content is article_text, so Datasette cannot guess it
        "fts_pk": "id",
    },
    "article_text": {
        "title": "Article text",
        "description": "Each article's title and body as text (bodies are stored compressed in "
                       "article_bodies; retention may have dropped old ones).",
        "columns": {"id": "The article", "title": "Headline", "body": "Extracted article text"},
    },
    "mentions": {
        "title": "Company mentions",
        "description": "One row per tracked company an article names. Facet by company to "
                       "see the articles naming it.",
        "columns": {
            "article_id": "The article",
            "company": "Tracked company (canonical name)",
            "count": "How often the article names it",
            "in_title": "1 if the headline names it",
            "first_offset": "Where it first appears in the body (-1: only in the title)",
            "matched": "The text that matched",
            "snippet": "The sentence around the first match",
        },
        "facets": ["company", "in_title"],
        "sort_desc": "article_id",
    },
    "alerts": {
        "title": "Alert outbox",
        "description": "One row per rule, story and channel: pending, sent or failed.",
        "columns": {
            "rule": "Alert rule name", "article_id": "The first matching copy",
            "story_id": "The story (its original article)",
            "channel": "Where it goes (apprise URL with secrets masked)",
            "status": "pending, sent or failed", "attempts": "Delivery attempts so far",
            "last_error": "Why the last attempt failed", "created": "When it was queued",
            "sent": "When it was delivered", "next_attempt": "When it is tried again",
            "digest": "immediate, hourly or daily",
        },
        "facets": ["status", "rule"],
        "sort_desc": "id",
    },
    "runs": {
        "title": "Runs",
        "description": "One row per crawl per source, newest first.",
        "columns": {
            "source": "Source name", "started": "Start, ISO 8601 UTC",
            "finished": "End, ISO 8601 UTC",
            "outcome": "ok, partial, failed, interrupted or crashed",
            "requests": "HTTP requests made", "new_articles": "New articles stored",
            "duplicates": "Copies of stored stories", "not_modified": "Listings answering 304",
            "dropped": "Pages that were not articles", "errors": "Failed requests",
            "details": "Counts by reason (JSON)",
        },
        "facets": ["source", "outcome"],
        "sort_desc": "id",
    },
    # Internal tables: kept out of the lists (still reachable by URL, read-only).
    "stories": {"hidden": True},          # a GROUP BY over all articles: use latest_stories
    "articles_fts": {"hidden": True},
    "article_bodies": {"hidden": True},   # compressed: read article_text
    "lsh_bands": {"hidden": True},
    "fetch_state": {"hidden": True},
    "alert_state": {"hidden": True},
}

# What Datasette does by default that does not scale or is not wanted here.
SETTINGS = {
    "suggest_facets": False,       # one GROUP BY per column on every table page
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
    "default_page_size": 50,
    "allow_download": False,
    "default_cache_ttl": 0,        # the archive changes under us while a crawl runs
}


def dashboard() -> dict:
    """The datasette-dashboards definition: one Vega-Lite chart per queries.CHARTS entry."""
    return {
        "title": "newsmon dashboard",
        "description": "What newsmon found and delivered. Click a chart's title, then "
                       "\"View and edit SQL\", to open its query.",
        "layout": [["company-stories", "company-stories"],
                   ["source-stories", "alerts-per-day"],
                   ["source-health", "alerts-per-day"]],
        "charts": {
            slug: {"title": chart["title"], "db": DATABASE, "query": chart["sql"].strip(),
                   "library": "vega-lite", "display": chart["display"]}
            for slug, chart in queries.CHARTS.items()
        },
    }


def plugin_settings(config) -> dict:
    """What crawler/web/plugin.py needs from the config: names, schedules, rules."""
    from crawler.alerts.rules import rules_from_config
    from crawler.text.companies import load_companies
    from crawler.daemon.timetable import cadence_seconds

    now = datetime.now(timezone.utc)
    return {
        "sources": [{"name": source.name, "schedule": source.schedule,
                     "cadence_seconds": cadence_seconds(source.schedule, now)}
                    for source in config.sources],
        "rules": [{"name": rule.name, "match": rule.match or "", "companies": list(rule.companies),
                   "sources": list(rule.sources), "digest": rule.digest}
                  for rule in rules_from_config(config)],
        "companies": [company.name for company in
                      load_companies(config.companies, config.use_builtin_companies)],
    }


def build_metadata(config) -> dict:
    canned = {name: {key: value.strip() if key == "sql" else value
                     for key, value in query.items()}
              for name, query in queries.CANNED.items()}
    return {
        "title": "newsmon",
        "description": "The newsmon archive: AI-industry news, its stories and copies, "
                       "company mentions, alerts and crawl runs. Read-only.",
        "databases": {
            DATABASE: {
                "title": "newsmon archive",
                "description": "Tables, and canned queries for what is usually asked.",
                "tables": TABLES,
                "queries": canned,
            },
        },
        "plugins": {
            "newsmon": plugin_settings(config),
            "datasette-dashboards": {"newsmon": dashboard()},
        },
    }
