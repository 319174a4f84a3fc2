"""Run one crawl in this process and return its stats.

`newsmon crawl` uses this; the scheduler runs each crawl in a child process
through the same command (see scheduler.py for why).
"""

from __future__ import annotations

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.ossignal import install_shutdown_handlers

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
    the caller's own last look and before the crawl listens for signals itself.
    """
    process = CrawlerProcess(crawl_settings(config, only_sources, overrides))
    crawler = process.create_crawler(NewsSpider)
    failures = []
    process.crawl(crawler).addErrback(failures.append)
    stopped_by = _listen_for_stop_signals(process, crawler, stop_requested)
    process.start(install_signal_handlers=False)   # ours instead: _listen_for_stop_signals
    if failures:
        failure = failures[0]
        raise CrawlFailed(f"{failure.type.__name__}: {failure.value}") from failure.value
    if stopped_by and crawler.stats.get_value("finish_reason") is None:
        # Stopped while the engine was still starting: the spider never closed, so no run
        # was recorded. The caller records the interrupted start, as for a signal held.
        raise CrawlInterrupted(f"signal {stopped_by[0]}")
    return crawler.stats.get_stats()


def _listen_for_stop_signals(process: CrawlerProcess, crawler, stop_requested) -> list[int]:
    """A stop signal at any moment of the start-up stops the crawl, recorded as interrupted.

    Until the reactor starts, crawler/earlystop.py only remembers a signal.
    Left to themselves, Twisted installs its SIGTERM/SIGINT handlers "during
    startup" of the reactor and Scrapy replaces them "after startup"; a signal
    between the two stopped the reactor outright (nothing crawled, no run
    recorded, exit 0), and one that reached Scrapy's handler before the engine
    ran ended the same way. So neither installs them (`run_crawl` starts the
    process without), and this puts Scrapy's graceful stop in "during startup",
    behind a handler that notes the signal. A signal remembered before then is
    acted on once the engine runs (stopping a crawl before its engine runs can
    leave it hanging). Returns the list that will hold the stop signal, so that
    `run_crawl` can tell a crawl stopped before its spider recorded anything.
    """
    from twisted.internet import reactor

    stopped_by: list[int] = []
    engine = {"started": False}

    def stop(signum, frame=None) -> None:
        if not stopped_by:
            stopped_by.append(signum)
        process._signal_shutdown(signum, frame)   # a second signal then kills, as in Scrapy

    def act_on_held_signal() -> None:
        signum = stop_requested()
        if signum and engine["started"] and not stopped_by:
            stop(signum)

    def engine_started() -> None:
        engine["started"] = True
        act_on_held_signal()

    def listen() -> None:
        install_shutdown_handlers(stop)
        act_on_held_signal()

    crawler.signals.connect(engine_started, signal=signals.engine_started, weak=False)
    reactor.addSystemEventTrigger("during", "startup", listen)
    return stopped_by
