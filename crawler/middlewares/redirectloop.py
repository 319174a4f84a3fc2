"""Name redirect loops instead of losing them silently.

Scrapy's RedirectMiddleware follows A -> B -> A, and the duplicate filter
then drops the second request to A without any error, so the page would
vanish from the run summary. Seen before the redirect is followed, a
Location that points back into the chain fails the request as a
`redirect_loop` that the spider's errback counts.
"""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from w3lib.url import safe_url_string

from crawler.net.urls import clean_url

REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class RedirectLoopMiddleware:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls()

    def process_response(self, request: Request, response: Response) -> Response:
        header = response.headers.get(b"Location")
        if response.status not in REDIRECT_STATUSES or header is None:
            return response
        location = header.decode("latin-1")
        target = clean_url(safe_url_string(response.urljoin(location)))
        chain = {clean_url(url) for url in (*request.meta.get("redirect_urls", ()), request.url)}
        if target in chain:
            raise IgnoreRequest(f"redirect loop: {request.url} -> {target}")
        return response
