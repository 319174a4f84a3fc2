"""Translate the user's config into Scrapy settings (one place for the mapping).

Components never see the Config object: they read the plain values set here
(declared, with their defaults, in crawler/settings.py). The one value built
from settings rather than read is the list of tracked companies, which the
tagging stage and the alert extension both need: `tracked_companies` builds it
once per crawl.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from crawler.config.loader import Config
from crawler.text.companies import Company, load_companies

if TYPE_CHECKING:   # the CLI imports this module without loading Scrapy
    from scrapy.crawler import Crawler

_COMPANIES: WeakKeyDictionary[Crawler, list[Company]] = WeakKeyDictionary()


def settings_from_config(config: Config) -> dict:
    max_bytes = int(config.max_page_mb * 2**20)
    return {
        "NEWSMON_ARCHIVE": str(config.archive_path),
        "NEWSMON_SOURCES": list(config.sources),
        "USER_AGENT": config.user_agent,
        "DOWNLOAD_TIMEOUT": config.timeout,
        "ROBOTSTXT_OBEY": config.obey_robots,
        # Scrapy applies DOWNLOAD_MAXSIZE to the body as received and, in
        # HttpCompressionMiddleware, while decompressing: both limits of max_page_mb.
        "DOWNLOAD_MAXSIZE": max_bytes,
        "DOWNLOAD_WARNSIZE": max_bytes // 2,
        "NEWSMON_COMPANIES": list(config.companies),
        "NEWSMON_USE_BUILTIN_COMPANIES": config.use_builtin_companies,
        "NEWSMON_ALERTS": list(config.alerts),
        "NEWSMON_DEDUP_THRESHOLD": config.dedup_threshold,
        "NEWSMON_PRIVATE_NETWORKS": list(config.private_networks),
        # Scrapy's CloseSpider extension ends a crawl that runs too long; it closes as
        # "closespider_timeout", which is recorded as an interrupted run.
        "CLOSESPIDER_TIMEOUT": config.max_minutes * 60,
        "NEWSMON_EXTRACTION_TIMEOUT": config.extraction_timeout,
    }


def tracked_companies(crawler: Crawler) -> list[Company]:
    """The crawl's tracked companies (NEWSMON_COMPANIES, NEWSMON_USE_BUILTIN_COMPANIES), built once."""
    if crawler not in _COMPANIES:
        settings = crawler.settings
        entries = tuple(dict(entry) for entry in settings.getlist("NEWSMON_COMPANIES"))
        _COMPANIES[crawler] = load_companies(entries, settings.getbool("NEWSMON_USE_BUILTIN_COMPANIES"))
    return _COMPANIES[crawler]
