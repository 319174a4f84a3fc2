"""`newsmon companies` and `newsmon retag`: company mentions in the archive."""

from __future__ import annotations

import click

from crawler.archive.mentions import company_counts, retag_archive
from crawler.commands.common import (
    config_option, echo_json, echo_table, json_option, load_config_or_exit, lock_archive_or_exit,
    open_archive_or_exit)
from crawler.text.companies import load_companies
from crawler.text.tagging import CompanyMatcher

COLUMNS = ["company", "day", "week", "month", "total"]


def tracked_companies(config) -> list[str]:
    return [company.name for company in load_companies(config.companies, config.use_builtin_companies)]


@click.command()
@config_option
@json_option
def companies(config_path, as_json):
    """Stories mentioning each tracked company in the last day, week and month.

    Copies of a syndicated story count once; windows use the article's
    published date (else when it was fetched). Tracked companies not yet
    mentioned are listed with zeros.

    Example: newsmon companies --json
    """
    config = load_config_or_exit(config_path)
    db = open_archive_or_exit(config.archive_path)
    rows = company_counts(db)
    seen = {row["company"] for row in rows}
    rows += [dict.fromkeys(COLUMNS, 0) | {"company": name}
             for name in tracked_companies(config) if name not in seen]
    echo_json(rows) if as_json else echo_table(rows, COLUMNS)


@click.command()
@config_option
def retag(config_path):
    """Re-apply the current company list to every article in the archive.

    Run it after adding, removing or editing [[companies]]: old articles then
    show the new companies in `companies` and `search --company`.

    Example: newsmon retag --config newsmon.toml
    """
    config = load_config_or_exit(config_path)
    db = open_archive_or_exit(config.archive_path)
    lock = lock_archive_or_exit(config.archive_path, "retagging (run it when the crawl has finished)")
    try:
        matcher = CompanyMatcher(load_companies(config.companies, config.use_builtin_companies))
        counts = retag_archive(db, matcher)
    finally:
        lock.release()
    click.echo(f"retagged {counts['articles']} articles with {len(matcher.companies)} companies: "
               f"{counts['tagged']} mention at least one, {counts['mentions']} mentions; "
               f"{counts['added']} article-company pairs added, {counts['removed']} removed")
