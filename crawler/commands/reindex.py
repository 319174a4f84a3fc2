"""`newsmon reindex`: index every archived article's near-duplicate signature, of the current scheme."""

from __future__ import annotations

import click

from crawler.archive.neardup_index import (
    finish_resign, index_all, resign_all, resign_pending, stored_scheme, unsigned_count)
from crawler.commands.common import (
    config_option, load_config_or_exit, lock_archive_or_exit, open_archive_or_exit)
from crawler.text.neardup import scheme


@click.command()
@config_option
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1),
              help="Articles signed per committed batch.")
def reindex(config_path, batch_size):
    """Sign every archived article from its body and index its near-duplicate bands.

    Archives written before schema version 2 have no signatures, so new copies
    of their stories would not be linked: this fills them in (bands already
    there stay). When the archive was signed with another signature scheme (an
    older newsmon, another rensa), signatures cannot be compared, so it drops
    every band first. About 1-1.6 ms per article, committed in batches: an
    interrupted run is resumed by running it again. Existing duplicate_of
    links are left as they are.

    Example: newsmon reindex --config newsmon.toml
    """
    config = load_config_or_exit(config_path)
    db = open_archive_or_exit(config.archive_path)
    lock = lock_archive_or_exit(config.archive_path, "reindexing")
    try:
        total = unsigned_count(db)
        stored, current = stored_scheme(db), scheme()
        if stored not in (None, current):
            total = db["articles"].count
            click.echo(f"signatures were made by scheme {stored}; re-signing all {total}"
                       f" articles with {current}")
            signed = resign_all(db, batch_size, _progress(total))
        elif resign_pending(db):
            click.echo(f"resuming an interrupted re-sign: {total} articles left")
            signed = finish_resign(db, batch_size, _progress(total))
        else:
            total = db["article_bodies"].count
            click.echo(f"indexing all {total} articles with a body again")
            signed = index_all(db, batch_size, _progress(total))
    finally:
        lock.release()
    click.echo(f"signed {signed} articles (scheme {current})")


def _progress(total: int):
    def report(seen: int, signed: int) -> None:
        click.echo(f"  {seen}/{total} articles looked at, {signed} signed", err=True)
    return report
