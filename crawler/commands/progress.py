"""A progress bar for long archive upgrades (crawler/archive/schema.py), on stderr.

On a terminal click draws the bar with the current step; elsewhere (cron,
the daemon's children) nothing is printed, so `crawl --quiet` stays quiet
(the steps are logged at INFO by crawler/archive/schema.py).
"""

from __future__ import annotations

import sys

import click


class UpgradeProgress:
    """A `progress(step, done, total)` callback for open_archive."""

    def __init__(self):
        self.bar = None

    def __call__(self, step: str, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="upgrading the archive", file=sys.stderr,
                                         item_show_func=lambda item: item, show_pos=True)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos, current_item=step)
        if done >= total:
            self.bar.__exit__(None, None, None)
            self.bar = None
