"""Company tagging benchmark: quality on the labelled sets, cost against extraction.

Quality: precision and recall over (article, company) pairs of each labelled set
in tests/data/tagging/, with the articles it gets wrong: the old set
(labelled.json), the new batch of hard texts written before the rules of issue 10
were changed (hard_batch.json) and a fresh check written after (fresh_check.json).
Every set must reach 0.97 precision and recall.
Cost: on the real news pages of the extraction benchmark (--pages DIR), the time of
trafilatura.extract(html, include_comments=False, with_metadata=True) per page
against the time to tag its output (title + body) with every built-in company.
Tagging must stay under 5% of extraction.

    python benchmarks/tagging.py [--pages DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.text.companies import load_companies  # noqa: E402
from crawler.text.tagging import CompanyMatcher  # noqa: E402
from crawler.text.tagging_quality import TARGET, load_labelled, score  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "tagging"
SETS = {"old set": LABELLED / "labelled.json", "new batch": LABELLED / "hard_batch.json",
        "fresh check": LABELLED / "fresh_check.json"}
PAGES = ROOT.parent / "shared" / "extraction-bench" / "html"


def split_metadata(text: str) -> tuple[str, str]:
    """(title, body) from extract()'s text output with its `---` metadata header."""
    if not text.startswith("---\n"):
        return "", text
    header, _, body = text[4:].partition("\n---\n")
    title = next((line[7:] for line in header.splitlines() if line.startswith("title: ")), "")
    return title, body


def cost(matcher: CompanyMatcher, pages: Path, repeat: int) -> dict:
    import trafilatura

    extract_times, tag_times, sizes = [], [], []
    for path in sorted(pages.glob("*.html.gz")):
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        start = time.perf_counter()
        text = trafilatura.extract(html, include_comments=False, with_metadata=True) or ""
        extract_times.append(time.perf_counter() - start)
        title, body = split_metadata(text)
        sizes.append(len(body))
        start = time.perf_counter()
        for _ in range(repeat):
            matcher.find_mentions(title, body)
        tag_times.append((time.perf_counter() - start) / repeat)
    return {"pages": len(extract_times), "extract": extract_times, "tag": tag_times, "chars": sizes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=PAGES)
    parser.add_argument("--repeat", type=int, default=20, help="tag each page N times (timer noise)")
    args = parser.parse_args()

    start = time.perf_counter()
    matcher = CompanyMatcher(load_companies())
    built_ms = (time.perf_counter() - start) * 1000
    good = True
    for name, path in SETS.items():
        articles = load_labelled(path)
        result = score(matcher, articles)
        good = good and result.meets()
        print(f"{name} ({path.name}, {len(articles)} texts): precision {result.precision:.3f}, "
              f"recall {result.recall:.3f} (tp {result.tp}, fp {result.fp}, fn {result.fn})")
        for line in result.wrong:
            print(f"  {line}")
    print(f"automaton: {len(matcher.companies)} companies, built in {built_ms:.1f} ms")

    timing = cost(matcher, args.pages, args.repeat)
    ms = lambda values, f: f(values) * 1000  # noqa: E731
    extract, tag = timing["extract"], timing["tag"]
    ratio = statistics.mean(tag) / statistics.mean(extract)
    print(f"{timing['pages']} pages, body {statistics.mean(timing['chars']):.0f} chars mean, "
          f"{max(timing['chars'])} max")
    print(f"extraction: mean {ms(extract, statistics.mean):.2f} ms, "
          f"median {ms(extract, statistics.median):.2f} ms")
    print(f"tagging:    mean {ms(tag, statistics.mean):.3f} ms, median {ms(tag, statistics.median):.3f} ms, "
          f"max {ms(tag, max):.3f} ms")
    print(f"tagging / extraction: {ratio:.2%} of extraction time per article (target < 5%)")
    ok = good and ratio < 0.05
    print("OK" if ok else f"BELOW TARGET (precision and recall {TARGET} on every set, cost < 5%)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
