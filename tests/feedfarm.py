"""A farm of many small RSS feeds spread over many loopback hosts, for daemon scale tests.

Feed `i` lives on host `127.0.1.(i % hosts + 1)` (every address of 127/8 is
loopback on Linux, and each counts as another host for Scrapy's per-host
limits). Every feed answers 304 to a matching If-None-Match, and
`publish(i)` gives it a new article (a real page of a few paragraphs, so
extraction stores it). One asyncio loop in a background thread serves every
host: thousands of feeds cost one thread, not one per host, and the loop's CPU
stays out of the measured newsmon processes. The request log counts requests
and 304s per feed.

Why not tests/fixtureweb.py: that is two hand-made sites with every kind of
broken page, one threaded server each; a farm of 2,000 feeds needs neither.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from html import escape

from fixtureweb import article_page

HOST_PREFIX = "127.0.1."
MAX_HOSTS = 200
ARTICLE_WORDS = ("model", "lab", "release", "benchmark", "context", "window", "agents", "chips",
                 "inference", "training", "safety", "evaluation", "open", "weights", "funding")


def host_of(index: int, hosts: int) -> str:
    return f"{HOST_PREFIX}{index % hosts + 1}"


def _article(feed: int, number: int) -> str:
    words = [ARTICLE_WORDS[(feed * 7 + number * 3 + k) % len(ARTICLE_WORDS)] for k in range(40)]
    paragraphs = [f"Feed {feed} story {number}, part {p}: " + " ".join(words[p:] + words[:p]) +
                  f". The figures were {feed * 13 + p} and {number * 17 + p} this quarter."
                  for p in range(5)]
    return article_page(f"Feed {feed} story {number}", paragraphs, "2026-05-02T08:00:00Z")


class FeedFarm:
    def __init__(self, feeds: int, hosts: int = MAX_HOSTS):
        self.feeds, self.hosts = feeds, min(hosts, MAX_HOSTS, feeds)
        self.articles = [0] * feeds             # articles published per feed
        self.ports: dict[str, int] = {}
        self.requests: Counter = Counter()      # (feed or -1, status) -> count
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._servers = []
        self._thread = threading.Thread(target=self._loop.run_forever, name="feedfarm",
                                        daemon=True)

    # -- what the farm serves ----------------------------------------------------
    def feed_url(self, index: int) -> str:
        host = host_of(index, self.hosts)
        return f"http://{host}:{self.ports[host]}/feed/{index}.xml"

    def article_url(self, index: int, number: int) -> str:
        host = host_of(index, self.hosts)
        return f"http://{host}:{self.ports[host]}/a/{index}/{number}.html"

    def publish(self, index: int) -> None:
        with self._lock:
            self.articles[index] += 1

    def etag(self, index: int) -> str:
        return f'"{index}-{self.articles[index]}"'

    def _rss(self, index: int) -> bytes:
        latest = self.articles[index]
        items = "".join(
            f"<item><title>Feed {index} story {n}</title><link>{escape(self.article_url(index, n))}"
            f"</link><guid>{index}-{n}</guid><pubDate>Sat, 02 May 2026 08:00:00 GMT</pubDate></item>"
            for n in range(latest, max(0, latest - 5), -1))
        return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                f"<title>Feed {index}</title><link>http://example.invalid/</link>"
                f"<description>feed {index}</description>{items}</channel></rss>").encode()

    def _answer(self, path: str, headers: dict[str, str]) -> tuple[int, bytes, str, str | None]:
        """(status, body, content type, etag) for one GET."""
        parts = path.split("?")[0].strip("/").split("/")
        if parts[0] == "feed" and len(parts) == 2 and parts[1].endswith(".xml"):
            index = int(parts[1][:-4])
            with self._lock:
                etag = self.etag(index)
                if headers.get("if-none-match") == etag:
                    self.requests[(index, 304)] += 1
                    return 304, b"", "", etag
                self.requests[(index, 200)] += 1
                return 200, self._rss(index), "application/rss+xml; charset=utf-8", etag
        if parts[0] == "a" and len(parts) == 3:
            index, number = int(parts[1]), int(parts[2].split(".")[0])
            with self._lock:
                self.requests[(-1, 200)] += 1
            return 200, _article(index, number).encode(), "text/html; charset=utf-8", None
        with self._lock:
            self.requests[(-1, 404)] += 1
        return 404, b"not found", "text/plain", None

    # -- the HTTP/1.1 server (keep-alive, GET only) ------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                status, body, content_type, etag = self._answer(path, headers)
                reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
                out = [f"HTTP/1.1 {status} {reason}"]
                if etag:
                    out.append(f"ETag: {etag}")
                if status != 304:
                    out += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") +
                             (body if method == "GET" and status != 304 else b""))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _start_servers(self) -> None:
        for n in range(self.hosts):
            host = host_of(n, self.hosts)
            server = await asyncio.start_server(self._serve, host, 0, backlog=256)
            self.ports[host] = server.sockets[0].getsockname()[1]
            self._servers.append(server)

    def start(self) -> FeedFarm:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start_servers(), self._loop).result(timeout=30)
        return self

    def stop(self) -> None:
        async def close():
            for server in self._servers:
                server.close()
        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def counts(self) -> dict[str, int]:
        with self._lock:
            feeds = sum(n for (i, s), n in self.requests.items() if i >= 0)
            not_modified = sum(n for (i, s), n in self.requests.items() if i >= 0 and s == 304)
            other = sum(n for (i, s), n in self.requests.items() if i < 0)
        return {"feed_requests": feeds, "not_modified": not_modified, "other_requests": other}

    def sources(self, schedule: str, names=None) -> list[dict]:
        """[[sources]] for the farm: source `s<i>` reads feed i."""
        indexes = range(self.feeds) if names is None else names
        return [{"name": f"s{i}", "feeds": [self.feed_url(i)], "schedule": schedule}
                for i in indexes]

