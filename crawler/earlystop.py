"""SIGTERM or SIGINT while `newsmon crawl` is still starting is an interrupted crawl, not a kill.

Scrapy installs its own SIGTERM/SIGINT handlers only when the crawl starts,
about a second after the process does (imports, config, archive). A signal
before that killed the process with status 143 and no message, although the
daemon, systemd and cron all expect exit 5 ("interrupted"). So the `newsmon`
entry point holds both signals from its first line: `crawl` asks `requested()`
before it starts Scrapy (and exits 5 if so); every other command `release()`s
them, which restores the default behaviour and re-delivers a held signal.
"""

from __future__ import annotations

import os
import signal

SIGNALS = (signal.SIGTERM, signal.SIGINT)
_held: list[int] = []
_holding = False


def _remember(signum, frame) -> None:
    _held.append(signum)


def hold() -> None:
    """Remember SIGTERM/SIGINT instead of dying of them (main thread only)."""
    global _holding
    for signum in SIGNALS:
        signal.signal(signum, _remember)
    _holding = True


def requested() -> int | None:
    """The first signal held so far, if any."""
    return _held[0] if _held else None


def release() -> None:
    """Back to the default handlers; a signal held meanwhile takes effect now."""
    global _holding
    if not _holding:
        return
    _holding = False
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in dict.fromkeys(_held):
        os.kill(os.getpid(), signum)
