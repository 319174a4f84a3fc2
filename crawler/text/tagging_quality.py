"""How well the tagger does on a labelled set: precision and recall over (article, company) pairs.

One implementation for benchmarks/tagging.py and the tests, so the figures the
README reports and the floor the tests enforce are computed the same way.
A labelled set is a JSON list of {"id", "lang", "title", "body", "companies"}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from crawler.text.tagging import CompanyMatcher

TARGET = 0.97   # precision and recall every labelled set must reach


@dataclass
class Quality:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    wrong: list[str] = field(default_factory=list)   # "id: extra [...], missing [...]"

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def meets(self, target: float = TARGET) -> bool:
        return self.precision >= target and self.recall >= target


def load_labelled(path: Path) -> list[dict]:
    return json.loads(Path(path).read_text("utf-8"))


def score(matcher: CompanyMatcher, articles: list[dict]) -> Quality:
    quality = Quality()
    for article in articles:
        found = {m.company for m in matcher.find_mentions(article["title"], article["body"])}
        expected = set(article["companies"])
        quality.tp += len(found & expected)
        quality.fp += len(found - expected)
        quality.fn += len(expected - found)
        if found != expected:
            quality.wrong.append(f"{article['id']}: extra {sorted(found - expected)}, "
                                 f"missing {sorted(expected - found)}")
    return quality
