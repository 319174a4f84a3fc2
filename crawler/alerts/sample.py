"""`newsmon alerts test`: a sample alert sent to every channel of a rule, outbox untouched.

The sample is the newest archived article the rule matches, so the user sees
a real message as the rule would send it; with an empty archive, or a rule
that matches nothing yet, a made-up article stands in.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from crawler.alerts.delivery import Delivery, deliver
from crawler.alerts.details import MARK_END, MARK_START, AlertItem, alert_items
from crawler.archive.alert_matching import matching_articles
from crawler.alerts.messages import Message, alert_message
from crawler.alerts.rules import AlertConfigError

logger = logging.getLogger(__name__)

TEST_PREFIX = "[newsmon test]"


def placeholder_item(rule) -> AlertItem:
    words = rule.match or ", ".join(rule.companies)
    return AlertItem(
        article_id=0, story_id=0, title=f"Sample article for alert rule {rule.name}",
        url="https://example.org/newsmon/sample-alert", source="newsmon", sitename="newsmon",
        published=None, fetched_at=None, outlets=["newsmon"], companies=list(rule.companies),
        snippet=f"No archived article matches this rule yet; it looks for "
                f"{MARK_START}{words}{MARK_END}.")


def sample_item(db, rule) -> AlertItem:
    hits = matching_articles(db, rule)
    if hits:
        items = alert_items(db, rule, [hits[-1].article_id])
        if items:
            return items[hits[-1].article_id]
    return placeholder_item(rule)


def sample_message(db, rule) -> Message:
    message = alert_message(rule.name, sample_item(db, rule))
    return replace(message, subject=message.subject.replace("[newsmon]", TEST_PREFIX, 1))


def send_test(db, rule) -> list[tuple[str, Delivery]]:
    """Send the sample to each channel: [(channel label, outcome)]."""
    message = sample_message(db, rule)
    outcomes = []
    for channel in rule.channels:
        try:
            delivery = deliver(channel.url(), channel.label, message)
        except AlertConfigError as exc:
            delivery = Delivery(False, str(exc))
        logger.info("test alert %r -> %s: %s", rule.name, channel.label, delivery)
        outcomes.append((channel.label, delivery))
    return outcomes
