"""The outbox through real deliveries: sent once, retried with backoff, failed after N, digests."""

import random
from datetime import datetime, timedelta, timezone

from crawler.archive.alert_matching import ensure_marks, match_new
from crawler.archive.alert_outbox import MAX_ATTEMPTS, claim_due
from crawler.alerts.rules import rule_from_table
from crawler.alerts.sender import run_alerts, send_due
from crawler.alerts.status import rule_status
from crawler.archive.alert_outbox import problem_alerts
from conftest import unused_port

T0 = datetime(2026, 5, 1, 10, 15, tzinfo=timezone.utc)
WORDS = ("model lab chip court cloud robot paper benchmark agent teacher student token budget "
         "safety policy launch dataset weights license research compute market startup").split()


def body(n: int) -> str:
    """A distinct text per n (not a near-duplicate of another) that matches distill*."""
    rng = random.Random(n)
    words = [rng.choice(WORDS) for _ in range(120)]
    return f"Story {n} is about distillation. " + " ".join(words)


def rule(name, url, **table):
    return rule_from_table({"name": name, "match": "distill*", "notify": [url], **table})


def add_story(archive, n, source="frontiernews"):
    return archive.add(f"Distillation study number {n}", body(n), source=source)


def outbox(db, name=None):
    sql = "SELECT id, status, attempts, last_error, next_attempt, sent FROM alerts"
    rows = db.conn.execute(sql + (" WHERE rule = ?" if name else "") + " ORDER BY id",
                           [name] if name else [])
    return [dict(zip(("id", "status", "attempts", "last_error", "next_attempt", "sent"), r)) for r in rows]


def test_an_alert_is_sent_once(alert_archive, webhook_receiver):
    db, hook = alert_archive.db, rule("r", webhook_receiver.url("/r"))
    ensure_marks(db, [hook], 0, T0)
    add_story(alert_archive, 1)
    report = run_alerts(db, [hook], T0)
    assert (report.queued, report.sent, report.ok) == (1, 1, True)
    (post,) = webhook_receiver.wait_for(1, "/r")
    assert post["title"] == "[newsmon] r: Distillation study number 1"
    assert "**distillation**" in post["message"].lower()
    assert run_alerts(db, [hook], T0 + timedelta(minutes=5)).sent == 0
    assert len(webhook_receiver.posts("/r")) == 1
    assert outbox(db)[0]["status"] == "sent" and outbox(db)[0]["attempts"] == 1


def test_a_refused_channel_keeps_the_alert_pending_until_it_is_back(alert_archive, alert_sinks):
    port = unused_port()
    db, down = alert_archive.db, rule("down", f"json://127.0.0.1:{port}/hook")
    ensure_marks(db, [down], 0, T0)
    add_story(alert_archive, 1)
    report = run_alerts(db, [down], T0)
    assert (report.sent, report.retrying, report.ok) == (0, 1, False)
    (row,) = outbox(db)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "connection" in row["last_error"].lower()
    assert row["next_attempt"] == "2026-05-01T10:17:00Z"  # first backoff: 2 minutes
    assert send_due(db, [down], T0 + timedelta(minutes=1)).sent == 0  # not due yet
    assert outbox(db)[0]["attempts"] == 1
    receiver = alert_sinks.webhook(port)
    assert send_due(db, [down], T0 + timedelta(minutes=3)).sent == 1
    assert send_due(db, [down], T0 + timedelta(minutes=30), retry_now=True).sent == 0
    assert len(receiver.wait_for(1)) == 1
    assert outbox(db)[0]["status"] == "sent" and outbox(db)[0]["last_error"] is None


def test_after_max_attempts_an_alert_is_failed_and_listed(alert_archive):
    db, down = alert_archive.db, rule("down", f"json://127.0.0.1:{unused_port()}/hook")
    ensure_marks(db, [down], 0, T0)
    add_story(alert_archive, 1)
    now = T0
    for _ in range(MAX_ATTEMPTS):
        send_due(db, [down], now) if now != T0 else run_alerts(db, [down], now)
        now += timedelta(hours=2)
    (row,) = outbox(db)
    assert (row["status"], row["attempts"]) == ("failed", MAX_ATTEMPTS)
    assert send_due(db, [down], now + timedelta(days=1), retry_now=True).sent == 0
    (problem,) = problem_alerts(db)
    assert problem["status"] == "failed" and problem["title"] == "Distillation study number 1"
    assert rule_status(db, [down])[0]["failed"] == 1


def test_a_failing_channel_is_tried_once_per_send(alert_archive):
    db, down = alert_archive.db, rule("down", f"json://127.0.0.1:{unused_port()}/hook")
    ensure_marks(db, [down], 0, T0)
    for n in range(3):
        add_story(alert_archive, n)
    report = run_alerts(db, [down], T0)
    assert (report.retrying, report.postponed) == (1, 2)
    assert sorted(row["attempts"] for row in outbox(db)) == [0, 0, 1]
    assert all(row["status"] == "pending" and row["last_error"] for row in outbox(db))


def test_matches_survive_a_crash_before_sending(alert_archive, webhook_receiver):
    db, hook = alert_archive.db, rule("r", webhook_receiver.url("/r"))
    ensure_marks(db, [hook], 0, T0)
    add_story(alert_archive, 1)
    match_new(db, [hook], T0)                      # matched and queued, then the process dies
    claim_due(db, T0 + timedelta(seconds=1))       # a sender claimed it and died as well
    assert send_due(db, [hook], T0 + timedelta(minutes=1)).sent == 0   # the claim still holds
    assert send_due(db, [hook], T0 + timedelta(minutes=10)).sent == 1  # the claim expired
    assert len(webhook_receiver.wait_for(1, "/r")) == 1


def test_two_senders_do_not_send_the_same_alert(alert_archive, webhook_receiver):
    db, hook = alert_archive.db, rule("r", webhook_receiver.url("/r"))
    ensure_marks(db, [hook], 0, T0)
    add_story(alert_archive, 1)
    match_new(db, [hook], T0)
    assert len(claim_due(db, T0)) == 1
    assert claim_due(db, T0) == []


def test_hourly_digest_sends_each_story_once_after_the_hour(alert_archive, webhook_receiver):
    db, hourly = alert_archive.db, rule("hourly", webhook_receiver.url("/d"), digest="hourly")
    ensure_marks(db, [hourly], 0, T0)
    first = add_story(alert_archive, 1)
    add_story(alert_archive, 1, source="aiwire")  # a copy: same story
    run_alerts(db, [hourly], T0)
    add_story(alert_archive, 2)
    assert run_alerts(db, [hourly], T0 + timedelta(minutes=20)).sent == 0
    assert webhook_receiver.posts("/d") == []
    report = run_alerts(db, [hourly], T0 + timedelta(minutes=46))   # 11:01
    assert (report.sent, report.messages) == (2, 1)
    (digest,) = webhook_receiver.wait_for(1, "/d")
    assert digest["title"] == "[newsmon] hourly: 2 stories (hourly digest)"
    assert digest["message"].count("Distillation study number 1") == 1
    assert "Distillation study number 2" in digest["message"]
    assert db.conn.execute("SELECT COUNT(*) FROM alerts WHERE story_id = ?", [first]).fetchone()[0] == 1
    add_story(alert_archive, 3)                                     # next period: next digest
    assert run_alerts(db, [hourly], T0 + timedelta(minutes=50)).sent == 0
    assert run_alerts(db, [hourly], T0 + timedelta(hours=1, minutes=46)).sent == 1


def test_an_unset_secret_is_an_error_on_the_alert_not_a_crash(alert_archive, monkeypatch):
    monkeypatch.delenv("HOOK_TOKEN", raising=False)
    db, secret = alert_archive.db, rule("secret", "json://bot:${HOOK_TOKEN}@127.0.0.1:9/x")
    ensure_marks(db, [secret], 0, T0)
    add_story(alert_archive, 1)
    report = run_alerts(db, [secret], T0)
    assert report.retrying == 1
    assert "HOOK_TOKEN" in outbox(db)[0]["last_error"]
    assert "${HOOK_TOKEN}" not in db.conn.execute("SELECT channel FROM alerts").fetchone()[0]


def test_alerts_of_a_removed_rule_fail_visibly(alert_archive):
    db, old = alert_archive.db, rule("old", "json://127.0.0.1:9/x")
    ensure_marks(db, [old], 0, T0)
    add_story(alert_archive, 1)
    match_new(db, [old], T0)
    report = send_due(db, [], T0)
    assert report.gave_up == 1
    assert outbox(db)[0]["status"] == "failed"
    assert "no longer in the config" in outbox(db)[0]["last_error"]


def test_an_interrupted_crawl_only_queues(alert_archive, webhook_receiver):
    db, hook = alert_archive.db, rule("r", webhook_receiver.url("/r"))
    ensure_marks(db, [hook], 0, T0)
    add_story(alert_archive, 1)
    report = run_alerts(db, [hook], T0, deliver=False)
    assert (report.queued, report.sent) == (1, 0) and outbox(db)[0]["status"] == "pending"
    assert run_alerts(db, [hook], T0).sent == 1
