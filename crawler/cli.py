"""The `newsmon` command: a thin click layer over the library.

Each command lives in `crawler/commands/<name>.py` and only parses options,
calls library functions and prints. Exit codes: crawler/commands/common.py.
"""

from __future__ import annotations

import click

from crawler.commands.alerts import alerts
from crawler.commands.common import exit_on_archive_fault
from crawler.commands.companies import companies, retag
from crawler.commands.crawl import crawl
from crawler.commands.info import sources, stats
from crawler.commands.maintenance import backup, check
from crawler.commands.reindex import reindex
from crawler.commands.schedule import schedule
from crawler.commands.search import search


class NewsmonGroup(click.Group):
    """Every command: a damaged, full or unreadable archive is exit 3 with a message."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            exit_on_archive_fault(exc)
            raise


@click.group(cls=NewsmonGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsmon")
def main():
    """newsmon: monitor AI-industry news sources, archive and search them.

    Example: newsmon crawl && newsmon search 'distill*' --since 7d
    """


for command in (crawl, search, sources, stats, companies, retag, reindex, alerts, schedule, check,
                backup):
    main.add_command(command)


if __name__ == "__main__":
    main()
