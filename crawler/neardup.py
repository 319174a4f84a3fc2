"""Near-duplicate signatures of article bodies: pure functions, no SQL, no Scrapy.

Syndicated news reaches us as the same body with other boilerplate, a preface
("This story first appeared on ..."), a dropped last paragraph, other quote
marks and a few edited words. `content_hash` catches exact copies;
`signature` and `similarity` catch near copies. Numbers below are measured by
benchmarks/dedup.py on the 85 real bodies of the extraction benchmark.

MinHash, not SimHash: MinHash over word shingles has an index that finds
candidates without scanning (LSH bands, stored as integer keys in SQLite);
on the benchmark it linked 168-169 of 170 copies and updates with no false
link (the misses are short texts held to the short-text bar below), while
trafilatura's 64-bit SimHash has no index, found 25/30 copies and scored
unrelated small-vocabulary texts up to 0.97 (findings.md). Signing costs
about 2 ms per article; a stored signature is 0.5-0.8 KB.

- Word 3-shingles of the normalised body. Unrelated articles share almost
  none (mean Jaccard 0.0004 over 3,570 real pairs); one edited word costs
  three. 4- and 5-shingles lower the weakest true copy (containment 0.60,
  0.56, 0.51) more than the closest different story (0.34, 0.32, 0.31).
- 128 permutations (datasketch, affine32 scheme): +-0.04 on a Jaccard of 0.5.
- 42 bands of 3 rows: a pair with Jaccard 0.5 becomes a candidate with
  probability 0.996; averaged over the real unrelated pairs, 4e-6, about 4
  candidates to verify per lookup in a million-article archive (2-row bands:
  ~160, 4-row bands: 0.87 at Jaccard 0.5).
- `similarity` is the larger of Jaccard and containment (the share of the
  smaller text's shingles found in the larger), the latter only while the
  larger text has at most MAX_GROWTH times the shingles: an update that adds
  paragraphs keeps a containment near 1 although its Jaccard falls, while a
  long roundup that quotes a brief is not merged with it. Updates that more
  than double a story are beyond the band index's reach anyway.
- Numbers: a copy keeps the story's figures, while two stories filled into
  one template (automated earnings or market reports) share the wording and
  differ in the figures (a 136-word template pair: containment 0.61, as
  high as the weakest true copy). When both texts carry MIN_NUMBERS distinct numbers
  and share less than NUMBER_AGREEMENT of them, the similarity is capped at
  that share.
- Short texts: under MIN_WORDS (the extraction's own minimum) no signature;
  when the shorter text has under SHORT_WORDS words, a link needs
  SHORT_THRESHOLD whatever the configured threshold, because one shared
  sentence is a large share of a brief. Exact copies of any length are caught
  by content_hash.
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

logger = logging.getLogger(__name__)

SHINGLE_WORDS = 3
NUM_PERM = 128
BANDS = 42
ROWS = 3
MIN_WORDS = 50
SHORT_WORDS = 80
SHORT_THRESHOLD = 0.8
MAX_GROWTH = 2.0
MIN_NUMBERS = 3
NUMBER_AGREEMENT = 0.3
MAX_NUMBERS = 64
SEED = 1
SCHEME = "affine32"

# BLOB: format version, shingle count, word count, number count, then NUM_PERM
# MinHash values and the number hashes, all little-endian uint32.
_FORMAT_VERSION = 1
_HEADER = struct.Struct("<BIIB")

_INNER_APOSTROPHE = re.compile(r"(?<=\w)['\u2019\u2018\u02bc\u0060\u00b4](?=\w)")
_NON_WORD = re.compile(r"[^\w\s]|_")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True, eq=False)
class Signature:
    """What near-duplicate detection keeps of a body (see `serialise`)."""

    hashvalues: np.ndarray  # NUM_PERM MinHash values of the shingles, uint32
    shingles: int           # distinct shingles, for containment
    words: int              # for the short-text rule
    numbers: np.ndarray     # sorted hashes of the distinct numbers (at most MAX_NUMBERS)


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
    return _sha1(normalise(text))


def _sha1(normalised: str) -> str:
    return hashlib.sha1(normalised.encode("utf-8")).hexdigest()


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """The distinct word `size`-grams of the normalised text."""
    return _shingles_of(normalise(text).split(), size)


def _shingles_of(words: list[str], size: int) -> set[bytes]:
    return {" ".join(words[i:i + size]).encode("utf-8")
            for i in range(max(len(words) - size + 1, 0))}


def _hash32(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=4).digest(), "little")


def number_hashes(text: str) -> np.ndarray:
    """Hashes of the distinct numbers of two or more digits, the MAX_NUMBERS smallest.

    Separators are dropped (1,200 = 1.200 = 1200), so a copy's number style
    does not matter. Keeping the smallest hashes (a bottom-k sketch) keeps the
    same sample of two long lists of figures.
    """
    found = {re.sub(r"[.,]", "", m) for m in _NUMBER.findall(unicodedata.normalize("NFKC", text))}
    hashes = sorted(_hash32(n.encode()) for n in found if len(n) >= 2)
    return np.array(hashes[:MAX_NUMBERS], dtype="<u4")


@functools.lru_cache(maxsize=4)
def _template(num_perm: int):
    return _minhash_class()(num_perm=num_perm, seed=SEED, scheme=SCHEME)


def _minhash_class():
    """datasketch, imported on first use: its package imports scipy (~0.5 s of start-up),
    which a crawl that stores nothing never needs."""
    from datasketch import MinHash

    return MinHash


def minhash(items: set[bytes], num_perm: int = NUM_PERM) -> np.ndarray:
    """MinHash values (uint32) of a set of byte strings, datasketch's scheme."""
    MinHash = _minhash_class()
    template = _template(num_perm)
    sketch = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME,
                     permutations=template.permutations)
    sketch.update_batch(items)
    return sketch.hashvalues.astype("<u4")


def fingerprints(text: str) -> tuple[str, Signature | None]:
    """(content_hash, signature) of a body, normalising it once for both."""
    normalised = normalise(text)
    return _sha1(normalised), _signature(normalised.split(), text)


def signature(text: str) -> Signature | None:
    """The body's signature, or None when it is too short to sign reliably."""
    return _signature(normalise(text).split(), text)


def _signature(words: list[str], text: str) -> Signature | None:
    if len(words) < MIN_WORDS:
        logger.debug("no signature: %d words (< %d)", len(words), MIN_WORDS)
        return None
    items = _shingles_of(words, SHINGLE_WORDS)
    return Signature(minhash(items), len(items), len(words), number_hashes(text))


def band_keys(sig: Signature, bands: int = BANDS, rows: int = ROWS) -> list[int]:
    """One signed 64-bit key per LSH band (fits SQLite INTEGER).

    The band number salts the hash, so equal values in different bands never
    share a key.
    """
    raw = sig.hashvalues.astype("<u4").tobytes()
    width = 4 * rows
    keys = []
    for band in range(bands):
        digest = hashlib.blake2b(raw[band * width:(band + 1) * width], digest_size=8,
                                 salt=band.to_bytes(2, "little")).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
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


def number_agreement(a: Signature, b: Signature) -> float | None:
    """Share of the smaller list of numbers found in the other; None with too few numbers."""
    if min(len(a.numbers), len(b.numbers)) < MIN_NUMBERS:
        return None
    common = len(np.intersect1d(a.numbers, b.numbers, assume_unique=True))
    return common / min(len(a.numbers), len(b.numbers))


def similarity(a: Signature, b: Signature) -> float:
    """How much of one story the other is, between 0 and 1 (see the module doc)."""
    score = jaccard(a, b)
    small, large = sorted((a.shingles, b.shingles))
    if large <= MAX_GROWTH * max(small, 1):
        score = max(score, containment(a, b))
    agreement = number_agreement(a, b)
    if agreement is not None and agreement < NUMBER_AGREEMENT:
        score = min(score, agreement)
    return score


def link_threshold(a: Signature, b: Signature, threshold: float) -> float:
    """The similarity a link between `a` and `b` needs: stricter when one is short."""
    if min(a.words, b.words) < SHORT_WORDS:
        return max(threshold, SHORT_THRESHOLD)
    return threshold


def serialise(sig: Signature) -> bytes:
    """The signature as a BLOB (about 0.5 KB; layout above _HEADER)."""
    header = _HEADER.pack(_FORMAT_VERSION, sig.shingles, sig.words, len(sig.numbers))
    return header + sig.hashvalues.astype("<u4").tobytes() + sig.numbers.astype("<u4").tobytes()


def deserialise(blob: bytes) -> Signature:
    """Inverse of `serialise`; raises ValueError on an unknown or damaged BLOB."""
    if len(blob) < _HEADER.size:
        raise ValueError(f"signature BLOB of {len(blob)} bytes is too short")
    version, shingle_count, words, count = _HEADER.unpack_from(blob)
    if version != _FORMAT_VERSION:
        raise ValueError(f"unknown signature format {version}")
    if len(blob) != _HEADER.size + 4 * (NUM_PERM + count):
        raise ValueError(f"signature BLOB of {len(blob)} bytes does not match its header")
    values = np.frombuffer(blob, dtype="<u4", count=NUM_PERM, offset=_HEADER.size)
    numbers = np.frombuffer(blob, dtype="<u4", offset=_HEADER.size + 4 * NUM_PERM)
    return Signature(values, shingle_count, words, numbers)
