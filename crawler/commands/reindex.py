"""`newsmon reindex`: sign archived articles that have no near-duplicate signature."""

from __future__ import annotations

import click

from crawler.archive.neardup_index import backfill_signatures
from crawler.commands.common import (
    config_option, load_config_or_exit, lock_archive_or_exit, open_archive_or_exit)


@click.command()
@config_option
def reindex(config_path):
    """Add near-duplicate signatures to articles stored without one.

    Archives written before schema version 2 have no signatures, so new copies
    of their stories would not be linked; this fills them in (about 2 ms per
    article). Existing duplicate_of links are left as they are.

    Example: newsmon reindex --config newsmon.toml
    """
    config = load_config_or_exit(config_path)
    db = open_archive_or_exit(config.archive_path)
    lock = lock_archive_or_exit(config.archive_path, "reindexing")
    try:
        with db.conn:
            signed = backfill_signatures(db)
    finally:
        lock.release()
    click.echo(f"signed {signed} articles")
