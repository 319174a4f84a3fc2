"""Near-duplicate signatures of article bodies: pure functions, no SQL, no Scrapy.

Syndicated news reaches us as the same body with other boilerplate, a preface
("This story first appeared on ..."), a dropped last paragraph, other quote
marks and a few edited words. `content_hash` catches exact copies;
`signature` catches near copies.

Why MinHash and not SimHash: on the extraction benchmark's 85 real bodies
(see benchmarks/dedup.py) MinHash over word 3-shingles linked every edited
copy and update with no false link, while a 64-bit SimHash needs a Hamming
threshold that both misses copies and merges small-vocabulary texts
(findings.md: 25/30 found, false positives up to 0.97), and has no index
that finds candidates without a scan. MinHash has one: locality-sensitive
hashing over bands of its values, stored as integer keys in SQLite.

Choices, measured (numbers from benchmarks/dedup.py):
- word 3-shingles of the normalised body: unrelated real articles share
  almost none (mean Jaccard 0.0003, max 0.008 over 3,570 pairs, same-topic
  stories included), while one edited word costs only three shingles.
- 128 permutations (datasketch, affine32 scheme): +-0.04 on a Jaccard of 0.5.
- 42 bands of 3 rows: a pair with Jaccard 0.5 becomes a candidate with
  probability 0.996, Jaccard 0.35 with 0.86, an unrelated pair (0.001) with
  4e-8, so lookups touch a handful of rows whatever the archive size.
- similarity is the larger of Jaccard and containment (the share of the
  smaller text's shingles found in the larger), the latter only while the
  larger text has at most MAX_GROWTH times the shingles: an update that adds
  paragraphs to a story keeps a containment near 1 although its Jaccard
  falls, while a long roundup that quotes a brief is not merged with it.
- texts under MIN_WORDS words get no signature: a few shared sentences
  (one quote, one boilerplate line) are a large share of a short text, so
  two briefs on one event could be linked. Exact copies of short texts are
  still caught by content_hash.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import struct
import unicodedata
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

logger = logging.getLogger(__name__)

SHINGLE_WORDS = 3
NUM_PERM = 128
BANDS = 42
ROWS = 3
MIN_WORDS = 80
MAX_GROWTH = 2.0
SEED = 1
SCHEME = "affine32"

# BLOB layout: format version, shingle count, NUM_PERM little-endian uint32.
_FORMAT_VERSION = 1
_HEADER = struct.Struct("<BI")

_INNER_APOSTROPHE = re.compile(r"(?<=\w)['\u2019\u2018\u02bc\u0060\u00b4](?=\w)")
_NON_WORD = re.compile(r"[^\w\s]|_")


@dataclass(frozen=True, eq=False)
class Signature:
    """A body's MinHash values and how many distinct shingles it had."""

    hashvalues: np.ndarray
    shingles: int


def _keep_marks(match: re.Match) -> str:
    """Combining marks (Devanagari vowel signs, decomposed accents) belong to their word."""
    return match.group() if unicodedata.category(match.group()).startswith("M") else " "


def normalise(text: str) -> str:
    """Lowercase words separated by single spaces: no quotes, dashes, punctuation.

    `don't` and `don’t` both become `dont`, `US-based` and `US–based` both
    `us based`, so a copy that changed quote or dash style is unchanged.
    """
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _INNER_APOSTROPHE.sub("", text)
    return " ".join(_NON_WORD.sub(_keep_marks, text).split())


def content_hash(text: str) -> str:
    """sha1 of the normalised body: the key of exact (up to style) copies."""
    return hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """The distinct word `size`-grams of the normalised text."""
    return _shingles_of(normalise(text).split(), size)


def _shingles_of(words: list[str], size: int) -> set[bytes]:
    return {" ".join(words[i:i + size]).encode("utf-8")
            for i in range(max(len(words) - size + 1, 0))}


@functools.lru_cache(maxsize=4)
def _template(num_perm: int) -> MinHash:
    return MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME)


def minhash(items: set[bytes], num_perm: int = NUM_PERM) -> np.ndarray:
    """MinHash values (uint32) of a set of byte strings, datasketch's scheme."""
    template = _template(num_perm)
    sketch = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME,
                     permutations=template.permutations)
    sketch.update_batch(items)
    return sketch.hashvalues.astype("<u4")


def signature(text: str) -> Signature | None:
    """The body's signature, or None when it is too short to sign reliably."""
    words = normalise(text).split()
    if len(words) < MIN_WORDS:
        logger.debug("no signature: %d words (< %d)", len(words), MIN_WORDS)
        return None
    items = _shingles_of(words, SHINGLE_WORDS)
    return Signature(minhash(items), len(items))


def band_keys(sig: Signature, bands: int = BANDS, rows: int = ROWS) -> list[int]:
    """One signed 64-bit key per LSH band (fits SQLite INTEGER).

    The band number is hashed in, so equal values in different bands never
    share a key.
    """
    keys = []
    for band in range(bands):
        values = sig.hashvalues[band * rows:(band + 1) * rows].astype("<u4").tobytes()
        digest = hashlib.blake2b(bytes([band]) + values, digest_size=8).digest()
        keys.append(struct.unpack("<q", digest)[0])
    return keys


def jaccard(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return float(np.count_nonzero(a.hashvalues == b.hashvalues)) / len(a.hashvalues)


def containment(a: Signature, b: Signature) -> float:
    """Estimated share of the smaller set's shingles that are in the larger.

    From Jaccard J and the set sizes: |A & B| = J (|A| + |B|) / (1 + J).
    """
    j = jaccard(a, b)
    common = j * (a.shingles + b.shingles) / (1 + j)
    return min(1.0, common / max(min(a.shingles, b.shingles), 1))


def similarity(a: Signature, b: Signature) -> float:
    """How much of one story the other is, between 0 and 1 (see module doc)."""
    j = jaccard(a, b)
    small, large = sorted((a.shingles, b.shingles))
    if large > MAX_GROWTH * max(small, 1):
        return j
    return max(j, containment(a, b))


def serialise(sig: Signature) -> bytes:
    """The signature as a BLOB: 5-byte header then NUM_PERM uint32 values."""
    return _HEADER.pack(_FORMAT_VERSION, sig.shingles) + sig.hashvalues.astype("<u4").tobytes()


def deserialise(blob: bytes) -> Signature:
    """Inverse of `serialise`; raises ValueError on an unknown format."""
    version, count = _HEADER.unpack_from(blob)
    if version != _FORMAT_VERSION:
        raise ValueError(f"unknown signature format {version}")
    values = np.frombuffer(blob, dtype="<u4", offset=_HEADER.size)
    if len(values) != NUM_PERM:
        raise ValueError(f"signature has {len(values)} values, expected {NUM_PERM}")
    return Signature(values, count)
