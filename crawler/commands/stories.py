"""`newsmon stories`: the newest stories, one line each with the outlets that ran them."""

from __future__ import annotations

import click

from crawler.archive.listings import latest_stories
from crawler.commands.common import (
    config_option, echo_json, json_option, load_config_or_exit, open_archive_or_exit)


@click.command()
@config_option
@click.option("--source", help="Only stories whose original ran on this source.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@json_option
def stories(config_path, source, limit, as_json):
    """List the newest stories (by first seen), each once, with every outlet that ran it.

    Example: newsmon stories --limit 10
    """
    config = load_config_or_exit(config_path)
    db = open_archive_or_exit(config.archive_path)
    rows = latest_stories(db, limit=limit, source=source)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        when = (row["first_seen"] or "")[:16].replace("T", " ")
        copies = f" ({row['copies']} copies)" if row["copies"] > 1 else ""
        click.echo(f"{when}  {row['title'] or '(no title)'}{copies}")
        click.echo(f"    {row['url']}")
        click.echo(f"    on: {', '.join(row['outlets'])}")
    if not rows:
        click.echo("no stories yet")
