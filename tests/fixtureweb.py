"""A local fixture web: two small news sites on loopback for end-to-end crawls.

Why a hand-made server rather than recorded responses: the crawl has to be
exercised over real sockets (timeouts, redirects, compression, conditional
requests, robots.txt), and the tests have to see every request the crawler
made. Each `FixtureSite` serves a dict of routes on an ephemeral port and logs
each request; routes can be replaced while it runs, so a test can publish a
new article between two crawls (`FixtureSite.publish`).

The pages in tests/fixtures/ are written for https://frontiernews.example and
https://aiwire.example; a site rewrites its placeholder to its real base URL
when it loads them, so every link in the fixture web is absolute and reachable.
The layout (which page is reachable how, which is broken and why) is declared
in the constants below, so the tests check against one description.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import random
import socket
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, formatdate, parsedate_to_datetime
from html import escape as html_escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

FIXTURES = Path(__file__).with_name("fixtures")
SEED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))

SLOW_SECONDS = 4.0   # the slow page answers after this; the test crawl timeout is 1.5 s
BOMB_MB = 16         # what the gzip bomb inflates to; tests set max_page_mb = 1
OVERSIZED_MB = 1.6   # the plain oversized page

# Loopback plays the public web in tests: only this address (and link-local, where the
# cloud metadata address lives) counts as private. Configs written by
# write_config_file set it as [crawl] private_networks.
PRIVATE_HOST = "127.0.0.66"
TEST_PRIVATE_NETWORKS = (f"{PRIVATE_HOST}/32", "169.254.0.0/16")

# -- the layout of the fixture web (paths on the frontiernews site) -------------
SEED_PATH = "/ai-labs/xai-grok-openai-distillation"
SYNDICATED_PATH = "/2026/05/01/xai-admits-training-grok-on-openai-models"  # on aiwire
SECTION_PATH = "/ai-labs/"
FOLLOW = r"/ai-labs/[a-z0-9-]+$"
FEEDS = ("/feed.xml", "/atom.xml")
SITEMAPS = ("/sitemap_index.xml", "/news-sitemap.xml", "/sitemap-articles.xml")
AIWIRE_FEEDS = ("/feed.xml",)

# Where each reachable article must be stored (frontiernews paths).
STORED = (
    SEED_PATH,
    "/ai-labs/anthropic-cloud-deal",        # in the RSS feed (tracking params), news sitemap, section
    "/ai-labs/pentagon-ai-contracts",
    "/print/pentagon-ai-contracts",         # same body as the one above: duplicate_of
    "/ai-labs/nvidia-export-rules",         # reached through the 301 below
    "/ai-labs/mistral-funding",             # canonical of /amp/mistral-funding
    "/ai-labs/zurich-ai-cafe",              # latin-1 without any declared charset
    "/business/openai-enterprise-agents",   # only in a sitemap, outside `follow`
    "/ai-labs/open-weights-leaderboard",    # only linked from the section page
    "/ai-labs/deepmind-weather-model",      # only linked from the section page (relative link)
)
OUTSIDE_FOLLOW = "/business/openai-enterprise-agents"  # follow filters section links only
DUPLICATE_PAIR = ("/ai-labs/pentagon-ai-contracts", "/print/pentagon-ai-contracts")
REDIRECTS = {"/ai-labs/chip-export-story": "/ai-labs/nvidia-export-rules"}
CANONICALS = {"/amp/mistral-funding": "/ai-labs/mistral-funding"}
LATIN1_PATH = "/ai-labs/zurich-ai-cafe"
DISALLOWED = "/private/insider-memo"
NOT_FOLLOWED = ("/about", "/tag/openai", "/tag/open-source", "/tag/google", "/tag/amazon",
                "/tag/deepseek", "/policy/", "/markets/", "/newsletter/")

# Broken pages: path -> (runs.details section, reason); None = any drop reason.
BROKEN = {
    "/ai-labs/slow-story": ("errors", "timeout"),
    "/loop-a": ("errors", "redirect_loop"),
    "/ai-labs/retracted-story": ("errors", "http_404"),
    "/ai-labs/server-error": ("errors", "http_500"),
    "/reports/ai-index-2026.pdf": ("dropped", "not_html"),
    "/downloads/briefing-archive": ("dropped", "too_large"),
    "/ai-labs/live-blog-model-week": ("dropped", "too_large"),
    "/ai-labs/in-brief-robotics": ("dropped", "too_short"),
    "/ai-labs/garbled-page": ("dropped", None),   # random bytes as text/html
}


@dataclass(frozen=True)
class Request:
    """One request as a site saw it."""

    site: str
    base: str
    path: str                  # path and query as sent, e.g. "/a?utm_source=x"
    method: str
    headers: dict[str, str]    # names lower-cased
    status: int
    at: float

    @property
    def route(self) -> str:
        return urlsplit(self.path).path

    @property
    def url(self) -> str:
        return self.base + self.path


@dataclass
class Route:
    """What a path answers. `conditional` routes send ETag/Last-Modified and honour them."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    conditional: bool = False
    delay: float = 0.0
    last_modified: int = 0

    @property
    def etag(self) -> str:
        return '"%s"' % hashlib.sha1(self.body).hexdigest()[:16]

    def not_modified(self, headers) -> bool:
        if not self.conditional:
            return False
        if headers.get("If-None-Match") is not None:
            tags = [t.strip().removeprefix("W/") for t in headers["If-None-Match"].split(",")]
            return self.etag in tags or "*" in tags
        if headers.get("If-Modified-Since"):
            try:
                since = parsedate_to_datetime(headers["If-Modified-Since"]).timestamp()
            except (TypeError, ValueError):
                return False
            return self.last_modified <= since
        return False


NOT_FOUND = Route(b"<!DOCTYPE html><html><body><h1>Page not found</h1></body></html>", status=404)


class _Handler(BaseHTTPRequestHandler):
    server_version = "fixtureweb/1.0"

    def do_GET(self):
        self._answer(send_body=True)

    def do_HEAD(self):
        self._answer(send_body=False)

    def log_message(self, format, *args):
        """Silent: the request log replaces the stderr lines."""

    def _answer(self, send_body: bool) -> None:
        site = self.server.site
        route = site.route(urlsplit(self.path).path) or NOT_FOUND
        status = 304 if route.not_modified(self.headers) else route.status
        site._record(self, status)
        if route.delay and site._stopping.wait(route.delay):
            return  # shutting down: do not keep the test waiting
        try:
            self._send(route, status, send_body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as a crawler with a timeout does

    def _send(self, route: Route, status: int, send_body: bool) -> None:
        self.send_response(status)
        if route.conditional:
            self.send_header("ETag", route.etag)
            self.send_header("Last-Modified", formatdate(route.last_modified, usegmt=True))
        for name, value in route.headers:
            self.send_header(name, value)
        if status == 304:
            self.end_headers()
            return
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        if send_body:
            self.wfile.write(route.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client hanging up mid-request is part of the tests
        super().handle_error(request, client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


class FixtureSite:
    """One site: routes on 127.0.0.x (or ::1):<ephemeral port>, with a thread-safe request log."""

    def __init__(self, name: str, host: str, placeholder: str):
        self.name, self.placeholder = name, placeholder
        self._routes: dict[str, Route] = {}
        self._log: list[Request] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._feeds: dict[str, tuple[str, str, list[Entry]]] = {}
        self._server = (_Server6 if ":" in host else _Server)((host, 0), _Handler)
        self._server.site = self
        self.host, self.port = self._server.server_address[:2]
        netloc_host = f"[{self.host}]" if ":" in self.host else self.host
        self.base = f"http://{netloc_host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"fixtureweb-{name}", daemon=True)

    def start(self) -> FixtureSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str) -> str:
        return self.base + path

    def load(self, name: str) -> bytes:
        """A fixture file with the placeholder host replaced by this site's base URL."""
        return (FIXTURES / name).read_bytes().replace(self.placeholder.encode(), self.base.encode())

    # -- routes ----------------------------------------------------------------
    def route(self, path: str) -> Route | None:
        with self._lock:
            return self._routes.get(path)

    def set(self, path: str, body: bytes | str = b"", **options) -> Route:
        """Add or replace a route; a changed body gets a newer Last-Modified and ETag."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        with self._lock:
            old = self._routes.get(path)
            if old is None:
                stamp = int(time.time()) - 3600
            elif old.body == body:
                stamp = old.last_modified
            else:
                stamp = max(int(time.time()), old.last_modified + 1)
            route = self._routes[path] = Route(body=body, last_modified=stamp, **options)
        return route

    def remove(self, path: str) -> None:
        with self._lock:
            self._routes.pop(path, None)

    def set_feed(self, path: str, kind: str, title: str, entries) -> None:
        """Serve a feed or sitemap (kind: rss, atom, news, urlset, index), conditionally."""
        self._feeds[path] = (kind, title, list(entries))
        body, content_type = RENDERERS[kind](self, title, self._feeds[path][2])
        self.set(path, body, content_type=content_type, conditional=True)

    def publish(self, path: str, html: bytes | str, entry: Entry, feed: str = "/feed.xml") -> None:
        """Put an article online and list it first in `feed` (which gets a new ETag)."""
        self.set(path, html)
        kind, title, entries = self._feeds[feed]
        self.set_feed(feed, kind, title, [entry, *entries])

    # -- the request log ---------------------------------------------------------
    def _record(self, handler: BaseHTTPRequestHandler, status: int) -> None:
        headers = {name.lower(): value for name, value in handler.headers.items()}
        request = Request(self.name, self.base, handler.path, handler.command, headers,
                          status, time.time())
        with self._lock:
            self._log.append(request)

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._log)

    def mark(self) -> int:
        with self._lock:
            return len(self._log)

    def requests_since(self, mark: int) -> list[Request]:
        with self._lock:
            return self._log[mark:]


# -- feeds and sitemaps ------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """A feed or sitemap entry; `path` may carry tracking parameters and a fragment."""

    path: str
    title: str
    published: str          # ISO 8601 UTC, "2026-05-01T09:00:00Z"
    summary: str = ""


def _when(entry: Entry) -> datetime:
    return datetime.fromisoformat(entry.published.replace("Z", "+00:00"))


def render_rss(site, title, entries):
    items = "".join(
        f"<item><title>{escape(e.title)}</title><link>{escape(site.url(e.path))}</link>"
        f'<guid isPermaLink="false">{site.name}-{hashlib.sha1(e.path.encode()).hexdigest()[:12]}</guid>'
        f"<pubDate>{format_datetime(_when(e), usegmt=True)}</pubDate>"
        f"<description>{escape(e.summary)}</description></item>\n" for e in entries)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
            f"<title>{escape(title)}</title><link>{site.url('/')}</link>"
            f"<description>AI industry news</description>\n{items}</channel></rss>\n",
            "application/rss+xml; charset=utf-8")


def render_atom(site, title, entries):
    items = "".join(
        f'<entry><title>{escape(e.title)}</title><link rel="alternate" href="{escape(site.url(e.path))}"/>'
        f"<id>tag:{site.name},2026:{escape(e.path)}</id><published>{e.published}</published>"
        f"<updated>{e.published}</updated><summary>{escape(e.summary)}</summary></entry>\n"
        for e in entries)
    updated = max((e.published for e in entries), default="2026-01-01T00:00:00Z")
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
            f"<title>{escape(title)}</title><id>{site.url('/')}</id><updated>{updated}</updated>"
            f'<link rel="self" href="{site.url("/atom.xml")}"/>\n{items}</feed>\n',
            "application/atom+xml; charset=utf-8")


def render_news_sitemap(site, title, entries):
    urls = "".join(
        f"<url><loc>{escape(site.url(e.path))}</loc><news:news><news:publication>"
        f"<news:name>{escape(title)}</news:name><news:language>en</news:language></news:publication>"
        f"<news:publication_date>{e.published}</news:publication_date>"
        f"<news:title>{escape(e.title)}</news:title></news:news></url>\n" for e in entries)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n{urls}</urlset>\n',
            "application/xml; charset=utf-8")


def render_urlset(site, title, entries):
    urls = "".join(f"<url><loc>{escape(site.url(e.path))}</loc><lastmod>{e.published}</lastmod></url>\n"
                   for e in entries)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n',
            "application/xml; charset=utf-8")


def render_sitemap_index(site, title, entries):
    maps = "".join(f"<sitemap><loc>{escape(site.url(e.path))}</loc><lastmod>{e.published}</lastmod></sitemap>\n"
                   for e in entries)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{maps}</sitemapindex>\n',
            "application/xml; charset=utf-8")


RENDERERS = {"rss": render_rss, "atom": render_atom, "news": render_news_sitemap,
             "urlset": render_urlset, "index": render_sitemap_index}


def article_page(title: str, paragraphs: list[str], published: str, author: str = "FrontierNews Staff") -> str:
    """A FrontierNews-style article with the site's chrome, for pages made at run time."""
    body = "\n".join(f"<p>{html_escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html_escape(title)} | FrontierNews.ai</title>
<meta property="article:published_time" content="{published}"><meta name="author" content="{html_escape(author)}">
</head><body>
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept all cookies</button></div>
<header class="site-header"><a class="brand" href="/">FrontierNews.ai</a>
<nav><ul><li><a href="/">Home</a></li><li><a href="/ai-labs/">AI Labs</a></li><li><a href="/subscribe/">Subscribe</a></li></ul></nav></header>
<main><article><h1>{html_escape(title)}</h1>
<div class="byline">By {html_escape(author)} · <time datetime="{published}">{published[:10]}</time></div>
{body}
</article></main>
<footer>© 2026 FrontierNews.ai · Privacy policy · Terms of service · Advertise with us</footer>
</body></html>
"""


WORDS = ("model", "chip", "lab", "funding", "agent", "training", "policy", "safety", "cloud",
         "benchmark", "startup", "inference", "dataset", "regulator", "robot", "license",
         "researcher", "contract", "launch", "open", "weights", "energy", "court", "memo")


def generated_article(index: int, words: int = 240) -> tuple[str, str]:
    """(title, page) of an article whose text is its own: no two are copies of each other."""
    rng = random.Random(index)
    sentences = [" ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + f" {index}-{n}."
                 for n in range(words // 12)]
    paragraphs = [" ".join(sentences[i:i + 4]) for i in range(0, len(sentences), 4)]
    title = f"Generated story number {index} about {rng.choice(WORDS)}s"
    return title, article_page(title, paragraphs, "2026-04-20T08:00:00Z")


def publish_generated(site: FixtureSite, count: int, feed: str = "/generated.xml",
                      prefix: str = "/generated/story-", extra: tuple[Entry, ...] = ()) -> list[str]:
    """Serve `count` generated articles listed in an RSS feed at `feed` (with `extra` entries
    first); returns their paths."""
    paths, entries = [], list(extra)
    for index in range(count):
        title, page = generated_article(index)
        path = f"{prefix}{index}"
        site.set(path, page)
        paths.append(path)
        entries.append(Entry(path, title, "2026-04-20T08:00:00Z"))
    site.set_feed(feed, "rss", "Generated stories", entries)
    return paths


# -- the special pages ---------------------------------------------------------------
@functools.cache
def gzip_bomb() -> bytes:
    """A small gzip body that inflates to BOMB_MB of HTML."""
    inflated = b"<!DOCTYPE html><html><body><p>" + b"A" * (BOMB_MB * 1024 * 1024) + b"</p></body></html>"
    return gzip.compress(inflated, compresslevel=9)


def oversized_page() -> str:
    paragraph = ("Minute-by-minute updates from a week of frontier model launches, with reactions "
                 "from researchers, investors and regulators as the announcements arrived. ")
    count = int(OVERSIZED_MB * 1024 * 1024 / len(paragraph)) + 1
    return article_page("Live: frontier model week, as it happened", [paragraph] * count,
                        "2026-04-29T10:00:00Z")


PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
JUNK = random.Random(2026).randbytes(6000)

# -- the two sites -------------------------------------------------------------------
ARTICLE_FILES = {
    SEED_PATH: "frontiernews-xai-distillation.html",
    "/ai-labs/anthropic-cloud-deal": "frontiernews-anthropic-cloud-deal.html",
    "/ai-labs/pentagon-ai-contracts": "frontiernews-pentagon-ai-contracts.html",
    "/print/pentagon-ai-contracts": "frontiernews-pentagon-ai-contracts-print.html",
    "/ai-labs/nvidia-export-rules": "frontiernews-nvidia-export-rules.html",
    "/ai-labs/mistral-funding": "frontiernews-mistral-funding.html",
    "/amp/mistral-funding": "frontiernews-mistral-funding.html",
    "/business/openai-enterprise-agents": "frontiernews-openai-enterprise-agents.html",
    "/ai-labs/open-weights-leaderboard": "frontiernews-open-weights-leaderboard.html",
    "/ai-labs/deepmind-weather-model": "frontiernews-deepmind-weather-model.html",
    "/ai-labs/in-brief-robotics": "frontiernews-in-brief-robotics.html",
    "/about": "frontiernews-about.html",
    SECTION_PATH: "frontiernews-section-ai-labs.html",
}

RSS_ENTRIES = [
    Entry(SEED_PATH + "?utm_source=rss&utm_medium=feed#comments", SEED["title"],
          "2026-05-01T09:00:00Z", "xAI disclosed in court that it uses OpenAI's models to help train Grok."),
    Entry("/ai-labs/anthropic-cloud-deal?utm_source=rss&utm_medium=feed&fbclid=IwAR2xQ&mc_cid=5f2a9c",
          "Amazon deepens its cloud bet with a new Anthropic commitment", "2026-04-29T07:30:00Z"),
    Entry("/ai-labs/pentagon-ai-contracts", "Pentagon signs AI agreements with seven vendors",
          "2026-04-30T12:15:00Z"),
    Entry("/ai-labs/chip-export-story", "Chip export rules tighten again", "2026-04-28T09:45:00Z"),
    Entry(DISALLOWED, "Inside the memo that reshaped a lab's safety team", "2026-04-30T20:00:00Z"),
    Entry("/ai-labs/slow-story", "A story from a very slow server", "2026-04-30T18:00:00Z"),
    Entry("/ai-labs/retracted-story", "A retracted story", "2026-04-22T08:00:00Z"),
    Entry("/ai-labs/server-error", "A story behind a failing server", "2026-04-22T09:00:00Z"),
    Entry("/loop-a", "A story stuck in a redirect loop", "2026-04-22T10:00:00Z"),
    Entry("/downloads/briefing-archive", "The briefing archive", "2026-04-29T11:00:00Z"),
]
ATOM_ENTRIES = [
    Entry("/print/pentagon-ai-contracts", "Pentagon signs AI agreements with seven vendors (print)",
          "2026-04-30T12:15:00Z"),
    Entry(LATIN1_PATH, "Zürich's AI researchers trade the lab for the café", "2026-04-23T10:10:00Z"),
    Entry("/amp/mistral-funding", "Mistral AI raises new funding round at a higher valuation",
          "2026-04-24T16:00:00Z"),
    Entry("/reports/ai-index-2026.pdf", "The 2026 AI index report (PDF)", "2026-04-21T09:00:00Z"),
    Entry("/ai-labs/garbled-page", "A page that is not text", "2026-04-21T10:00:00Z"),
]
NEWS_ENTRIES = [
    Entry("/ai-labs/anthropic-cloud-deal", "Amazon deepens its cloud bet with a new Anthropic commitment",
          "2026-04-29T07:30:00Z"),
    Entry("/amp/mistral-funding", "Mistral AI raises new funding round at a higher valuation",
          "2026-04-24T16:00:00Z"),
    Entry("/ai-labs/in-brief-robotics", "In brief: humanoid robots reach a second car plant",
          "2026-04-30T06:00:00Z"),
    Entry("/ai-labs/live-blog-model-week", "Live: frontier model week, as it happened", "2026-04-29T10:00:00Z"),
]
URLSET_ENTRIES = [
    Entry("/business/openai-enterprise-agents", "", "2026-04-25T18:40:00Z"),
    Entry(SEED_PATH, "", "2026-05-01T09:00:00Z"),
]


def _redirect(site: FixtureSite, path: str, target: str, status: int = 301) -> None:
    site.set(path, b"", status=status, headers=(("Location", site.url(target)),))


def build_frontiernews(site: FixtureSite) -> None:
    """The main site on 127.0.0.1: every discovery path and every kind of broken page."""
    site.set("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    for path, name in ARTICLE_FILES.items():
        site.set(path, site.load(name))
    site.set(LATIN1_PATH, site.load("frontiernews-zurich-ai-cafe-latin1.html"), content_type="text/html")
    site.set("/tag/openai", article_page("Tag: OpenAI", ["Stories about OpenAI."], "2026-05-01T00:00:00Z"))
    site.set(DISALLOWED, article_page("Inside the memo", ["Confidential. " * 80], "2026-04-30T20:00:00Z"))
    _redirect(site, "/ai-labs/chip-export-story", "/ai-labs/nvidia-export-rules")
    _redirect(site, "/loop-a", "/loop-b", 302)
    _redirect(site, "/loop-b", "/loop-a", 302)
    site.set("/ai-labs/slow-story", site.load("frontiernews-openai-enterprise-agents.html"), delay=SLOW_SECONDS)
    site.set("/ai-labs/retracted-story", NOT_FOUND.body, status=404)
    site.set("/ai-labs/server-error", "<html><body><h1>Internal Server Error</h1></body></html>", status=500)
    site.set("/reports/ai-index-2026.pdf", PDF, content_type="application/pdf")
    site.set("/ai-labs/garbled-page", JUNK, content_type="text/html")
    site.set("/ai-labs/live-blog-model-week", oversized_page())
    site.set("/downloads/briefing-archive", gzip_bomb(), headers=(("Content-Encoding", "gzip"),))
    site.set_feed("/feed.xml", "rss", "FrontierNews.ai — AI Labs", RSS_ENTRIES)
    site.set_feed("/atom.xml", "atom", "FrontierNews.ai — everything", ATOM_ENTRIES)
    site.set_feed("/news-sitemap.xml", "news", "FrontierNews.ai", NEWS_ENTRIES)
    site.set_feed("/sitemap-articles.xml", "urlset", "", URLSET_ENTRIES)
    site.set_feed("/sitemap_index.xml", "index", "", [
        Entry("/news-sitemap.xml", "", "2026-05-01T09:00:00Z"),
        Entry("/sitemap-articles.xml", "", "2026-05-01T09:00:00Z")])


def build_aiwire(site: FixtureSite) -> None:
    """Another domain on 127.0.0.2 carrying the seed's syndicated copy."""
    site.set("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    site.set(SYNDICATED_PATH, site.load("aiwire-xai-distillation-syndicated.html"))
    site.set_feed("/feed.xml", "rss", "AI Wire Daily", [
        Entry(SYNDICATED_PATH + "?utm_source=newsletter&utm_campaign=daily&gclid=Cj0KCQ",
              "xAI admits training Grok on OpenAI models", "2026-05-01T15:30:00Z")])


class FixtureWeb:
    """Both sites, started together; `sources()` gives the matching [[sources]]."""

    def __init__(self):
        self.frontier = FixtureSite("frontiernews", "127.0.0.1", "https://frontiernews.example")
        self.aiwire = FixtureSite("aiwire", "127.0.0.2", "https://aiwire.example")
        build_frontiernews(self.frontier)
        build_aiwire(self.aiwire)

    @property
    def sites(self) -> tuple[FixtureSite, FixtureSite]:
        return self.frontier, self.aiwire

    def start(self) -> FixtureWeb:
        for site in self.sites:
            site.start()
        return self

    def stop(self) -> None:
        for site in self.sites:
            site.stop()

    def mark(self) -> dict[str, int]:
        return {site.name: site.mark() for site in self.sites}

    def requests(self, since: dict[str, int] | None = None) -> list[Request]:
        since = since or {}
        return [r for site in self.sites for r in site.requests_since(since.get(site.name, 0))]

    def sources(self) -> list[dict]:
        f, a = self.frontier, self.aiwire
        return [
            {"name": "frontiernews", "feeds": [f.url(p) for p in FEEDS],
             "sitemaps": [f.url("/sitemap_index.xml")], "pages": [f.url(SECTION_PATH)],
             "follow": [FOLLOW], "schedule": "every 10m"},
            {"name": "aiwire", "feeds": [a.url(p) for p in AIWIRE_FEEDS], "schedule": "every 10m"},
        ]


# -- a plain client, independent of newsmon -------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url, headers=None, timeout=5.0):
    """(status, headers, raw body) without following redirects or decoding anything."""
    try:
        with OPENER.open(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@contextmanager
def serve_fixture_web():
    """Start both sites; stop them (and any slow answer in progress) on exit."""
    web = FixtureWeb().start()
    try:
        yield web
    finally:
        web.stop()


# -- configuration files for the fixture web --------------------------------------------
def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def to_toml(data: dict) -> str:
    """Tables of scalars and arrays of tables: all a newsmon config needs."""
    lines = []
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in value.items()]
        else:
            for table in value:
                lines.append(f"[[{key}]]")
                lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
        lines.append("")
    return "\n".join(lines)


def write_config_file(web: FixtureWeb | None, folder: Path, *, name: str = "newsmon.toml",
                      archive: str = "newsmon.db", sources: list[dict] | None = None,
                      **crawl) -> Path:
    """Write a config for the fixture web; `crawl` overrides [crawl] keys (timeout=3, ...)."""
    settings = {"user_agent": "newsmon-test/1.0 (+http://127.0.0.1/)", "timeout": 1.5,
                "obey_robots": True, "max_page_mb": 1,
                "private_networks": list(TEST_PRIVATE_NETWORKS), **crawl}
    data = {"archive": {"path": archive}, "crawl": settings,
            "sources": sources if sources is not None else web.sources()}
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(data), encoding="utf-8")
    return path
