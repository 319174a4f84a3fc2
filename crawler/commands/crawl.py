"""`newsmon crawl`: one crawl of every (or the named) source, then a summary."""

from __future__ import annotations

import logging
import sqlite3

import click
from click.core import ParameterSource

from crawler.archive import probe_write
from crawler.archive.errors import CORRUPT_STAT, WRITE_ERROR_STAT
from crawler.archive.maintenance import refresh_statistics
from crawler.archive.runs import record_run
from crawler.commands.common import (
    config_option, echo_json, echo_table, fail, load_config_or_exit, lock_archive_or_exit,
    open_archive_or_exit)
from crawler.exitcodes import (
    EXIT_ARCHIVE, EXIT_CONFIG, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_WRITE_FAILED)
from crawler.extensions.runrecorder import RUNS_STAT, summarise
from crawler.stats import UNWRITTEN_STAT
from crawler.text.utc import iso_now

DEFAULT = ParameterSource.DEFAULT


def check_writable(db, path) -> None:
    """Fail before crawling, not after, when the archive is read-only or locked."""
    try:
        probe_write(db)
    except sqlite3.OperationalError as exc:
        fail(f"{path}: archive is not writable: {exc}", EXIT_ARCHIVE)


def record_interrupted_start(db, config, only_sources) -> None:
    """A stop before Scrapy ran still leaves each source's run, as a stop mid-crawl does."""
    started = iso_now()
    with db.conn:
        for source in config.sources:
            if not only_sources or source.name in only_sources:
                record_run(db, summarise(source.name, {}, started, "shutdown"))


def exit_for_archive_failures(stats: dict, path, unwritten: int, unrecorded: bool) -> None:
    """Exit 3 for a damaged archive, 7 when articles or runs could not be written."""
    if stats.get(CORRUPT_STAT):
        fail(f"{path}: the archive is damaged ({stats[CORRUPT_STAT]}); "
             f"run `newsmon check` to see how to recover", EXIT_ARCHIVE)
    if unwritten or unrecorded:
        what = f"{unwritten} articles" if unwritten else "this crawl's runs"
        fail(f"{path}: {what} could not be written to the archive "
             f"({stats.get(WRITE_ERROR_STAT, 'unknown error')}); the next crawl fetches "
             f"what was lost", EXIT_WRITE_FAILED)


def _reasons(counts: dict) -> str:
    return " ".join(f"{reason}:{n}" for reason, n in sorted(counts.items())) or "-"


def summary_rows(runs: list[dict]) -> list[dict]:
    return [{
        "source": run["source"], "outcome": run["outcome"], "requests": run["requests"],
        "new": run["new_articles"], "copies": run["duplicates"],
        "not_modified": run["not_modified"],
        "dropped": _reasons(run["details"].get("dropped", {})),
        "errors": _reasons(run["details"].get("errors", {})),
    } for run in runs]


@click.command()
@config_option
@click.option("--source", "sources", multiple=True, metavar="NAME",
              help="Crawl only this source (repeatable).")
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="How much of Scrapy's log to print on stderr.")
@click.option("--quiet", "-q", is_flag=True,
              help="Print the summary only when a source failed (for cron, which mails output).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the runs (one per source, as stored in `runs`) as JSON on stdout.")
def crawl(config_path, sources, log_level, quiet, as_json):
    """Crawl every configured source once and store new articles.

    Prints one summary line per source: requests, new articles, copies of stored stories,
    feeds/sitemaps not modified (304), dropped pages and errors by reason.
    Broken pages never fail the run: the exit code is 0 when the crawl ran,
    7 when some articles could not be written to the archive (disk full...).
    With --quiet, nothing is printed unless a source failed, and then only the
    summary (Scrapy's log is limited to ERROR unless --log-level is given).
    Only one crawl runs per archive: while another holds its lock, this one
    exits at once with code 4 and crawls nothing. --json prints
    {"archive", "finish_reason", "runs": [...]} instead (what the daemon reads).

    Example: newsmon crawl --config newsmon.toml --source techcrunch-ai
    """
    from crawler import earlystop
    from crawler.runner import CrawlFailed, CrawlInterrupted, run_crawl

    if quiet and click.get_current_context().get_parameter_source("log_level") is DEFAULT:
        log_level = "ERROR"  # expected failures are in the summary; only real errors print
    config = load_config_or_exit(config_path)
    known = {s.name for s in config.sources}
    for name in sources:
        if name not in known:
            fail(f"{config.file}: --source {name!r}: no such source (known: "
                 f"{', '.join(sorted(known))})", EXIT_CONFIG)
    lock = lock_archive_or_exit(config.archive_path, "crawling")  # held until this process exits
    db = open_archive_or_exit(config.archive_path, create=True)
    check_writable(db, config.archive_path)
    try:
        if earlystop.requested():
            raise CrawlInterrupted(f"signal {earlystop.requested()}")
        stats = run_crawl(config, sources, overrides={"LOG_LEVEL": log_level.upper()},
                          stop_requested=earlystop.requested)
    except CrawlFailed as exc:
        fail(f"the crawl could not run: {exc}", EXIT_ERROR)
    except CrawlInterrupted as exc:
        record_interrupted_start(db, config, sources)
        fail(f"crawl interrupted while starting ({exc}); nothing was crawled", EXIT_INTERRUPTED)
    runs = sorted(stats.get(RUNS_STAT, []), key=lambda run: run["source"])
    unwritten = stats.get(UNWRITTEN_STAT, 0)
    unrecorded = any("id" not in run for run in runs)
    if not (unwritten or unrecorded):
        refresh_statistics(db)
    if as_json:
        echo_json({"archive": str(config.archive_path),
                   "finish_reason": stats.get("finish_reason"), "runs": runs})
    elif not quiet or unwritten or unrecorded or any(run["outcome"] == "failed" for run in runs):
        echo_table(summary_rows(runs))
        total_new = sum(run["new_articles"] for run in runs)
        click.echo(f"{len(runs)} sources, {total_new} new articles -> {config.archive_path}")
    logging.shutdown()
    lock.release()
    exit_for_archive_failures(stats, config.archive_path, unwritten, unrecorded)
    reason = stats.get("finish_reason")
    if reason == "closespider_timeout":
        fail(f"crawl stopped after {config.max_minutes:g} minutes ([crawl] max_minutes); "
             "stored articles are kept", EXIT_INTERRUPTED)
    if reason not in (None, "finished"):
        fail(f"crawl interrupted ({reason}); stored articles are kept", EXIT_INTERRUPTED)
