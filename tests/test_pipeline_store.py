"""StorePipeline (pipelines/store.py): batched archive writes, counted per source, kept on failure.

The pipeline writes through its own connection, as in a crawl; the test reads through
another one (`db`), so it sees only what was committed.
"""

from __future__ import annotations

import random

import pytest

from conftest import newsmon_crawler

from crawler.archive.errors import WRITE_ERROR_STAT
from crawler.text.neardup import fingerprints
from crawler.stats import source_key
from pipelines.store import StorePipeline

BATCH = 3


WORDS = ("chips export rules model lab funding agents cloud deal safety policy court ruling "
         "research team release benchmark training data centre power grid startup investors "
         "regulators contract defence robotics vision speech search advertising").split()


def body_of(n: int) -> str:
    """A body of its own for each n: different stories, never near-copies of each other."""
    words = random.Random(n).choices(WORDS, k=300)
    return " ".join(" ".join(words[i:i + 12]) + "." for i in range(0, 300, 12))


def article(n: int, body: str | None = None, source: str = "frontiernews") -> dict:
    body = body or body_of(n)
    body_hash, body_signature = fingerprints(body)
    url = f"http://{source}.example/story-{n}"
    return {"url": url, "fetched_urls": [url], "source": source, "title": f"Story {n}",
            "body": body, "word_count": len(body.split()), "fetched_at": "2026-05-01T09:00:00Z",
            "content_hash": body_hash, "signature": body_signature}


@pytest.fixture
def store(tmp_path, db):
    """A StorePipeline built by Scrapy from settings: batches of 3, no timed flush in the test."""
    crawler = newsmon_crawler({
        "NEWSMON_ARCHIVE": str(tmp_path / "archive.db"), "NEWSMON_STORE_BATCH": BATCH,
        "NEWSMON_STORE_FLUSH_SECONDS": 3600, "EXTENSIONS_BASE": {}})
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    yield pipeline
    if pipeline._timer.running:
        pipeline.close_spider()
    pipeline.archive.close()       # what engine_stopped does in a crawl


def counter(store, source: str, name: str) -> int:
    return store.stats.get_value(source_key(source, name), 0)


def test_articles_are_written_a_whole_batch_at_a_time(store, db):
    for n in range(BATCH - 1):
        assert store.process_item(article(n))["url"].endswith(f"story-{n}")
    assert db["articles"].count == 0
    store.process_item(article(BATCH - 1))
    assert db["articles"].count == BATCH
    assert counter(store, "frontiernews", "new_articles") == BATCH


def test_closing_the_spider_writes_the_last_partial_batch(store, db):
    store.process_item(article(1))
    store.close_spider()
    assert [row["url"] for row in db["articles"].rows] == ["http://frontiernews.example/story-1"]
    assert not store._timer.running


def test_copies_are_linked_and_counted_as_duplicates_of_their_source(store, db):
    body = article(1)["body"]
    store.process_item(article(1, body))
    store.process_item(article(2, body, source="aiwire"))
    store.close_spider()
    original, copy = db["articles"].rows
    assert copy["duplicate_of"] == original["id"]
    assert counter(store, "frontiernews", "new_articles") == 1
    assert counter(store, "aiwire", "duplicates") == 1 and counter(store, "aiwire", "new_articles") == 0


def test_a_url_already_stored_is_counted_as_already_seen_not_as_a_copy(store, db):
    store.process_item(article(1))
    store.process_item(article(1))     # the same URL again (e.g. from two listings)
    store.close_spider()
    assert len(list(db["articles"].rows)) == 1
    assert counter(store, "frontiernews", "new_articles") == 1
    assert counter(store, "frontiernews", "already_seen") == 1
    assert counter(store, "frontiernews", "duplicates") == 0


def test_a_failed_write_keeps_the_batch_for_the_next_flush(store, db):
    store.archive.db.conn.execute("PRAGMA busy_timeout = 50")   # fail fast on the lock below
    db.conn.execute("BEGIN IMMEDIATE")                    # another writer holds the archive
    for n in range(BATCH):
        store.process_item(article(n))
    assert len(store.pending) == BATCH
    assert "locked" in store.stats.get_value(WRITE_ERROR_STAT)
    db.conn.rollback()

    store.flush()

    assert store.pending == [] and db["articles"].count == BATCH
    assert counter(store, "frontiernews", "new_articles") == BATCH
