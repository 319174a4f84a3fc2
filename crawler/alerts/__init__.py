"""Keyword alerts: rules from the config, matched on new articles, delivered through apprise.

The flow, one module per step (the two that hold SQL live with the rest of the
archive's statements):

    rules.py      [[alerts]] tables -> AlertRule, notify URLs -> Channel (${VAR} from the env)
    crawler/archive/alert_matching.py
                  new articles above each rule's mark -> one hit per story (SQL, FTS5)
    crawler/archive/alert_outbox.py
                  hits -> `alerts` rows (pending/sent/failed), claims, retries with backoff
    digest.py     when a row is due; rows -> messages (one per alert, or one per digest)
    details.py    what a message shows about an article (outlets, companies, snippet)
    messages.py   subject, plain text and escaped HTML
    delivery.py   one message to one URL through apprise, failures as values
    sender.py     send what is due; run_alerts = match + send
    sample.py     `alerts test`: a sample message to a rule's channels
    status.py     `alerts list`: each rule's state; rule companies nobody tags
    crawler/extensions/alerts.py
                  the Scrapy extension running the step at the end of each crawl
"""

import importlib

# Resolved on first use (PEP 562): the crawl imports crawler.extensions.alerts for
# every run, and a crawl without alert rules should not load apprise.
_EXPORTS = {"AlertConfigError": "rules", "AlertRule": "rules", "find_rule": "rules",
            "rules_from_config": "rules", "SendReport": "sender", "run_alerts": "sender",
            "send_due": "sender"}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"crawler.alerts.{_EXPORTS[name]}"), name)
