"""`newsmon maintain`: retention, FTS merging, planner statistics; --vacuum rewrites the file."""

from __future__ import annotations

import time

import click

from crawler.archive import maintenance
from crawler.commands.common import (
    config_option, load_config_or_exit, lock_archive_or_exit, open_archive_or_exit)


@click.command()
@config_option
@click.option("--vacuum", "full", is_flag=True,
              help="Also merge the full-text index into one segment and rewrite the file (VACUUM):"
                   " slow, needs free disk space about the archive's size.")
def maintain(config_path, full):
    """Keep the archive small and fast: drop old bodies ([archive] keep_bodies_days),
    merge full-text index segments, refresh planner statistics, checkpoint the WAL.

    Run it from cron weekly; `--vacuum` now and then (monthly) to give the space
    of dropped bodies back to the disk. Holds the archive's lock, like a crawl.

    Example: newsmon maintain --config newsmon.toml --vacuum
    """
    config = load_config_or_exit(config_path)
    db = open_archive_or_exit(config.archive_path)
    lock = lock_archive_or_exit(config.archive_path, "maintaining")
    try:
        steps = []
        if config.keep_bodies_days is not None:
            steps.append(("drop old bodies", lambda: maintenance.drop_old_bodies(
                db, config.keep_bodies_days)))
        if full:
            steps.append(("merge the full-text index into one segment",
                          lambda: maintenance.optimize_fts(db)))
        else:
            steps.append(("merge full-text index segments", lambda: maintenance.merge_fts(db)))
        steps.append(("refresh planner statistics", lambda: maintenance.refresh_statistics(db)))
        if full:
            steps.append(("rewrite the file (VACUUM)", lambda: maintenance.vacuum(db)))
        steps.append(("checkpoint the WAL", lambda: maintenance.checkpoint(db)))
        size = config.archive_path.stat().st_size
        for label, step in steps:
            started = time.perf_counter()
            result = step()
            detail = f": {result}" if isinstance(result, int) and label == "drop old bodies" else ""
            click.echo(f"{label}{detail} ({time.perf_counter() - started:.1f} s)")
        click.echo(f"archive: {size / 1e6:,.1f} MB -> {config.archive_path.stat().st_size / 1e6:,.1f} MB")
    finally:
        lock.release()
