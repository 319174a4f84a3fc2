"""What every newsmon command shares: the --config option, archive access, output."""

from __future__ import annotations

import json
import sys

import click

from crawler.archive import ArchiveError, corrupt_message, open_archive
from crawler.archive.errors import is_archive_fault, is_corruption
from crawler.archive.lock import ArchiveLock, ArchiveLocked
from crawler.commands.progress import UpgradeProgress
from crawler.config.loader import ConfigError, load_config

from crawler.exitcodes import EXIT_ARCHIVE, EXIT_CONFIG, EXIT_LOCKED

config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), envvar="NEWSMON_CONFIG",
    help="TOML config file (default: $NEWSMON_CONFIG, else the built-in config).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def fail(message: str, code: int):
    click.echo(f"newsmon: {message}", err=True)
    sys.exit(code)


ARCHIVE_META = "newsmon.archive"   # click context meta: the archive the command works on


def load_config_or_exit(config_path):
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        fail(f"config error: {exc}", EXIT_CONFIG)
    context = click.get_current_context(silent=True)
    if context is not None:
        context.meta[ARCHIVE_META] = config.archive_path
    return config


def open_archive_or_exit(path, *, create: bool = False):
    """The archive, or exit 3 naming it; only commands that write pass create=True."""
    try:
        return open_archive(path, create=create, progress=UpgradeProgress())
    except ArchiveError as exc:
        fail(str(exc), EXIT_ARCHIVE)


def exit_on_archive_fault(exc: BaseException) -> None:
    """For an exception that escaped a command: exit 3 with a message if the archive is at fault.

    SQLite reports a damaged page only when a query reads it, which may be any
    query of any command; so this is checked once, around every command
    (crawler/cli.py), rather than around each query. Other errors return (bugs
    keep their traceback and exit 1).
    """
    context = click.get_current_context(silent=True)
    path = (context.meta.get(ARCHIVE_META) if context else None) or "the archive"
    if isinstance(exc, ArchiveError):
        fail(str(exc), EXIT_ARCHIVE)
    if is_archive_fault(exc):
        if is_corruption(exc):
            fail(corrupt_message(path, exc), EXIT_ARCHIVE)
        fail(f"{path}: the archive cannot be read or written: {exc}", EXIT_ARCHIVE)


def echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def echo_table(rows: list[dict], columns: list[str] | None = None) -> None:
    from tabulate import tabulate

    if not rows:
        click.echo("(nothing)")
        return
    columns = columns or list(rows[0])
    click.echo(tabulate([[row.get(c) for c in columns] for row in rows], headers=columns))


def lock_archive_or_exit(path, doing: str) -> ArchiveLock:
    """One writer of the archive at a time (crawler/archive/lock.py); the loser exits at once."""
    try:
        return ArchiveLock(path).acquire()
    except ArchiveLocked as exc:
        holder = f" by {exc.holder}" if exc.holder else ""
        fail(f"{path}: another crawl is running on this archive (locked{holder}); "
             f"not {doing}. Lock file: {exc.lock_path}", EXIT_LOCKED)
    except OSError as exc:
        fail(f"{path}: cannot create the lock next to the archive: {exc}", EXIT_ARCHIVE)
