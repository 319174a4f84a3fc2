"""Writing articles: one transaction per batch, copies linked to their original.

Linking happens here, at write time, because this is the one place that sees
every earlier row (of this batch, this run and older runs) in order: an exact
copy (same normalised-body hash) or a near copy (MinHash LSH, see
crawler/archive/neardup_index.py) gets `duplicate_of` = the story's first
article. Statements run inside one `with db.conn:` transaction per batch, so
a killed crawl leaves whole batches or nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from crawler.archive.fetchstate import record_outcome
from crawler.archive.mentions import save_mentions
from crawler.archive.neardup_index import add_signature, find_original

logger = logging.getLogger(__name__)

ARTICLE_COLUMNS = ("url", "source", "title", "author", "published", "fetched_at", "language",
                   "description", "sitename", "image", "body", "word_count", "content_hash",
                   "duplicate_of", "similarity")
INSERT_ARTICLE = (f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))})")


@dataclass
class Saved:
    url: str
    source: str
    article_id: int
    status: str            # new | duplicate | duplicate_url
    duplicate_of: int | None = None


def find_exact_original(db, body_hash: str) -> int | None:
    row = db.conn.execute(
        "SELECT COALESCE(duplicate_of, id) FROM articles WHERE content_hash = ? ORDER BY id LIMIT 1",
        [body_hash]).fetchone()
    return row[0] if row else None


def find_story(db, article: dict, threshold: float | None) -> tuple[int | None, float | None]:
    """(original id, similarity) of the story `article` belongs to, or (None, None)."""
    exact = find_exact_original(db, article["content_hash"])
    if exact is not None:
        return exact, 1.0
    sig = article.get("signature")
    if sig is not None and threshold:
        found = find_original(db, sig, threshold)
        if found:
            return found
    return None, None


def _save_one(db, article: dict, threshold: float | None) -> Saved:
    existing = db.conn.execute("SELECT id FROM articles WHERE url = ?", [article["url"]]).fetchone()
    if existing:
        record_outcome(db, article.get("fetched_urls") or [article["url"]], source=article["source"],
                       outcome="duplicate", article_id=existing[0])
        return Saved(article["url"], article["source"], existing[0], "duplicate_url", existing[0])
    original, similarity = find_story(db, article, threshold)
    row = {**article, "duplicate_of": original, "similarity": similarity}
    article_id = db.conn.execute(INSERT_ARTICLE, [row.get(c) for c in ARTICLE_COLUMNS]).lastrowid
    if article.get("mentions"):
        save_mentions(db, article_id, article["mentions"])
    if article.get("signature") is not None:
        add_signature(db, article_id, article["signature"])
    status = "new" if original is None else "duplicate"
    record_outcome(db, article.get("fetched_urls") or [article["url"]], source=article["source"],
                   outcome="stored" if original is None else "duplicate", article_id=article_id)
    return Saved(article["url"], article["source"], article_id, status, original)


def save_articles(db, articles: list[dict], *, near_threshold: float | None = None) -> list[Saved]:
    """Write a batch in one transaction; returns what became of each article."""
    with db.conn:
        return [_save_one(db, article, near_threshold) for article in articles]
