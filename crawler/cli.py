"""The `newsmon` command: a thin click layer over the library.

Each command lives in `crawler/commands/<name>.py` and only parses options,
calls library functions and prints. Exit codes: crawler/exitcodes.py.

Commands are imported when they are run, not all at start-up: `newsmon
schedule` is a daemon that lives for months and must not carry Scrapy,
trafilatura or scipy it never uses (about 50 MB instead of 120 MB), and a
`newsmon crawl` that finds nothing new should not pay for importing the
alerting or reindexing code.
"""

from __future__ import annotations

import importlib

import click

COMMANDS = {   # name -> "module:attribute"
    "crawl": "crawler.commands.crawl:crawl",
    "search": "crawler.commands.search:search",
    "sources": "crawler.commands.info:sources",
    "stats": "crawler.commands.info:stats",
    "companies": "crawler.commands.companies:companies",
    "retag": "crawler.commands.companies:retag",
    "reindex": "crawler.commands.reindex:reindex",
    "alerts": "crawler.commands.alerts:alerts",
    "schedule": "crawler.commands.schedule:schedule",
    "stories": "crawler.commands.stories:stories",
    "maintain": "crawler.commands.maintain:maintain",
    "serve": "crawler.commands.serve:serve",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that command is used."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attribute = target.split(":")
        return getattr(importlib.import_module(module), attribute)

    @property
    def all_commands(self) -> dict[str, click.Command]:
        """Every command, imported (for documentation checks)."""
        return {name: self.get_command(None, name) for name in COMMANDS}


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsmon")
def main():
    """newsmon: monitor AI-industry news sources, archive and search them.

    Example: newsmon crawl && newsmon search 'distill*' --since 7d
    """


if __name__ == "__main__":
    main()
