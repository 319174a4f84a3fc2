"""Every SQL statement the web dashboard runs, in one place.

The canned queries, the home page's panels, the dashboard's charts and the
alert feeds all read the archive through the statements below, so adapting
the dashboard to a change of the archive's indexes means editing this file
only. `python benchmarks/dashboard.py --db ARCHIVE` times each of them.

How they stay fast on a large archive (every one is meant to answer well
under a second with 1,000,000 articles):
- Rows are chosen through an index and a LIMIT: newest first means
  `ORDER BY id DESC` (the rowid: the order articles were stored in), or an
  indexed column (`published`, `mentions(company)` and its rowid, the
  `alerts` and `runs` indexes). No statement sorts the whole archive.
- Per-row work (also-on outlets, companies, copies) is a correlated subquery
  in the SELECT list, so it runs for the rows shown only, through the
  `duplicate_of` index and the `mentions` primary key.
- `+a.duplicate_of IS NULL` (the unary + keeps SQLite from using an index for
  that term): nearly every article is a story's original, so the
  duplicate_of index would read almost the whole table; the rowid or the
  `published` index is the selective path.
- A date window on "the article's date" (published, else fetched_at, as
  `newsmon search --since` and `newsmon companies` use it) is written as
  `published >= ? OR (published IS NULL AND fetched_at >= ?)`: both halves
  can use the `published` index, which COALESCE(...) >= ? could not.

Functions named `newsmon_*` are registered on every connection by
crawler/web/plugin.py: `newsmon_since('7d')` (newsmon search's --since),
`newsmon_company('openai')` (the tracked company's stored name),
`newsmon_sources()` (the configured sources as JSON) and
`newsmon_health(source)` (newsmon sources' health as JSON).
"""

from __future__ import annotations

from crawler.archive.search import HIGHLIGHT

# -- per-row fragments (correlated subqueries; `a` is the shown article) -------------
ALSO_ON = """(SELECT group_concat(source, ', ') FROM (
        SELECT DISTINCT c.source FROM articles c
        WHERE (c.id = COALESCE(a.duplicate_of, a.id) OR c.duplicate_of = COALESCE(a.duplicate_of, a.id))
          AND c.source IS NOT a.source ORDER BY c.id))"""
COPIES = "(SELECT COUNT(*) + 1 FROM articles c WHERE c.duplicate_of = COALESCE(a.duplicate_of, a.id))"
COMPANIES = ("(SELECT group_concat(company, ', ') FROM "
             "(SELECT company FROM mentions m WHERE m.article_id = a.id ORDER BY m.count DESC))")
ARTICLE_DATE = "COALESCE(a.published, a.fetched_at)"


def since_condition(cutoff: str) -> str:
    """The article's date (published, else fetched_at) >= `cutoff`, index-friendly."""
    return f"(a.published >= {cutoff} OR (a.published IS NULL AND a.fetched_at >= {cutoff}))"


# -- canned queries ------------------------------------------------------------------
LATEST_STORIES = f"""
SELECT a.id AS story_id, {ARTICLE_DATE} AS date, a.title, a.source, {ALSO_ON} AS also_on,
       {COPIES} AS copies, {COMPANIES} AS companies, a.url
FROM articles a
WHERE +a.duplicate_of IS NULL
ORDER BY a.id DESC
LIMIT 100"""

# The same semantics as `newsmon search` (crawler/archive/search.py): FTS5 syntax on
# title and body, one row per story (its original when that matches, else the first
# copy that does), --company / --source / --since filters, newest first. An empty
# query returns nothing rather than an FTS5 syntax error. Every match is ranked to
# keep one per story, but the snippet and also-on are computed for the shown rows
# only (CROSS JOIN keeps that order: shown rows first, then their FTS row).
SEARCH = f"""
WITH hits AS (
    SELECT a.id, a.duplicate_of, COALESCE(a.duplicate_of, a.id) AS story_id,
           {ARTICLE_DATE} AS date
    FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
    WHERE :q != '' AND articles_fts MATCH :q
      AND (:source = '' OR a.source = :source)
      AND (:since = '' OR {ARTICLE_DATE} >= newsmon_since(:since))
      AND (:company = '' OR a.id IN
           (SELECT article_id FROM mentions WHERE company = newsmon_company(:company)))),
shown AS (
    SELECT id, story_id, date FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY story_id
                                     ORDER BY duplicate_of IS NOT NULL, id) AS nth
        FROM hits)
    WHERE nth = 1
    ORDER BY date DESC, id DESC
    LIMIT 100)
SELECT shown.story_id, shown.date, a.title, a.source, {ALSO_ON} AS also_on,
       snippet(articles_fts, 1, '{HIGHLIGHT[0]}', '{HIGHLIGHT[1]}', ' … ', 24) AS snippet, a.url
FROM shown CROSS JOIN articles a ON a.id = shown.id
     CROSS JOIN articles_fts ON articles_fts.rowid = shown.id
WHERE articles_fts MATCH :q
ORDER BY shown.date DESC, shown.id DESC"""

# mentions' rowid grows as articles are stored (retag rewrites in id order too), so
# ORDER BY m.rowid DESC walks the mentions(company) index newest first without a sort.
COMPANY_TIMELINE = f"""
SELECT a.id AS story_id, {ARTICLE_DATE} AS date, a.title, a.source, {ALSO_ON} AS also_on,
       m.count AS mentions, m.in_title, m.snippet, a.url
FROM mentions m JOIN articles a ON a.id = m.article_id
WHERE m.company = newsmon_company(:company) AND a.duplicate_of IS NULL
ORDER BY m.rowid DESC
LIMIT 200"""

STORY = f"""
SELECT a.id, CASE WHEN a.duplicate_of IS NULL THEN 'original' ELSE 'copy' END AS role,
       a.source, a.title, a.published, a.fetched_at, a.similarity, {COMPANIES} AS companies, a.url
FROM articles a
WHERE a.id = (SELECT COALESCE(duplicate_of, id) FROM articles WHERE id = :id)
   OR a.duplicate_of = (SELECT COALESCE(duplicate_of, id) FROM articles WHERE id = :id)
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
# the same Python function for each configured source.
SOURCE_HEALTH = """
SELECT s.source, json_extract(s.health, '$.status') AS health,
       json_extract(s.health, '$.reason') AS why, s.schedule,
       r.started AS last_run, r.outcome AS last_outcome, r.new_articles AS last_new
FROM (SELECT json_extract(value, '$.name') AS source, json_extract(value, '$.schedule') AS schedule,
             newsmon_health(json_extract(value, '$.name')) AS health
      FROM json_each(newsmon_sources())) s
LEFT JOIN runs r ON r.id = (SELECT id FROM runs WHERE source = s.source
                            ORDER BY started DESC LIMIT 1)
ORDER BY health = 'ok', s.source"""

RECENT_RUNS = """
SELECT id, source, started, finished, outcome, requests, new_articles, duplicates,
       not_modified, dropped, errors, details
FROM runs
WHERE (:source = '' OR source = :source)
ORDER BY id DESC
LIMIT 200"""

# One entry per story the rule fired on (whatever its channels and copies), newest
# first, shown as the story's current original: the alerted article may be a copy
# stored before the original took over.
RULE_FEED = f"""
SELECT a.id AS story_id, f.fired, a.title, a.url, a.source, a.published, a.fetched_at,
       COALESCE(a.description, substr(a.body, 1, 400)) AS summary,
       {ALSO_ON} AS also_on, {COMPANIES} AS companies
FROM (SELECT COALESCE(x.duplicate_of, x.id) AS story, MIN(al.created) AS fired
      FROM alerts al JOIN articles x ON x.id = al.article_id
      WHERE al.rule = :rule
      GROUP BY story) f
JOIN articles a ON a.id = f.story
ORDER BY f.fired DESC, a.id DESC
LIMIT 50"""

# -- the home page -----------------------------------------------------------------
HOME_STORIES = LATEST_STORIES.replace("LIMIT 100", "LIMIT 12")

# Distinct stories (copies left out) naming each company, by the article's date.
COMPANIES_THIS_WEEK = f"""
SELECT m.company,
       SUM({ARTICLE_DATE} >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-7 days')) AS this_week,
       SUM({ARTICLE_DATE} < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-7 days')) AS last_week
FROM articles a CROSS JOIN mentions m ON m.article_id = a.id   -- articles first: by date
WHERE {since_condition("strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-14 days')")}
  AND +a.duplicate_of IS NULL
GROUP BY m.company
ORDER BY this_week DESC, last_week DESC, m.company
LIMIT 15"""

HOME_PROBLEMS = PROBLEM_ALERTS.replace("LIMIT 50", "LIMIT 10")
HOME_SOURCES_NEEDING_ATTENTION = f"SELECT * FROM ({SOURCE_HEALTH}) WHERE health != 'ok'"

# -- dashboard charts (Vega-Lite; each links to its SQL, open and editable) ----------
# News charts cover the 30 days up to the newest story (not after now), so an
# archive that is not crawled every day still shows its last month of news.
NEWS_WINDOW_END = ("(SELECT MIN(MAX(published), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
                   " FROM articles WHERE published IS NOT NULL)")
CHART_COMPANY_STORIES = f"""
WITH window_end AS (SELECT COALESCE({NEWS_WINDOW_END},
                                    strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) AS day_end),
recent AS (
    SELECT a.id, substr({ARTICLE_DATE}, 1, 10) AS day
    FROM articles a, window_end
    WHERE {since_condition("strftime('%Y-%m-%dT%H:%M:%SZ', window_end.day_end, '-30 days')")}
      AND {ARTICLE_DATE} <= window_end.day_end AND +a.duplicate_of IS NULL),
per_day AS (
    SELECT m.company, recent.day, COUNT(*) AS stories
    FROM recent JOIN mentions m ON m.article_id = recent.id
    GROUP BY m.company, recent.day),
top AS (SELECT company FROM per_day GROUP BY company ORDER BY SUM(stories) DESC LIMIT 8)
SELECT day, company, stories FROM per_day WHERE company IN (SELECT company FROM top)
ORDER BY day, company"""

# New stories per source per day as each crawl counted them (runs.new_articles),
# read through the runs(source, started) index, one seek per configured source.
CHART_SOURCE_STORIES = """
SELECT substr(started, 1, 10) AS day, source, SUM(new_articles) AS stories
FROM runs
WHERE source IN (SELECT json_extract(value, '$.name') FROM json_each(newsmon_sources()))
  AND started >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-30 days')
GROUP BY day, source
ORDER BY day, source"""

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
        "description": "The 100 stories stored last, one row per story, with the other "
                       "outlets that ran it (also_on) and the companies it names.",
        "sql": LATEST_STORIES,
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
        "description": "Stories that name a tracked company, newest first.",
        "sql": COMPANY_TIMELINE,
        "params": ["company"],
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
        "description": "The last crawls, one row per source per crawl, newest first.",
        "sql": RECENT_RUNS,
        "params": ["source"],
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
        "New stories per day per source (last 30 days)", CHART_SOURCE_STORIES, "bar",
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
