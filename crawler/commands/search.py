"""`newsmon search`: full-text search of the archive."""

from __future__ import annotations

import click

from crawler.archive.runs import has_runs
from crawler.archive.search import SearchError, search_articles
from crawler.commands.common import (
    config_option, echo_json, fail, json_option, load_config_or_exit, open_archive_or_exit)
from crawler.exitcodes import EXIT_CONFIG
from crawler.text.companies import load_companies
from crawler.config.spec import fts_query_problem

FTS_EXAMPLES = ("valid queries look like: distill*   '\"model distillation\"'   "
                "'OpenAI NOT Microsoft'   'title:grok'   '(chip OR gpu) AND export'; "
                "put words with punctuation in double quotes: '\"gpt-5\"'")


def check_filters(db, config, company: str | None, source: str | None) -> None:
    """Unknown --company / --source names are mistakes (exit 2), as `crawl --source` treats them."""
    if company:
        known = [c.name for c in load_companies(config.companies, config.use_builtin_companies)]
        if company.lower() not in {name.lower() for name in known}:
            fail(f"{config.file}: --company {company!r}: not a tracked company (tracked: "
                 f"{', '.join(sorted(known, key=str.lower))})", EXIT_CONFIG)
    if source and source not in {s.name for s in config.sources}:
        # A source removed from the config still has its articles: accept any that ran.
        if not has_runs(db, source):
            fail(f"{config.file}: --source {source!r}: no such source (known: "
                 f"{', '.join(sorted(s.name for s in config.sources))})", EXIT_CONFIG)


@click.command()
@click.argument("query")
@config_option
@click.option("--company", help="Only articles that mention this company.")
@click.option("--since", help="Only articles published since: 7d, 24h, 2w, 1m or 2026-05-01.")
@click.option("--source", help="Only articles from this source.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--all-copies", is_flag=True, help="Show every copy of a story, not one per story.")
@json_option
def search(query, config_path, company, since, source, limit, all_copies, as_json):
    """Search titles and bodies (SQLite FTS5 syntax), newest first.

    Example: newsmon search 'distill* OR "model distillation"' --since 30d
    """
    config = load_config_or_exit(config_path)
    problem = fts_query_problem(query)
    if problem:
        fail(f"search: {problem}\n{FTS_EXAMPLES}", EXIT_CONFIG)
    db = open_archive_or_exit(config.archive_path)
    check_filters(db, config, company, source)
    try:
        rows = search_articles(db, query, company=company, since=since, source=source,
                               limit=limit, all_copies=all_copies)
    except SearchError as exc:
        fail(str(exc), EXIT_CONFIG)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        when = (row["published"] or row["fetched_at"] or "")[:16].replace("T", " ")
        click.echo(f"{when}  {row['title'] or '(no title)'}  [{row['source']}]")
        click.echo(f"    {row['url']}")
        if row["also_on"]:
            click.echo(f"    also on: {', '.join(row['also_on'])}")
        click.echo(f"    {row['snippet']}")
    if not rows:
        click.echo("no matching articles")
