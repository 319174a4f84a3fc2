"""What extraction gives back: an `Article`, or a `Rejection` saying why not.

Kept apart from crawler/text/extraction.py so that the crawl process, which
only passes these along, never imports trafilatura and readability (about
0.3 s of start-up; a crawl whose listings all answer 304 extracts nothing).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


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
    # Which text won (precision, balanced, json-ld, readability) and whether the
    # page took the second path: for the benchmark and the debug log.
    extractor: str = "precision"
    second_path: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Rejection:
    reason: str      # a stats key: not_html, no_body, too_short
    detail: str      # for the log

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"
