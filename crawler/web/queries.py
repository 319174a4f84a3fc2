"""Every SQL statement the web dashboard runs, in one place.

The canned queries, the home page's panels, the dashboard's charts and the
alert feeds all read the archive through the statements below, so adapting
the dashboard to a change of the archive's indexes means editing this file
(and the archive's own listings). `python benchmarks/dashboard.py --db
ARCHIVE` times each of them.

What the terminal also shows is not written twice: the latest stories, a
company's timeline and the recent runs are the SQL of
crawler/archive/listings.py, wrapped with the columns a page adds (also on,
companies); the search's rows are chosen by crawler/archive/search.py's
`search_ids` itself (through `newsmon_search()`), so it cannot drift from
`newsmon search`; source health is crawler/archive/runs.py's
(`newsmon_health()`).

How they stay fast on a large archive (every one answers in well under a
second with 1,000,000 articles; see the README's Benchmarks):
- Rows are chosen through an index or a summary table kept by triggers
  (schema v5) and a LIMIT: stories by story_summary's first_seen or shown
  index, articles by fetched_at (`articles_fetched`), mentions by company in
  any case, alerts and runs by their keys. No statement sorts the archive.
- Per-row work (also-on outlets, companies, snippets) is a correlated
  subquery in the SELECT list of the outer query, so it runs for the rows
  shown only.

Functions named `newsmon_*` are registered on every connection by
crawler/web/plugin.py: `newsmon_search(q, company, source, since, limit)`
(the ids `newsmon search` shows, as a JSON array), `newsmon_sources()` (the
configured sources as JSON), `newsmon_health(source)` (newsmon sources'
health as JSON) and `newsmon_body(blob)` (a stored, compressed body as text:
crawler/archive/bodies.py; the `article_text` view and FTS snippets need it).
"""

from __future__ import annotations

from crawler.archive import listings
from crawler.archive.listings import also_on_sql
from crawler.archive.search import SNIPPET_SQL

NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"


def companies_sql(article: str) -> str:
    """SQL expression: the companies article `article` names, most named first."""
    return ("(SELECT group_concat(company, ', ') FROM "
            f"(SELECT company FROM mentions m WHERE m.article_id = {article} ORDER BY m.count DESC))")


# -- canned queries ------------------------------------------------------------------
# listings.LATEST_STORIES_SQL (story_summary by first_seen, newest first), with the
# outlets and companies of the rows shown.
LATEST_STORIES = f"""
SELECT l.story_id, COALESCE(l.published, l.fetched_at) AS date, l.title, l.source,
       {also_on_sql("l.story_id", "l.source")} AS also_on, l.copies,
       {companies_sql("l.story_id")} AS companies, l.url
FROM ({listings.latest_stories_sql(100)}) AS l
ORDER BY l.first_seen DESC, l.story_id DESC"""

# `newsmon search` itself chooses the ids (crawler/archive/search.py search_ids: FTS5
# syntax on title and body, one row per story, company/source/since filters, newest
# first); this adds the columns shown, for those rows only, in that order. An empty
# query returns nothing; a query FTS5 cannot parse fails with FTS5's own message, from
# the EXISTS test run before newsmon_search (whose errors SQLite would only report as
# "user-defined function raised exception"); a query nothing matches stops there.
SEARCH = f"""
SELECT COALESCE(a.duplicate_of, a.id) AS story_id, COALESCE(a.published, a.fetched_at) AS date,
       a.title, a.source, {also_on_sql("COALESCE(a.duplicate_of, a.id)", "a.source")} AS also_on,
       {SNIPPET_SQL} AS snippet, a.url
FROM json_each(CASE WHEN :q != '' AND EXISTS (SELECT 1 FROM articles_fts WHERE articles_fts MATCH :q)
                    THEN newsmon_search(:q, :company, :source, :since, 100) END) AS hit
     CROSS JOIN articles a ON a.id = hit.value
     CROSS JOIN articles_fts ON articles_fts.rowid = hit.value
WHERE articles_fts MATCH :q
ORDER BY hit.key"""

# listings.COMPANY_TIMELINE_SQL (stories naming the company in any case, newest first
# by their date shown; `since` is a date such as 2026-05-01), with the mention's details.
COMPANY_TIMELINE = f"""
SELECT t.story_id, t.shown AS date, t.title, t.source,
       {also_on_sql("t.story_id", "t.source")} AS also_on, t.copies,
       m.count AS mentions, m.in_title, m.snippet, t.url
FROM ({listings.company_timeline_sql(200)}) AS t
     LEFT JOIN mentions m ON m.article_id = t.story_id AND m.company = :company COLLATE NOCASE
ORDER BY t.shown DESC, t.story_id DESC"""

STORY = f"""
SELECT a.id, CASE WHEN a.duplicate_of IS NULL THEN 'original' ELSE 'copy' END AS role,
       a.source, a.title, a.published, a.fetched_at, a.similarity,
       {companies_sql("a.id")} AS companies, a.url
FROM (SELECT COALESCE(duplicate_of, id) AS root FROM articles WHERE id = :id) AS story
     CROSS JOIN articles a ON a.id = story.root OR a.duplicate_of = story.root
ORDER BY a.duplicate_of IS NOT NULL, a.id"""

ALERT_RULES = """
SELECT rule, rule AS feed, SUM(status = 'sent') AS sent, SUM(status = 'pending') AS pending,
       SUM(status = 'failed') AS failed, MAX(sent) AS last_sent,
       COUNT(DISTINCT story_id) AS stories
FROM alerts
GROUP BY rule
ORDER BY rule"""

ALERTS = """
SELECT al.id, al.rule, al.status, al.channel, al.attempts, al.last_error, al.created, al.sent,
       al.next_attempt, al.story_id, a.title, a.url
FROM alerts al LEFT JOIN articles a ON a.id = al.article_id
WHERE (:status = '' OR al.status = :status) AND (:rule = '' OR al.rule = :rule)
ORDER BY al.id DESC
LIMIT 200"""

# Failed alerts, and pending ones whose last attempt failed (crawler/alerts/status.py).
PROBLEM_ALERTS = """
SELECT al.id, al.rule, al.status, al.attempts, al.channel, al.next_attempt, al.last_error,
       al.story_id, a.title
FROM alerts al LEFT JOIN articles a ON a.id = al.article_id
WHERE al.status = 'failed' OR (al.status = 'pending' AND al.last_error IS NOT NULL)
ORDER BY al.id DESC
LIMIT 50"""

# newsmon_health() is `newsmon sources`' health (crawler/archive/runs.py), computed by
# the same Python function for each configured source; its last run as runs.last_runs
# finds it (runs_source_id).
SOURCE_HEALTH = """
SELECT s.source, json_extract(s.health, '$.status') AS health,
       json_extract(s.health, '$.reason') AS why, s.schedule,
       r.started AS last_run, r.outcome AS last_outcome, r.new_articles AS last_new
FROM (SELECT json_extract(value, '$.name') AS source, json_extract(value, '$.schedule') AS schedule,
             newsmon_health(json_extract(value, '$.name')) AS health
      FROM json_each(newsmon_sources())) s
LEFT JOIN runs r ON r.id = (SELECT id FROM runs WHERE source = s.source ORDER BY id DESC LIMIT 1)
ORDER BY health = 'ok', s.source"""

RECENT_RUNS = listings.recent_runs_sql(200)

# One entry per story the rule fired on (whatever its channels and copies), newest
# first, shown as the story's current original: the alerted story may have become a
# copy of an original stored later. The rule's stories are read through the
# alerts (rule, story_id, ...) index, then only the newest are resolved to articles.
RULE_FEED = f"""
WITH fired AS (
    SELECT story_id, MIN(created) AS fired FROM alerts WHERE rule = :rule
    GROUP BY story_id ORDER BY fired DESC LIMIT 200),
f AS (
    SELECT COALESCE(x.duplicate_of, x.id) AS story, MIN(fired.fired) AS fired
    FROM fired CROSS JOIN articles x ON x.id = fired.story_id
    GROUP BY story)
SELECT a.id AS story_id, f.fired, a.title, a.url, a.source, a.published, a.fetched_at,
       COALESCE(a.description, (SELECT substr(newsmon_body(b.body), 1, 400) FROM article_bodies b
                                WHERE b.article_id = a.id)) AS summary,
       {also_on_sql("a.id", "a.source")} AS also_on, {companies_sql("a.id")} AS companies
FROM f CROSS JOIN articles a ON a.id = f.story
ORDER BY f.fired DESC, a.id DESC
LIMIT 50"""

# -- the home page -----------------------------------------------------------------
# (sql, params) of each panel.
HOME_STORIES = (LATEST_STORIES, {"limit": 12, "source": ""})

# Stories naming each company (copies left out) by the story's date shown, this week
# and the week before: story_summary_shown picks the last 14 days' stories.
COMPANIES_THIS_WEEK = ("""
SELECT m.company,
       COUNT(CASE WHEN s.shown >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-7 days') THEN 1 END)
         AS this_week,
       COUNT(CASE WHEN s.shown < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-7 days') THEN 1 END)
         AS last_week
FROM story_summary s INDEXED BY story_summary_shown CROSS JOIN mentions m ON m.article_id = s.story_id
WHERE s.shown >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-14 days')
GROUP BY m.company
ORDER BY this_week DESC, last_week DESC, m.company
LIMIT 15""", {})

HOME_PROBLEMS = (PROBLEM_ALERTS.replace("LIMIT 50", "LIMIT 10"), {})
HOME_SOURCES_NEEDING_ATTENTION = (f"SELECT * FROM ({SOURCE_HEALTH}) WHERE health != 'ok'", {})

# -- dashboard charts (Vega-Lite; each links to its SQL, open and editable) ----------
# News charts cover the 30 days up to the newest story (not after now), so an
# archive that is not crawled every day still shows its last month of news.
CHART_COMPANY_STORIES = f"""
WITH window_end AS (SELECT MIN(COALESCE(MAX(shown), {NOW}), {NOW}) AS day_end FROM story_summary),
per_day AS (
    SELECT m.company, substr(s.shown, 1, 10) AS day, COUNT(*) AS stories
    FROM window_end CROSS JOIN story_summary s INDEXED BY story_summary_shown
         CROSS JOIN mentions m ON m.article_id = s.story_id
    WHERE s.shown >= strftime('%Y-%m-%dT%H:%M:%SZ', window_end.day_end, '-30 days')
      AND s.shown <= window_end.day_end
    GROUP BY m.company, day),
top AS (SELECT company FROM per_day GROUP BY company ORDER BY SUM(stories) DESC LIMIT 8)
SELECT day, company, stories FROM per_day WHERE company IN (SELECT company FROM top)
ORDER BY day, company"""

# New stories per day per source as the archive holds them: originals by the day they
# were stored, read through articles_fetched (the last 30 days only).
CHART_SOURCE_STORIES = """
SELECT substr(a.fetched_at, 1, 10) AS day, a.source, COUNT(*) AS stories
FROM articles a INDEXED BY articles_fetched
WHERE a.fetched_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-30 days')
  AND a.duplicate_of IS NULL
GROUP BY day, a.source
ORDER BY day, a.source"""

CHART_ALERTS = """
SELECT substr(COALESCE(sent, created), 1, 10) AS day, status, COUNT(*) AS alerts
FROM alerts
WHERE status IN ('sent', 'failed')
  AND COALESCE(sent, created) >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-30 days')
GROUP BY day, status
ORDER BY day, status"""

CHART_HEALTH = f"""
SELECT health, COUNT(*) AS sources FROM ({SOURCE_HEALTH}) GROUP BY health ORDER BY health"""


# -- what is exposed, with titles ----------------------------------------------------
CANNED = {
    "latest_stories": {
        "title": "Latest stories",
        "description": "The stories newsmon saw last (100 unless limit says), one row per "
                       "story, with the other outlets that ran it (also_on), its copies and "
                       "the companies it names; source is optional.",
        "sql": LATEST_STORIES,
        "params": ["source", "limit"],
    },
    "search": {
        "title": "Search",
        "description": "Full-text search (SQLite FTS5 syntax, as newsmon search): q is the "
                       "query; company, source and since (7d, 24h, 2w, 1m or 2026-05-01) "
                       "are optional. One row per story, newest first.",
        "sql": SEARCH,
        "params": ["q", "company", "source", "since"],
    },
    "company_timeline": {
        "title": "Company timeline",
        "description": "Stories that name a tracked company (any case), newest first by "
                       "their date; since (a date such as 2026-05-01) and limit (200) are "
                       "optional.",
        "sql": COMPANY_TIMELINE,
        "params": ["company", "since", "limit"],
    },
    "story": {
        "title": "A story and its copies",
        "description": "Every copy of the story an article belongs to: the original first, "
                       "then syndicated copies and updates with their similarity.",
        "sql": STORY,
        "params": ["id"],
    },
    "alert_rules": {
        "title": "Alert rules",
        "description": "Every rule that fired: sent, pending and failed alerts, and its Atom feed.",
        "sql": ALERT_RULES,
    },
    "alerts": {
        "title": "Alerts",
        "description": "The alert outbox, newest first: status is sent, pending or failed, "
                       "with the last error. Filter by status and rule.",
        "sql": ALERTS,
        "params": ["status", "rule"],
    },
    "problem_alerts": {
        "title": "Alerts needing attention",
        "description": "Failed alerts, and pending ones waiting for a retry after an error.",
        "sql": PROBLEM_ALERTS,
    },
    "source_health": {
        "title": "Source health",
        "description": "Each configured source with its health as newsmon sources shows it "
                       "(ok, never run, failing, stale) and its last run.",
        "sql": SOURCE_HEALTH,
    },
    "recent_runs": {
        "title": "Recent runs",
        "description": "The last crawls (200 unless limit says), one row per source per "
                       "crawl, newest first.",
        "sql": RECENT_RUNS,
        "params": ["source", "limit"],
    },
    "rule_feed": {
        "title": "Stories an alert rule fired on",
        "description": "One row per story, newest first; the same as the rule's Atom feed.",
        "sql": RULE_FEED,
        "params": ["rule"],
    },
}


def _chart(title: str, sql: str, mark: str, **encoding: dict) -> dict:
    """A dashboard chart: its query and a Vega-Lite mark (with tooltips) and encoding."""
    return {"title": title, "sql": sql,
            "display": {"mark": {"type": mark, "tooltip": True}, "encoding": encoding}}


CHARTS = {
    "company-stories": _chart(
        "Stories per day, top tracked companies (30 days up to the newest story)",
        CHART_COMPANY_STORIES, "line",
        x={"field": "day", "type": "temporal", "title": "day"},
        y={"field": "stories", "type": "quantitative", "title": "stories"},
        color={"field": "company", "type": "nominal"}),
    "source-stories": _chart(
        "New stories per day per source (stored in the last 30 days)", CHART_SOURCE_STORIES, "bar",
        x={"field": "day", "type": "ordinal", "title": "day stored"},
        y={"field": "stories", "type": "quantitative", "title": "new stories"},
        color={"field": "source", "type": "nominal"}),
    "alerts-per-day": _chart(
        "Alerts sent and failed per day (last 30 days)", CHART_ALERTS, "bar",
        x={"field": "day", "type": "ordinal"},
        y={"field": "alerts", "type": "quantitative"},
        color={"field": "status", "type": "nominal",
               "scale": {"domain": ["sent", "failed"], "range": ["#4c9a2a", "#c0392b"]}}),
    "source-health": _chart(
        "Sources by health", CHART_HEALTH, "arc",
        theta={"field": "sources", "type": "quantitative"},
        color={"field": "health", "type": "nominal",
               "scale": {"domain": ["ok", "never run", "stale", "failing"],
                         "range": ["#4c9a2a", "#999999", "#e6a700", "#c0392b"]}}),
}
