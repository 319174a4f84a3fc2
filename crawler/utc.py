"""The archive's one time format: ISO 8601 UTC to the second ("2026-05-01T09:00:00Z").

Every time newsmon stores or compares (published, fetched_at, runs, alerts)
is in this form, so plain string comparison in SQL orders them correctly.
"""

from __future__ import annotations

from datetime import datetime, timezone

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def iso(moment: datetime) -> str:
    """`moment` in the archive's format (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime(FORMAT)


def iso_now() -> str:
    return iso(datetime.now(timezone.utc))


def parse_utc(text: str | None) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime; without a zone it is UTC.

    Raises ValueError for text that is not ISO 8601.
    """
    if not text:
        return None
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)
