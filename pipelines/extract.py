"""Extraction stage: raw HTML in, article fields out, in a process pool.

trafilatura is CPU-bound; called in the reactor thread it stalls every
download and caps the crawl at one core (loop lag ~200 ms). The pool
(pipelines/extractpool.py) has one worker per core by default, started with
`spawn` (forking a process that runs a reactor is unsafe), recycled every
NEWSMON_EXTRACT_TASKS_PER_WORKER pages so memory stays flat, with a time limit
per page (`[crawl] extraction_timeout`) and a DOM size limit
(NEWSMON_MAX_PAGE_ELEMENTS). It starts when the first article request is
scheduled, not when the crawl opens. `NEWSMON_EXTRACT_WORKERS = 0` extracts
inline, for comparison (inline, the time limit cannot be enforced).
"""

from __future__ import annotations

import logging
import os
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.text.extraction import Rejection, to_utc_iso
from crawler.items import ArticleItem, Rejected
from crawler.net.urls import preferred_url
from pipelines.extractpool import ExtractionPool, extract_bounded

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
    def __init__(self, workers: int, min_words: int, tasks_per_worker: int,
                 timeout: float = 30.0, max_elements: int = 30000):
        self.workers = workers
        self.min_words = min_words
        self.max_elements = max_elements
        self.pool = ExtractionPool(workers, min_words, tasks_per_worker, timeout,
                                   max_elements) if workers > 0 else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        configured = settings.get("NEWSMON_EXTRACT_WORKERS")
        pipeline = cls(
            workers=(os.cpu_count() or 1) if configured is None else int(configured),
            min_words=settings.getint("NEWSMON_MIN_WORDS"),
            tasks_per_worker=settings.getint("NEWSMON_EXTRACT_TASKS_PER_WORKER"),
            timeout=settings.getfloat("NEWSMON_EXTRACTION_TIMEOUT"),
            max_elements=settings.getint("NEWSMON_MAX_PAGE_ELEMENTS"),
        )
        crawler.signals.connect(pipeline._request_scheduled, signal=signals.request_scheduled)
        return pipeline

    def _request_scheduled(self, request, spider):
        """Start the workers with the first article request: they warm up while it downloads."""
        if self.pool is not None and request.meta.get("newsmon_kind") == "article":
            self.pool.start()

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.stop()

    async def _extract(self, html: str, url: str):
        if self.pool is None:
            return extract_bounded(html, url, self.min_words, self.max_elements)
        return await self.pool.extract(html, url)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
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
