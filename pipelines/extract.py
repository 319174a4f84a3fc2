"""Extraction stage: raw HTML in, article fields out, in a process pool.

trafilatura is CPU-bound; called in the reactor thread it stalls every
download and caps the crawl at one core (on real news pages the event loop
lags ~200 ms at the median). The
pool has one worker per core by default, started with `spawn` (forking a
process that runs a reactor is unsafe) and recycled every
NEWSMON_EXTRACT_TASKS_PER_WORKER pages so memory stays flat in a long-lived
daemon. `NEWSMON_EXTRACT_WORKERS = 0` extracts inline, for comparison.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawler.extraction import Rejection, extract_article, to_utc_iso
from crawler.items import Rejected
from crawler.urls import preferred_url

logger = logging.getLogger(__name__)

METADATA_FIELDS = ("title", "author", "published", "language", "description", "sitename",
                   "image", "body", "word_count")


def fill_from_hints(fields: dict, hints: dict) -> dict:
    """Feed/sitemap metadata fills what the page lacks; a feed time refines a bare date.

    The page's own date wins; a feed date in the future or before the web is ignored.
    """
    merged = dict(fields)
    hints = {**hints, "published": to_utc_iso(hints.get("published"))}
    for key in ("title", "author", "description", "published"):
        if not merged.get(key) and hints.get(key):
            merged[key] = hints[key]
    page, feed = merged.get("published") or "", hints.get("published") or ""
    if page.endswith("T00:00:00Z") and feed[:10] == page[:10]:
        merged["published"] = feed
    return merged


class ExtractPipeline:
    def __init__(self, workers: int, min_words: int, tasks_per_worker: int):
        self.workers = workers
        self.min_words = min_words
        self.tasks_per_worker = tasks_per_worker
        self.pool = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        configured = settings.get("NEWSMON_EXTRACT_WORKERS")
        return cls(
            workers=(os.cpu_count() or 1) if configured is None else int(configured),
            min_words=settings.getint("NEWSMON_MIN_WORDS", 50),
            tasks_per_worker=settings.getint("NEWSMON_EXTRACT_TASKS_PER_WORKER", 2000),
        )

    def open_spider(self):
        if self.workers > 0:
            self.pool = self._new_pool()
            # Start the workers (spawn + importing trafilatura, ~1 s each) while the
            # spider is still reading robots.txt and listings, not on the first page.
            for _ in range(self.workers):
                self.pool.submit(extract_article, "", "", self.min_words)

    def close_spider(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _new_pool(self):
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
            max_tasks_per_child=self.tasks_per_worker)

    async def _extract(self, html: str, url: str):
        if self.pool is None:
            return extract_article(html, url, self.min_words)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.pool, extract_article, html, url, self.min_words)
        except BrokenProcessPool:
            logger.error("extraction worker died on %s; starting a new pool", url)
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()
            return Rejection("extraction_crashed", "worker process died")

    async def process_item(self, item):
        html = item.get("html")
        if html is None:
            raise Rejected("not_html", item.get("content_type") or "no content type")
        result = await self._extract(html, item["url"])
        if isinstance(result, Rejection):
            raise Rejected(result.reason, result.detail)
        fields = fill_from_hints(result.as_dict(), item.get("hints") or {})
        for key in METADATA_FIELDS:
            item[key] = fields.get(key)
        item["url"] = preferred_url(item["url"], result.canonical_url)
        item["fetched_urls"] = list(dict.fromkeys([*item.get("fetched_urls", []), item["url"]]))
        item["html"] = None
        return item
