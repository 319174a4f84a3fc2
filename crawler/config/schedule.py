"""Parse a source's `schedule` into an APScheduler trigger.

Two forms are accepted: a 5-field cron expression ("*/15 * * * *") and an
interval ("every 10m", "every 30s", "every 2h"). Parsing happens when the
config is loaded, so a bad schedule is a config error, not a daemon crash.
"""

from __future__ import annotations

import re

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

INTERVAL = re.compile(r"^every\s+(\d+)\s*(s|m|h|d)$", re.IGNORECASE)
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ScheduleError(ValueError):
    pass


def interval_seconds(text: str) -> int | None:
    """Seconds of an "every N<unit>" schedule, None for a cron expression."""
    match = INTERVAL.match(text.strip())
    if not match:
        return None
    return int(match.group(1)) * UNIT_SECONDS[match.group(2).lower()]


def parse_schedule(text: str, timezone: str = "UTC"):
    seconds = interval_seconds(text)
    if seconds is not None:
        if seconds <= 0:
            raise ScheduleError(f"{text!r}: the interval must be at least 1 second")
        return IntervalTrigger(seconds=seconds, timezone=timezone)
    if len(text.split()) != 5:
        raise ScheduleError(
            f"{text!r} is neither a 5-field cron expression nor an interval like 'every 10m'")
    try:
        return CronTrigger.from_crontab(text, timezone=timezone)
    except ValueError as exc:
        raise ScheduleError(f"{text!r} is not a valid cron expression: {exc}") from None
