"""What an alert says about an article, read from the archive when it is sent.

Read at send time rather than stored with the outbox row, so a message shows
every outlet that has run the story by then and the rule's current query.
The snippet comes from FTS5's snippet() (the rule's match, highlighted) or,
for company-only rules, from the sentence the tagger kept for the mention.
Highlights are wrapped in MARK_START / MARK_END, control characters no
article text contains, so messages.py can escape the text first and turn the
markers into <mark> or **..** afterwards.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from dataclasses import dataclass, field

from crawler.archive.stories import outlets

logger = logging.getLogger(__name__)

MARK_START, MARK_END = "\x02", "\x03"
SNIPPET_TOKENS = 32
FALLBACK_CHARS = 280


@dataclass
class AlertItem:
    article_id: int
    story_id: int
    title: str
    url: str
    source: str
    sitename: str | None
    published: str | None
    fetched_at: str | None
    outlets: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    snippet: str = ""


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _articles(db, ids: list[int]) -> dict[int, AlertItem]:
    cursor = db.conn.execute(
        "SELECT id, COALESCE(duplicate_of, id), title, url, source, sitename, published,"
        f" fetched_at FROM articles WHERE id IN ({_marks(len(ids))})", ids)
    return {row[0]: AlertItem(row[0], row[1], row[2] or "(no title)", row[3], row[4], *row[5:])
            for row in cursor}


def _companies(db, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for article_id, company in db.conn.execute(
            f"SELECT article_id, company FROM mentions WHERE article_id IN ({_marks(len(ids))})"
            " ORDER BY article_id, in_title DESC, count DESC, company", ids):
        found.setdefault(article_id, []).append(company)
    return found


def _fts_snippets(db, query: str, ids: list[int]) -> dict[int, str]:
    """The body passage around the match; the title's when only the title matched."""
    try:
        rows = db.conn.execute(
            f"SELECT rowid, snippet(articles_fts, 1, ?3, ?4, ' … ', {SNIPPET_TOKENS}),"
            f" snippet(articles_fts, -1, ?3, ?4, ' … ', {SNIPPET_TOKENS})"
            " FROM articles_fts WHERE articles_fts MATCH ?1 AND rowid IN"
            " (SELECT value FROM json_each(?2))",
            [query, json.dumps(ids), MARK_START, MARK_END]).fetchall()
    except sqlite3.OperationalError as exc:
        logger.warning("no snippets for %r: %s", query, exc)
        return {}
    return {rowid: body if MARK_START in body else best for rowid, body, best in rows}


def _mention_snippets(db, companies: tuple[str, ...], ids: list[int]) -> dict[int, str]:
    """The tagger's sentence around the first mention of one of `companies`."""
    found = {}
    for article_id, matched, sentence in db.conn.execute(
            f"SELECT article_id, matched, snippet FROM mentions WHERE article_id IN ({_marks(len(ids))})"
            f" AND company COLLATE NOCASE IN ({_marks(len(companies))})"
            " ORDER BY article_id, first_offset", [*ids, *companies]):
        if article_id in found or not sentence:
            continue
        found[article_id] = highlight_phrase(sentence, matched) if matched else sentence
    return found


def highlight_phrase(text: str, phrase: str) -> str:
    """Wrap each whole-word occurrence of `phrase` in the highlight markers."""
    pattern = re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")
    return pattern.sub(lambda m: f"{MARK_START}{m.group(0)}{MARK_END}", text)


def _fallback_snippets(db, ids: list[int]) -> dict[int, str]:
    rows = db.conn.execute(
        f"SELECT id, COALESCE(NULLIF(description, ''), (SELECT substr(newsmon_body(b.body), 1,"
        f" {FALLBACK_CHARS * 2}) FROM article_bodies b WHERE b.article_id = a.id))"
        f" FROM articles a WHERE id IN ({_marks(len(ids))})", ids)
    return {article_id: _shorten(text or "") for article_id, text in rows}


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= FALLBACK_CHARS else text[:FALLBACK_CHARS].rsplit(" ", 1)[0] + " …"


def alert_items(db, rule, article_ids: list[int]) -> dict[int, AlertItem]:
    """Everything a message shows about each article, keyed by article id."""
    ids = list(dict.fromkeys(article_ids))
    if not ids:
        return {}
    items = _articles(db, ids)
    by_story = outlets(db, {item.story_id for item in items.values()})
    companies = _companies(db, ids)
    snippets = _fallback_snippets(db, ids)
    if rule.companies:
        snippets.update(_mention_snippets(db, rule.companies, ids))
    if rule.match:
        snippets.update({k: v for k, v in _fts_snippets(db, rule.match, ids).items() if v})
    for item in items.values():
        item.outlets = by_story.get(item.story_id, [item.source])
        item.companies = companies.get(item.article_id, [])
        item.snippet = snippets.get(item.article_id, "")
    return items
