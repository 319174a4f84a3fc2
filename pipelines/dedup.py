"""Dedup stage: one row per canonical URL.

A URL already in the archive's seen-set (or already passed in this run, e.g.
reached again through its canonical link) is dropped as `duplicate_url`; the
seen-set records every stored URL, see crawler/archive/fetchstate.py. The
spider asked the archive about the URL it requested before downloading it, so
the archive is asked here only about a URL the page moved to (a redirect or a
canonical link): each URL is looked up once per crawl. The
exact-copy key and the near-duplicate signature come with the item from the
extraction worker (crawler/text/analysis.py); linking a copy to its original
happens when the archive writes the batch (`save_articles`), where every
earlier row, of this run or an older one, is visible.
"""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from crawler.archive.fetchstate import is_seen
from crawler.crawlarchive import CrawlArchive
from crawler.items import ArticleItem, Rejected


class DedupPipeline:
    def __init__(self, archive: CrawlArchive):
        self.archive = archive
        self.urls_this_run: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(CrawlArchive.of(crawler))

    def process_item(self, item: ArticleItem) -> ArticleItem:
        url = item["url"]
        requested = (item.get("fetched_urls") or [None])[0]   # the spider asked about it
        if url in self.urls_this_run or (url != requested and is_seen(self.archive.db, url)):
            raise Rejected("duplicate_url", url)
        self.urls_this_run.add(url)
        return item
