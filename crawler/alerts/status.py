"""What `newsmon alerts list` reports of each rule, and the company names no rule can match."""

from __future__ import annotations

from crawler.archive.alert_matching import rule_marks
from crawler.archive.alert_outbox import FAILED, PENDING, SENT, last_sent_by_rule, outbox_counts


def rule_status(db, rules) -> list[dict]:
    """One row per configured rule: channels, last firing, outbox counts."""
    counts = outbox_counts(db)
    last_sent = last_sent_by_rule(db)
    marks = rule_marks(db)
    return [{
        "rule": rule.name,
        "match": rule.match or "",
        "companies": ", ".join(rule.companies),
        "sources": ", ".join(rule.sources),
        "digest": rule.digest,
        "channels": [channel.label for channel in rule.channels],
        "last_fired": last_sent.get(rule.name) or "never",
        "sent": counts.get((rule.name, SENT), 0),
        "pending": counts.get((rule.name, PENDING), 0),
        "failed": counts.get((rule.name, FAILED), 0),
        "matched_up_to": marks.get(rule.name),
    } for rule in rules]


def company_warnings(rules, companies) -> list[str]:
    """Rule companies the tagger never writes: such a rule would silently never fire.

    `companies` are the tracked companies (crawler.text.companies.load_companies);
    mentions are stored under their canonical names, so an alias in a rule
    ("Mistral" for "Mistral AI") gets a suggestion.
    """
    names = {company.name.casefold(): company.name for company in companies}
    by_alias = {alias.casefold(): company.name for company in companies
                for alias in (*company.aliases, *company.products)}
    warnings = []
    for rule in rules:
        for name in rule.companies:
            if name.casefold() in names:
                continue
            hint = by_alias.get(name.casefold())
            warnings.append(f"alert rule {rule.name!r}: {name!r} is not a tracked company name"
                            + (f" (did you mean {hint!r}?)" if hint else
                               " (add it under [[companies]] to have it tagged)"))
    return warnings
