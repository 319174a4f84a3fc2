"""What signing an article costs: the previous scheme against the current one, in one run.

    python benchmarks/dedup_cost.py [--bench DIR] [--repeat 5]

Times, per article of the 85 real bodies of ../shared/extraction-bench (best
of --repeat passes, so a busy shared machine disturbs it less):
- the whole signing step as the crawl runs it (`fingerprints` plus the band
  keys it needs for lookup and storage), previous scheme vs current;
- the MinHash alone, four ways: datasketch with SHA-1 per shingle (the
  previous scheme), datasketch with xxhash, a numpy-vectorised
  multiply-shift MinHash over xxh3 word hashes, and rensa (the current);
  each with its Jaccard error on 340 edited copies (words replaced at random,
  exact Jaccard from the shingle sets), the share of those copies that share
  an LSH band next to what 42 bands of 3 rows predict, and the share of
  unrelated pairs' values that agree by chance.

The previous scheme is rebuilt here for the comparison (datasketch's MinHash
with its default SHA-1, blake2b band keys, the lookbehind-first apostrophe
rule); `previous_scheme()` lets benchmarks/dedup.py score links with it.
Needs the `bench` extra (datasketch, xxhash).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np
import xxhash
from datasketch import MinHash

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.text import neardup  # noqa: E402

DEFAULT_BENCH = ROOT.parent / "shared" / "extraction-bench"
CURRENT_SCHEME = neardup.scheme()  # fixed before previous_scheme() can swap the MinHash


# -- the previous scheme ---------------------------------------------------------------------

_DATASKETCH_TEMPLATE = MinHash(num_perm=neardup.NUM_PERM, seed=1, scheme="affine32")
_OLD_APOSTROPHE = re.compile(r"(?<=\w)['\u2019\u2018\u02bc\u0060\u00b4](?=\w)")


def datasketch_minhash(items, num_perm: int = neardup.NUM_PERM, hashfunc=None) -> np.ndarray:
    """The previous scheme's MinHash: datasketch, affine32, SHA-1 per shingle unless `hashfunc`."""
    options = {"hashfunc": hashfunc} if hashfunc else {}
    sketch = MinHash(num_perm=num_perm, seed=1, scheme="affine32",
                     permutations=_DATASKETCH_TEMPLATE.permutations, **options)
    sketch.update_batch([item.encode("utf-8") for item in set(items)])
    return sketch.hashvalues.astype("<u4")


def previous_band_keys(sig) -> list[int]:
    raw = sig.hashvalues.astype("<u4").tobytes()
    width = 4 * neardup.ROWS
    return [int.from_bytes(hashlib.blake2b(raw[band * width:(band + 1) * width], digest_size=8,
                                           salt=band.to_bytes(2, "little")).digest(),
                           "little", signed=True)
            for band in range(neardup.BANDS)]


@contextlib.contextmanager
def previous_scheme():
    """neardup signs with the previous scheme's MinHash inside the block (same normalisation,
    shingles and similarity: the quality of links depends only on the MinHash)."""
    current = neardup.minhash
    neardup.minhash = datasketch_minhash
    try:
        yield
    finally:
        neardup.minhash = current


def previous_signing(text: str) -> None:
    """What the crawl did per article before: normalise (lookbehind-first), sha1, sign, band keys."""
    with previous_scheme():
        saved = neardup._INNER_APOSTROPHE
        neardup._INNER_APOSTROPHE = _OLD_APOSTROPHE
        try:
            _body_hash, sig = neardup.fingerprints(text)
        finally:
            neardup._INNER_APOSTROPHE = saved
    if sig is not None:
        previous_band_keys(sig)


def current_signing(text: str) -> None:
    _body_hash, sig = neardup.fingerprints(text)
    if sig is not None:
        neardup.band_keys(sig)


# -- MinHash alternatives measured for the choice --------------------------------------------

_RNG = np.random.default_rng(1)
_MULTIPLIERS = (_RNG.integers(1, 2**64, size=neardup.NUM_PERM, dtype=np.uint64) | np.uint64(1))[:, None]
_OFFSETS = _RNG.integers(0, 2**64, size=neardup.NUM_PERM, dtype=np.uint64)[:, None]
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def numpy_minhash(words: list[str]) -> np.ndarray:
    """xxh3 of each distinct word, shingles folded in numpy, 128 multiply-shift permutations."""
    index: dict[str, int] = {}
    ids = [index.setdefault(word, len(index)) for word in words]
    word_hashes = np.fromiter((xxhash.xxh3_64_intdigest(w.encode()) for w in index), np.uint64,
                              len(index))[ids]
    folded = neardup._mix64(word_hashes[:-2] * _GOLDEN + word_hashes[1:-1])
    shingles = np.unique(neardup._mix64(folded * _GOLDEN + word_hashes[2:]))
    values = np.multiply.outer(_MULTIPLIERS[:, 0], shingles)
    values += _OFFSETS
    values >>= np.uint64(32)
    return values.min(axis=1).astype("<u4")


def shingled(minhash):
    return lambda words: minhash(neardup._shingles_of(words, neardup.SHINGLE_WORDS))


MINHASHES = {
    "datasketch, SHA-1 (previous)": shingled(datasketch_minhash),
    "datasketch, xxhash": shingled(lambda items: datasketch_minhash(items, hashfunc=xxhash.xxh32_intdigest)),
    "numpy multiply-shift, xxh3": numpy_minhash,
    "rensa R-MinHash (current)": shingled(neardup.minhash),
}


def best_ms_per_item(function, items, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            function(item)
        best = min(best, time.perf_counter() - start)
    return best / len(items) * 1e3


def edited_pairs(word_lists: list[list[str]], seed: int = 5) -> list[tuple[list[str], list[str]]]:
    rng = random.Random(seed)
    pairs = []
    for words in word_lists:
        for keep in (0.9, 0.7, 0.5, 0.3):
            edited = [w if rng.random() < keep ** (1 / 3) else f"x{rng.randrange(10**9)}" for w in words]
            pairs.append((words, edited))
    return pairs


def accuracy(minhash, pairs, unrelated) -> tuple[float, float, float, float]:
    """On edited copies: rmse of the Jaccard estimate, share of pairs that share an LSH band
    and that share's expectation from the exact Jaccard J (1 - (1 - J^ROWS)^BANDS, which
    assumes independent values); on unrelated pairs: the most values agreeing by chance."""
    errors, banded, expected = [], [], []
    for a, b in pairs:
        sa = set(neardup._shingles_of(a, neardup.SHINGLE_WORDS))
        sb = set(neardup._shingles_of(b, neardup.SHINGLE_WORDS))
        jaccard = len(sa & sb) / len(sa | sb)
        equal = (minhash(a) == minhash(b))[:neardup.BANDS * neardup.ROWS]
        errors.append(np.mean(equal) - jaccard)
        banded.append(equal.reshape(neardup.BANDS, neardup.ROWS).all(axis=1).any())
        expected.append(1 - (1 - jaccard ** neardup.ROWS) ** neardup.BANDS)
    chance = max(np.mean(minhash(a) == minhash(b)) for a, b in unrelated)
    return (float(np.sqrt(np.mean(np.square(errors)))), float(np.mean(banded)),
            float(np.mean(expected)), float(chance))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    truth = json.loads((args.bench / "ground-truth.json").read_text())
    bodies = [record["articleBody"] for record in truth.values()]
    word_lists = [w for w in (neardup.normalise(b).split() for b in bodies) if len(w) >= neardup.MIN_WORDS]
    print(f"{len(bodies)} bodies, mean {np.mean([len(w) for w in word_lists]):.0f} words;"
          f" current scheme {CURRENT_SCHEME}")
    before = best_ms_per_item(previous_signing, bodies, args.repeat)
    after = best_ms_per_item(current_signing, bodies, args.repeat)
    print(f"\nsigning per article (fingerprints + band keys), best of {args.repeat}:"
          f" previous {before:.2f} ms, current {after:.2f} ms: {before / after:.1f}x cheaper")
    print(f"  of which normalise: previous apostrophe rule"
          f" {best_ms_per_item(lambda t: _OLD_APOSTROPHE.sub('', t), bodies, args.repeat):.2f} ms,"
          f" current {best_ms_per_item(lambda t: neardup._INNER_APOSTROPHE.sub('', t), bodies, args.repeat):.2f} ms;"
          f" whole normalise {best_ms_per_item(neardup.normalise, bodies, args.repeat):.2f} ms")
    sigs = [s for s in map(neardup.signature, bodies) if s is not None]
    print(f"  band keys: previous {best_ms_per_item(previous_band_keys, sigs, args.repeat):.3f} ms,"
          f" current {best_ms_per_item(neardup.band_keys, sigs, args.repeat):.3f} ms")
    print(f"  similarity of two signatures: {best_ms_per_item(lambda s: neardup.similarity(s, sigs[0]), sigs, args.repeat) * 1e3:.0f} us")
    pairs = edited_pairs(word_lists)
    unrelated = list(itertools.combinations(word_lists[:40], 2))
    print(f"\nMinHash alone (shingles in, 128 values out); accuracy on {len(pairs)} edited copies"
          f" and {len(unrelated)} unrelated pairs")
    print(f"{'':32} {'ms/article':>10} {'vs previous':>12} {'Jaccard rmse':>13}"
          f" {'in a band':>10} {'(theory)':>9} {'chance max':>11}")
    reference = None
    for name, minhash in MINHASHES.items():
        cost = best_ms_per_item(minhash, word_lists, args.repeat)
        reference = reference or cost
        rmse, banded, expected, chance = accuracy(minhash, pairs, unrelated)
        print(f"{name:32} {cost:>10.3f} {reference / cost:>11.1f}x {rmse:>13.4f}"
              f" {banded:>10.3f} {expected:>9.3f} {chance:>11.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
