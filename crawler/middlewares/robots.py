"""Scrapy's robots.txt middleware without a traceback per unreachable host.

When a site is down, Scrapy logs the failed robots.txt download as an ERROR
with a full traceback, once per host, and then the page request fails and is
counted and logged by the spider anyway. For a crawl run from cron that is
mail noise about an expected failure, so the record is kept as one INFO line
without the traceback; the run summary says which requests failed and why.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares import robotstxt
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware


class OneLineRobotsErrors(logging.Filter):
    """Turn the middleware's ERROR-with-traceback into one INFO line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.exc_info:
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


ROBOTS_FILTER = OneLineRobotsErrors()


class QuietRobotsTxtMiddleware(RobotsTxtMiddleware):
    @classmethod
    def from_crawler(cls, crawler):
        robotstxt.logger.addFilter(ROBOTS_FILTER)  # adding the same filter twice is a no-op
        return super().from_crawler(crawler)
