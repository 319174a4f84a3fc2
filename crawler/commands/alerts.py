"""`newsmon alerts`: list rules, send a test, backtest a rule, deliver what is due."""

from __future__ import annotations

import click

from crawler.alerts.details import alert_items
from crawler.archive.alert_matching import backtest as backtest_rule
from crawler.alerts.messages import text_snippet, when
from crawler.alerts.rules import AlertConfigError, find_rule, rules_from_config
from crawler.alerts.status import company_warnings, rule_status
from crawler.archive.alert_outbox import problem_alerts, retry_failed as requeue_failed
from crawler.archive.search import SearchError, parse_since
from crawler.commands.common import (
    config_option, echo_json, echo_table, fail, json_option, load_config_or_exit,
    open_archive_or_exit)
from crawler.exitcodes import EXIT_CONFIG, EXIT_DELIVERY
from crawler.text.companies import load_companies


def _setup(config_path, rule_name: str | None = None, *, create: bool = False):
    """(db, rules, the named rule or None); exits 2 on config problems, warns on odd rules.

    Only `send` (which keeps the outbox) creates a missing archive; the others exit 3."""
    config = load_config_or_exit(config_path)
    rules = rules_from_config(config)
    companies = load_companies(config.companies, config.use_builtin_companies)
    for warning in company_warnings(rules, companies):
        click.echo(f"newsmon: warning: {warning}", err=True)
    rule = None
    if rule_name is not None:
        try:
            rule = find_rule(rules, rule_name)
        except AlertConfigError as exc:
            fail(f"{config.file}: {exc}", EXIT_CONFIG)
    return open_archive_or_exit(config.archive_path, create=create), rules, rule


@click.group()
def alerts():
    """Keyword alerts: rules in [[alerts]], delivered by email, chat or webhook.

    Example: newsmon alerts backtest distillation --since 30d
    """


@alerts.command("list")
@config_option
@json_option
def list_(config_path, as_json):
    """List the alert rules with their last firing, then alerts that failed or wait for a retry.

    Example: newsmon alerts list --config newsmon.toml
    """
    db, rules, _ = _setup(config_path)
    status, problems = rule_status(db, rules), problem_alerts(db)
    if as_json:
        echo_json({"rules": status, "problems": problems})
        return
    if not rules:
        click.echo("no [[alerts]] rules in the config")
        return
    echo_table([{**row, "channels": "\n".join(row["channels"])} for row in status],
               ["rule", "digest", "channels", "last_fired", "sent", "pending", "failed"])
    if problems:
        click.echo("\nNeeds attention (failed, or pending after a failure):")
        echo_table(problems, ["id", "rule", "status", "attempts", "channel", "next_attempt",
                              "last_error", "title"])


@alerts.command()
@click.argument("rule_name", metavar="RULE")
@config_option
def test(rule_name, config_path):
    """Send a sample alert (the newest matching article) to every channel of RULE.

    The outbox is not touched. Exit code 6 when a channel refused the message.

    Example: SMTP_PASSWORD=... newsmon alerts test distillation
    """
    db, _, rule = _setup(config_path, rule_name)
    for channel in rule.channels:
        try:
            channel.url()
        except AlertConfigError as exc:
            fail(str(exc), EXIT_CONFIG)
    from crawler.alerts.sample import send_test  # delivery loads apprise: only when sending

    outcomes = send_test(db, rule)
    for label, delivery in outcomes:
        click.echo(f"{'sent  ' if delivery.ok else 'FAILED'}  {label}"
                   + ("" if delivery.ok else f": {delivery.error}"))
    if not all(delivery.ok for _, delivery in outcomes):
        fail("some channels did not accept the test alert", EXIT_DELIVERY)


@alerts.command()
@click.argument("rule_name", metavar="RULE")
@config_option
@click.option("--since", default="30d", show_default=True,
              help="Articles stored since: 7d, 24h, 2w, 1m or a date (2026-05-01).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100000),
              help="Show at most this many stories (newest last).")
@json_option
def backtest(rule_name, config_path, since, limit, as_json):
    """Show which archived stories RULE would have alerted on: tune a rule before trusting it.

    Runs the live matching query over the archive: one line per story (its
    first matching copy), as the crawl would have sent them. Nothing is sent.

    Example: newsmon alerts backtest distillation --since 30d
    """
    db, _, rule = _setup(config_path, rule_name)
    try:
        cutoff = parse_since(since)
    except SearchError as exc:
        fail(str(exc), EXIT_CONFIG)
    hits = backtest_rule(db, rule, fetched_since=cutoff)
    items = alert_items(db, rule, [hit.article_id for hit in hits[-limit:]])
    rows = [{"article_id": item.article_id, "story_id": item.story_id,
             "fetched_at": item.fetched_at, "published": item.published,
             "outlets": item.outlets, "companies": item.companies, "title": item.title,
             "url": item.url, "snippet": text_snippet(item.snippet)} for item in items.values()]
    rows.sort(key=lambda row: row["article_id"])
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{when(row['fetched_at'])}  {row['title']}  [{', '.join(row['outlets'])}]")
        click.echo(f"    {row['url']}")
        click.echo(f"    {row['snippet']}")
    stories = f"{len(hits)} {'story' if len(hits) == 1 else 'stories'}"
    click.echo(f"{stories} would have fired rule {rule.name!r} since {cutoff}"
               + (f" (showing the last {limit})" if len(hits) > limit else ""))


@alerts.command()
@config_option
@click.option("--retry-now", is_flag=True, help="Retry pending alerts now, ignoring their backoff.")
@click.option("--retry-failed", is_flag=True,
              help="Give failed alerts a fresh set of attempts (after fixing a channel), and send now.")
@json_option
def send(config_path, retry_now, retry_failed, as_json):
    """Match articles not yet matched, then deliver what is due: alerts, retries, digests.

    Every crawl does this at its end; run it on its own to retry after fixing
    a channel, or from cron for digests. Exit code 6 when something could not
    be delivered (it stays pending, or failed after 5 attempts).

    Example: newsmon alerts send --retry-now
    """
    db, rules, _ = _setup(config_path, create=True)
    if retry_failed:
        click.echo(f"{requeue_failed(db)} failed alerts queued again")
    from crawler.alerts.sender import run_alerts  # delivery loads apprise: only when sending

    report = run_alerts(db, rules, retry_now=retry_now or retry_failed)
    summary = {"queued": report.queued, "sent": report.sent, "messages": report.messages,
               "retrying": report.retrying, "failed": report.gave_up,
               "postponed": report.postponed, "errors": report.errors}
    if as_json:
        echo_json(summary)
    else:
        click.echo(f"{report.queued} queued, {report.sent} sent in {report.messages} messages, "
                   f"{report.retrying + report.postponed} kept pending, {report.gave_up} failed")
        for error in report.errors:
            click.echo(f"error: {error}", err=True)
    if not report.ok:
        fail("some alerts could not be delivered: see `newsmon alerts list`", EXIT_DELIVERY)
