"""Near-duplicate signatures of article bodies: pure functions, no SQL, no Scrapy.

Syndicated news reaches us as the same body with other boilerplate, a preface
("This story first appeared on ..."), a dropped last paragraph, other quote
marks and a few edited words. The content hash (sha1 of the normalised body,
from `fingerprints`) catches exact copies; `signature` and `similarity` catch
near copies. Numbers below are measured by
benchmarks/dedup.py on the 85 real bodies of the extraction benchmark.

MinHash, not SimHash: MinHash over word shingles has an index that finds
candidates without scanning (LSH bands, stored as integer keys in SQLite);
on the benchmark it linked 168-169 of 170 copies and updates with no false
link (the misses are short texts held to the short-text bar below), while
trafilatura's 64-bit SimHash has no index, found 25/30 copies and scored
unrelated small-vocabulary texts up to 0.97. A stored signature is
0.5-0.8 KB.

The MinHash itself is rensa's R-MinHash (Rust), chosen by measurement
(benchmarks/dedup_cost.py, the 85 real bodies, two runs on a shared 2-core
machine, each comparing all in one run): from the shingle strings to 128
values, datasketch with its SHA-1 per shingle took 1.0-1.8 ms per article,
datasketch with xxhash 0.8-0.9, a numpy-vectorised multiply-shift MinHash
over xxh3 word hashes 0.8, rensa 0.17-0.26 (6.2-6.9x less than SHA-1; most
of it is building the shingle strings), all with the same Jaccard error
(rmse 0.03-0.04 on 340 edited copies) and the share of copies sharing an
LSH band that 42 bands of 3 rows predict (0.75). With the band keys done in
numpy and a faster apostrophe rule, signing a whole article (normalise,
content hash, MinHash, numbers, band keys) went from 2.5-4.0 to 1.0-1.6 ms
(2.6x in both runs). On benchmarks/dedup.py precision stayed 1.0 and recall
went from 0.988-0.994 to 0.994.

rensa 0.5 changed its digests (its release notes ask users to re-sign), so
`scheme()` is not just a name but a fingerprint of what this code and the
installed library compute for a fixed probe text: any change of
normalisation, shingling, library output or band keys changes it. Every BLOB
carries it, a BLOB of another scheme is refused (`StaleSignature`) rather
than compared, and the archive records its scheme so that `newsmon reindex`
re-signs old archives (crawler/archive/neardup_index.py). The hash is
rensa's own seeded one, not Python's salted `hash`: the same in every
process and run.

- Word 3-shingles of the normalised body. Unrelated articles share almost
  none (mean Jaccard 0.0004 over 3,570 real pairs); one edited word costs
  three. 4- and 5-shingles lower the weakest true copy (containment 0.60,
  0.56, 0.51) more than the closest different story (0.34, 0.32, 0.31).
- 128 permutations (rensa R-MinHash, seed 1): +-0.04 on a Jaccard of 0.5.
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
import rensa

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
ALGORITHM = "rensa-rminhash"
# What archives signed before schema fingerprints were recorded used.
LEGACY_SCHEME = "datasketch-affine32-sha1"

# BLOB: format version, scheme tag, shingle count, word count, number count,
# then NUM_PERM MinHash values and the number hashes, all little-endian uint32.
# Format 1 (LEGACY_SCHEME) had no scheme tag.
_FORMAT_VERSION = 2
_HEADER = struct.Struct("<BIIIB")
_LEGACY_FORMAT = 1

# Signed once to fingerprint the scheme (see `scheme`): words, numbers, curly quotes.
_PROBE = (
    "Frontier labs said on Tuesday that their new model, trained on 12,000 accelerators for "
    "41 days, matched last year\u2019s best system on 7 of 9 reasoning benchmarks while costing "
    "about 30% less to serve. Analysts at two banks were not convinced: the comparison left out "
    "the 2025 results, they wrote, and a model that is cheaper to serve is not always cheaper to "
    "build. The company plans to publish the weights of a smaller version in March.")

# The apostrophe first, then look back: `re` can skip to the few candidate
# characters instead of trying a lookbehind at every position (9x faster).
_INNER_APOSTROPHE = re.compile(r"['\u2019\u2018\u02bc\u0060\u00b4](?<=\w.)(?=\w)")
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


def _sha1(normalised: str) -> str:
    """The content hash: the key of exact (up to style) copies."""
    return hashlib.sha1(normalised.encode("utf-8")).hexdigest()


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The distinct word `size`-grams of the normalised text."""
    return set(_shingles_of(normalise(text).split(), size))


def _shingles_of(words: list[str], size: int) -> list[str]:
    """Every word `size`-gram in order, repeats included (MinHash ignores them)."""
    return list(map(" ".join, zip(*(words[i:] for i in range(size)))))


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


def minhash(items: list[str], num_perm: int = NUM_PERM) -> np.ndarray:
    """MinHash values (uint32) of a collection of strings (rensa's R-MinHash)."""
    sketch = rensa.RMinHash(num_perm, SEED)
    sketch.update(items)
    return np.array(sketch.digest(), dtype="<u4")


@functools.cache
def scheme() -> str:
    """The signature scheme: its name and a fingerprint of what it computes.

    The fingerprint hashes the probe text's MinHash values, number hashes and
    band keys, so two installs share a scheme exactly when their signatures
    can be compared (a library upgrade that changes digests changes it).
    """
    sig = signature(_PROBE)
    assert sig is not None, "the probe text is long enough to sign"
    probe = sig.hashvalues.tobytes() + sig.numbers.tobytes() + np.array(band_keys(sig)).tobytes()
    fingerprint = hashlib.blake2b(probe, digest_size=4).hexdigest()
    return f"{ALGORITHM}-{NUM_PERM}p-{SHINGLE_WORDS}w-{BANDS}x{ROWS}-{fingerprint}"


def _scheme_tag() -> int:
    return int(scheme().rsplit("-", 1)[1], 16)


class StaleSignature(ValueError):
    """A stored signature made by another scheme: never compared, re-signed by reindex."""


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
    return Signature(minhash(items), len(set(items)), len(words), number_hashes(text))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, element-wise: a bijection that spreads every input bit."""
    x = (x ^ (x >> _SHIFTS[0])) * _MIX1
    x = (x ^ (x >> _SHIFTS[1])) * _MIX2
    return x ^ (x >> _SHIFTS[2])


def band_keys(sig: Signature, bands: int = BANDS, rows: int = ROWS) -> list[int]:
    """One signed 64-bit key per LSH band (fits SQLite INTEGER).

    Each band's rows are folded into a key seeded by the band number, so
    equal values in different bands never share a key. numpy does all bands
    at once (42 blake2b calls cost more than signing itself).
    """
    values = sig.hashvalues[:bands * rows].astype(np.uint64).reshape(bands, rows)
    keys = _mix64(np.arange(1, bands + 1, dtype=np.uint64) * _GOLDEN)
    for row in range(rows):
        keys = _mix64(keys ^ values[:, row])
    return keys.view(np.int64).tolist()


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
    header = _HEADER.pack(_FORMAT_VERSION, _scheme_tag(), sig.shingles, sig.words,
                          len(sig.numbers))
    return header + sig.hashvalues.astype("<u4").tobytes() + sig.numbers.astype("<u4").tobytes()


def blob_scheme(blob: bytes) -> str:
    """The scheme a stored BLOB was signed with, as far as its header tells."""
    if blob[:1] == bytes([_LEGACY_FORMAT]):
        return LEGACY_SCHEME
    if len(blob) < _HEADER.size or blob[0] != _FORMAT_VERSION:
        return "unknown"
    tag = _HEADER.unpack_from(blob)[1]
    return scheme() if tag == _scheme_tag() else f"{ALGORITHM}-?-{tag:08x}"


def deserialise(blob: bytes) -> Signature:
    """Inverse of `serialise`.

    Raises StaleSignature for a BLOB of another scheme (comparing it would
    give meaningless similarities) and ValueError for a damaged one.
    """
    if blob[:1] == bytes([_LEGACY_FORMAT]):
        raise StaleSignature(f"signature of the {LEGACY_SCHEME} scheme, not {scheme()}")
    if len(blob) < _HEADER.size:
        raise ValueError(f"signature BLOB of {len(blob)} bytes is too short")
    version, tag, shingle_count, words, count = _HEADER.unpack_from(blob)
    if version != _FORMAT_VERSION:
        raise ValueError(f"unknown signature format {version}")
    if tag != _scheme_tag():
        raise StaleSignature(f"signature of scheme fingerprint {tag:08x}, not {scheme()}")
    if len(blob) != _HEADER.size + 4 * (NUM_PERM + count):
        raise ValueError(f"signature BLOB of {len(blob)} bytes does not match its header")
    values = np.frombuffer(blob, dtype="<u4", count=NUM_PERM, offset=_HEADER.size)
    numbers = np.frombuffer(blob, dtype="<u4", offset=_HEADER.size + 4 * NUM_PERM)
    return Signature(values, shingle_count, words, numbers)
