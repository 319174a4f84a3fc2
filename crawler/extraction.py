"""Turn one HTML page into an article, or into a reason why it is not one.

`extract_article` is a pure function so that it can run in a worker process
(see `pipelines/extract.py`) and be benchmarked on its own
(`benchmarks/extraction.py`). Unlike a bare trafilatura call, a rejection is
never a silent `None`: it says which reason (counted in the crawl's stats) and
why (logged).

Extraction settings were chosen with `benchmarks/extraction.py` on 85 real news
pages with reference bodies: comments off (trafilatura's default keeps comment
sections in the body) and precision favoured; the figures are in README.md.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime

from crawler.utc import iso

MIN_WORDS = 50
# trafilatura keeps module-level caches that grow in long-lived processes.
RESET_CACHES_EVERY = 200

EXTRACTION_OPTIONS = {
    "include_comments": False,
    "favor_precision": True,
    "include_tables": True,
}
DATE_PARAMS = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True, "extensive_search": True}

HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.I)
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\ufffd]")
WORD = re.compile(r"\w+")

_calls = 0


@dataclass
class Article:
    title: str | None
    author: str | None
    published: str | None
    language: str | None
    description: str | None
    sitename: str | None
    image: str | None
    body: str
    word_count: int
    canonical_url: str | None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Rejection:
    reason: str      # a stats key: not_html, no_body, too_short
    detail: str      # for the log

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


def looks_binary(text: str, sample: int = 4096) -> bool:
    """Decoded junk shows up as NULs, control characters and replacement marks."""
    head = text[:sample]
    if not head:
        return False
    return "\x00" in head or len(CONTROL_CHARS.findall(head)) > len(head) * 0.02


def to_utc_iso(value: str | None) -> str | None:
    """ISO 8601 UTC ('2026-05-01T09:00:00Z') from what htmldate returns."""
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return iso(parsed)
    return None


def strip_title_line(text: str, title: str | None) -> str:
    """trafilatura keeps the <h1> as the body's first line; the title has its own column."""
    if title:
        first, _, rest = text.partition("\n")
        if first.strip() == title.strip():
            return rest.lstrip("\n")
    return text


def page_language(html: str, detected: str | None) -> str | None:
    if detected:
        return detected
    match = HTML_LANG.search(html[:5000])
    return match.group(1).lower() if match else None


def _maybe_reset_caches() -> None:
    global _calls
    _calls += 1
    if _calls % RESET_CACHES_EVERY == 0:
        from trafilatura.meta import reset_caches

        reset_caches()


def extract_article(html: str, url: str, min_words: int = MIN_WORDS) -> Article | Rejection:
    """Extract body and metadata from `html` (already decoded) fetched from `url`."""
    # Imported on first use (~0.1 s): a crawl with nothing new never loads trafilatura.
    import trafilatura

    _maybe_reset_caches()
    if looks_binary(html):
        return Rejection("not_html", "binary content")
    if "<" not in html[:2048]:
        return Rejection("not_html", "no markup")
    try:
        document = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, date_extraction_params=DATE_PARAMS,
            **EXTRACTION_OPTIONS)
    except Exception as exc:  # trafilatura/lxml raise many kinds on broken markup
        return Rejection("no_body", f"extraction failed: {type(exc).__name__}: {exc}")
    if document is None or not (document.text or "").strip():
        return Rejection("no_body", "no main text found")
    body = strip_title_line(document.text.strip(), document.title)
    words = len(WORD.findall(body))
    if words < min_words:
        return Rejection("too_short", f"{words} words (minimum {min_words})")
    return Article(
        title=document.title,
        author=document.author,
        published=to_utc_iso(document.date),
        language=page_language(html, document.language),
        description=document.description,
        sitename=document.sitename,
        image=document.image,
        body=body,
        word_count=words,
        canonical_url=document.url if document.url != url else None,
    )
