"""Record each crawl as one `runs` row per source, and count dropped pages.

A Scrapy extension rather than code in the CLI, so `scrapy crawl news` and
the scheduler record runs exactly as `newsmon crawl` does. Dropped items
(`Rejected`) are counted here by reason and remembered in `fetch_state`, so
a page that is not an article is not downloaded again on the next run.

An archive that refuses a write (disk full, corruption) never turns into a
traceback here: the error is logged and noted in the stats, and the runs
are still handed to `newsmon crawl` through the RUNS_STAT stat, so its
summary and exit code tell the truth even when the rows could not be stored.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.archive.errors import CORRUPT_STAT, ArchiveError, is_corruption, note_archive_error
from crawler.archive.fetchstate import record_outcome
from crawler.archive.runs import record_runs
from crawler.crawlarchive import CrawlArchive
from crawler.items import Rejected
from crawler.archivelog import quiet_archive_faults
from crawler.stats import RUN_IDS_STAT, counters_by_source, source_key
from crawler.text.utc import iso_now

logger = logging.getLogger(__name__)

RUNS_STAT = "newsmon/runs"          # the runs as recorded (or as they would have been)


def run_outcome(counters: dict, close_reason: str) -> str:
    if close_reason != "finished":
        return "interrupted"
    if counters.get("errors/write_failed"):
        stored = counters.get("new_articles", 0) + counters.get("duplicates", 0)
        return "partial" if stored else "failed"
    if not counters.get("listings_ok") and counters.get("listings_failed"):
        return "failed"
    if any(key.startswith("errors/") for key in counters):
        return "partial"
    return "ok"


def summarise(source: str, counters: dict, started: str, close_reason: str) -> dict:
    dropped = {k.split("/", 1)[1]: v for k, v in counters.items() if k.startswith("dropped/")}
    errors = {k.split("/", 1)[1]: v for k, v in counters.items() if k.startswith("errors/")}
    return {
        "source": source, "started": started, "finished": iso_now(),
        "outcome": run_outcome(counters, close_reason),
        "requests": counters.get("requests", 0),
        "new_articles": counters.get("new_articles", 0),
        "duplicates": counters.get("duplicates", 0),
        "not_modified": counters.get("not_modified", 0),
        "dropped": sum(dropped.values()), "errors": sum(errors.values()),
        "details": {"dropped": dropped, "errors": errors,
                    "already_seen": counters.get("already_seen", 0),
                    "close_reason": close_reason},
    }


class RunRecorder:
    def __init__(self, crawler):
        self.crawler = crawler
        self.archive = CrawlArchive.of(crawler)
        self.started = None
        crawler.signals.connect(self._spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self._item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self._request_reached, signal=signals.request_reached_downloader)
        crawler.signals.connect(self._failed, signal=signals.spider_error)
        crawler.signals.connect(self._failed, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _spider_opened(self, spider):
        self.started = iso_now()
        quiet_archive_faults()   # now: Scrapy replaces its root handler until the crawl starts

    def _request_reached(self, request, spider):
        source = request.meta.get("newsmon_source")
        if source:
            self.crawler.stats.inc_value(source_key(source, "requests"))

    def _failed(self, failure, **_):
        """A spider callback or pipeline hit a damaged archive: `newsmon crawl` must say so."""
        if isinstance(failure.value, sqlite3.Error) and is_corruption(failure.value):
            self.crawler.stats.set_value(CORRUPT_STAT, str(failure.value))

    def _item_dropped(self, item, response, exception, spider):
        if not isinstance(exception, Rejected):
            return
        source = item.get("source", "?")
        duplicate = exception.reason == "duplicate_url"
        # A URL the archive or this crawl already has is not a copy of a story
        # (`duplicates` counts those): it joins the URLs the spider skipped.
        key = "already_seen" if duplicate else f"dropped/{exception.reason}"
        self.crawler.stats.inc_value(source_key(source, key))
        logger.info("%s: not stored %s: %s", source, item.get("url"), exception)
        try:
            db = self.archive.db
            with db.conn:
                record_outcome(db, item.get("fetched_urls") or [item.get("url")],
                               source=source, outcome="duplicate" if duplicate else "not_article")
        except (sqlite3.Error, ArchiveError) as exc:   # only a lost mark: the page is fetched again next time
            logger.error("archive write failed (%s): %s not marked as seen", exc, item.get("url"))
            note_archive_error(self.crawler.stats, exc)

    def _spider_closed(self, spider, reason):
        names = [source.name for source in getattr(spider, "sources", [])]
        counters = counters_by_source(self.crawler.stats.get_stats(), names)
        runs = [summarise(name, counters[name], self.started, reason) for name in names]
        try:
            run_ids = record_runs(self.archive.db, runs)
        except (sqlite3.Error, ArchiveError) as exc:
            logger.error("archive write failed (%s): this crawl's runs are not recorded", exc)
            note_archive_error(self.crawler.stats, exc)
            run_ids = []
        for run, run_id in zip(runs, run_ids):
            run["id"] = run_id
        self.crawler.stats.set_value(RUN_IDS_STAT, run_ids)
        self.crawler.stats.set_value(RUNS_STAT, runs)

