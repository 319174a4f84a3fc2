"""Store stage: batch articles into archive transactions.

One transaction per article commits, and syncs, once per row: a few thousand
rows a second in WAL mode, against ~25k in batches of ~100. A batch is
written when it holds NEWSMON_STORE_BATCH articles or
NEWSMON_STORE_FLUSH_SECONDS have passed, and at the end of the crawl. A killed crawl loses only the unflushed batch, and
those URLs are not in the seen-set, so the next run fetches them again.
"""

from __future__ import annotations

import logging
import sqlite3

from twisted.internet import task

from crawler.archive import open_archive
from crawler.archive.articles import save_articles
from crawler.stats import source_key

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, archive_path: str, batch_size: int, flush_seconds: float,
                 near_threshold: float | None, stats=None):
        self.archive_path = archive_path
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.near_threshold = near_threshold
        self.stats = stats
        self.pending: list[dict] = []
        self.db = None
        self._timer = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(
            archive_path=settings["NEWSMON_ARCHIVE"],
            batch_size=settings.getint("NEWSMON_STORE_BATCH", 50),
            flush_seconds=settings.getfloat("NEWSMON_STORE_FLUSH_SECONDS", 1.0),
            near_threshold=settings.getfloat("NEWSMON_DEDUP_THRESHOLD", 0.5),
            stats=crawler.stats,
        )

    def open_spider(self):
        self.db = open_archive(self.archive_path)
        self._timer = task.LoopingCall(self.flush)
        self._timer.start(self.flush_seconds, now=False)

    def close_spider(self):
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self.flush()
        if self.pending:
            logger.error("%d articles could not be written to the archive", len(self.pending))
        self.db.close()

    def process_item(self, item):
        self.pending.append(dict(item))
        if len(self.pending) >= self.batch_size:
            self.flush()
        return item

    def flush(self):
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        try:
            results = save_articles(self.db, batch, near_threshold=self.near_threshold)
        except sqlite3.Error as exc:
            # The transaction rolled back: keep the batch and try again on the next flush.
            logger.error("archive write failed (%s); %d articles kept for retry", exc, len(batch))
            self.pending = batch + self.pending
            if self.stats is not None:
                self.stats.inc_value("newsmon/store/write_errors")
            return
        for saved in results:
            key = "new_articles" if saved.status == "new" else "duplicates"
            if self.stats is not None:
                self.stats.inc_value(source_key(saved.source, key))
        logger.debug("stored a batch of %d articles", len(batch))
