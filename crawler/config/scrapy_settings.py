"""Translate the user's config into Scrapy settings (one place for the mapping)."""

from __future__ import annotations

from crawler.config.loader import Config


def settings_from_config(config: Config) -> dict:
    max_bytes = int(config.max_page_mb * 2**20)
    return {
        "NEWSMON_CONFIG": config,
        "NEWSMON_ARCHIVE": str(config.archive_path),
        "USER_AGENT": config.user_agent,
        "DOWNLOAD_TIMEOUT": config.timeout,
        "ROBOTSTXT_OBEY": config.obey_robots,
        # Scrapy applies DOWNLOAD_MAXSIZE to the body as received and, in
        # HttpCompressionMiddleware, while decompressing: both limits of max_page_mb.
        "DOWNLOAD_MAXSIZE": max_bytes,
        "DOWNLOAD_WARNSIZE": max_bytes // 2,
        "NEWSMON_COMPANIES": list(config.companies),
        "NEWSMON_USE_BUILTIN_COMPANIES": config.use_builtin_companies,
        "NEWSMON_DEDUP_THRESHOLD": config.dedup_threshold,
        "NEWSMON_PRIVATE_NETWORKS": list(config.private_networks),
        # Scrapy's CloseSpider extension ends a crawl that runs too long; it closes as
        # "closespider_timeout", which is recorded as an interrupted run.
        "CLOSESPIDER_TIMEOUT": config.max_minutes * 60,
        "NEWSMON_EXTRACTION_TIMEOUT": config.extraction_timeout,
    }
