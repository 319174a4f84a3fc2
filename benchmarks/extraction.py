"""Extraction quality of newsmon's own `extract_article` on the extraction benchmark.

    python benchmarks/extraction.py [--bench DIR]

The benchmark (--bench DIR) is 85 real news pages with reference bodies and
the score.py that computes its F1. Scores newsmon's extraction (the settings
in crawler/extraction.py, with the title line stripped) with that score.py,
next to plain trafilatura with default settings and with comments off, all in
the same run, so the printed differences are due to the settings and not to
the machine. The bar: F1 >= 0.966 (plain trafilatura, comments off, on these
pages).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
import time
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.extraction import Article, extract_article  # noqa: E402

DEFAULT_BENCH = ROOT.parent / "shared" / "extraction-bench"


def load_scorer(bench: Path):
    spec = importlib.util.spec_from_file_location("bench_score", bench / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.score


def load_pages(bench: Path) -> dict[str, tuple[str, str]]:
    truth = json.loads((bench / "ground-truth.json").read_text())
    pages = {}
    for page_id, record in truth.items():
        html = gzip.decompress((bench / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8", "replace")
        pages[page_id] = (html, record.get("url") or "")
    return pages


def newsmon_body(html: str, url: str) -> str:
    result = extract_article(html, url, min_words=0)
    return result.body if isinstance(result, Article) else ""


def plain(**options):
    return lambda html, url: trafilatura.extract(html, url=url, **options) or ""


def run(bench: Path) -> int:
    score = load_scorer(bench)
    truth = {k: v["articleBody"] for k, v in json.loads((bench / "ground-truth.json").read_text()).items()}
    pages = load_pages(bench)
    candidates = {
        "newsmon extract_article": newsmon_body,
        "trafilatura default": plain(),
        "trafilatura comments off": plain(include_comments=False),
        "trafilatura comments off + favor_precision": plain(include_comments=False, favor_precision=True),
    }
    results = {}
    for name, extract in candidates.items():
        started = time.perf_counter()
        predictions = {page_id: extract(html, url) for page_id, (html, url) in pages.items()}
        elapsed = time.perf_counter() - started
        results[name] = score(truth, predictions)
        results[name]["ms_per_page"] = round(1000 * elapsed / len(pages), 1)
    print(f"{len(pages)} pages from {bench}")
    for name, result in results.items():
        print(f"{name:45s} F1 {result['f1']:.4f}  P {result['precision']:.4f}  "
              f"R {result['recall']:.4f}  {result['ms_per_page']} ms/page")
    ours = results["newsmon extract_article"]["f1"]
    print(f"newsmon F1 {ours:.4f} (bar 0.966): {'PASS' if ours >= 0.966 else 'FAIL'}")
    return 0 if ours >= 0.966 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    sys.exit(run(parser.parse_args().bench))
