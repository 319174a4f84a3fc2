"""Which sources are due, and which of them go into the next crawl together.

The daemon's whole schedule is this table: per source its trigger (cron or
interval, crawler/daemon/timetable.py), when it is due next, whether a crawl of it is
under way, and how many sources it may share a crawl with. No APScheduler job
store and no thread per job: the daemon asks `take_batch(now)` when its crawl
slot is free and reports back with `finished(...)`.

Rules kept here:
- A source is in at most one crawl at a time (`running`), so it is never
  crawled twice at once; a source still running when it falls due again just
  stays due, and however many fire times it missed, it runs once (missed runs
  coalesce: its next due time is the first fire time after its run started).
- Oldest due first, so nobody starves; a batch holds at most `batch_size`
  sources so one crawl stays bounded in time and memory.
- Crash isolation by halving: every source of a crawl that crashed (or timed
  out) may from then on share a crawl with at most half as many sources as it
  had; each clean run doubles that again. A source that crashes every crawl it
  is in is crawled alone after log2(batch_size) crashes, and the innocent
  sources that shared its crawls return to full batches after a few clean
  runs. Bisection rather than "everyone of a crashed batch alone": that would
  turn one crash in a batch of 250 into 250 child processes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crawler.daemon.timetable import daemon_trigger

logger = logging.getLogger(__name__)

TINY = timedelta(microseconds=1)


@dataclass
class Slot:
    name: str
    schedule: str
    due: datetime
    trigger: object = field(repr=False)
    running: bool = False
    limit: int | None = None        # most sources it may share a crawl with; None: any


class DueTable:
    def __init__(self, batch_size: int):
        self.batch_size = max(1, batch_size)
        self.slots: dict[str, Slot] = {}

    # -- the schedule -------------------------------------------------------------
    def add(self, name: str, schedule: str, first_due: datetime) -> None:
        self.slots[name] = Slot(name, schedule, first_due, daemon_trigger(schedule, first_due))

    def remove(self, name: str) -> None:
        self.slots.pop(name, None)

    def reschedule(self, name: str, schedule: str, due: datetime) -> None:
        slot = self.slots[name]
        slot.schedule, slot.due, slot.trigger = schedule, due, daemon_trigger(schedule, due)

    def next_due(self) -> datetime | None:
        """The earliest due time of a source not running (None: nothing to wait for)."""
        return min((s.due for s in self.slots.values() if not s.running), default=None)

    def due(self, now: datetime) -> list[Slot]:
        """Sources due and not running, oldest due first."""
        return sorted((s for s in self.slots.values() if not s.running and s.due <= now),
                      key=lambda s: (s.due, s.name))

    # -- batches --------------------------------------------------------------------
    def take_batch(self, now: datetime, window: float = 0.0) -> list[str]:
        """The next crawl's sources (marked running), or [] if it should wait.

        It waits while the oldest due source has been due for less than `window`
        seconds and fewer than a full batch are due: sources falling due within
        a moment of each other then share one crawl instead of one each."""
        due = self.due(now)
        if not due:
            return []
        if len(due) < self.batch_size and (now - due[0].due).total_seconds() < window:
            return []
        cap = min(self.batch_size, due[0].limit or self.batch_size)
        batch = [due[0]]
        for slot in due[1:]:
            if len(batch) >= cap:
                break
            new_cap = min(cap, slot.limit or self.batch_size)
            if len(batch) + 1 <= new_cap:
                batch.append(slot)
                cap = new_cap
        for slot in batch:
            slot.running = True
        return [slot.name for slot in batch]

    def finished(self, names: list[str], started: datetime, crashed: bool = False,
                 ran: bool = True) -> None:
        """The crawl of `names` (started at `started`) is over.

        `ran`: False when it did not crawl at all (archive locked, config
        rejected): the sources still move on to their next fire time, as a
        cron run skipped for the lock does. `crashed`: the crawl died or timed
        out, so its sources are held to smaller batches (see the module doc)."""
        size = len(names)
        for name in names:
            slot = self.slots.get(name)
            if slot is None:    # removed from the config while it ran
                continue
            slot.running = False
            slot.due = slot.trigger.get_next_fire_time(None, started + TINY) or slot.due
            if not ran:
                continue
            if crashed:
                slot.limit = max(1, size // 2)
                if size == 1:
                    logger.warning("%s: crashed its crawl again; crawled alone until it runs "
                                   "cleanly", name)
            elif slot.limit is not None:
                slot.limit = slot.limit * 2 if slot.limit * 2 < self.batch_size else None

    def isolated(self) -> list[str]:
        return sorted(name for name, slot in self.slots.items() if slot.limit == 1)
