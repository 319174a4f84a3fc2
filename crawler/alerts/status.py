"""What `newsmon alerts list` reports: each rule's state and the alerts needing attention."""

from __future__ import annotations

from crawler.alerts.outbox import FAILED, PENDING, SENT


def rule_status(db, rules) -> list[dict]:
    """One row per configured rule: channels, last firing, outbox counts."""
    counts: dict[tuple[str, str], int] = {}
    for rule, status, count in db.conn.execute(
            "SELECT rule, status, COUNT(*) FROM alerts GROUP BY rule, status"):
        counts[(rule, status)] = count
    last_sent = dict(db.conn.execute(
        "SELECT rule, MAX(sent) FROM alerts WHERE status = ? GROUP BY rule", [SENT]))
    marks = dict(db.conn.execute("SELECT rule, last_article_id FROM alert_state"))
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


def problem_alerts(db, limit: int = 50) -> list[dict]:
    """Failed alerts, and pending ones with an error: failed or postponed (newest first)."""
    cursor = db.conn.execute(
        "SELECT al.id, al.rule, al.status, al.attempts, al.channel, al.next_attempt,"
        " al.last_error, al.article_id, a.title FROM alerts al"
        " LEFT JOIN articles a ON a.id = al.article_id"
        " WHERE al.status = ? OR (al.status = ? AND al.last_error IS NOT NULL)"
        " ORDER BY al.id DESC LIMIT ?", [FAILED, PENDING, limit])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


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
