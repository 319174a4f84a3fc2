"""The archive's one time format: ISO 8601 UTC to the second ("2026-05-01T09:00:00Z").

Every time newsmon stores or compares (published, fetched_at, runs, alerts)
is in this form, so plain string comparison in SQL orders them correctly.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# The first web page went online in 1991: an earlier "publication" date is a
# copyright line, a birth date or a parsing accident.
WEB_BEGAN = datetime(1991, 1, 1, tzinfo=timezone.utc)
# A day-only date is stored as midnight UTC, and a zone east of UTC is already
# in tomorrow: dates up to a day ahead of now are plausible, later ones are not.
FUTURE_TOLERANCE = timedelta(days=1)


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
    return stored_utc(text)


def stored_utc(text: str) -> datetime:
    """A time that is always there (a NOT NULL column, a checked value) as aware UTC."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def plausible_published(moment: datetime, now: datetime | None = None) -> bool:
    """Can `moment` (aware) be a publication time: not before the web, not in the future?"""
    now = now or datetime.now(timezone.utc)
    return WEB_BEGAN <= moment <= now + FUTURE_TOLERANCE


def to_utc_iso(value: str | None) -> str | None:
    """The archive's UTC form of a date htmldate (or a page) gives, or None.

    A date with a zone becomes that instant in UTC. A date or time without a
    zone is kept as written and read as UTC ("2026-05-01" and
    "2026-05-01T00:00:00" both become "2026-05-01T00:00:00Z"): the day the
    page states is worth storing, and guessing a zone could move it to
    another day. A date in the future or before the web is None (see
    `plausible_published`).
    """
    if not value:
        return None
    try:
        moment = stored_utc(value)
    except ValueError:
        return None
    return iso(moment) if plausible_published(moment) else None
