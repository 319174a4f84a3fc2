"""Extraction quality and cost: newsmon's `extract_article` next to plain trafilatura.

    python benchmarks/extraction.py [--sets extraction-bench,wcxb-articles] [--limit N]

Two development sets, read from the shared folder next to the project:

- `wcxb-articles`: 793 article pages of 2023-2026 (WCXB development split) with
  body, title, author and publication day. The second path's thresholds in
  crawler/text/extraction.py were chosen on this set.
- `extraction-bench`: 85 news pages of 2019 (article-extraction-benchmark dev
  half), body only. Used to confirm those thresholds, unchanged.

For each page, in the same run and the same process, newsmon's
`extract_article` (with its real `min_words`, so a rejected page is a dropped
page scored as empty) and plain trafilatura (`bare_extraction`, comments off,
with metadata) are timed and scored:

- body F1, with each set's own metric (implemented here): word F1 on WCXB
  (lowercased `\\w+` tokens as multisets, averaged over pages), 4-gram shingle
  F1 on the older benchmark (tp/fp/fn per page normalised to 1, precision
  averaged over pages with a prediction, recall over all pages);
- dropped pages (newsmon: rejected; trafilatura: no text), and how many of
  them have no ground-truth text at all;
- publication day right (WCXB, pages with a day in the ground truth). The
  ground truth gives the day in the page's own zone, and so does trafilatura's
  date string; newsmon stores the instant in UTC, where an evening date west
  of Greenwich is already the next day. So newsmon's stored time is compared
  as read back in the zone the page gave (htmldate's own answer, with the
  same options, when it is the stored instant), and also strictly by its UTC
  day;
- the share of pages that took the second path, and ms per page.

Exit code 1 when a bar of the issue is missed: F1 below trafilatura's on a
set or below 0.975 on extraction-bench, a page dropped that has text, or a
publication-day accuracy below trafilatura's.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import htmldate
import lxml.html
import trafilatura
import trafilatura.utils

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.text.extraction import (DATE_PARAMS, Article, extract_article, to_utc_iso,  # noqa: E402
                                     use_plain_element_classes)

SHARED = ROOT.parent / "shared"
SETS = ("extraction-bench", "wcxb-articles")
OLD_BENCH_BAR = 0.975
TOKEN = re.compile(r"\w+")


@dataclass
class Page:
    page_id: str
    html: str
    url: str
    body: str
    day: str | None


@dataclass
class Output:
    text: str
    day: str | None        # in the page's own zone
    utc_day: str | None    # as stored
    dropped: bool
    second_path: bool
    seconds: float


def load_set(name: str, limit: int | None) -> list[Page]:
    folder = SHARED / name
    truth = json.loads((folder / "ground-truth.json").read_text("utf-8"))
    pages = []
    for page_id, record in list(truth.items())[:limit]:
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8", "replace")
        body = record.get("main_content", record.get("articleBody")) or ""
        day = (record.get("publish_date") or "")[:10] or None
        pages.append(Page(page_id, html, record.get("url") or "", body, day))
    return pages


def word_f1(predicted: str, reference: str) -> float:
    """WCXB's metric for one page: F1 of lowercased word multisets."""
    got = Counter(TOKEN.findall(predicted.lower()))
    want = Counter(TOKEN.findall(reference.lower()))
    if not want:
        return 0.0 if got else 1.0
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def shingles(text: str, size: int = 4) -> Counter:
    tokens = TOKEN.findall(text)
    if len(tokens) < size:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1))


def shingle_f1(predictions: list[str], references: list[str]) -> float:
    """The article-extraction-benchmark's corpus F1 (case kept, 4-gram shingles)."""
    precisions, recalls = [], []
    for predicted, reference in zip(predictions, references):
        want, got = shingles(reference), shingles(predicted)
        tp, fp, fn = (sum((want & got).values()), sum((got - want).values()), sum((want - got).values()))
        total = tp + fp + fn
        if not total:
            continue
        tp, fp, fn = tp / total, fp / total, fn / total
        if tp + fp:
            precisions.append(1.0 if fp == fn == 0 else tp / (tp + fp))
        if tp + fn:
            recalls.append(1.0 if fp == fn == 0 else tp / (tp + fn))
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def body_f1(set_name: str, outputs: list[Output], pages: list[Page]) -> float:
    if set_name == "extraction-bench":
        return shingle_f1([o.text for o in outputs], [p.body for p in pages])
    return statistics.fmean(word_f1(o.text, p.body) for o, p in zip(outputs, pages))


def run_newsmon(page: Page) -> Output:
    use_plain_element_classes()
    started = time.perf_counter()
    result = extract_article(page.html, page.url)
    seconds = time.perf_counter() - started
    if not isinstance(result, Article):
        return Output("", None, None, True, False, seconds)
    return Output(result.body, page_zone_day(page, result.published), (result.published or "")[:10] or None,
                  False, result.second_path, seconds)


def page_zone_day(page: Page, published: str | None) -> str | None:
    """The day of the stored UTC `published` in the zone the page itself gave."""
    if not published:
        return None
    raw = htmldate.find_date(page.html, url=page.url, **DATE_PARAMS)
    return raw[:10] if raw and to_utc_iso(raw) == published else published[:10]


def run_plain(page: Page) -> Output:
    # Plain means plain: trafilatura's parser with lxml.html's own element lookup, which
    # importing newsmon's extraction replaced.
    trafilatura.utils.HTML_PARSER.set_element_class_lookup(lxml.html.HtmlElementClassLookup())
    started = time.perf_counter()
    document = trafilatura.bare_extraction(page.html, url=page.url, include_comments=False,
                                           with_metadata=True)
    seconds = time.perf_counter() - started
    text = (document.text or "") if document is not None else ""
    date = document.date if document is not None else None
    day = (date or "")[:10] or None
    return Output(text, day, day, not text.strip(), False, seconds)


def summarise(set_name: str, pages: list[Page], outputs: list[Output]) -> dict:
    dated = [(o, p) for o, p in zip(outputs, pages) if p.day]
    return {
        "f1": body_f1(set_name, outputs, pages),
        "dropped": sum(o.dropped for o in outputs),
        "dropped_with_text": sum(o.dropped and bool(TOKEN.search(p.body)) for o, p in zip(outputs, pages)),
        "day_right": sum(o.day == p.day for o, p in dated) / len(dated) if dated else None,
        "utc_day_right": sum(o.utc_day == p.day for o, p in dated) / len(dated) if dated else None,
        "no_day": sum(o.day is None for o, _ in dated),
        "second_path": sum(o.second_path for o in outputs) / len(outputs),
        "ms": 1000 * statistics.fmean(o.seconds for o in outputs),
    }


def report(set_name: str, pages: list[Page]) -> bool:
    ours, plain = [], []
    for page in pages:  # interleaved, so machine load hits both alike
        ours.append(run_newsmon(page))
        plain.append(run_plain(page))
    a, b = summarise(set_name, pages, ours), summarise(set_name, pages, plain)
    dated = sum(1 for p in pages if p.day)
    print(f"\n{set_name}: {len(pages)} pages, {dated} with a publication day")
    print(f"{'':28s}{'newsmon':>12s}{'trafilatura':>14s}")
    print(f"{'body F1':28s}{a['f1']:12.4f}{b['f1']:14.4f}")
    print(f"{'dropped (with text)':28s}{a['dropped']:>8d} ({a['dropped_with_text']}){b['dropped']:>10d} "
          f"({b['dropped_with_text']})")
    if dated:
        print(f"{'publication day right':28s}{a['day_right']:12.4f}{b['day_right']:14.4f}")
        print(f"{'  strictly by the UTC day':28s}{a['utc_day_right']:12.4f}{'-':>14s}")
        print(f"{'dated pages without a date':28s}{a['no_day']:12d}{b['no_day']:14d}")
    print(f"{'second path':28s}{a['second_path']:12.1%}{'-':>14s}")
    print(f"{'ms per page':28s}{a['ms']:12.1f}{b['ms']:14.1f}   ratio {a['ms'] / b['ms']:.2f}")
    bars = [a["f1"] >= b["f1"], a["dropped_with_text"] == 0]
    if set_name == "extraction-bench":
        bars.append(a["f1"] >= OLD_BENCH_BAR)
    if dated:
        bars.append(a["day_right"] >= b["day_right"])
    print(f"bars (F1 >= trafilatura{', >= 0.975' if set_name == 'extraction-bench' else ''}, "
          f"nothing with text dropped{', day >= trafilatura' if dated else ''}): "
          f"{'PASS' if all(bars) else 'FAIL'}")
    return all(bars)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated: " + ", ".join(SETS))
    parser.add_argument("--limit", type=int, help="only the first N pages of each set (a quick look)")
    args = parser.parse_args()
    passed = [report(name, load_set(name, args.limit)) for name in args.sets.split(",")]
    return 0 if all(passed) else 1


if __name__ == "__main__":
    sys.exit(main())
