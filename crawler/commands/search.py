"""`newsmon search`: full-text search of the archive."""

from __future__ import annotations

import click

from crawler.archive.search import SearchError, search_articles
from crawler.commands.common import (
    EXIT_CONFIG, config_option, echo_json, fail, json_option, load_config_or_exit,
    open_archive_or_exit)


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
    db = open_archive_or_exit(config.archive_path)
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
