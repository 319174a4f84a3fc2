"""Alert rules as the rest of newsmon sees them, built from the config's [[alerts]].

The config keeps notify URLs as the user wrote them, `${VAR}` references and
all: secrets are read from the environment only when a message is sent
(`Channel.url()`), so neither the config file nor the archive ever holds
them. The outbox names a channel by its `label`, apprise's privacy form of the
URL (passwords and tokens masked, query dropped), computed from the
unexpanded URL so that it is stable whatever the environment holds.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from urllib.parse import unquote

from crawler.alerts.digest import due_time

ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class AlertConfigError(Exception):
    """A rule that cannot be used as written (unknown rule, unset secret, bad URL)."""


@dataclass(frozen=True)
class Channel:
    """One notify URL of a rule: `template` as configured, `label` as stored."""

    rule: str
    index: int
    template: str
    label: str

    def url(self, environ=None) -> str:
        """The URL with every ${VAR} replaced from the environment.

        Values are inserted as they are: percent-encode characters such as
        `@`, `:` or `/` in a password stored in a variable.
        """
        environ = os.environ if environ is None else environ

        def value(match: re.Match) -> str:
            name = match.group(1)
            if name not in environ:
                raise AlertConfigError(
                    f"alert rule {self.rule!r}: notify URL {self.index + 1} ({self.label}) uses "
                    f"${{{name}}}, but the environment variable {name} is not set")
            return environ[name]

        return ENV_REFERENCE.sub(value, self.template)


@dataclass(frozen=True)
class AlertRule:
    name: str
    notify: tuple[str, ...]
    match: str | None = None
    companies: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    digest: str = "immediate"

    @cached_property
    def channels(self) -> tuple[Channel, ...]:
        """Labelled on first use: labelling loads apprise's plugins (a quarter of a second),
        which commands that only match rules, such as `alerts backtest`, never pay."""
        return _channels(self.name, self.notify)

    def due(self, now: datetime) -> datetime:
        """When an alert this rule queues at `now` is to be sent (its digest period)."""
        return due_time(self.digest, now)

    def channel(self, label: str) -> Channel | None:
        """The configured channel stored under `label`, or None if it was removed."""
        return next((c for c in self.channels if c.label == label), None)


def channel_label(template: str) -> str:
    """A readable, secret-free name for a notify URL (see the module docstring)."""
    import apprise  # here, not at the top: see AlertRule.channels

    plugin = None
    try:
        plugin = apprise.Apprise.instantiate(template, suppress_exceptions=True)
    except Exception:  # apprise raises for some malformed URLs despite suppress_exceptions
        plugin = None
    if not plugin:
        if not ENV_REFERENCE.sub("", template).strip():
            return template  # only ${VAR} references: nothing secret to hide
        scheme = template.split("://", 1)[0] if "://" in template else "?"
        return f"{scheme}://(unparsed)~{_short_hash(template)}"
    return unquote(plugin.url(privacy=True).split("?", 1)[0]).rstrip("/")


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]


def _channels(name: str, notify: tuple[str, ...]) -> tuple[Channel, ...]:
    """Label every URL; URLs whose labels collide get a short hash to stay apart."""
    labels = [channel_label(template) for template in notify]
    channels = []
    for index, (template, label) in enumerate(zip(notify, labels)):
        if labels.count(label) > 1:
            label = f"{label}~{_short_hash(template)}"
        channels.append(Channel(name, index, template, label))
    return tuple(channels)


def rule_from_table(table: dict) -> AlertRule:
    """One validated [[alerts]] table (see crawler/config/loader.py) as an AlertRule."""
    notify = tuple(dict.fromkeys(table["notify"]))  # the same URL twice is one channel
    return AlertRule(
        name=table["name"],
        notify=notify,
        match=table.get("match") or None,
        companies=tuple(table.get("companies", ())),
        sources=tuple(table.get("sources", ())),
        digest=table.get("digest", "immediate"),
    )


def rules_from_config(config) -> list[AlertRule]:
    """Every configured rule, in config order."""
    return [rule_from_table(table) for table in config.alerts]


def find_rule(rules: list[AlertRule], name: str) -> AlertRule:
    for rule in rules:
        if rule.name == name:
            return rule
    known = ", ".join(rule.name for rule in rules) or "none configured"
    raise AlertConfigError(f"no alert rule named {name!r} (known: {known})")
