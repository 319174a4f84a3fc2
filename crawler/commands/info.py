"""`newsmon sources` and `newsmon stats`: what is configured, how it went, what is stored."""

from __future__ import annotations

from datetime import datetime, timezone

import click

from crawler.archive.runs import health_report, last_runs
from crawler.archive.totals import archive_totals, articles_per_source
from crawler.commands.common import (
    config_option, echo_json, echo_table, json_option, load_config_or_exit, open_archive_or_exit)
from crawler.daemon.timetable import cadence_seconds, next_fire_time
from crawler.text.utc import iso, parse_utc


def next_run(schedule: str, last_started: str | None, now: datetime) -> str:
    """When the daemon runs the source next ("due" when it would run at once)."""
    fire = next_fire_time(schedule, parse_utc(last_started), now)
    if fire <= now:
        return "due"
    return iso(fire)


@click.command()
@config_option
@json_option
def sources(config_path, as_json):
    """List configured sources with their last run, health and next scheduled run.

    next_run is when `newsmon schedule` runs the source next ("due": at once,
    because it never ran or missed a run). health is "never run", "failing"
    (the last 3 runs failed or crashed), "stale" (crawled but nothing new for
    much longer than usual; see why) or "ok".

    Example: newsmon sources --config newsmon.toml
    """
    config = load_config_or_exit(config_path)
    # No archive yet: every configured source is listed as never run, and none is created.
    db = open_archive_or_exit(config.archive_path) if config.archive_path.is_file() else None
    last = last_runs(db, [source.name for source in config.sources]) if db else {}
    now = datetime.now(timezone.utc)
    rows = []
    for source in config.sources:
        run = last.get(source.name, {})
        health = (health_report(db, source.name, cadence_seconds(source.schedule, now)) if db
                  else {"status": "never run", "reason": "no archive yet"})
        rows.append({
            "source": source.name,
            "listings": len(source.feeds) + len(source.sitemaps) + len(source.pages),
            "schedule": source.schedule,
            "next_run": next_run(source.schedule, run.get("started"), now),
            "last_run": run.get("started", "-"),
            "last_outcome": run.get("outcome", "-"),
            "last_new": run.get("new_articles", "-"),
            "health": health["status"],
            "why": health["reason"] or "-",
        })
    echo_json(rows) if as_json else echo_table(rows)


@click.command()
@config_option
@json_option
def stats(config_path, as_json):
    """Show archive totals and articles per source.

    Example: newsmon stats --json
    """
    config = load_config_or_exit(config_path)
    db = open_archive_or_exit(config.archive_path)
    totals = archive_totals(db, config.archive_path)
    per_source = articles_per_source(db)
    if as_json:
        echo_json({"totals": totals, "sources": per_source})
        return
    click.echo(f"archive: {config.archive_path}")
    for key, value in totals.items():
        click.echo(f"  {key:15s} {'-' if value is None else value}")
    click.echo("")
    echo_table(per_source)
