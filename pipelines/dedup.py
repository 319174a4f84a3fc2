"""Dedup stage: one row per canonical URL, fingerprints for copies.

A URL already in the archive's seen-set (or already passed in this run, e.g.
reached again through its canonical link) is dropped as `duplicate_url`; the
seen-set records every stored URL, see crawler/archive/fetchstate.py. For other
pages the stage computes the exact-copy key (hash of the normalised body) and
the near-duplicate signature; linking a copy to its original happens when the
archive writes the batch (`save_articles`), where every earlier row, of this
run or an older one, is visible.
"""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from sqlite_utils import Database

from crawler.archive import open_archive
from crawler.archive.fetchstate import is_seen
from crawler.items import ArticleItem, Rejected
from crawler.text.neardup import fingerprints


class DedupPipeline:
    def __init__(self, archive_path: str):
        self.archive_path = archive_path
        self.db: Database | None = None
        self.urls_this_run: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.settings["NEWSMON_ARCHIVE"])

    def open_spider(self) -> None:
        self.db = open_archive(self.archive_path)

    def close_spider(self) -> None:
        if self.db is not None:
            self.db.close()

    def process_item(self, item: ArticleItem) -> ArticleItem:
        assert self.db is not None, "open_spider opens the archive"
        url = item["url"]
        if url in self.urls_this_run or is_seen(self.db, url):
            raise Rejected("duplicate_url", url)
        self.urls_this_run.add(url)
        item["content_hash"], item["signature"] = fingerprints(item["body"])
        return item
