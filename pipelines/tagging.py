"""Tagging stage: which tracked companies each article names (crawler/text/tagging.py).

The company list comes from the config through two settings the crawl sets:
NEWSMON_COMPANIES (the user's [[companies]] tables) and
NEWSMON_USE_BUILTIN_COMPANIES (`[tagging] builtin`), loaded once per crawl
(crawler/config/scrapy_settings.py). The automaton is built once per crawl;
tagging an article costs well under a millisecond.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Self

from scrapy.crawler import Crawler

from crawler.config.scrapy_settings import tracked_companies
from crawler.items import ArticleItem
from crawler.text.companies import Company
from crawler.text.tagging import CompanyMatcher

logger = logging.getLogger(__name__)


class TaggingPipeline:
    def __init__(self, companies: list[Company], stats=None):
        self.matcher = CompanyMatcher(companies)
        self.stats = stats
        logger.debug("tagging %d companies", len(self.matcher.companies))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(tracked_companies(crawler), stats=crawler.stats)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        mentions = self.matcher.find_mentions(item.get("title") or "", item.get("body") or "")
        item["mentions"] = [asdict(mention) for mention in mentions]
        if self.stats is not None:
            self.stats.inc_value("newsmon/tagging/articles_tagged")
            self.stats.inc_value("newsmon/tagging/mentions", len(mentions))
        return item
