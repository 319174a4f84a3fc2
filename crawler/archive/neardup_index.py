"""The archive side of near-duplicate detection: stored signatures and their LSH index.

Every signed article has a row in `signatures` (its MinHash as a BLOB) and
one row per LSH band in `lsh_bands`, keyed (band_key, article_id) WITHOUT
ROWID. A lookup asks for its own BANDS keys, so it walks one B-tree path per
band and its cost grows only with the tree's depth, not with the number of
articles (benchmarks/dedup.py, two runs on a shared 2-core machine: median
0.21-0.34 ms per lookup with 10k signatures, 0.37-0.44 ms with 1M). The
candidates are then verified against their stored signatures: a band
collision is only a hint, the similarity decides.

Nothing here commits: `save_articles` calls these inside its own write
transaction, so an article, its signature and its bands land together. That
is why the statements go through `db.conn` and not `db.execute`, which in
sqlite-utils 4 commits a write when no transaction was open before it.
"""

from __future__ import annotations

import logging

import sqlite_utils

from crawler.neardup import (Signature, band_keys, deserialise, link_threshold, serialise,
                             signature, similarity)

logger = logging.getLogger(__name__)

# A story syndicated to hundreds of outlets matches every copy; the copies
# sharing the most bands are the closest, and a few of them settle the root.
MAX_CANDIDATES = 64
# duplicate_of always points at a root; the walk is only a guard for
# archives written otherwise, and stops on a loop.
_MAX_HOPS = 32


def add_signature(db: sqlite_utils.Database, article_id: int, sig: Signature) -> None:
    """Store `sig` for `article_id` and index its bands (replacing any earlier one)."""
    remove_signature(db, article_id)
    db.conn.execute("INSERT INTO signatures (article_id, minhash) VALUES (?, ?)",
                    [article_id, serialise(sig)])
    db.conn.executemany("INSERT OR IGNORE INTO lsh_bands (band_key, article_id) VALUES (?, ?)",
                        [(key, article_id) for key in band_keys(sig)])


def remove_signature(db: sqlite_utils.Database, article_id: int) -> None:
    """Drop an article's signature and its band rows (found from the signature)."""
    row = db.conn.execute("SELECT minhash FROM signatures WHERE article_id = ?",
                          [article_id]).fetchone()
    if row is None:
        return
    keys = band_keys(deserialise(row[0]))
    db.conn.executemany("DELETE FROM lsh_bands WHERE band_key = ? AND article_id = ?",
                        [(key, article_id) for key in keys])
    db.conn.execute("DELETE FROM signatures WHERE article_id = ?", [article_id])


def candidates(db: sqlite_utils.Database, sig: Signature,
               limit: int = MAX_CANDIDATES) -> list[int]:
    """Articles sharing at least one band with `sig`, most shared bands first."""
    keys = band_keys(sig)
    marks = ", ".join("?" * len(keys))
    rows = db.conn.execute(
        f"SELECT article_id FROM lsh_bands WHERE band_key IN ({marks})"
        " GROUP BY article_id ORDER BY COUNT(*) DESC, article_id LIMIT ?",
        [*keys, limit]).fetchall()
    return [row[0] for row in rows]


def scored_candidates(db: sqlite_utils.Database, sig: Signature,
                      threshold: float) -> list[tuple[int, float]]:
    """Candidates similar enough to link, best first (ties: earliest id).

    "Enough" is `threshold`, or neardup's stricter bar when a text is short.
    """
    ids = candidates(db, sig)
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    rows = db.conn.execute(
        f"SELECT article_id, minhash FROM signatures WHERE article_id IN ({marks})", ids)
    scored = []
    for article_id, blob in rows:
        try:
            other = deserialise(blob)
        except ValueError as exc:  # a damaged row must not stop a crawl's batch
            logger.warning("skipping the signature of article %d: %s", article_id, exc)
            continue
        score = similarity(sig, other)
        if score >= link_threshold(sig, other, threshold):
            scored.append((article_id, score))
    return sorted(scored, key=lambda pair: (-pair[1], pair[0]))


def root_of(db: sqlite_utils.Database, article_id: int) -> int:
    """Follow duplicate_of from `article_id` to the story's original."""
    seen = {article_id}
    current = article_id
    for _ in range(_MAX_HOPS):
        row = db.conn.execute("SELECT duplicate_of FROM articles WHERE id = ?", [current]).fetchone()
        if row is None or row[0] is None or row[0] in seen:
            return current
        current = row[0]
        seen.add(current)
    logger.warning("duplicate_of chain from article %d is longer than %d", article_id, _MAX_HOPS)
    return current


def find_original(db: sqlite_utils.Database, sig: Signature, threshold: float,
                  exclude_id: int | None = None) -> tuple[int, float] | None:
    """The original of the story `sig` belongs to, and the similarity that links it.

    The similarity is that of the closest stored copy of the story (which may
    be the original itself, or a copy when the original was edited further).
    `exclude_id` (the article being re-checked) and its own copies never
    count. Returns None when no stored article is similar enough.
    """
    for article_id, score in scored_candidates(db, sig, threshold):
        if article_id == exclude_id:
            continue
        root = root_of(db, article_id)
        if root != exclude_id:
            logger.debug("near duplicate of article %d (via %d, similarity %.2f)",
                         root, article_id, score)
            return root, score
    return None


def backfill_signatures(db: sqlite_utils.Database, batch_size: int = 500) -> int:
    """Sign and index stored articles that have no signature yet; return how many.

    For archives written before schema version 2. Does not link them (their
    duplicate_of is left as it is) and does not commit.
    """
    signed, last_id = 0, 0
    while True:
        rows = db.conn.execute(
            "SELECT a.id, a.body FROM articles a LEFT JOIN signatures s ON s.article_id = a.id"
            " WHERE a.id > ? AND s.article_id IS NULL ORDER BY a.id LIMIT ?",
            [last_id, batch_size]).fetchall()
        if not rows:
            return signed
        for article_id, body in rows:
            sig = signature(body or "")
            if sig is not None:
                add_signature(db, article_id, sig)
                signed += 1
        last_id = rows[-1][0]
