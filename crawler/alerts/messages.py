"""Alert messages: a subject, a plain-text body and an HTML body.

Every piece of article text is user (well, publisher) text: the HTML body
escapes it with html.escape before the highlight markers from details.py
become <mark>, so a headline such as `<script>` arrives as text. The plain
body marks highlights with **..**, which reads as bold in Markdown channels
(Slack, Discord, Telegram) and as emphasis anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from crawler.alerts.details import MARK_END, MARK_START, AlertItem

SUBJECT_PREFIX = "[newsmon]"
PERIOD_NAMES = {"hourly": "hourly digest", "daily": "daily digest"}


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str


def when(value: str | None) -> str:
    """'2026-05-01T15:30:00Z' -> '2026-05-01 15:30 UTC'; dates and unknowns as they are."""
    if not value:
        return "unknown"
    if len(value) >= 16 and value[10] == "T":
        zone = " UTC" if value.endswith(("Z", "+00:00")) else ""
        return value[:10] + " " + value[11:16] + zone
    return value


def one_line(text: str) -> str:
    """Subjects are mail headers: no line breaks, whatever the headline holds."""
    return " ".join(text.split())


def text_snippet(snippet: str) -> str:
    return " ".join(snippet.replace(MARK_START, "**").replace(MARK_END, "**").split())


def html_snippet(snippet: str) -> str:
    escaped = escape(" ".join(snippet.split()))
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def _facts(item: AlertItem) -> list[tuple[str, str]]:
    facts = [("Outlets", ", ".join(item.outlets) or item.source),
             ("Published", when(item.published))]
    if item.companies:
        facts.append(("Companies", ", ".join(item.companies)))
    return facts


def _item_text(item: AlertItem) -> str:
    lines = [item.title]
    lines += [f"{name}: {value}" for name, value in _facts(item)]
    if item.snippet:
        lines.append(text_snippet(item.snippet))
    lines.append(item.url)
    return "\n".join(lines)


def _item_html(item: AlertItem, heading: str = "h2") -> str:
    url = escape(item.url, quote=True)
    facts = "<br>".join(f"<strong>{escape(name)}:</strong> {escape(value)}"
                        for name, value in _facts(item))
    parts = [f'<{heading}><a href="{url}">{escape(item.title)}</a></{heading}>', f"<p>{facts}</p>"]
    if item.snippet:
        parts.append(f"<blockquote>{html_snippet(item.snippet)}</blockquote>")
    parts.append(f'<p><a href="{url}">{escape(item.url)}</a></p>')
    return "\n".join(parts)


def _page(body: str) -> str:
    return f'<html><body style="font-family: sans-serif">\n{body}\n</body></html>'


def alert_message(rule_name: str, item: AlertItem) -> Message:
    """One story, sent as soon as it is matched."""
    intro = f"newsmon alert rule: {rule_name}"
    return Message(
        subject=one_line(f"{SUBJECT_PREFIX} {rule_name}: {item.title}"),
        text=f"{intro}\n\n{_item_text(item)}",
        html=_page(f"<p>newsmon alert rule: <strong>{escape(rule_name)}</strong></p>\n"
                   f"{_item_html(item)}"),
    )


def digest_message(rule_name: str, digest: str, items: list[AlertItem]) -> Message:
    """Every story matched in a period, each once, oldest first."""
    count = f"{len(items)} {'story' if len(items) == 1 else 'stories'}"
    period = PERIOD_NAMES.get(digest, digest)
    intro = f"newsmon {period} for alert rule {rule_name}: {count}"
    return Message(
        subject=one_line(f"{SUBJECT_PREFIX} {rule_name}: {count} ({period})"),
        text=intro + "\n\n" + "\n\n".join(_item_text(item) for item in items),
        html=_page(f"<p>newsmon {escape(period)} for alert rule <strong>{escape(rule_name)}</strong>:"
                   f" {count}</p>\n" + "\n<hr>\n".join(_item_html(item, "h3") for item in items)),
    )
