"""Send one message to one notify URL through apprise, and say what happened.

apprise is used because one URL syntax reaches every channel users asked
for (SMTP, Slack, Discord, Telegram, Teams, Matrix, plain webhooks, ...) with
retries, timeouts and secret masking already solved per service. Its
`notify()` reports failure by a false result instead of raising, and logs
the reason; `deliver` turns both that and any exception into a
`Delivery(ok, error)`, so a broken channel never raises into the crawl.

Each channel gets the body in the format it prefers: HTML for email (apprise
then sends multipart/alternative with a text/plain part it derives from the
HTML), Markdown or plain text elsewhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import apprise

from crawler.alerts.messages import Message

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    ok: bool
    error: str = ""


def preferred_format(plugin) -> str:
    """The body format a plugin wants first (apprise 2 lists several, 1.x names one)."""
    formats = plugin.notify_format
    if isinstance(formats, (tuple, list)):
        formats = formats[0] if formats else apprise.NotifyFormat.TEXT
    return str(getattr(formats, "value", formats))


def _body(message: Message, fmt: str) -> tuple[str, apprise.NotifyFormat]:
    if fmt == apprise.NotifyFormat.HTML.value:
        return message.html, apprise.NotifyFormat.HTML
    if fmt == apprise.NotifyFormat.MARKDOWN.value:
        return message.text, apprise.NotifyFormat.MARKDOWN
    return message.text, apprise.NotifyFormat.TEXT


def _failure_reason(result, label: str) -> str:
    """The last warning apprise logged for the call (apprise 2 keeps them on the result)."""
    reasons = []
    for service in getattr(result, "results", None) or ():
        for entry in service.logs():
            if getattr(entry, "level", "") in ("WARNING", "ERROR", "CRITICAL"):
                reasons.append(str(getattr(entry, "message", entry)))
    return reasons[-1] if reasons else f"apprise could not deliver to {label}"


def deliver(url: str, label: str, message: Message) -> Delivery:
    """Send `message` to the (expanded) notify `url`; `label` is its secret-free name."""
    try:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if not plugin:
            return Delivery(False, f"apprise does not understand the notify URL {label}")
        body, body_format = _body(message, preferred_format(plugin))
        notifier = apprise.Apprise()
        notifier.add(plugin)
        result = notifier.notify(title=message.subject, body=body, body_format=body_format)
    except Exception as exc:  # a plugin bug must not stop the other alerts or the crawl
        logger.exception("notification to %s raised", label)
        return Delivery(False, f"{type(exc).__name__}: {exc}")
    if result:
        return Delivery(True)
    return Delivery(False, _failure_reason(result, label))
