"""Find article links in feeds, sitemaps and section pages.

Pure functions over bytes, so they are tested without a crawl. Each returns
`Link`s carrying whatever metadata the listing had (title, date, author,
summary): extraction uses it to fill gaps the page itself leaves.
RSS and Atom go through feedparser; JSON Feed, which feedparser 6 does not
read, is plain JSON; sitemaps are parsed with lxml because Scrapy's own
sitemap reader drops the nested `<news:news>` metadata.
"""

from __future__ import annotations

import calendar
import gzip
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin

import feedparser
from lxml import etree

from crawler.text.utc import iso, parse_utc

NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


class ListingError(ValueError):
    """A feed or sitemap that cannot be read at all."""


@dataclass(frozen=True)
class Link:
    url: str
    hints: dict = field(default_factory=dict)   # title, published, author, description


def _iso_from_struct(value) -> str | None:
    if not value:
        return None
    return iso(datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc))


def iso_utc(text: str | None) -> str | None:
    """ISO 8601 UTC from a W3C datetime ('2026-05-01', '2026-05-01T09:00:00+02:00')."""
    try:
        parsed = parse_utc(text)
    except ValueError:
        return None
    return iso(parsed) if parsed else None


def absolute(base_url: str, url: str) -> str:
    """`url` made absolute; a link urljoin cannot read stays as written.

    The spider counts such a link as bad_url: one broken item must not stop the
    parsing of its listing."""
    try:
        return urljoin(base_url, url.strip())
    except ValueError:
        return url


def _hints(**values) -> dict:
    return {key: value for key, value in values.items() if value}


def parse_json_feed(body: bytes, base_url: str) -> list[Link]:
    try:
        data = json.loads(body)
        items = data["items"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ListingError(f"not a JSON Feed: {exc}") from None
    links = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        url = item.get("url") or item.get("external_url")
        if not isinstance(url, str):
            continue
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        author = ", ".join(a.get("name", "") for a in authors if isinstance(a, dict)) or None
        links.append(Link(absolute(base_url, url), _hints(
            title=item.get("title"), published=iso_utc(item.get("date_published")),
            author=author, description=item.get("summary"))))
    return links


def parse_feed(body: bytes, base_url: str) -> list[Link]:
    """Article links of an RSS, Atom or JSON Feed document."""
    if body.lstrip()[:1] == b"{":
        return parse_json_feed(body, base_url)
    parsed = feedparser.parse(body)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        reason = getattr(parsed, "bozo_exception", None) or "no feed entries"
        raise ListingError(f"not a readable feed: {reason}")
    links = []
    for entry in parsed.entries:
        url = entry.get("link")
        if not url:
            continue
        links.append(Link(absolute(base_url, url), _hints(
            title=entry.get("title"),
            published=_iso_from_struct(entry.get("published_parsed") or entry.get("updated_parsed")),
            author=entry.get("author"),
            description=entry.get("summary"))))
    return links


def maybe_gunzip(body: bytes, max_bytes: int) -> bytes:
    """Sitemaps are often served as .xml.gz files (not Content-Encoding)."""
    if body[:2] != b"\x1f\x8b":
        return body
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ListingError(f"gzipped sitemap larger than {max_bytes} bytes once decompressed")
    return data


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(element, name: str, namespace: str | None = None) -> str | None:
    for child in element:
        if _local(child.tag) == name and (namespace is None or child.tag.startswith("{" + namespace)):
            return (child.text or "").strip() or None
    return None


def parse_sitemap(body: bytes, max_bytes: int = 50 * 2**20) -> tuple[str, list[Link]]:
    """('index', child sitemaps) or ('urlset', article links) of a sitemap document."""
    data = maybe_gunzip(body, max_bytes)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ListingError(f"not XML: {exc}") from None
    if root is None or _local(root.tag) not in ("sitemapindex", "urlset"):
        raise ListingError("not a sitemap (root element is neither urlset nor sitemapindex)")
    kind = "index" if _local(root.tag) == "sitemapindex" else "urlset"
    links = []
    for entry in root:
        loc = _child_text(entry, "loc")
        if not loc:
            continue
        news = next((c for c in entry if _local(c.tag) == "news"), None)
        hints = {}
        if news is not None:
            hints = _hints(title=_child_text(news, "title", NEWS_NS),
                           published=iso_utc(_child_text(news, "publication_date", NEWS_NS)))
        if "published" not in hints and kind == "urlset":
            hints.update(_hints(published=iso_utc(_child_text(entry, "lastmod"))))
        links.append(Link(loc, hints))
    if not links and parser.error_log:
        # recover=True reads a damaged file as an empty one: say so instead.
        raise ListingError(f"malformed sitemap: {parser.error_log[0].message}")
    return kind, links


def follows(url: str, patterns) -> bool:
    return any(pattern.search(url) for pattern in patterns)

