"""newsmon's Datasette plugin: read-only connections, SQL functions, the home page, links, feeds.

Registered by `newsmon serve` only (crawler/web/app.py), never through an entry
point, because it needs the newsmon config: which sources and alert rules exist
comes from metadata["plugins"]["newsmon"] (names and schedules only, no secret).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from urllib.parse import quote, unquote, urlencode

import sqlite_utils
from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from crawler.archive.bodies import register_functions
from crawler.archive.runs import health_report
from crawler.archive.search import parse_since, search_ids
from crawler.web import queries
from crawler.web.feeds import rule_feed_xml

logger = logging.getLogger(__name__)

DATABASE = "newsmon"   # the name the archive is served under, whatever its file name


def _settings(datasette) -> dict:
    return datasette.plugin_config("newsmon") or {}


@hookimpl
def prepare_connection(conn, database, datasette):
    """Every connection Datasette opens on the archive is query-only, with newsmon's functions.

    Datasette already opens the archive with `?mode=ro`; `query_only` also
    covers the connection Datasette would open for writes, so nothing served
    can change the archive while a crawl writes to it.
    """
    if database != DATABASE:
        return
    conn.execute("PRAGMA query_only = ON")
    register_functions(conn)   # newsmon_body(): the bodies, for snippets and article_text
    settings = _settings(datasette)
    sources = settings.get("sources", [])
    cadences = {source["name"]: source.get("cadence_seconds") for source in sources}
    sources_json = json.dumps(sources)
    archive = sqlite_utils.Database(conn, recursive_triggers=False)

    def health(source):
        return json.dumps(health_report(archive, source, cadences.get(source)))

    def search(query, company, source, since, limit):
        """The ids `newsmon search` shows, in order, as a JSON array ('[]' for no query)."""
        if not query:
            return "[]"
        return json.dumps(search_ids(archive, query, company=company or None, source=source or None,
                                     since=parse_since(since) if since else None, limit=int(limit)))

    conn.create_function("newsmon_sources", 0, lambda: sources_json, deterministic=True)
    conn.create_function("newsmon_health", 1, health)
    conn.create_function("newsmon_search", 5, search)


def _link(datasette, query: str, **args) -> str:
    return datasette.urls.path(f"/{DATABASE}/{query}?{urlencode(args)}")


def feed_path(datasette, rule: str) -> str:
    return datasette.urls.path(f"/-/feeds/{quote(rule, safe='')}.atom")


@hookimpl
def render_cell(value, column, table, database, datasette):
    """Link story ids to the story and its copies, companies to their timeline, rules to feeds."""
    if database != DATABASE or value in (None, ""):
        return None
    if column == "story_id":
        return Markup(f'<a href="{escape(_link(datasette, "story", id=value))}">{escape(value)}</a>')
    if column == "companies" and table is None:
        return Markup(", ".join(
            f'<a href="{escape(_link(datasette, "company_timeline", company=name))}">{escape(name)}</a>'
            for name in str(value).split(", ")))
    if column == "feed" and table is None:
        return Markup(f'<a href="{escape(feed_path(datasette, str(value)))}">Atom feed</a>')
    return None


async def _rows(db, sql: str, params=None) -> list[dict]:
    return [dict(row) for row in (await db.execute(sql, params or {})).rows]


@hookimpl
def extra_template_vars(view_name, datasette):
    """The home page's panels: what happened, at a glance."""
    if view_name != "index":
        return {}

    async def home():
        db = datasette.get_database(DATABASE)
        rules = _settings(datasette).get("rules", [])
        return {
            "newsmon": {
                "stories": await _rows(db, *queries.HOME_STORIES),
                "companies": await _rows(db, *queries.COMPANIES_THIS_WEEK),
                "problems": await _rows(db, *queries.HOME_PROBLEMS),
                "sources": await _rows(db, *queries.HOME_SOURCES_NEEDING_ATTENTION),
                "rules": [{**rule, "feed": feed_path(datasette, rule["name"])} for rule in rules],
                "now": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            },
            "newsmon_link": lambda query, **args: _link(datasette, query, **args),
        }

    return home


async def rule_feed(request, datasette):
    """/-/feeds/<rule>.atom: the stories an alert rule fired on, as Atom."""
    rule = unquote(request.url_vars["rule"])
    rules = {r["name"]: r for r in _settings(datasette).get("rules", [])}
    db = datasette.get_database(DATABASE)
    rows = await _rows(db, queries.RULE_FEED, {"rule": rule})
    if rule not in rules and not rows:
        raise NotFound(f"no alert rule named {rule!r}")
    xml = rule_feed_xml(rules.get(rule, {"name": rule}), rows,
                        self_url=datasette.absolute_url(request, request.path),
                        home_url=datasette.absolute_url(request, datasette.urls.instance()))
    return Response(xml, content_type="application/atom+xml; charset=utf-8")


@hookimpl
def register_routes():
    return [(r"^/-/feeds/(?P<rule>[^/]+)\.atom$", rule_feed)]


READ_METHODS = ("GET", "HEAD", "OPTIONS")


@hookimpl
def asgi_wrapper():
    """Refuse every request that is not a read (POST, PUT, DELETE...) with 405.

    The dashboard has no forms that change anything; refusing the methods at
    the door also keeps Datasette from answering a POST to a read-only canned
    query with a 500.
    """
    def wrap(app):
        async def read_only(scope, receive, send):
            if scope["type"] == "http" and scope["method"] not in READ_METHODS:
                response = Response.text("newsmon serve is read-only: only GET is allowed\n",
                                         status=405, headers={"Allow": ", ".join(READ_METHODS)})
                await response.asgi_send(send)
                return
            await app(scope, receive, send)
        return read_only
    return wrap


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path(f"/{DATABASE}"), "label": "Archive and queries"}]
