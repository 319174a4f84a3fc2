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
scheduled, so a crawl whose listings answer 304 starts no worker; but when
the crawl's engine starts, before the listings are requested, if one of its
sources has never run: a first crawl has a backlog to extract, and the
workers' start (interpreter and imports, about 0.3 s of CPU each) then
overlaps the listings' download instead of following it. `NEWSMON_EXTRACT_WORKERS = 0` extracts inline, for comparison (inline,
the time limit cannot be enforced).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Self

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.archive.runs import sources_never_run
from crawler.crawlarchive import CrawlArchive
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
        self.archive: CrawlArchive | None = None       # from_crawler's: which sources ran before
        self.crawler: Crawler | None = None            # from_crawler's: its spider's sources

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
        crawler.signals.connect(pipeline._engine_started, signal=signals.engine_started)
        pipeline.archive = CrawlArchive.of(crawler)
        pipeline.crawler = crawler
        return pipeline

    def _engine_started(self):
        """Start the workers before the listings' requests when a source runs for the first time.

        Not at spider_opened: the engine is not running yet, and a start-up made
        longer there widened the moment when a stop signal finds nothing to stop
        (crawler/runner.py).
        """
        spider = getattr(self.crawler, "spider", None)
        if self.pool is None or self.archive is None or spider is None:
            return
        new = sources_never_run(self.archive.db, [source.name for source in getattr(spider, "sources", ())])
        if new:
            logger.debug("starting the extraction workers with the crawl: first run of %s",
                         ", ".join(new[:5]) + (f" and {len(new) - 5} more" if len(new) > 5 else ""))
            self.pool.start()

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
