"""The `newsmon` command: a thin click layer over the library.

Each command lives in `crawler/commands/<name>.py` and only parses options,
calls library functions and prints. Exit codes: crawler/commands/common.py.
"""

from __future__ import annotations

import click

from crawler.commands.alerts import alerts
from crawler.commands.companies import companies, retag
from crawler.commands.crawl import crawl
from crawler.commands.info import sources, stats
from crawler.commands.maintain import maintain
from crawler.commands.reindex import reindex
from crawler.commands.schedule import schedule
from crawler.commands.search import search
from crawler.commands.serve import serve
from crawler.commands.stories import stories


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsmon")
def main():
    """newsmon: monitor AI-industry news sources, archive and search them.

    Example: newsmon crawl && newsmon search 'distill*' --since 7d
    """


for command in (crawl, search, stories, sources, stats, companies, retag, reindex, maintain, alerts,
                schedule, serve):
    main.add_command(command)


if __name__ == "__main__":
    main()
