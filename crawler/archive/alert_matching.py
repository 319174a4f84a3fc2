"""Which articles fire which rule: SQL over the new rows only.

Each rule has a high-water mark in `alert_state` (the last article id it was
matched against). Matching reads the rows above it and below the archive's
current maximum, with the FTS5 MATCH restricted to that rowid range, so its
cost follows the number of new articles, not the size of the archive. A
story fires a rule once: among the matching rows, only the first article of
each story (`COALESCE(duplicate_of, id)`) counts, and a story that already
has an alert for the rule (from an earlier run, through another copy or an
update linked by near-duplicate detection) is skipped.

`backtest` runs the same query over the whole archive with no mark, so it
returns exactly the stories the live rule would have alerted on.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime

from crawler.archive.alert_outbox import enqueue
from crawler.archive.cursor import id_chunks
from crawler.archive.transactions import write_transaction
from crawler.archive.search import fts_hits_among
from crawler.text.utc import iso

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    article_id: int
    story_id: int
    fetched_at: str | None = None


class MatchError(Exception):
    """A rule's query failed in SQLite (the config check should have caught it)."""


def last_article_id(db) -> int:
    return db.conn.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0]


def rule_marks(db) -> dict[str, int]:
    """{rule: the last article id it was matched against}."""
    return dict(db.conn.execute("SELECT rule, last_article_id FROM alert_state"))


def ensure_marks(db, rules, start_id: int, now: datetime) -> None:
    """Give rules seen for the first time a mark at `start_id`: they start from now.

    A new rule does not fire for the archive's past (that is what `backtest`
    shows); the crawl passes the last id from before it stored anything, so
    the articles of the crawl that introduced the rule do count.
    """
    with write_transaction(db) as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO alert_state (rule, last_article_id, updated) VALUES (?, ?, ?)",
            [(rule.name, start_id, iso(now)) for rule in rules])


def _filters(rule):
    """The rule's company and source conditions on `articles a`."""
    where: list[str] = []
    params: list = []
    if rule.companies:
        marks_ = ", ".join("?" * len(rule.companies))
        where.append("EXISTS (SELECT 1 FROM mentions m WHERE m.article_id = a.id"
                     f" AND m.company COLLATE NOCASE IN ({marks_}))")
        params += list(rule.companies)
    if rule.sources:
        where.append(f"a.source IN ({', '.join('?' * len(rule.sources))})")
        params += list(rule.sources)
    return where, params


def _conditions(rule, after_id: int, upto_id: int):
    where = ["a.id > ?", "a.id <= ?"]
    params: list = [after_id, upto_id]
    if rule.match:
        where.append("a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?"
                     " AND rowid > ? AND rowid <= ?)")
        params += [rule.match, after_id, upto_id]
    filters, filter_params = _filters(rule)
    return where + filters, params + filter_params


def matching_articles(db, rule, *, after_id: int = 0, upto_id: int | None = None) -> list[Hit]:
    """Every article in (after_id, upto_id] that satisfies the rule, in id order."""
    if upto_id is None:
        upto_id = last_article_id(db)
    where, params = _conditions(rule, after_id, upto_id)
    sql = (f"SELECT a.id, COALESCE(a.duplicate_of, a.id), a.fetched_at FROM articles a"
           f" WHERE {' AND '.join(where)} ORDER BY a.id")
    try:
        return [Hit(*row) for row in db.conn.execute(sql, params)]
    except sqlite3.OperationalError as exc:
        raise MatchError(f"alert rule {rule.name!r}: {exc}") from exc


def first_per_story(hits: list[Hit], already: AbstractSet[int] = frozenset()) -> list[Hit]:
    """The first hit of each story not in `already` (hits are in id order)."""
    seen, result = set(already), []
    for hit in hits:
        if hit.story_id not in seen:
            seen.add(hit.story_id)
            result.append(hit)
    return result


def _alerted_stories(conn, rule_name: str, story_ids: set[int]) -> set[int]:
    return {story for story in story_ids if conn.execute(
        "SELECT 1 FROM alerts WHERE rule = ? AND story_id = ? LIMIT 1",
        [rule_name, story]).fetchone()}


def match_rule(db, rule, now: datetime) -> int:
    """Queue the rule's new stories and advance its mark, in one transaction.

    Returns the number of outbox rows added. A failure rolls everything back,
    mark included, so the same articles are matched again next time.
    """
    with write_transaction(db) as conn:
        row = conn.execute("SELECT last_article_id FROM alert_state WHERE rule = ?",
                           [rule.name]).fetchone()
        after_id = row[0] if row else last_article_id(db)
        upto_id = last_article_id(db)
        if upto_id <= after_id:
            return 0
        hits = matching_articles(db, rule, after_id=after_id, upto_id=upto_id)
        already = _alerted_stories(conn, rule.name, {hit.story_id for hit in hits})
        fresh = first_per_story(hits, already)
        added = enqueue(conn, rule, fresh, now, rule.due(now))
        conn.execute(
            "INSERT INTO alert_state (rule, last_article_id, updated) VALUES (?, ?, ?)"
            " ON CONFLICT (rule) DO UPDATE SET last_article_id = excluded.last_article_id,"
            " updated = excluded.updated", [rule.name, upto_id, iso(now)])
    logger.info("alert rule %r: articles %d..%d, %d matched, %d new stories, %d queued",
                rule.name, after_id + 1, upto_id, len(hits), len(fresh), added)
    return added


def match_new(db, rules, now: datetime) -> tuple[dict[str, int], list[str]]:
    """Match every rule against its new articles: ({rule: rows queued}, [errors])."""
    queued, errors = {}, []
    for rule in rules:
        try:
            queued[rule.name] = match_rule(db, rule, now)
        except (MatchError, sqlite3.Error) as exc:
            logger.error("alert rule %r: matching failed, will retry next time: %s", rule.name, exc)
            errors.append(f"{rule.name}: {exc}")
    return queued, errors


def rule_matches_among(db, rule, ids) -> set[int]:
    """Which of `ids` satisfy the rule (its FTS query read only around those ids)."""
    ids = sorted(set(ids))
    if not ids:
        return set()
    where, params = _filters(rule)
    passing = [row[0] for row in db.conn.execute(
        "SELECT a.id FROM articles a WHERE a.id IN (SELECT value FROM json_each(?))"
        + "".join(f" AND {condition}" for condition in where), [json.dumps(ids), *params])]
    return fts_hits_among(db, rule.match, passing) if rule.match else set(passing)


def backtest(db, rule, fetched_since: str | None = None) -> list[Hit]:
    """The stories the rule would have fired for: the first matching copy of each.

    With `fetched_since`, only the alerts that would have fired since then: an
    alert fires when its article is stored, whatever its publication date,
    and a story whose first match came earlier would not fire again. Only the
    articles stored since then are matched (found through the fetched_at
    index); the stories they belong to are then checked for an earlier
    matching copy, so the cost follows the window, not the archive.
    """
    if not fetched_since:
        return first_per_story(matching_articles(db, rule))
    first_id = db.conn.execute(
        "SELECT MIN(id) FROM articles INDEXED BY articles_fetched WHERE fetched_at >= ?",
        [fetched_since]).fetchone()[0]
    if first_id is None:
        return []
    hits = [hit for hit in first_per_story(matching_articles(db, rule, after_id=first_id - 1))
            if (hit.fetched_at or "") >= fetched_since]
    earlier = _earlier_members(db, {hit.story_id for hit in hits}, first_id)
    fired_before = {earlier[i] for i in rule_matches_among(db, rule, earlier)}
    return [hit for hit in hits if hit.story_id not in fired_before]


def _earlier_members(db, stories: set[int], before_id: int) -> dict[int, int]:
    """{article id: story id} of the stories' articles stored before `before_id`."""
    members: dict[int, int] = {}
    for ids in id_chunks(sorted(stories)):
        chunk = json.dumps(ids)
        for article_id, story in db.conn.execute(
                "SELECT id, COALESCE(duplicate_of, id) FROM articles WHERE id < ? AND"
                " (id IN (SELECT value FROM json_each(?)) OR duplicate_of IN (SELECT value FROM json_each(?)))",
                [before_id, chunk, chunk]):
            members[article_id] = story
    return members
