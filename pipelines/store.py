"""Store stage: batch articles into archive transactions.

One transaction per article commits, and syncs, once per row: a few thousand
rows a second in WAL mode, against ~25k in batches of ~100. A batch is
written when it holds NEWSMON_STORE_BATCH articles or
NEWSMON_STORE_FLUSH_SECONDS have passed, and at the end of the crawl. A killed crawl loses only the unflushed batch, and
those URLs are not in the seen-set, so the next run fetches them again.

A batch that cannot be written (disk full, corrupt archive, any SQLite error)
rolls back and is tried again with the next flush; what is still unwritten at
the end of the crawl (or beyond MAX_PENDING_BATCHES while writes keep
failing) is given up: counted per source as the error `write_failed`, which
makes the run `partial` or `failed`, keeps that source's listing validators
unstored (crawler/middlewares/conditional.py) and makes `newsmon crawl` exit
7. Nothing of it was marked seen, so the next crawl fetches it again.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Self

from scrapy.crawler import Crawler
from twisted.internet import task

from crawler.archive.articles import save_articles
from crawler.archive.errors import ArchiveError, note_archive_error
from crawler.crawlarchive import CrawlArchive
from crawler.items import ArticleItem
from crawler.stats import UNWRITTEN_STAT, source_key

logger = logging.getLogger(__name__)

# What a saved article counts as: a new story, a copy of one (`duplicates`: stored with
# `duplicate_of`), or a URL the archive already had (not stored, like the URLs the
# spider skips).
STATUS_COUNTERS = {"new": "new_articles", "duplicate": "duplicates", "duplicate_url": "already_seen"}
MAX_PENDING_BATCHES = 10   # kept in memory for a retry while writes fail; older ones are given up


class StorePipeline:
    def __init__(self, archive: CrawlArchive, batch_size: int, flush_seconds: float,
                 near_threshold: float | None, stats=None):
        self.archive = archive
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.near_threshold = near_threshold
        self.stats = stats
        self.pending: list[dict] = []
        self._timer: task.LoopingCall | None = None
        self._failing = False    # after a failed write, retry with the timer only, not per item

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        return cls(
            archive=CrawlArchive.of(crawler),
            batch_size=settings.getint("NEWSMON_STORE_BATCH"),
            flush_seconds=settings.getfloat("NEWSMON_STORE_FLUSH_SECONDS"),
            near_threshold=settings.getfloat("NEWSMON_DEDUP_THRESHOLD"),
            stats=crawler.stats,
        )

    def open_spider(self) -> None:
        self._timer = timer = task.LoopingCall(self.flush)
        timer.start(self.flush_seconds, now=False)

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self.flush()
        if self.pending:
            self._give_up(self.pending)
            self.pending = []

    def process_item(self, item: ArticleItem) -> ArticleItem:
        self.pending.append(dict(item))
        if len(self.pending) >= self.batch_size and not self._failing:
            self.flush()
        return item

    def flush(self):
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        try:
            results = save_articles(self.archive.db, batch, near_threshold=self.near_threshold)
        except (sqlite3.Error, ArchiveError) as exc:
            # The transaction rolled back (or the archive could not be opened): keep the
            # batch and try again on the next flush.
            logger.error("archive write failed (%s); %d articles kept for retry", exc, len(batch))
            note_archive_error(self.stats, exc)
            self._failing = True
            self.pending = batch + self.pending
            overflow = len(self.pending) - MAX_PENDING_BATCHES * self.batch_size
            if overflow > 0:
                self._give_up(self.pending[:overflow])
                self.pending = self.pending[overflow:]
            return
        self._failing = False
        for saved in results:
            key = STATUS_COUNTERS[saved.status]
            if self.stats is not None:
                self.stats.inc_value(source_key(saved.source, key))
        logger.debug("stored a batch of %d articles", len(batch))

    def _give_up(self, articles: list[dict]) -> None:
        """Count articles that will not be written in this crawl; the next crawl fetches them."""
        logger.error("%d articles could not be written to the archive; their URLs are not "
                     "marked seen, so the next crawl fetches them again", len(articles))
        if self.stats is None:
            return
        for article in articles:
            self.stats.inc_value(source_key(article.get("source", "?"), "errors", "write_failed"))
        self.stats.inc_value(UNWRITTEN_STAT, len(articles))
