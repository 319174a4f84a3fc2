"""Run one crawl in this process and return its stats.

`newsmon crawl` uses this; the scheduler runs each crawl in a child process
through the same command (see scheduler.py for why).
"""

from __future__ import annotations

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.config.loader import Config
from crawler.config.scrapy_settings import settings_from_config
from crawler.spiders.news import NewsSpider


class CrawlFailed(RuntimeError):
    """The crawl could not run at all (as opposed to pages that failed)."""


class CrawlInterrupted(RuntimeError):
    """A stop was requested before the crawl started: nothing was crawled."""


def crawl_settings(config: Config, only_sources=(), overrides: dict | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(settings_from_config(config), priority="project")
    settings.set("NEWSMON_ONLY_SOURCES", list(only_sources), priority="project")
    settings.setdict(overrides or {}, priority="cmdline")
    return settings


def run_crawl(config: Config, only_sources=(), overrides: dict | None = None,
              stop_requested=lambda: None) -> dict:
    """Crawl the configured (or the named) sources once; blocks until done.

    `stop_requested()` tells of a stop signal held (crawler/earlystop.py) after
    the caller's own last look and before Scrapy listens for signals itself.
    """
    process = CrawlerProcess(crawl_settings(config, only_sources, overrides))
    crawler = process.create_crawler(NewsSpider)
    failures = []
    process.crawl(crawler).addErrback(failures.append)
    _honour_signal_held_until_scrapy_listens(process, crawler, stop_requested)
    process.start()
    if failures:
        failure = failures[0]
        raise CrawlFailed(f"{failure.type.__name__}: {failure.value}") from failure.value
    return crawler.stats.get_stats()


def _honour_signal_held_until_scrapy_listens(process: CrawlerProcess, crawler,
                                              stop_requested) -> None:
    """A signal held until Scrapy installs its own handlers stops the crawl.

    Scrapy installs its SIGTERM/SIGINT handlers in a reactor start-up trigger;
    until then crawler/earlystop.py only remembers a signal. One look when the
    engine has started (stopping a crawl before its engine runs can leave it
    hanging) stops it the way the signal itself would have: gracefully,
    recorded as interrupted.
    """
    def look():
        signum = stop_requested()
        if signum:
            process._signal_shutdown(signum, None)

    crawler.signals.connect(look, signal=signals.engine_started, weak=False)
