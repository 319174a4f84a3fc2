"""One log line per expected network failure, not an ERROR and a traceback.

When a site is down, Scrapy logs each failed request as an ERROR from the
retry middleware ("Gave up retrying ...") and each failed robots.txt with a
full traceback, and then the spider's errback logs the same failure again as
the one WARNING line that names the source and the reason. From cron that is
mail noise about an expected, counted failure (the run summary says the
rest), so those records of Scrapy's are turned into INFO lines without a
traceback. A Scrapy extension, so `scrapy crawl news` and `newsmon crawl`
log the same way.
"""

from __future__ import annotations

import logging
from typing import Self

from scrapy.crawler import Crawler

# Loggers whose ERROR records are about a network failure the spider also reports.
EXPECTED_FAILURE_LOGGERS = (
    "scrapy.downloadermiddlewares.retry",       # "Gave up retrying <GET ...>"
    "scrapy.downloadermiddlewares.robotstxt",   # "Error downloading <GET .../robots.txt>" + traceback
)


class ExpectedFailureAsInfo(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


EXPECTED_FAILURE_FILTER = ExpectedFailureAsInfo()


class QuietExpectedFailures:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        for name in EXPECTED_FAILURE_LOGGERS:
            logging.getLogger(name).addFilter(EXPECTED_FAILURE_FILTER)  # twice is a no-op
        return cls()
