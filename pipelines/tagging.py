"""Tagging stage: which tracked companies each article names (crawler/text/tagging.py).

The company list comes from the config through two settings the crawl sets:
NEWSMON_COMPANIES (the user's [[companies]] tables) and
NEWSMON_USE_BUILTIN_COMPANIES (`[tagging] builtin`). The automaton is built
once per crawl; tagging an article costs well under a millisecond.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from crawler.text.companies import load_companies
from crawler.text.tagging import CompanyMatcher

logger = logging.getLogger(__name__)


class TaggingPipeline:
    def __init__(self, companies=(), use_builtin: bool = True, stats=None):
        self.matcher = CompanyMatcher(load_companies(tuple(companies), use_builtin))
        self.stats = stats
        logger.debug("tagging %d companies", len(self.matcher.companies))

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(
            companies=[dict(entry) for entry in settings.getlist("NEWSMON_COMPANIES")],
            use_builtin=settings.getbool("NEWSMON_USE_BUILTIN_COMPANIES", True),
            stats=crawler.stats,
        )

    def process_item(self, item):
        mentions = self.matcher.find_mentions(item.get("title") or "", item.get("body") or "")
        item["mentions"] = [asdict(mention) for mention in mentions]
        if self.stats is not None:
            self.stats.inc_value("newsmon/tagging/articles_tagged")
            self.stats.inc_value("newsmon/tagging/mentions", len(mentions))
        return item
