"""Lookup cost of the near-duplicate index with many signatures in a real SQLite file.

The index is filled with synthetic signatures (random MinHash values, random
64-bit band keys: band keys are hash outputs, so random keys have their
distribution) plus 43 real articles. Then find_original is timed for 43
syndicated copies of those (a match, verified against the stored signature)
and for 42 other real articles (no match). Band rows are inserted in key
order, in big executemany transactions: a bulk load instead of 42 million
random B-tree inserts. Synthetic signatures have no article rows, so foreign
keys are off on the benchmark's connection.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

import numpy as np

from crawler.text import neardup
from crawler.archive import open_archive
from crawler.archive.articles import insert_article
from crawler.archive.neardup_index import add_signature, candidates, find_original
from dedup_pairs import syndicated_copy

SYNTHETIC_FIRST_ID = 10_000_000
_ROWS_PER_STATEMENT = 1_000_000
_SIGNATURES_PER_BATCH = 50_000
WARM_PASSES = 5  # the machine may be shared: medians over several passes


def fill_synthetic(db, count: int, seed: int = 11, first_id: int = SYNTHETIC_FIRST_ID) -> None:
    """Band rows of random signatures for ids first_id .. first_id + count - 1 (and the
    signatures themselves where the schema stores them: before v7)."""
    rng = np.random.default_rng(seed)
    info = np.iinfo(np.int64)
    keys = rng.integers(info.min, info.max, size=count * neardup.BANDS, dtype=np.int64)
    owners = np.repeat(np.arange(first_id, first_id + count), neardup.BANDS)
    order = np.argsort(keys, kind="stable")
    keys, owners = keys[order], owners[order]
    with db.conn:
        for start in range(0, len(keys), _ROWS_PER_STATEMENT):
            stop = start + _ROWS_PER_STATEMENT
            db.conn.executemany("INSERT INTO lsh_bands (band_key, article_id) VALUES (?, ?)",
                                zip(keys[start:stop].tolist(), owners[start:stop].tolist()))
    del keys, owners, order
    if not db["signatures"].exists():   # schema 7 signs from bodies: nothing stored
        return
    no_numbers = np.array([], dtype="<u4")
    for start in range(0, count, _SIGNATURES_PER_BATCH):
        n = min(_SIGNATURES_PER_BATCH, count - start)
        values = rng.integers(0, 2**32, size=(n, neardup.NUM_PERM), dtype=np.uint32)
        rows = ((first_id + start + i,
                 neardup.serialise(neardup.Signature(values[i], 500, 500, no_numbers)))
                for i in range(n))
        with db.conn:
            db.conn.executemany("INSERT INTO signatures (article_id, minhash) VALUES (?, ?)", rows)


def store_real(db, bodies: list[str]) -> list[int]:
    ids = []
    with db.conn:
        for index, body in enumerate(bodies):
            article_id = insert_article(db, {"url": f"https://scale.example/{index}",
                                             "source": "bench", "body": body})
            add_signature(db, article_id, neardup.signature(body))
            ids.append(article_id)
    return ids


def timed_lookups(db, queries: list[tuple[str, int | None]], threshold: float) -> tuple:
    """Per-query seconds, how many found their expected original, candidates seen."""
    times, correct, seen = [], 0, []
    for text, expected in queries:
        sig = neardup.signature(text)
        if sig is None:  # under MIN_WORDS: never looked up
            continue
        start = time.perf_counter()
        match = find_original(db, sig, threshold)
        times.append(time.perf_counter() - start)
        correct += (match and match[0]) == expected
        seen.append(len(candidates(db, sig)))
    return times, correct, seen


def lookup_times(path: Path, size: int, originals: list[str], threshold: float = 0.5) -> None:
    start = time.perf_counter()
    db = open_archive(path)
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("PRAGMA cache_size = -1000000")
    fill_synthetic(db, size)
    half = len(originals) // 2 + 1
    ids = store_real(db, originals[:half])
    build = time.perf_counter() - start
    rng = random.Random(7)
    queries = [(syndicated_copy(body, rng), i) for body, i in zip(originals[:half], ids)]
    queries += [(body, None) for body in originals[half:]]
    db.conn.close()
    db = open_archive(path)  # a fresh connection: SQLite's page cache starts empty
    cold, correct, seen = timed_lookups(db, queries, threshold)
    warm = [t for _ in range(WARM_PASSES) for t in timed_lookups(db, queries, threshold)[0]]
    rows = db.execute("SELECT COUNT(*) FROM lsh_bands").fetchone()[0]
    mb = path.stat().st_size / 1e6
    print(f"\n== lookup with {size + half:,} signatures ({rows:,} band rows, {mb:,.0f} MB file,"
          f" built in {build:.0f} s)")
    p90 = statistics.quantiles(warm, n=10)[-1]
    print(f"find_original per article: median {statistics.median(warm) * 1e3:.2f} ms,"
          f" p90 {p90 * 1e3:.2f} ms over {WARM_PASSES} passes"
          f" (first pass on a fresh connection: median {statistics.median(cold) * 1e3:.2f} ms)")
    print(f"{correct}/{len(cold)} lookups returned the expected answer;"
          f" candidates per lookup: mean {statistics.mean(seen):.1f}, max {max(seen)}")
    db.conn.close()
    path.unlink()
