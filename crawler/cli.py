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

from crawler import earlystop

if __name__ == "__main__":   # `python -m crawler.cli`; the console script: crawler/entry.py
    earlystop.hold()         # before the imports below: a crawl stopped while starting exits 5

import importlib  # noqa: E402

import click  # noqa: E402

COMMANDS = {   # name -> "module:attribute"
    "crawl": "crawler.commands.crawl:crawl",
    "search": "crawler.commands.search:search",
    "stories": "crawler.commands.stories:stories",
    "sources": "crawler.commands.info:sources",
    "stats": "crawler.commands.info:stats",
    "companies": "crawler.commands.companies:companies",
    "retag": "crawler.commands.companies:retag",
    "reindex": "crawler.commands.reindex:reindex",
    "maintain": "crawler.commands.maintain:maintain",
    "check": "crawler.commands.integrity:check",
    "backup": "crawler.commands.integrity:backup",
    "alerts": "crawler.commands.alerts:alerts",
    "schedule": "crawler.commands.schedule:schedule",
    "serve": "crawler.commands.serve:serve",
}


class NewsmonGroup(click.Group):
    """Imports a command's module only when it runs; a damaged, full or unreadable
    archive is exit 3 with a message for every command."""

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

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        if name != "crawl":            # only the crawl handles a stop while starting
            earlystop.release()
        return name, command, rest

    def invoke(self, ctx):
        from crawler.commands.common import exit_on_archive_fault

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


if __name__ == "__main__":
    main()
