"""Deliver what is due in the outbox, and run the whole alert step (match, then send).

`send_due` claims the due rows, turns them into messages (one per immediate
alert, one per digest group), delivers each through its channel and records
the outcome on the rows. Nothing here raises on a delivery problem: every
failure ends up in `last_error` and in the returned report. A channel that
fails is not tried again in the same pass; its other rows are postponed
without spending an attempt, so a dead SMTP server costs one timeout per
send, not one per alert.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from crawler.alerts.delivery import Delivery, deliver
from crawler.alerts.details import alert_items
from crawler.alerts.digest import group_messages
from crawler.archive.alert_matching import ensure_marks, last_article_id, match_new
from crawler.alerts.messages import Message, alert_message, digest_message
from crawler.archive.alert_outbox import (
    backoff, claim_due, mark_failed, mark_sent, postpone, utc_now)
from crawler.alerts.rules import AlertConfigError

logger = logging.getLogger(__name__)


@dataclass
class SendReport:
    queued: int = 0            # outbox rows added by matching
    sent: int = 0              # rows delivered
    messages: int = 0          # messages delivered (a digest is one message, many rows)
    retrying: int = 0          # rows that failed and stay pending
    gave_up: int = 0           # rows marked failed
    postponed: int = 0         # rows not tried because their channel had just failed
    errors: list[str] = field(default_factory=list)

    @property
    def undelivered(self) -> int:
        return self.retrying + self.gave_up + self.postponed

    @property
    def ok(self) -> bool:
        return not self.undelivered and not self.errors


def build_message(db, rule, rows: list[dict]) -> tuple[Message | None, list[dict]]:
    """The message for `rows` and the rows it covers (rows whose article is gone drop out)."""
    items = alert_items(db, rule, [row["article_id"] for row in rows])
    present = [row for row in rows if row["article_id"] in items]
    if not present:
        return None, []
    if present[0]["digest"] in ("hourly", "daily"):
        return digest_message(rule.name, present[0]["digest"],
                              [items[row["article_id"]] for row in present]), present
    return alert_message(rule.name, items[present[0]["article_id"]]), present


def _give_up(db, rows, error, now, report) -> None:
    logger.error("alerts %s: %s", [row["id"] for row in rows], error)
    report.gave_up += mark_failed(db, [row["id"] for row in rows], error, now, final=True)


def _attempt(db, rule, channel, rows, now) -> tuple[Delivery, list[dict]]:
    try:
        message, covered = build_message(db, rule, rows)
        missing = [row for row in rows if row not in covered]
        if missing:
            mark_failed(db, [row["id"] for row in missing], "article no longer in the archive",
                        now, final=True)
        if message is None:
            return Delivery(True), []
        return deliver(channel.url(), channel.label, message), covered
    except AlertConfigError as exc:
        return Delivery(False, str(exc)), rows


def _send_group(db, rows: list[dict], rules: dict, now: datetime, report: SendReport,
                broken: set[str]) -> None:
    first, ids = rows[0], [row["id"] for row in rows]
    rule = rules.get(first["rule"])
    channel = rule.channel(first["channel"]) if rule else None
    if rule is None:
        return _give_up(db, rows, f"alert rule {first['rule']!r} is no longer in the config", now, report)
    if channel is None:
        return _give_up(db, rows, f"channel {first['channel']} is no longer in rule {rule.name!r}",
                        now, report)
    if channel.label in broken:
        postpone(db, ids, now + backoff(1), f"not tried: {channel.label} failed earlier in this send")
        report.postponed += len(ids)
        return
    delivery, covered = _attempt(db, rule, channel, rows, now)
    covered_ids = [row["id"] for row in covered]
    if delivery.ok:
        if covered_ids:
            mark_sent(db, covered_ids, now)
            report.sent += len(covered_ids)
            report.messages += 1
        return
    broken.add(channel.label)
    logger.warning("alert rule %r: delivery to %s failed: %s", rule.name, channel.label, delivery.error)
    gave_up = mark_failed(db, covered_ids, delivery.error, now)
    report.gave_up += gave_up
    report.retrying += len(covered_ids) - gave_up


def send_due(db, rules, now: datetime | None = None, *, retry_now: bool = False) -> SendReport:
    """Deliver every due outbox row (all pending ones with `retry_now`)."""
    now = now or utc_now()
    report = SendReport()
    by_name = {rule.name: rule for rule in rules}
    broken: set[str] = set()
    for rows in group_messages(claim_due(db, now, retry_now=retry_now)):
        try:
            _send_group(db, rows, by_name, now, report, broken)
        except Exception as exc:  # a bug here must not lose the other alerts
            logger.exception("alerts %s: sending failed", [row["id"] for row in rows])
            report.errors.append(f"{type(exc).__name__}: {exc}")
    return report


def run_alerts(db, rules, now: datetime | None = None, *, start_id: int | None = None,
               retry_now: bool = False, deliver: bool = True) -> SendReport:
    """The alert step: match the new articles of every rule, then send what is due.

    `start_id`: where rules seen for the first time start (the crawl passes the
    last article id from before it stored anything); default: the archive's
    current last id. `deliver=False` only queues (an interrupted crawl).
    """
    now = now or utc_now()
    ensure_marks(db, rules, last_article_id(db) if start_id is None else start_id, now)
    queued, errors = match_new(db, rules, now)
    report = send_due(db, rules, now, retry_now=retry_now) if deliver else SendReport()
    report.queued = sum(queued.values())
    report.errors = errors + report.errors
    return report
