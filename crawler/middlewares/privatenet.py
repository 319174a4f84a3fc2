"""Refuse requests into private space that public content asked for.

Runs first among the downloader middlewares (before robots.txt), so a refused
URL costs no request at all, not even for its robots.txt; redirects come
back through it as new requests, so a public page redirecting to
169.254.169.254 is refused too.

The host is resolved here through the reactor's resolver, the one the
connection uses: Scrapy's DNS cache (DNSCACHE_ENABLED) then hands the
connection the very address that was checked, so a name that answers a
public address now and a private one a moment later (DNS rebinding) still
connects to the checked one. Spellings such as '2852039166' or '127.1' go
through the same resolver and are judged by the address they become.

Which requests may enter private space (see crawler/net/policy.py):
- a config URL (meta `newsmon_trusted`), as written;
- a URL found in a listing whose own address was private
  (meta `newsmon_origin_private`, set by the spider from `newsmon_private`);
- a redirect from a private address;
- Scrapy's own robots.txt request for a host that passed this check.
Every request leaves with meta `newsmon_private` saying what it connects to.
"""

from __future__ import annotations

import logging
from typing import Self
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.net.policy import ip_literal, is_private, parse_networks, url_problem

logger = logging.getLogger(__name__)

PRIVATE = "newsmon_private"


class RefusedURL(IgnoreRequest):
    """A found URL newsmon will not fetch; `reason` is the counter it goes to."""

    def __init__(self, reason: str, url: str):
        self.reason, self.url = reason, url
        super().__init__(f"refused ({reason}): {url}")


class PrivateAddressMiddleware:
    def __init__(self, networks):
        self.networks = networks

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(parse_networks(crawler.settings.getlist("NEWSMON_PRIVATE_NETWORKS")))

    async def process_request(self, request: Request) -> None:
        problem = url_problem(request.url)
        if problem:
            raise RefusedURL(problem, request.url)
        meta = request.meta
        previous_hop_private = meta.get(PRIVATE, False)
        address = await self._address(urlsplit(request.url).hostname or "")
        private = is_private(address, self.networks)
        meta[PRIVATE] = private
        if private and not self._may_enter_private(meta, previous_hop_private):
            raise RefusedURL("private_address", request.url)
        return None

    @staticmethod
    def _may_enter_private(meta, previous_hop_private: bool) -> bool:
        if meta.get("redirect_urls"):
            return previous_hop_private
        if "newsmon_source" not in meta:
            return True  # Scrapy's robots.txt request, for a host already checked
        return bool(meta.get("newsmon_trusted") or meta.get("newsmon_origin_private"))

    @staticmethod
    async def _address(host: str):
        """The address a connection to `host` uses; a failed lookup fails the request."""
        literal = ip_literal(host)
        if literal is not None:
            return literal
        from twisted.internet import reactor

        # twisted's stubs give the installed reactor's resolve() a wrong signature
        return await maybe_deferred_to_future(reactor.resolve(host))  # type: ignore[arg-type]
