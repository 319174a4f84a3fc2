"""The throughput benchmark's web: real news pages behind one RSS feed, on loopback.

The base pages are the 85 pages of the extraction benchmark, then the WCXB article
pages, in a fixed order. Page i of the site is base page i % len(base) with its own
first paragraph (so every page is a distinct article, and copies of one base page
exercise near-duplicate linking as syndicated copies do). An RSS feed per crawl size
N lists the first N pages; the root page advertises a feed with <link rel="alternate">
(news-please finds its feed that way). A separate process serves the folder, so
serving costs no CPU in the measured processes.
"""

from __future__ import annotations

import gzip
import html as htmllib
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
PAGE_SETS = (SHARED / "extraction-bench" / "html", SHARED / "wcxb-articles" / "html")
TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def load_base_pages(count: int) -> list[str]:
    """The first `count` real pages (extraction benchmark first, then WCXB)."""
    pages = []
    for folder in PAGE_SETS:
        for path in sorted(folder.glob("*.html.gz")):
            if len(pages) == count:
                return pages
            pages.append(gzip.decompress(path.read_bytes()).decode("utf-8", "replace"))
    return pages


def unique_page(html: str, index: int) -> str:
    """Give every copy its own first paragraph so copies are not exact duplicates."""
    marker = f"<p>Dispatch {index}: reference {index * 7919 % 100003} for the newsroom archive.</p>"
    for tag in ("<article", "<main", "<body"):
        at = html.find(tag)
        if at != -1:
            end = html.find(">", at)
            return html[:end + 1] + marker + html[end + 1:]
    return marker + html


def site_page(base: list[str], index: int) -> str:
    return unique_page(base[index % len(base)], index)


def _title(html: str, index: int) -> str:
    found = TITLE.search(html)
    text = " ".join(found.group(1).split()) if found else ""
    return htmllib.escape(htmllib.unescape(text) or f"Article {index}", quote=False)


def write_site(folder: Path, base: list[str], sizes: list[int], root_url: str) -> None:
    """Write max(sizes) article pages under /a/ and, per size N, /feed-N.xml listing
    the first N of them."""
    (folder / "a").mkdir(parents=True)
    items = []
    for index in range(max(sizes)):
        page = site_page(base, index)
        (folder / f"a/{index:05d}.html").write_text(page, "utf-8")
        url = f"{root_url}/a/{index:05d}.html"
        items.append(f"<item><title>{_title(page, index)}</title><link>{url}</link>"
                     f"<guid>{url}</guid><pubDate>Mon, 02 Nov 2026 08:00:00 GMT</pubDate></item>")
    for size in sizes:
        (folder / f"feed-{size}.xml").write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Benchmark news</title><link>{root_url}/</link>"
            "<description>Real news pages</description>" + "".join(items[:size])
            + "</channel></rss>", "utf-8")
    advertise_feed(folder, feed_url(root_url, max(sizes)))


def feed_url(root_url: str, size: int) -> str:
    return f"{root_url}/feed-{size}.xml"


def advertise_feed(folder: Path, url: str) -> None:
    """The root page, linking the feed as sites do (news-please starts from the root)."""
    (folder / "index.html").write_text(
        f'<html><head><title>Benchmark news</title><link rel="alternate" href="{url}" '
        'type="application/rss+xml" title="News"></head><body><p>News.</p></body></html>',
        "utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SiteServer:
    """`python -m http.server` on a free loopback port, in its own process."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.root_url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "SiteServer":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1",
             "--directory", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:  # serving, not just listening: the first crawl must not race the server
            try:
                urllib.request.urlopen(self.root_url + "/", timeout=2).read()
                return self
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.__exit__()
                    raise RuntimeError(f"the page server did not start on {self.root_url}")
                time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
