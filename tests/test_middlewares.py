"""Downloader middlewares (crawler/middlewares/) against the fixture web and a real archive.

Each request goes over a real socket with the headers the middleware gave it (redirects
not followed, as Scrapy's downloader does not follow them either), and the middleware
sees the real answer as a Scrapy Response. Signals go through a real Scrapy crawler.
"""

from __future__ import annotations

import pytest
from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from conftest import newsmon_crawler
from crawler.archive.fetchstate import listing_validators
from crawler.middlewares.conditional import ConditionalRequestMiddleware
from crawler.middlewares.redirectloop import RedirectLoopMiddleware
from fixtureweb import fetch


def download(request: Request) -> Response:
    headers = {name.decode(): values[0].decode() for name, values in request.headers.items()}
    status, answer_headers, body = fetch(request.url, headers)
    return Response(request.url, status=status, headers=dict(answer_headers.items()), body=body,
                    request=request)


# -- conditional requests ------------------------------------------------------------------
@pytest.fixture
def crawl(tmp_path, db):
    """crawl(*requests, reason="finished") -> responses: one crawl's pass through the middleware.

    A fresh crawler each time, as each `newsmon crawl` is; `db` is the archive it writes.
    """
    def run(*requests: Request, reason: str = "finished") -> list[Response]:
        crawler = newsmon_crawler({"NEWSMON_ARCHIVE": str(tmp_path / "archive.db"),
                                             "EXTENSIONS_BASE": {}})   # none but ours listen
        middleware = ConditionalRequestMiddleware.from_crawler(crawler)
        responses = []
        for request in requests:
            assert middleware.process_request(request) is None
            responses.append(middleware.process_response(request, download(request)))
        crawler.signals.send_catch_log(signals.spider_closed, spider=None, reason=reason)
        return responses

    return run


def listing(url: str, kind: str = "feed") -> Request:
    return Request(url, meta={"newsmon_kind": kind, "newsmon_source": "frontiernews"})


def test_an_unchanged_feed_costs_a_304_on_the_next_crawl(fixture_web, crawl, db):
    url = fixture_web.frontier.url("/feed.xml")
    (first,) = crawl(listing(url))
    assert first.status == 200 and first.headers.get("ETag")

    second_request = listing(url)
    (second,) = crawl(second_request)

    assert second_request.headers.get("If-None-Match") == first.headers.get("ETag")
    assert second.status == 304
    assert listing_validators(db, url)[0] == first.headers.get("ETag").decode()


def test_validators_are_keyed_by_the_clean_url(fixture_web, crawl):
    feed = fixture_web.frontier.url("/feed.xml")
    crawl(listing(feed + "?utm_source=newsletter"))
    request = listing(feed)
    (answer,) = crawl(request)
    assert request.headers.get("If-None-Match") and answer.status == 304


def test_a_crawl_that_did_not_finish_stores_no_validators(fixture_web, crawl, db):
    url = fixture_web.frontier.url("/atom.xml")
    crawl(listing(url), reason="shutdown")
    assert listing_validators(db, url) == (None, None)
    request = listing(url)
    (answer,) = crawl(request)
    assert b"If-None-Match" not in request.headers and answer.status == 200


def test_only_listings_are_requested_conditionally(fixture_web, crawl, db):
    url = fixture_web.frontier.url("/feed.xml")
    crawl(Request(url, meta={"newsmon_kind": "article", "newsmon_source": "frontiernews"}))
    request = Request(url, meta={"newsmon_kind": "article", "newsmon_source": "frontiernews"})
    (answer,) = crawl(request)
    assert b"If-None-Match" not in request.headers and answer.status == 200
    assert listing_validators(db, url) == (None, None)


# -- redirect loops ---------------------------------------------------------------------------
def follow(request: Request, response: Response) -> Request:
    """The next request of a redirect chain, with the meta Scrapy's RedirectMiddleware keeps."""
    chain = [*request.meta.get("redirect_urls", ()), request.url]
    location = response.urljoin(response.headers[b"Location"].decode("latin-1"))
    return Request(location, meta={**request.meta, "redirect_urls": chain})


def test_a_redirect_back_into_the_chain_fails_as_a_loop(fixture_web):
    middleware = RedirectLoopMiddleware.from_crawler(get_crawler())
    first = Request(fixture_web.frontier.url("/loop-a"))
    answer = download(first)
    assert middleware.process_response(first, answer) is answer   # /loop-a -> /loop-b: not yet
    second = follow(first, answer)
    with pytest.raises(IgnoreRequest, match="redirect loop"):
        middleware.process_response(second, download(second))    # /loop-b -> /loop-a


def test_an_ordinary_redirect_is_left_to_scrapy(fixture_web):
    middleware = RedirectLoopMiddleware.from_crawler(get_crawler())
    request = Request(fixture_web.frontier.url("/ai-labs/chip-export-story"))
    answer = download(request)
    assert answer.status == 301
    assert middleware.process_response(request, answer) is answer
    target = follow(request, answer)
    final = download(target)
    assert final.status == 200 and middleware.process_response(target, final) is final
