"""Extraction stage: raw HTML in, the analysed page out, in a process pool.

The worker returns everything that is a pure function of the page
(crawler/text/analysis.py): article fields with the feed's hints filled in,
content hash, near-duplicate signature, company mentions. The company list is
loaded here once (NEWSMON_COMPANIES, NEWSMON_USE_BUILTIN_COMPANIES) and
handed to each worker once; the stage counts the tagging stats.

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
from typing import TYPE_CHECKING, Self

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.items import ArticleItem, Rejected
from crawler.net.urls import preferred_url
from crawler.text.article import Rejection
from crawler.config.scrapy_settings import tracked_companies
from crawler.text.companies import Company, load_companies
from pipelines.extractpool import ExtractionPool, analyse_bounded

if TYPE_CHECKING:   # imported when first used: the crawl process may never tag inline
    from crawler.text.tagging import CompanyMatcher

logger = logging.getLogger(__name__)


class ExtractPipeline:
    def __init__(self, workers: int, min_words: int, tasks_per_worker: int,
                 timeout: float = 30.0, max_elements: int = 30000,
                 companies: list[Company] | None = None, stats=None):
        self.workers = workers
        self.min_words = min_words
        self.max_elements = max_elements
        self.stats = stats
        # The crawl's companies, loaded once (tracked_companies); the built-in list by default.
        self.companies = load_companies() if companies is None else companies
        logger.debug("tagging %d companies", len(self.companies))
        self.pool = ExtractionPool(workers, min_words, tasks_per_worker, timeout,
                                   max_elements, self.companies) if workers > 0 else None
        self._matcher: CompanyMatcher | None = None    # inline only; each worker builds its own

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
            companies=tracked_companies(crawler),
            stats=crawler.stats,
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

    async def _analyse(self, html: str, url: str, hints: dict):
        if self.pool is not None:
            return await self.pool.analyse(html, url, hints)
        if self._matcher is None and self.companies:
            from crawler.text.tagging import CompanyMatcher
            self._matcher = CompanyMatcher(self.companies)
        return analyse_bounded(html, url, hints, self.min_words, self.max_elements, self._matcher)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        html = item.get("html")
        if html is None:
            raise Rejected("not_html", item.get("content_type") or "no content type")
        result = await self._analyse(html, item["url"], item.get("hints") or {})
        if isinstance(result, Rejection):
            raise Rejected(result.reason, result.detail)
        item.update(result.fields)
        item["url"] = preferred_url(item["url"], result.canonical_url)
        item["fetched_urls"] = list(dict.fromkeys([*item.get("fetched_urls", []), item["url"]]))
        item["html"] = None
        item["content_hash"], item["signature"] = result.content_hash, result.signature
        item["mentions"] = result.mentions
        if self.stats is not None:
            self.stats.inc_value("newsmon/tagging/articles_tagged")
            self.stats.inc_value("newsmon/tagging/mentions", len(result.mentions))
        return item
