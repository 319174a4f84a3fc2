"""The item that flows through the pipelines: the only contract between stages."""

import scrapy
from scrapy.exceptions import DropItem


class ArticleItem(scrapy.Item):
    # Set by the spider.
    source = scrapy.Field()          # config source name
    url = scrapy.Field()             # clean final URL (after redirects); canonical after extraction
    fetched_urls = scrapy.Field()    # every clean URL that led here (requested, redirects)
    html = scrapy.Field()            # decoded page, None when not HTML; removed once extracted
    content_type = scrapy.Field()    # as served, for the not_html reason
    hints = scrapy.Field()           # feed/sitemap metadata: title, published, author, description
    fetched_at = scrapy.Field()
    # Set by pipelines/extract.py (computed in its worker, crawler/text/analysis.py).
    title = scrapy.Field()
    author = scrapy.Field()
    published = scrapy.Field()
    language = scrapy.Field()
    description = scrapy.Field()
    sitename = scrapy.Field()
    image = scrapy.Field()
    body = scrapy.Field()
    word_count = scrapy.Field()
    content_hash = scrapy.Field()
    signature = scrapy.Field()       # near-duplicate signature (crawler.text.neardup)
    mentions = scrapy.Field()        # tracked companies named (crawler.text.tagging.Mention)


class Rejected(DropItem):
    """A page that is not stored, with the reason counted in the run summary."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason, self.detail = reason, detail
        super().__init__(f"{reason}: {detail}" if detail else reason)
