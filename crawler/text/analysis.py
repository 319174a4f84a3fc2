"""One page in, everything the archive needs of it out: a pure function of the body.

Extraction, the feed's hints, the content hash, the near-duplicate signature
and the company mentions depend on the page alone, so they are computed
together where the page is extracted: in an extraction worker
(pipelines/extractpool.py), off the crawl process, which only schedules
requests, decides "already seen?" and writes batches. The result is plain
data (picklable) so that it crosses the process boundary in one piece.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from crawler.text.utc import to_utc_iso

# The article fields a page gives the archive (crawler/items.py).
METADATA_FIELDS = ("title", "author", "published", "language", "description", "sitename",
                   "image", "body", "word_count")


@dataclass
class AnalysedPage:
    fields: dict                 # METADATA_FIELDS, hints filled in
    canonical_url: str | None    # the page's own canonical link, when it differs
    content_hash: str            # exact-copy key (crawler/text/neardup.py)
    signature: object | None     # near-copy Signature, None for short bodies
    mentions: list[dict] = field(default_factory=list)   # as `Mention`, for the archive


def fill_from_hints(fields: dict, hints: dict) -> dict:
    """Feed/sitemap metadata fills what the page lacks; a feed time refines a bare date.

    The page's own date wins; a feed date in the future or before the web is ignored.
    """
    merged = dict(fields)
    hints = {**hints, "published": to_utc_iso(hints.get("published"))}
    for key in ("title", "author", "description", "published"):
        if not merged.get(key) and hints.get(key):
            merged[key] = hints[key]
    page, feed = merged.get("published") or "", hints.get("published") or ""
    if page.endswith("T00:00:00Z") and feed[:10] == page[:10]:
        merged["published"] = feed
    return merged


def analyse(article, hints: dict, matcher) -> AnalysedPage:
    """What the archive keeps of an extracted `article` (crawler.text.extraction.Article)."""
    from crawler.text.neardup import fingerprints

    extracted = article.as_dict()
    fields = fill_from_hints({key: extracted[key] for key in METADATA_FIELDS}, hints or {})
    content_hash, signature = fingerprints(fields["body"])
    mentions = matcher.find_mentions(fields.get("title") or "", fields["body"]) if matcher else []
    return AnalysedPage(fields, article.canonical_url, content_hash, signature,
                        [asdict(mention) for mention in mentions])
