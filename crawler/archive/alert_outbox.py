"""The alert outbox: one `alerts` row per rule x story x channel, and its life.

Matching and sending are separate steps joined by this table, so delivery is
at-least-once and never silent: a row is written (status `pending`) in the
same transaction that advances the rule's high-water mark, and leaves
`pending` only when its channel accepted it (`sent`) or after MAX_ATTEMPTS
failures (`failed`, shown by `newsmon alerts list`). Between failures it
waits with exponential backoff (`next_attempt`). A sender first *claims* the
rows it is about to send by pushing `next_attempt` LEASE_SECONDS ahead, so a
second sender running at the same time skips them, and a sender that dies
mid-way leaves them due again once the lease expires.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from crawler.archive.transactions import write_transaction
from crawler.text.utc import iso

PENDING, SENT, FAILED = "pending", "sent", "failed"
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 120        # 2, 4, 8, 16 minutes between the five attempts
BACKOFF_CAP_SECONDS = 3600
LEASE_SECONDS = 300
ERROR_LIMIT = 500            # characters of an error kept in last_error


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failures: 2 min, doubling, at most 1 h."""
    return timedelta(seconds=min(BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS))


def enqueue(conn: sqlite3.Connection, rule, hits: Iterable, now: datetime, due: datetime) -> int:
    """Queue every hit on every channel of `rule`; returns the rows actually added.

    INSERT OR IGNORE against UNIQUE(rule, story_id, channel): queuing the same
    story twice (a re-run, a crash and retry) is a no-op. Runs in the caller's
    transaction.
    """
    added = 0
    for hit in hits:
        for channel in rule.channels:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO alerts (rule, article_id, story_id, channel, status,"
                " attempts, created, next_attempt, digest) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
                [rule.name, hit.article_id, hit.story_id, channel.label, PENDING, iso(now),
                 iso(due), rule.digest])
            added += cursor.rowcount
    return added


def claim_due(db, now: datetime, *, retry_now: bool = False) -> list[dict]:
    """Pending rows whose time has come, leased to this sender (oldest first)."""
    due_clause = "" if retry_now else " AND next_attempt <= ?"
    params = [PENDING] + ([] if retry_now else [iso(now)])
    with write_transaction(db) as conn:
        cursor = conn.execute(
            "SELECT id, rule, article_id, story_id, channel, attempts, created, next_attempt,"
            f" COALESCE(digest, 'immediate') AS digest FROM alerts WHERE status = ?{due_clause}"
            " ORDER BY id", params)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values)) for values in cursor]
        lease = iso(now + timedelta(seconds=LEASE_SECONDS))
        conn.executemany("UPDATE alerts SET next_attempt = ? WHERE id = ?",
                         [(lease, row["id"]) for row in rows])
    return rows


def mark_sent(db, ids: list[int], now: datetime) -> None:
    with write_transaction(db) as conn:
        conn.executemany(
            "UPDATE alerts SET status = ?, sent = ?, attempts = attempts + 1, last_error = NULL,"
            " next_attempt = NULL WHERE id = ?", [(SENT, iso(now), i) for i in ids])


def mark_failed(db, ids: list[int], error: str, now: datetime, *, final: bool = False) -> int:
    """Count one failed attempt; rows reaching MAX_ATTEMPTS (or `final`) become `failed`.

    Returns how many rows gave up. Retry times are computed per row from its
    own attempts, so rows sent together (a digest) stay together.
    """
    error = error[:ERROR_LIMIT]
    gave_up = 0
    with write_transaction(db) as conn:
        for row_id in ids:
            row = conn.execute("SELECT attempts FROM alerts WHERE id = ?", [row_id]).fetchone()
            if row is None:
                continue
            attempts = row[0] + 1
            if final or attempts >= MAX_ATTEMPTS:
                gave_up += 1
                conn.execute("UPDATE alerts SET status = ?, attempts = ?, last_error = ?,"
                             " next_attempt = NULL WHERE id = ?", [FAILED, attempts, error, row_id])
            else:
                conn.execute("UPDATE alerts SET attempts = ?, last_error = ?, next_attempt = ?"
                             " WHERE id = ?", [attempts, error, iso(now + backoff(attempts)), row_id])
    return gave_up


def postpone(db, ids: list[int], until: datetime, reason: str) -> None:
    """Put rows back without counting an attempt (their channel failed just before)."""
    with write_transaction(db) as conn:
        conn.executemany("UPDATE alerts SET next_attempt = ?, last_error = ? WHERE id = ?",
                         [(iso(until), reason[:ERROR_LIMIT], i) for i in ids])


def retry_failed(db, rule: str | None = None) -> int:
    """Give `failed` rows a fresh set of attempts (after fixing a channel)."""
    where, params = "status = ?", [FAILED]
    if rule:
        where += " AND rule = ?"
        params.append(rule)
    with write_transaction(db) as conn:
        return conn.execute(f"UPDATE alerts SET status = ?, attempts = 0, next_attempt = ? WHERE {where}",
                            [PENDING, iso(utc_now()), *params]).rowcount


def outbox_counts(db) -> dict[tuple[str, str], int]:
    """{(rule, status): rows}."""
    return {(rule, status): count for rule, status, count in db.conn.execute(
        "SELECT rule, status, COUNT(*) FROM alerts GROUP BY rule, status")}


def last_sent_by_rule(db) -> dict[str, str]:
    return dict(db.conn.execute(
        "SELECT rule, MAX(sent) FROM alerts WHERE status = ? GROUP BY rule", [SENT]))


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
