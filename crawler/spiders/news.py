"""One generic spider for every configured source.

A source lists feeds, sitemaps and section pages; the spider reads them,
turns every article link into a clean URL, skips the URLs the archive has
already seen, and hands each article page to the pipelines as raw HTML.
Everything CPU-heavy (extraction) happens in the pipelines' worker pool.
"""

from __future__ import annotations

import logging

import scrapy
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

from crawler.archive.fetchstate import (
    is_seen, record_failure, record_outcome, urls_to_retry)
from crawler.config.loader import Source, load_config
from crawler.crawlarchive import CrawlArchive
from crawler.config.scrapy_settings import settings_from_config
from crawler.spiders.listings import Link, ListingError, follows, parse_feed, parse_sitemap
from crawler.net.encoding import decode_html
from crawler.failures import classify
from crawler.items import ArticleItem
from crawler.stats import source_key
from crawler.middlewares.privatenet import PRIVATE
from crawler.net.policy import url_problem
from crawler.net.urls import clean_url, on_site
from crawler.text.utc import iso_now

logger = logging.getLogger(__name__)

LISTING_META = {"handle_httpstatus_list": [304]}


class NewsSpider(scrapy.Spider):
    name = "news"
    # Set by from_crawler from the settings.
    sources: list[Source]
    archive: CrawlArchive
    max_listing_bytes: int
    max_sitemap_depth: int
    listings_requested: set[str]   # clean URLs of listings asked for in this crawl

    @classmethod
    def update_settings(cls, settings):
        """Apply the TOML config, so `scrapy crawl news` equals `newsmon crawl`."""
        super().update_settings(settings)
        if settings.get("NEWSMON_ARCHIVE") is None:   # no config applied yet (scrapy crawl news)
            config = load_config(settings.get("NEWSMON_CONFIG_PATH"))
            settings.setdict(settings_from_config(config), priority="spider")

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        only = crawler.settings.getlist("NEWSMON_ONLY_SOURCES")
        spider.sources = [s for s in crawler.settings.getlist("NEWSMON_SOURCES")
                          if not only or s.name in only]
        spider.archive = CrawlArchive.of(crawler)
        spider.max_listing_bytes = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        spider.max_sitemap_depth = crawler.settings.getint("NEWSMON_MAX_SITEMAP_DEPTH")
        spider.listings_requested = set()
        return spider

    # -- start ----------------------------------------------------------------

    @property
    def db(self):
        return self.archive.db

    async def start(self):
        for source in self.sources:
            for url in source.feeds:
                yield self._listing_request(url, source, "feed", self.parse_feed)
            for url in source.sitemaps:
                yield self._listing_request(url, source, "sitemap", self.parse_sitemap)
            for url in source.pages:
                yield self._listing_request(url, source, "page", self.parse_section)
            for url in urls_to_retry(self.db, source.name):
                self.crawler.stats.inc_value(source_key(source.name, "retried"))
                yield self._request_article(url, source, {}, origin_private=False)

    def _listing_request(self, url, source, kind, callback, found_in=None, depth=0):
        """A listing from the config (`found_in` None: trusted) or named by another listing."""
        self.listings_requested.add(clean_url(url))
        meta = {**LISTING_META, "newsmon_source": source.name, "newsmon_kind": kind,
                "newsmon_depth": depth}
        if found_in is None:
            meta["newsmon_trusted"] = True
        else:
            meta["newsmon_origin_private"] = found_in.meta.get(PRIVATE, False)
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta,
                              cb_kwargs={"source": source}, dont_filter=True)

    # -- listings -------------------------------------------------------------

    def _listing_body_ok(self, response, source) -> bool:
        """False for a 304 (nothing changed) after counting it."""
        self.crawler.stats.inc_value(source_key(source.name, "listings_ok"))
        if response.status == 304:
            self.crawler.stats.inc_value(source_key(source.name, "not_modified"))
            return False
        return True

    def _bad_listing(self, response, source, exc):
        logger.warning("%s: unreadable listing %s: %s", source.name, response.url, exc)
        self.crawler.stats.inc_value(source_key(source.name, "errors", "bad_listing"))

    def parse_feed(self, response, source):
        if not self._listing_body_ok(response, source):
            return
        try:
            links = parse_feed(response.body, response.url)
        except ListingError as exc:
            self._bad_listing(response, source, exc)
            return
        for link in links:
            yield from self._article_request(link, source, response)

    def parse_sitemap(self, response, source):
        if not self._listing_body_ok(response, source):
            return
        try:
            kind, links = parse_sitemap(response.body, self.max_listing_bytes or 50 * 2**20)
        except ListingError as exc:
            self._bad_listing(response, source, exc)
            return
        for link in links:
            if kind == "index":
                yield from self._child_sitemap_request(link, source, response)
            else:
                yield from self._article_request(link, source, response)

    def _child_sitemap_request(self, link: Link, source, response):
        """Each sitemap once per crawl, nested at most NEWSMON_MAX_SITEMAP_DEPTH deep.

        A sitemap index that lists itself (or a cycle of indexes) would
        otherwise be read for ever."""
        url = self._valid_url(link.url, source)
        if url is None:
            return
        if url in self.listings_requested:
            logger.info("%s: sitemap %s listed again (in %s), read once", source.name, url,
                        response.url)
            return
        depth = response.meta.get("newsmon_depth", 0) + 1
        if depth > self.max_sitemap_depth:
            logger.warning("%s: sitemap %s nested deeper than %d indexes, not read", source.name,
                           url, self.max_sitemap_depth)
            self.crawler.stats.inc_value(source_key(source.name, "dropped", "sitemap_too_deep"))
            return
        yield self._listing_request(url, source, "sitemap", self.parse_sitemap,
                                    found_in=response, depth=depth)

    def parse_section(self, response, source):
        if not self._listing_body_ok(response, source):
            return
        if not isinstance(response, HtmlResponse):
            self._bad_listing(response, source, "not an HTML page")
            return
        for found in LinkExtractor().extract_links(response):
            if not follows(found.url, source.follow):
                continue
            if not on_site(found.url, response.url, source.allowed_hosts):
                logger.debug("%s: off-site link %s on %s not followed (allowed_hosts)",
                             source.name, found.url, response.url)
                continue
            yield from self._article_request(Link(found.url, {}), source, response)

    # -- articles -------------------------------------------------------------

    def _valid_url(self, url: str, source) -> str | None:
        """The clean URL, or None after counting why it cannot be fetched (bad_url, bad_scheme).

        Checked link by link, so one broken link never stops its listing."""
        problem = url_problem(url)
        if problem is None:
            try:
                return clean_url(url)
            except ValueError:
                problem = "bad_url"
        self.crawler.stats.inc_value(source_key(source.name, "dropped", problem))
        logger.warning("%s: dropped %r: %s", source.name, url[:300], problem)
        return None

    def _article_request(self, link: Link, source, found_in):
        url = self._valid_url(link.url, source)
        if url is None:
            return
        if is_seen(self.db, url):
            self.crawler.stats.inc_value(source_key(source.name, "already_seen"))
            return
        yield self._request_article(url, source, link.hints,
                                    origin_private=found_in.meta.get(PRIVATE, False))

    def _request_article(self, url: str, source, hints: dict, origin_private: bool):
        meta = {"newsmon_source": source.name, "newsmon_kind": "article", "newsmon_hints": hints,
                "newsmon_origin_private": origin_private}
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error, meta=meta)

    def parse_article(self, response):
        meta = response.meta
        fetched = [clean_url(u) for u in (*meta.get("redirect_urls", ()), response.url)]
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        is_html = isinstance(response, HtmlResponse)
        yield ArticleItem(
            source=meta["newsmon_source"],
            url=clean_url(response.url),
            fetched_urls=fetched,
            html=decode_html(content_type, response.body)[1] if is_html else None,
            content_type=content_type,
            hints=meta.get("newsmon_hints") or {},
            fetched_at=iso_now(),
        )

    # -- failures -------------------------------------------------------------

    def on_error(self, failure):
        request = failure.request
        source = request.meta.get("newsmon_source", "?")
        bucket, reason = classify(failure.value)
        self.crawler.stats.inc_value(source_key(source, bucket, reason))
        if request.meta.get("newsmon_kind") != "article":
            self.crawler.stats.inc_value(source_key(source, "listings_failed"))
        else:
            chain = [*request.meta.get("redirect_urls", ()), request.url]
            self._remember_failure([clean_url(url) for url in chain if url_problem(url) is None],
                                   source, bucket, reason)
        logger.warning("%s: %s %s: %s", source, bucket.rstrip("s"), request.url, reason)

    def _remember_failure(self, urls: list[str], source: str, bucket: str, reason: str) -> None:
        """Errors are retried on later runs (a few times); a too-large page is not.

        Every URL of a redirect chain is remembered: the next run checks the one
        its listing gives."""
        with self.db.conn:
            if bucket == "errors":
                for url in dict.fromkeys(urls):
                    record_failure(self.db, url, source=source, reason=reason)
            elif reason == "too_large":
                record_outcome(self.db, urls, source=source, outcome="not_article", status=None)
