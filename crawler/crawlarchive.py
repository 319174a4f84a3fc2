"""The crawl's one archive connection, shared by the Scrapy components of a crawl.

The spider (seen URLs, failures), the conditional-request middleware (listing
validators), the dedup and store stages and the run recorder all read and write
the archive. Each used to open it on its own: six connections per crawl, each
checking the schema on open, and writes to the same tables from several
connections. They all run on the reactor thread and every write is one `with
db.conn:` block that commits before control returns to the reactor, so one
connection serves them all: one schema check, one writer per crawl process, and
each component reads what the others wrote a moment ago.

The one exception is the alert step (crawler/extensions/alerts.py): it runs in a
thread at the end of the crawl, and a SQLite connection stays on its thread, so
it opens its own.

`CrawlArchive.of(crawler)` hands every component the same object; the
connection opens when first used (a crawl refused at start-up never opens it)
and closes at `engine_stopped`, after the pipelines' last flush and every
`spider_closed` handler.
"""

from __future__ import annotations

import weakref

from scrapy import signals
from scrapy.crawler import Crawler
from sqlite_utils import Database

from crawler.archive import open_archive

_SHARED: weakref.WeakKeyDictionary[Crawler, CrawlArchive] = weakref.WeakKeyDictionary()


class CrawlArchive:
    def __init__(self, path: str):
        self.path = path
        self._db: Database | None = None

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlArchive:
        shared = _SHARED.get(crawler)
        if shared is None:
            shared = _SHARED[crawler] = cls(crawler.settings["NEWSMON_ARCHIVE"])
            crawler.signals.connect(shared.close, signal=signals.engine_stopped, weak=False)
        return shared

    @property
    def db(self) -> Database:
        """Opened on first use; an archive that cannot be opened raises here, every time."""
        if self._db is None:
            self._db = open_archive(self.path)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
