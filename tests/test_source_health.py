"""Source health (crawler/archive/runs.py): failing after N failed runs, stale when quiet too long."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crawler.archive.runs import health_report, record_run, stale_limit, usual_gap
from crawler.daemon.timetable import cadence_seconds

T0 = datetime(2026, 5, 1, tzinfo=timezone.utc)
HOUR = 3600.0


def status(db, source: str = "wire", cadence_seconds: float | None = None) -> str:
    return health_report(db, source, cadence_seconds)["status"]


def add_run(db, at: datetime, outcome="ok", new=0, source="wire"):
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    record_run(db, {"source": source, "started": stamp, "finished": stamp, "outcome": outcome,
                    "requests": 1, "new_articles": new, "duplicates": 0, "not_modified": 0,
                    "dropped": 0, "errors": 0, "details": {}})


def test_never_run(db):
    assert health_report(db, "wire") == {"status": "never run", "reason": ""}


@pytest.mark.parametrize("outcomes, expected", [
    (["failed", "failed", "failed"], "failing"),
    (["ok", "crashed", "failed", "crashed"], "failing"),     # a crash is a failed run
    (["failed", "failed", "ok"], "ok"),                      # recovered
    (["partial", "failed", "failed", "failed"], "failing"),
    (["failed", "partial", "failed", "failed"], "ok"),       # not three in a row
    (["failed", "interrupted", "failed"], "ok"),             # stopped by us is not a failure
])
def test_failing_after_three_failed_runs_in_a_row(db, outcomes, expected):
    for n, outcome in enumerate(outcomes):
        add_run(db, T0 + timedelta(minutes=10 * n), outcome, new=1)
    assert status(db) == expected


def test_stale_when_quiet_for_much_longer_than_its_usual_pace(db):
    """Hourly news for a day, then 30 runs every 10 minutes ... for five quiet days."""
    for hour in range(24):
        add_run(db, T0 + timedelta(hours=hour), new=2)
    last_new = T0 + timedelta(hours=23)
    add_run(db, last_new + timedelta(days=1))
    assert status(db, cadence_seconds=600) == "ok"    # 1 day < the 2-day floor
    add_run(db, last_new + timedelta(days=5))

    report = health_report(db, "wire", cadence_seconds=600)

    assert report["status"] == "stale"
    assert "nothing new for 5d" in report["reason"] and "usually every 60m" in report["reason"]


def test_a_slow_source_is_judged_by_its_own_pace(db):
    """A weekly blog is not stale after five quiet days, but is after five quiet weeks."""
    for week in range(4):
        add_run(db, T0 + timedelta(weeks=week), new=1)
    add_run(db, T0 + timedelta(weeks=3, days=5))
    assert status(db, cadence_seconds=HOUR) == "ok"
    add_run(db, T0 + timedelta(weeks=8))
    assert status(db, cadence_seconds=HOUR) == "stale"


def test_a_source_that_never_yielded_anything_goes_stale(db):
    for day in range(4):
        add_run(db, T0 + timedelta(days=day))
    report = health_report(db, "wire", cadence_seconds=HOUR)
    assert report["status"] == "stale" and "never anything new" in report["reason"]


def test_usual_gap_is_the_median_and_needs_three_productive_runs():
    times = [T0 + timedelta(hours=h) for h in (10, 9, 8, 1)]   # newest first
    assert usual_gap(times) == HOUR
    assert usual_gap(times[:2]) is None


def test_stale_limit_takes_the_largest_rule():
    assert stale_limit(None, None, floor=100) == 100
    assert stale_limit(HOUR, 600, floor=100) == 4 * HOUR
    assert stale_limit(60, 3 * HOUR, floor=100) == 30 * HOUR


@pytest.mark.parametrize("schedule, seconds", [
    ("every 10m", 600), ("every 30s", 30), ("*/15 * * * *", 900), ("0 6 * * *", 86400),
])
def test_cadence_of_a_schedule(schedule, seconds):
    assert cadence_seconds(schedule, T0) == seconds
