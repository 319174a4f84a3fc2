"""Tell the operator when a source turns unhealthy, or recovers.

The daemon decides health (crawler/archive/runs.py: failing, stale); this
sends the change to the `[health] notify` channels, apprise URLs like the
alert rules' (with `${VAR}` from the environment). These are operational
messages for whoever runs newsmon, not news for readers, so they go to
their own channels and not through the alert outbox: a failed delivery is
logged, and the next change of health is sent anew.
"""

from __future__ import annotations

import html
import logging

from crawler.alerts.delivery import Delivery, deliver
from crawler.alerts.messages import SUBJECT_PREFIX, Message
from crawler.alerts.rules import AlertConfigError, Channel, channel_label

logger = logging.getLogger(__name__)


def health_message(source: str, status: str, reason: str) -> Message:
    if status == "ok":
        subject = f"{SUBJECT_PREFIX} source {source} is healthy again"
    else:
        subject = f"{SUBJECT_PREFIX} source {source} is {status}"
    text = f"{subject}\n\n{reason}\n\nSee `newsmon sources` for every source's last runs."
    body = (f"<p><strong>{html.escape(subject)}</strong></p><p>{html.escape(reason)}</p>"
            "<p>See <code>newsmon sources</code> for every source's last runs.</p>")
    return Message(subject=subject, text=text, html=body)


def notify_health(urls, source: str, status: str, reason: str) -> list[Delivery]:
    """Send one health change to every channel; never raises."""
    message = health_message(source, status, reason)
    results = []
    for index, template in enumerate(urls):
        channel = Channel("[health]", index, template, channel_label(template))
        try:
            delivery = deliver(channel.url(), channel.label, message)
        except AlertConfigError as exc:
            delivery = Delivery(False, str(exc))
        if not delivery.ok:
            logger.warning("health notice for %s to %s not delivered: %s", source,
                           channel.label, delivery.error)
        results.append(delivery)
    return results
