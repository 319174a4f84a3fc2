"""`newsmon check` and `newsmon backup`: is the archive sound, and a safe copy of it."""

from __future__ import annotations

import click

from crawler.archive import ArchiveError
from crawler.archive.integrity import backup_archive, check_archive, recovery_steps
from crawler.commands.common import (
    config_option, fail, load_config_or_exit)
from crawler.exitcodes import EXIT_ARCHIVE, EXIT_CONFIG


@click.command()
@config_option
def check(config_path):
    """Check the archive for damage (SQLite quick_check and integrity_check).

    Prints "ok", or the problems found and how to recover: rescue what is
    readable with the sqlite3 shell's .recover, or restore a copy made with
    `newsmon backup`. Exit code 3 when the archive is damaged or missing. Safe
    to run while a crawl writes.

    Example: newsmon check --config newsmon.toml
    """
    config = load_config_or_exit(config_path)
    path = config.archive_path
    if not path.is_file():
        fail(f"{path}: no archive here", EXIT_ARCHIVE)
    report = check_archive(path)
    if report.ok:
        click.echo(f"{path}: ok (quick_check and integrity_check found no problem)")
        return
    click.echo(f"{path}: the archive is damaged", err=True)
    if report.error:
        click.echo(f"  SQLite cannot read it: {report.error}", err=True)
    for name, problems in (("quick_check", report.quick_check),
                           ("integrity_check", report.integrity_check)):
        if problems and problems != ["ok"]:
            click.echo(f"  {name}:", err=True)
            for problem in problems:
                click.echo(f"    {problem}", err=True)
    click.echo("How to recover:", err=True)
    for number, step in enumerate(recovery_steps(path), 1):
        click.echo(f"  {number}. {step}", err=True)
    raise SystemExit(EXIT_ARCHIVE)


@click.command()
@click.argument("target", type=click.Path(dir_okay=False))
@config_option
def backup(target, config_path):
    """Copy the archive to TARGET, safely, even while a crawl writes to it.

    Uses SQLite's online backup API: the copy is one consistent snapshot
    (every article of a batch or none), checked with quick_check before it
    gets its name. TARGET must not exist. Restore by putting the copy in the
    archive's place while no crawl runs.

    Example: newsmon backup /backups/newsmon-$(date +%F).db
    """
    config = load_config_or_exit(config_path)
    try:
        counts = backup_archive(config.archive_path, target)
    except FileExistsError as exc:
        fail(str(exc), EXIT_CONFIG)
    except (ArchiveError, OSError) as exc:   # SQLite's own errors: see crawler/cli.py
        fail(f"backup of {config.archive_path} failed: {exc}", EXIT_ARCHIVE)
    click.echo(f"backed up {config.archive_path} to {target}: {counts['articles']} articles, "
               f"{counts['runs']} runs, {counts['bytes'] / 2**20:.1f} MB")
