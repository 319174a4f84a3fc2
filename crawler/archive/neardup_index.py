"""The archive side of near-duplicate detection: stored signatures and their LSH index.

Every signed article has a row in `signatures` (its MinHash as a BLOB) and
one row per LSH band in `lsh_bands`, keyed (band_key, article_id) WITHOUT
ROWID. A lookup asks for its own BANDS keys, so it walks one B-tree path per
band and its cost grows only with the tree's depth, not with the number of
articles (benchmarks/dedup.py, two runs on a shared 2-core machine: median
0.21-0.34 ms per lookup with 10k signatures, 0.37-0.44 ms with 1M). The
candidates are then verified against their stored signatures: a band
collision is only a hint, the similarity decides.

Signatures of different schemes (crawler.text.neardup.scheme) cannot be compared,
so the archive records the scheme its signatures were made with in
`neardup_meta` (key `signature_scheme`; without that row, the oldest
signature's header tells, which for archives older than the record is
LEGACY_SCHEME). On an archive of another scheme
`find_original` links nothing near (exact copies still link by content
hash) and says once per connection that `newsmon reindex` must re-sign it;
`resign_all` does that in committed batches that an interrupted reindex
resumes. Re-signing is not automatic on open: it takes minutes on a large
archive and must not hold the write lock in the middle of a crawl.

Nothing else here commits: `save_articles` calls these inside its own write
transaction, so an article, its signature and its bands land together. That
is why the statements go through `db.conn` and not `db.execute`, which in
sqlite-utils 4 commits a write when no transaction was open before it.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable

import sqlite_utils

from crawler.text.neardup import (Signature, StaleSignature, band_keys, blob_scheme, deserialise,
                             link_threshold, scheme, serialise, signature, similarity)

logger = logging.getLogger(__name__)

META_TABLE = "neardup_meta"
SCHEME_KEY = "signature_scheme"
# Set while resign_all runs; a crawl seeing it knows a re-sign was interrupted.
RESIGNING_KEY = "resigning"
# Per open Database: is its scheme current, and is that recorded yet?
_scheme_state: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# A story syndicated to hundreds of outlets matches every copy; the copies
# sharing the most bands are the closest, and a few of them settle the root.
MAX_CANDIDATES = 64
# duplicate_of always points at a root; the walk is only a guard for
# archives written otherwise, and stops on a loop.
_MAX_HOPS = 32


def create_meta_table(db: sqlite_utils.Database) -> None:
    """The key/value table recording the signature scheme (idempotent).

    Created on demand by the first write that needs it; a schema migration
    may call this to create it up front.
    """
    db.conn.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} ("
                    " key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def _meta(db: sqlite_utils.Database, key: str) -> str | None:
    if not db[META_TABLE].exists():
        return None
    row = db.conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def _set_meta(db: sqlite_utils.Database, key: str, value: str | None) -> None:
    create_meta_table(db)
    if value is None:
        db.conn.execute(f"DELETE FROM {META_TABLE} WHERE key = ?", [key])
    else:
        db.conn.execute(f"INSERT OR REPLACE INTO {META_TABLE} (key, value) VALUES (?, ?)",
                        [key, value])


def stored_scheme(db: sqlite_utils.Database) -> str | None:
    """The scheme of the archive's signatures; None while it has none and records none."""
    recorded = _meta(db, SCHEME_KEY)
    if recorded is not None:
        return recorded
    row = db.conn.execute("SELECT minhash FROM signatures ORDER BY article_id LIMIT 1").fetchone()
    return blob_scheme(row[0]) if row else None


def resign_pending(db: sqlite_utils.Database) -> bool:
    """Was a `resign_all` interrupted before every article was signed again?"""
    return _meta(db, RESIGNING_KEY) is not None


def scheme_is_current(db: sqlite_utils.Database) -> bool:
    """May this archive's signatures be compared with new ones? Warns once per connection."""
    state = _scheme_state.get(db)
    if state is None:
        stored = stored_scheme(db)
        state = "unrecorded" if stored is None else "current" if stored == scheme() else "stale"
        if state == "stale":
            logger.warning("the archive's near-duplicate signatures were made by scheme %s, this"
                           " newsmon signs with %s: near copies are not linked (exact copies"
                           " are) until `newsmon reindex` re-signs the archive", stored, scheme())
        elif resign_pending(db):
            logger.warning("re-signing the archive was interrupted: copies of articles not yet"
                           " re-signed are not linked until `newsmon reindex` finishes it")
        _scheme_state[db] = state
    return state != "stale"


def add_signature(db: sqlite_utils.Database, article_id: int, sig: Signature) -> None:
    """Store `sig` for `article_id` and index its bands (replacing any earlier one).

    The first signature of a new archive records the scheme.
    """
    if scheme_is_current(db) and _scheme_state[db] == "unrecorded":
        _set_meta(db, SCHEME_KEY, scheme())
        _scheme_state[db] = "current"
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
    try:
        keys = band_keys(deserialise(row[0]))
    except ValueError:  # stale or damaged: its bands cannot be recomputed, leave them
        keys = []       # (a band without a signature is skipped by scored_candidates)
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
        except StaleSignature as exc:  # never compare across schemes
            logger.debug("skipping the signature of article %d: %s", article_id, exc)
            continue
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
    count. Returns None when no stored article is similar enough, and
    always on an archive signed with another scheme (see `scheme_is_current`).
    """
    if not scheme_is_current(db):
        return None
    for article_id, score in scored_candidates(db, sig, threshold):
        if article_id == exclude_id:
            continue
        root = root_of(db, article_id)
        if root != exclude_id:
            logger.debug("near duplicate of article %d (via %d, similarity %.2f)",
                         root, article_id, score)
            return root, score
    return None


def unsigned_count(db: sqlite_utils.Database) -> int:
    """Stored articles without a signature (too short ones included)."""
    return db.conn.execute(
        "SELECT COUNT(*) FROM articles a LEFT JOIN signatures s ON s.article_id = a.id"
        " WHERE s.article_id IS NULL").fetchone()[0]


def backfill_signatures(db: sqlite_utils.Database, batch_size: int = 500,
                        progress: Callable[[int, int], None] | None = None) -> int:
    """Sign and index stored articles that have no signature yet; return how many.

    For archives written before schema version 2 and for `resign_all`. Does
    not link them (their duplicate_of is left as it is). Commits after each
    batch of `batch_size` articles, so a long run can be stopped and resumed,
    and calls `progress(articles looked at, articles signed)` after each.
    """
    signed, seen, last_id = 0, 0, 0
    while True:
        rows = db.conn.execute(
            "SELECT a.id, a.body FROM article_text a LEFT JOIN signatures s ON s.article_id = a.id"
            " WHERE a.id > ? AND s.article_id IS NULL ORDER BY a.id LIMIT ?",
            [last_id, batch_size]).fetchall()
        if not rows:
            return signed
        with db.conn:
            for article_id, body in rows:
                sig = signature(body or "")
                if sig is not None:
                    add_signature(db, article_id, sig)
                    signed += 1
        seen += len(rows)
        last_id = rows[-1][0]
        if progress is not None:
            progress(seen, signed)


def resign_all(db: sqlite_utils.Database, batch_size: int = 500,
               progress: Callable[[int, int], None] | None = None) -> int:
    """Re-sign every article with the current scheme; return how many were signed.

    Old signatures and their bands are dropped in one transaction (a table
    without WHERE is emptied without visiting its rows) that also records the
    new scheme and a `resigning` mark; `backfill_signatures` then signs the
    articles in committed batches and the mark goes when it is done. An
    interrupted run leaves a consistent archive of the new scheme with some
    articles unsigned: they are not found as originals until the next
    `newsmon reindex` signs them. duplicate_of links are kept as they are.
    """
    with db.conn:
        db.conn.execute("DELETE FROM lsh_bands")
        db.conn.execute("DELETE FROM signatures")
        _set_meta(db, SCHEME_KEY, scheme())
        _set_meta(db, RESIGNING_KEY, "1")
    return finish_resign(db, batch_size, progress)


def finish_resign(db: sqlite_utils.Database, batch_size: int = 500,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Sign what is unsigned and clear an interrupted re-sign's mark."""
    _scheme_state[db] = "current"  # recorded by resign_all; the mark is ours, not a warning
    signed = backfill_signatures(db, batch_size, progress)
    with db.conn:
        _set_meta(db, RESIGNING_KEY, None)
    _scheme_state.pop(db, None)
    return signed
