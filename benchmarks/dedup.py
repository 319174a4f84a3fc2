"""Near-duplicate linking on real pages: precision, recall, a threshold sweep, lookup cost.

    python benchmarks/dedup.py [--bench DIR] [--threshold 0.5] [--sizes 10000,1000000]

Positives (benchmarks/dedup_pairs.py): for each of the 85 reference bodies of
the extraction benchmark (--bench DIR), a syndicated copy (preface, last paragraph
dropped, quote style changed, words edited, new headline, other boilerplate,
extracted by trafilatura) and an update (first version, later a longer one).
Negatives: the 85 different articles against each other (same-topic ones
among them: three on one plague case, two on one Swedish investigation, two
on one duvet-lung case, ...) and the hand-written same-topic pairs of
tests/data/neardup/same_topic.json. Linking runs through the real archive
code (open_archive, add_signature, find_original) in a temporary SQLite file.
Originals are taken two ways: the ground-truth body, and what trafilatura
extracts from the real page.

A link is a true positive when it points at the pair's original; any other
link is a false positive. Pairs with a text under MIN_WORDS words cannot be
signed by design; recall is printed over all pairs and over signable ones.

Everything runs twice, with the previous signature scheme (datasketch, SHA-1)
and the current one (rensa), and a last table puts their precision and recall
side by side (`--schemes current` for the current one only). Needs the
`bench` extra.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crawler.text import neardup  # noqa: E402
from crawler.archive import open_archive  # noqa: E402
from crawler.archive.articles import insert_article  # noqa: E402
from crawler.archive.bodies import bodies_of  # noqa: E402
from crawler.archive.neardup_index import add_signature, find_original, scored_candidates  # noqa: E402
from dedup_cost import previous_scheme  # noqa: E402
from dedup_pairs import syndicated_copy, update_pair  # noqa: E402
from dedup_scale import lookup_times  # noqa: E402

DEFAULT_BENCH = ROOT.parent / "shared" / "extraction-bench"
SAME_TOPIC = ROOT / "tests" / "data" / "neardup" / "same_topic.json"
SWEEP = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def load_originals(bench: Path, extracted: bool) -> list[str]:
    truth = json.loads((bench / "ground-truth.json").read_text())
    if not extracted:
        return [record["articleBody"] for record in truth.values()]
    bodies = []
    for page_id in truth:
        page = gzip.decompress((bench / "html" / f"{page_id}.html.gz").read_bytes())
        bodies.append(trafilatura.extract(page.decode("utf-8", "replace"),
                                          include_comments=False) or "")
    return bodies


class Harness:
    """An archive filled in order, recording every lookup's scored candidates."""

    def __init__(self, path: Path, threshold: float):
        self.db = open_archive(path)
        self.threshold = threshold
        self.lookups = []  # (kind, expected id or None, signable, [(id, sim)], linked id or None)
        self.stored = {}   # id -> signature, for the brute-force margins
        self.signatures = []  # the signature of each lookup (or None)
        self.texts = []       # the text of each lookup

    def lookup(self, kind: str, text: str, expected: int | None, signable: bool = True):
        sig = neardup.signature(text)
        scored = scored_candidates(self.db, sig, 0.0) if sig else []
        match = find_original(self.db, sig, self.threshold) if sig else None
        self.lookups.append((kind, expected, signable, scored, match and match[0]))
        self.signatures.append(sig)
        self.texts.append(text)
        return sig, match

    def store(self, kind: str, text: str, expected: int | None = None) -> int:
        """Look the text up, then archive it (linked if it matched), like save_articles."""
        sig, match = self.lookup(kind, text, expected)
        with self.db.conn:
            article_id = insert_article(self.db, {
                "url": f"https://bench.example/{len(self.lookups)}", "source": kind, "body": text,
                "duplicate_of": match and match[0], "similarity": match and match[1]})
            if sig is not None:
                add_signature(self.db, article_id, sig)
                self.stored[article_id] = sig
        return article_id

    def _stored_head(self, article_id) -> str:
        body = bodies_of(self.db, [article_id]).get(article_id)
        return _head(body) if body else "?"

    def margins(self) -> tuple[list, list]:
        """Brute force, without the index: similarity of each true pair, and of
        each negative lookup to every earlier stored text."""
        true_pairs, negatives = [], []
        for lookup, sig, text in zip(self.lookups, self.signatures, self.texts):
            kind, expected = lookup[0], lookup[1]
            if sig is None:
                continue
            if expected is not None:
                other = self.stored.get(expected)
                true_pairs.append((neardup.similarity(sig, other) if other else 0.0, kind))
            else:
                sims = [(neardup.similarity(sig, o), i) for i, o in self.stored.items() if o is not sig]
                best, other_id = max(sims, default=(0.0, None))
                negatives.append((best, f"{kind}: {_head(text)} / {self._stored_head(other_id)}"))
        return true_pairs, negatives


def run_links(originals: list[str], pairs: list[dict], tmp: Path, threshold: float) -> tuple:
    """Two archives: copies and same-topic pairs in one, updates in the other.

    Updates get an archive of their own: there, the first versions are the
    originals (in the first archive the full body would be their original).
    """
    rng = random.Random(2026)
    copies = Harness(tmp / "copies.db", threshold)
    ids = [copies.store("original", body) for body in originals]
    for pair in pairs:
        copies.store("same-topic", pair["a"])
        copies.lookup("same-topic", pair["b"], None)
    updates = Harness(tmp / "updates.db", threshold)
    for original_id, body in zip(ids, originals):
        copy = syndicated_copy(body, rng)
        copies.lookup("syndicated", copy, original_id, _signable(body, copy))
        first, later = update_pair(body, rng)
        first_id = updates.store("update-first", first)
        updates.lookup("update", later, first_id, _signable(first, later))
    return copies, updates


def _head(text: str) -> str:
    return repr(" ".join(text.split()[:6]))


def _signable(*texts: str) -> bool:
    return all(len(neardup.normalise(t).split()) >= neardup.MIN_WORDS for t in texts)


def score(lookups, threshold: float | None = None) -> dict:
    """Counts at `threshold` (best candidate at or above it), or of the real links if None."""
    tp = fp = fn = fn_unsignable = 0
    for _kind, expected, signable, scored, linked in lookups:
        if threshold is not None:
            above = [article_id for article_id, sim in scored if sim >= threshold]
            linked = above[0] if above else None
        if linked is not None and linked == expected:
            tp += 1
        elif linked is not None:
            fp += 1
        if expected is not None and linked != expected:
            fn += 1
            fn_unsignable += not signable
    positives = sum(1 for lookup in lookups if lookup[1] is not None)
    return {"tp": tp, "fp": fp, "fn": fn, "positives": positives,
            "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / positives if positives else 1.0,
            "recall_signable": tp / (positives - fn_unsignable) if positives else 1.0,
            "unsignable": fn_unsignable}


def report_quality(name: str, harnesses: tuple, threshold: float) -> dict:
    lookups = [x for harness in harnesses for x in harness.lookups]
    true_pairs, negatives = [], []
    for harness in harnesses:
        t, n = harness.margins()
        true_pairs += t
        negatives += n
    result = score(lookups)
    print(f"\n== {name}: {result['positives']} positive pairs,"
          f" {sum(1 for x in lookups if x[1] is None)} negative lookups")
    print(f"threshold {threshold}: precision {result['precision']:.3f}  recall {result['recall']:.3f}"
          f"  (recall over signable pairs {result['recall_signable']:.3f};"
          f" tp {result['tp']} fp {result['fp']} fn {result['fn']},"
          f" of which {result['unsignable']} with a text under {neardup.MIN_WORDS} words)")
    print(f"brute force over all pairs: lowest similarity of a true pair {min(true_pairs)[0]:.3f}"
          f" ({min(true_pairs)[1]}), highest of a negative pair {max(negatives)[0]:.3f}"
          f" ({max(negatives)[1]})")
    print("true pairs under 0.8:", ", ".join(f"{s:.2f} {k}" for s, k in sorted(true_pairs) if s < 0.8))
    for kind in ("syndicated", "update", "same-topic", "original", "update-first"):
        part = score([x for x in lookups if x[0] == kind])
        print(f"  {kind:<11} tp {part['tp']:>3} fp {part['fp']:>2} fn {part['fn']:>2}")
    print("sweep: threshold  precision  recall")
    for t in SWEEP:
        swept = score(lookups, t)
        print(f"        {t:<9.2f}  {swept['precision']:<9.3f}  {swept['recall']:.3f}")
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--schemes", default="previous,current",
                        help="signature schemes to score, comma-separated (previous, current)")
    parser.add_argument("--sizes", default="10000,1000000",
                        help="index sizes for the lookup timing, comma-separated ('' to skip)")
    args = parser.parse_args(argv)
    pairs = json.loads(SAME_TOPIC.read_text())["pairs"]
    schemes = {"previous": previous_scheme, "current": contextlib.nullcontext}
    summary = []
    originals_of = {extracted: load_originals(args.bench, extracted) for extracted in (False, True)}
    with tempfile.TemporaryDirectory(prefix="newsmon-dedup-") as tmp:
        for scheme in args.schemes.split(","):
            for name, extracted in (("ground-truth originals", False), ("extracted originals", True)):
                start = time.perf_counter()
                workdir = Path(tmp) / scheme / ("extracted" if extracted else "truth")
                with schemes[scheme]():
                    harnesses = run_links(originals_of[extracted], pairs, workdir, args.threshold)
                    result = report_quality(f"{scheme} scheme, {name}", harnesses, args.threshold)
                summary.append((scheme, name, result))
                print(f"({time.perf_counter() - start:.1f} s)")
        print(f"\n== at threshold {args.threshold}: scheme, originals, precision, recall (tp/positives, fp)")
        for scheme, name, result in summary:
            print(f"{scheme:<9} {name:<23} {result['precision']:.3f}  {result['recall']:.3f}"
                  f"  ({result['tp']}/{result['positives']}, fp {result['fp']})")
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        originals = load_originals(args.bench, False)
        for size in sizes:
            lookup_times(Path(tmp) / f"scale-{size}.db", size, originals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
