"""Conditional requests for listings: a feed that has not changed costs a 304.

The validators (ETag, Last-Modified) live in the archive's `fetch_state`
table, not in a cache directory, so they survive as long as the archive and
travel with it. They are written only when the crawl finishes: a crawl
killed halfway may not have fetched every article its listings named, and a
stored validator would make the next run's listing answer 304 and hide those
articles for good. Unwritten, the next run reads the listings in full and
skips what the seen-set already has. The same holds for a source some of
whose articles could not be written to the archive (`write_failed`): its
validators are not stored, so the next crawl fetches what was lost.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from crawler.archive.errors import ArchiveError, note_archive_error
from crawler.archive.fetchstate import listing_validators, record_listing
from crawler.crawlarchive import CrawlArchive
from crawler.stats import sources_counting
from crawler.net.urls import clean_url

logger = logging.getLogger(__name__)

LISTING_KINDS = ("feed", "sitemap", "page")


def _header(response, name: str) -> str | None:
    return (response.headers.get(name) or b"").decode("latin-1") or None


class ConditionalRequestMiddleware:
    def __init__(self, archive: CrawlArchive, stats=None):
        self.archive = archive
        self.stats = stats
        self.fetched: dict[str, dict] = {}   # listing URL -> what to record at the end

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(CrawlArchive.of(crawler), crawler.stats)
        crawler.signals.connect(middleware._spider_closed, signal=signals.spider_closed)
        return middleware

    def process_request(self, request: Request) -> None:
        if request.meta.get("newsmon_kind") not in LISTING_KINDS:
            return None
        etag, last_modified = listing_validators(self.archive.db, clean_url(request.url))
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if last_modified:
            request.headers.setdefault("If-Modified-Since", last_modified)
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        kind = request.meta.get("newsmon_kind")
        if kind in LISTING_KINDS and response.status in (200, 304):
            self.fetched[clean_url(request.url)] = {
                "kind": kind, "source": request.meta.get("newsmon_source", ""),
                "status": response.status, "etag": _header(response, "ETag"),
                "last_modified": _header(response, "Last-Modified")}
        return response

    def _spider_closed(self, spider, reason):
        lost = sources_counting(self.stats.get_stats(), "errors", "write_failed") if self.stats else set()
        if reason != "finished":
            logger.info("crawl %s: listing validators not stored, the next run reads them in full",
                        reason)
        elif self.fetched:
            if lost:
                logger.warning("articles of %s were not written: their listing validators are not "
                               "stored, the next run reads them in full", ", ".join(sorted(lost)))
            try:
                db = self.archive.db
                with db.conn:
                    for url, fetched in self.fetched.items():
                        if fetched["source"] not in lost:
                            record_listing(db, url, **fetched)
            except (sqlite3.Error, ArchiveError) as exc:
                logger.error("archive write failed (%s): listing validators not stored", exc)
                note_archive_error(self.stats, exc)
