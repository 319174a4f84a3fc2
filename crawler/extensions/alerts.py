"""The alert step of a crawl: a Scrapy extension that matches and sends at the end.

An extension rather than code in `newsmon crawl`, so `scrapy crawl news`,
the scheduler and the CLI all alert the same way. It runs at
`spider_closed`, which Scrapy (2.19, ExecutionEngine.close_spider_async)
sends after the item pipelines' close_spider, i.e. after the store stage
flushed its last batch. Matching and delivery run in a worker thread (they
do blocking SQLite and network I/O; the event loop keeps serving the other
shutdown work) with their own archive connection. Every problem is logged
and counted in the crawl stats (`newsmon/alerts/...`) and never fails the
crawl: undelivered alerts stay in the outbox for `newsmon alerts send`.
"""

from __future__ import annotations

import logging
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.archive import open_archive
from crawler.config.scrapy_settings import tracked_companies
from crawler.crawlarchive import CrawlArchive

logger = logging.getLogger(__name__)

STATS_PREFIX = "newsmon/alerts/"


class AlertsExtension:
    def __init__(self, crawler, archive_path: str, rules: list):
        self.crawler = crawler
        self.archive_path = archive_path
        self.rules = rules
        self.start_id: int | None = None
        crawler.signals.connect(self._spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWSMON_ALERTS_ENABLED"):
            raise NotConfigured("alerts turned off (NEWSMON_ALERTS_ENABLED)")
        tables = settings.getlist("NEWSMON_ALERTS")
        if not tables:
            # No message: Scrapy logs a NotConfigured reason as a warning, and a
            # config without alerts is normal (cron would mail the warning each run).
            raise NotConfigured
        # Imported here, not at the top: a crawl without alert rules never loads apprise.
        from crawler.alerts.rules import rule_from_table
        from crawler.alerts.status import company_warnings

        rules = [rule_from_table(table) for table in tables]
        for warning in company_warnings(rules, tracked_companies(crawler)):
            logger.warning("%s", warning)
        return cls(crawler, settings["NEWSMON_ARCHIVE"], rules)

    def _spider_opened(self, spider):
        """Remember where this crawl's articles start: new rules fire from there on."""
        from crawler.archive.alert_matching import last_article_id

        try:
            self.start_id = last_article_id(CrawlArchive.of(self.crawler).db)
        except Exception:
            logger.exception("alerts: cannot read the archive at the start of the crawl")

    async def _spider_closed(self, spider, reason):
        # An interrupted crawl only queues its matches: a shutdown should not wait on
        # network timeouts, and the next crawl or `alerts send` delivers them.
        deliver = reason == "finished"
        try:
            report = await maybe_deferred_to_future(deferToThread(self._run, deliver))
        except Exception as exc:
            self._crashed(exc)
        else:
            self._record(report)

    def _run(self, deliver: bool):
        from crawler.alerts.sender import run_alerts

        db = open_archive(self.archive_path)
        try:
            return run_alerts(db, self.rules, start_id=self.start_id, deliver=deliver)
        finally:
            db.close()

    def _record(self, report) -> None:
        stats = self.crawler.stats
        for key in ("queued", "sent", "messages", "retrying", "gave_up", "postponed"):
            stats.set_value(STATS_PREFIX + key, getattr(report, key))
        stats.set_value(STATS_PREFIX + "errors", len(report.errors))
        logger.info("alerts: %d queued, %d sent in %d messages", report.queued, report.sent,
                    report.messages)
        if report.undelivered or report.errors:
            logger.warning("alerts: %d not delivered (kept pending or failed), %d errors; "
                           "see `newsmon alerts list`", report.undelivered, len(report.errors))

    def _crashed(self, exc: Exception) -> None:
        self.crawler.stats.inc_value(STATS_PREFIX + "errors")
        logger.error("alerts: the alert step failed; what was not sent stays for the next "
                     "`newsmon alerts send`: %s", exc, exc_info=exc)
