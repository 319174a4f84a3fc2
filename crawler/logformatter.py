"""Log lines for scraped and dropped items that name the page, not dump it.

Scrapy's default formatter prints the whole item, whose `html` field is the
page itself, and logs drops as warnings. A dropped page is an expected,
counted outcome here (RunRecorder logs it with its reason), so a crawl run
from cron stays quiet and its log stays small.
"""

from __future__ import annotations

import logging

from scrapy.logformatter import LogFormatter


class NewsmonLogFormatter(LogFormatter):
    def scraped(self, item, response, spider):
        return {"level": logging.DEBUG, "msg": "Scraped %(url)s",
                "args": {"url": item.get("url")}}

    def dropped(self, item, exception, response, spider):
        return {"level": logging.DEBUG, "msg": "Dropped %(url)s: %(exception)s",
                "args": {"url": item.get("url"), "exception": exception}}
