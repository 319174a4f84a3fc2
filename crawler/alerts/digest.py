"""Digest periods: when a queued alert is due, and how digests are grouped.

An immediate alert is due at once. A digest alert is due at the end of the
period it was queued in (the next full hour, or the next 00:00 UTC), so every
match of one period shares one due time and goes out as one message with the
first `newsmon alerts send` (or crawl) after the period ends. A digest that
fails is retried as a whole: its rows share their attempts and backoff.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

PERIODS = {"hourly": "hour", "daily": "day"}


def due_time(digest: str, now: datetime) -> datetime:
    """When an alert queued at `now` under this digest mode should be sent."""
    now = now.astimezone(timezone.utc)
    if digest == "hourly":
        return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if digest == "daily":
        return now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return now


def group_messages(rows: list[dict]) -> list[list[dict]]:
    """Claimed outbox rows -> one list of rows per message to send.

    Immediate rows are one message each; digest rows are grouped per rule and
    channel. Each story appears once in a digest because the outbox holds one
    row per rule, story and channel (its UNIQUE index).
    """
    messages, digests = [], defaultdict(list)
    for row in rows:
        if row["digest"] in PERIODS:
            digests[(row["rule"], row["channel"])].append(row)
        else:
            messages.append([row])
    messages.extend(digests.values())
    return messages
