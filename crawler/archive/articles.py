"""Writing articles: one transaction per batch, copies linked to their original.

Linking happens here, at write time, because this is the one place that sees
every earlier row (of this batch, this run and older runs) in order: an exact
copy (same normalised-body hash) or a near copy (MinHash LSH, see
crawler/archive/neardup_index.py) gets `duplicate_of` = the story's original,
its earliest-published article (the first stored, unless a copy published
earlier turns up later). Statements run inside one `with db.conn:` transaction per batch, so
a killed crawl leaves whole batches or nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlite_utils import Database

from crawler.archive.bodies import store_body
from crawler.archive.fetchstate import record_outcome
from crawler.archive.mentions import save_mentions
from crawler.archive.neardup_index import add_signature, find_original

logger = logging.getLogger(__name__)

ARTICLE_COLUMNS = ("id", "url", "source", "title", "author", "published", "fetched_at",
                   "language", "description", "sitename", "image", "word_count", "content_hash",
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


def find_exact_original(db: Database, body_hash: str) -> int | None:
    row = db.conn.execute(
        "SELECT COALESCE(duplicate_of, id) FROM articles WHERE content_hash = ? ORDER BY id LIMIT 1",
        [body_hash]).fetchone()
    return row[0] if row else None


def find_story(db: Database, article: dict, threshold: float | None) -> tuple[int | None, float | None]:
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


def published_before(db: Database, published: str | None, story_id: int) -> bool:
    """Was an article published before the story's current original?"""
    row = db.conn.execute("SELECT published FROM articles WHERE id = ?", [story_id]).fetchone()
    return bool(published and row and row[0] and published < row[0])


def make_original(db: Database, article_id: int, old_original: int, similarity: float | None) -> None:
    """A copy published before the story's original was found later (the originating
    outlet crawled after a syndicator): it becomes the original, and the story's
    copies and alerts move to it, so a story has one id and fires once."""
    db.conn.execute("UPDATE articles SET duplicate_of = ? WHERE id = ? OR duplicate_of = ?",
                    [article_id, old_original, old_original])
    db.conn.execute("UPDATE articles SET similarity = ? WHERE id = ?", [similarity, old_original])
    db.conn.execute("UPDATE alerts SET story_id = ? WHERE story_id = ?", [article_id, old_original])
    logger.info("article %d, published earlier, is now the original of story %d",
                article_id, old_original)


def insert_article(db: Database, article: dict) -> int:
    """Write one article row and its body (`article["body"]`); returns its id. Does not commit.

    The id is chosen up front (one past the largest, as SQLite would) so the
    body is written first, under that id (article_bodies' key to articles is
    checked at commit), and the FTS trigger on `articles` indexes title and
    body at once. Columns of ARTICLE_COLUMNS missing from `article` are NULL.
    """
    article_id = article.get("id") or db.conn.execute(
        "SELECT COALESCE(MAX(id), 0) + 1 FROM articles").fetchone()[0]
    store_body(db, article_id, article.get("body"))
    db.conn.execute(INSERT_ARTICLE, [article_id, *(article.get(c) for c in ARTICLE_COLUMNS[1:])])
    return article_id


def _save_one(db: Database, article: dict, threshold: float | None) -> Saved:
    existing = db.conn.execute("SELECT id FROM articles WHERE url = ?", [article["url"]]).fetchone()
    if existing:
        record_outcome(db, article.get("fetched_urls") or [article["url"]], source=article["source"],
                       outcome="duplicate", article_id=existing[0])
        return Saved(article["url"], article["source"], existing[0], "duplicate_url", existing[0])
    original, similarity = find_story(db, article, threshold)
    earlier = original is not None and published_before(db, article.get("published"), original)
    article_id = insert_article(db, {**article, "id": None, "duplicate_of": None if earlier else original,
                                     "similarity": None if earlier else similarity})
    if earlier and original is not None:
        make_original(db, article_id, original, similarity)
        original = None
    if article.get("mentions"):
        save_mentions(db, article_id, article["mentions"])
    if article.get("signature") is not None:
        add_signature(db, article_id, article["signature"])
    status = "new" if original is None else "duplicate"
    record_outcome(db, article.get("fetched_urls") or [article["url"]], source=article["source"],
                   outcome="stored" if original is None else "duplicate", article_id=article_id)
    return Saved(article["url"], article["source"], article_id, status, original)


def save_articles(db: Database, articles: list[dict], *, near_threshold: float | None = None) -> list[Saved]:
    """Write a batch in one transaction; returns what became of each article."""
    with db.conn:
        return [_save_one(db, article, near_threshold) for article in articles]
