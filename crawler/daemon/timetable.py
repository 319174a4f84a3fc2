"""When a source runs next, from its `schedule` and the start of its last run.

The daemon (scheduler.py) and `newsmon sources` share these functions, so the
"next run" a user sees is the time the daemon will use. The daemon keeps no
state of its own: the `runs` table says when each source last ran, which is
how missed runs are coalesced after a restart. A source whose schedule fired
while the daemon was down (or that never ran) runs once at start-up, however
many fire times were missed; otherwise it waits for its next fire time.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from apscheduler.triggers.interval import IntervalTrigger

from crawler.config.schedule import interval_seconds, parse_schedule


def cadence_seconds(schedule: str, now: datetime | None = None) -> float:
    """How often the schedule fires: the interval, or a cron's mean gap over its next fires."""
    seconds = interval_seconds(schedule)
    if seconds is not None:
        return float(seconds)
    trigger = parse_schedule(schedule)
    fire = previous = now or datetime.now(timezone.utc)
    first = None
    for _ in range(8):  # bounded: enough to average out "9-17 on weekdays"-style crons
        fire = trigger.get_next_fire_time(previous, previous + timedelta(microseconds=1))
        if fire is None:
            break
        first = first or fire
        previous = fire
    if first is None or fire == first:
        return 86400.0
    return (fire - first).total_seconds() / 7


def next_fire_time(schedule: str, last_started: datetime | None, now: datetime) -> datetime:
    """Now if the source never ran or missed a fire time since its last run, else the next one."""
    if last_started is None:
        return now
    seconds = interval_seconds(schedule)
    if seconds is not None:
        due = last_started + timedelta(seconds=seconds)
        return max(due, now)
    trigger = parse_schedule(schedule)
    missed = trigger.get_next_fire_time(None, last_started + timedelta(seconds=1))
    if missed is not None and missed <= now:
        return now
    return trigger.get_next_fire_time(None, now) or now


def daemon_trigger(schedule: str, first_fire: datetime):
    """The APScheduler trigger the daemon uses: intervals counted from `first_fire`."""
    seconds = interval_seconds(schedule)
    if seconds is not None:
        return IntervalTrigger(seconds=seconds, start_date=first_fire, timezone="UTC")
    return parse_schedule(schedule)
