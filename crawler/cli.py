"""The `newsmon` command: a thin click layer over the library.

Each command lives in `crawler/commands/<name>.py` and only parses options,
calls library functions and prints. Exit codes: crawler/commands/common.py.
"""

from __future__ import annotations

from crawler import earlystop

if __name__ == "__main__":   # `python -m crawler.cli`; the console script: crawler/entry.py
    earlystop.hold()         # before the imports below: a crawl stopped while starting exits 5

import click  # noqa: E402

from crawler.commands.alerts import alerts  # noqa: E402
from crawler.commands.common import exit_on_archive_fault  # noqa: E402
from crawler.commands.companies import companies, retag  # noqa: E402
from crawler.commands.crawl import crawl  # noqa: E402
from crawler.commands.info import sources, stats  # noqa: E402
from crawler.commands.maintenance import backup, check  # noqa: E402
from crawler.commands.reindex import reindex  # noqa: E402
from crawler.commands.schedule import schedule  # noqa: E402
from crawler.commands.search import search  # noqa: E402


class NewsmonGroup(click.Group):
    """Every command: a damaged, full or unreadable archive is exit 3 with a message."""

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        if name != "crawl":            # only the crawl handles a stop while starting
            earlystop.release()
        return name, command, rest

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
