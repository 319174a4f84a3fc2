"""The archive side of near-duplicate detection: the LSH index of article signatures.

Every signed article has one row per LSH band in `lsh_bands`, keyed
(band_key, article_id) WITHOUT ROWID. A lookup asks for its own BANDS keys,
so it walks one B-tree path per band and its cost grows only with the
tree's depth, not with the number of articles (benchmarks/dedup.py, two
runs on a shared 2-core machine: median 0.21-0.34 ms per lookup with 10k
signatures, 0.37-0.44 ms with 1M). The candidates are then verified against
their signatures: a band collision is only a hint, the similarity decides.

Signatures are not stored (schema v7; they were 0.59 KB per article): a
candidate's signature is computed again from its body (`signatures_of`,
~0.4 ms; a signature is a pure function of the text) and kept in a small
per-connection cache, which the article just stored also enters, so a story
syndicated many times is signed once per crawl, not once per copy. An
article's bands are removed by recomputing their keys from its body, so
`[archive] keep_bodies_days` takes articles out of the index when it drops
their bodies (crawler/archive/maintenance.py): an article without a body is
no longer found as an original (its exact copies still are, by content hash).

Signatures of different schemes (crawler.text.neardup.scheme) cannot be
compared, so the archive records the scheme its bands were made with in
`neardup_meta` (key `signature_scheme`). On an archive of another scheme
`find_original` links nothing near (exact copies still link by content
hash) and says once per connection that `newsmon reindex` must re-sign it;
`resign_all` does that in committed batches, recording in `resigning` the
last article id done, so an interrupted reindex resumes there. Re-signing is
not automatic on open: it takes minutes on a large archive and must not hold
the write lock in the middle of a crawl.

Nothing else here commits: `save_articles` calls these inside its own write
transaction, so an article and its bands land together. That is why the
statements go through `db.conn` and not `db.execute`, which in sqlite-utils
4 commits a write when no transaction was open before it.
"""

from __future__ import annotations

import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable

import sqlite_utils

from crawler.archive.bodies import bodies_of
from crawler.text.neardup import Signature, band_keys, link_threshold, scheme, signature, similarity

logger = logging.getLogger(__name__)

META_TABLE = "neardup_meta"
SCHEME_KEY = "signature_scheme"
# Set while resign_all runs: the last article id signed again. A crawl seeing it
# knows a re-sign was interrupted; `newsmon reindex` resumes after it.
RESIGNING_KEY = "resigning"
# Per open Database: is its scheme current, and is that recorded yet?
_scheme_state: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Per open Database: signatures computed from bodies, most recently used last.
_signature_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
CACHE_SIZE = 4096   # ~2 MB: the stories being syndicated right now

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


def set_meta(db: sqlite_utils.Database, key: str, value: str | None) -> None:
    """Record (or, with None, forget) `key` in neardup_meta; does not commit."""
    create_meta_table(db)
    if value is None:
        db.conn.execute(f"DELETE FROM {META_TABLE} WHERE key = ?", [key])
    else:
        db.conn.execute(f"INSERT OR REPLACE INTO {META_TABLE} (key, value) VALUES (?, ?)",
                        [key, value])


def stored_scheme(db: sqlite_utils.Database) -> str | None:
    """The scheme of the archive's LSH bands; None while it records none (no band yet)."""
    return _meta(db, SCHEME_KEY)


def resign_pending(db: sqlite_utils.Database) -> bool:
    """Was a `resign_all` interrupted before every article was signed again?"""
    return _meta(db, RESIGNING_KEY) is not None


def scheme_is_current(db: sqlite_utils.Database) -> bool:
    """May this archive's bands be compared with new signatures? Warns once per connection."""
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


def _cache(db: sqlite_utils.Database) -> OrderedDict:
    cache = _signature_cache.get(db)
    if cache is None:
        cache = _signature_cache[db] = OrderedDict()
    return cache


def _remember(db: sqlite_utils.Database, article_id: int, sig: Signature) -> None:
    cache = _cache(db)
    cache[article_id] = sig
    cache.move_to_end(article_id)
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)


def signatures_of(db: sqlite_utils.Database, article_ids: Iterable[int]) -> dict[int, Signature]:
    """The signatures of those of `article_ids` that have a body long enough to sign.

    Computed from the stored bodies (the same function of the same text the
    store stage signed), remembered per connection.
    """
    cache, ids = _cache(db), list(dict.fromkeys(article_ids))
    for article_id, text in bodies_of(db, [i for i in ids if i not in cache]).items():
        sig = signature(text)
        if sig is not None:
            _remember(db, article_id, sig)
    return {article_id: cache[article_id] for article_id in ids if article_id in cache}


def add_signature(db: sqlite_utils.Database, article_id: int, sig: Signature) -> None:
    """Index the bands of `sig`, the signature of article `article_id`'s body.

    The first signature of a new archive records the scheme.
    """
    if scheme_is_current(db) and _scheme_state[db] == "unrecorded":
        set_meta(db, SCHEME_KEY, scheme())
        _scheme_state[db] = "current"
    db.conn.executemany("INSERT OR IGNORE INTO lsh_bands (band_key, article_id) VALUES (?, ?)",
                        [(key, article_id) for key in band_keys(sig)])
    _remember(db, article_id, sig)


def remove_signature(db: sqlite_utils.Database, article_id: int) -> None:
    """Take an article out of the index: its band rows, found from its body's signature.

    Call it while the body is still stored (an article without a body keeps
    whatever bands it has; they match nothing, as no signature can be made
    to verify them).
    """
    sig = signatures_of(db, [article_id]).get(article_id)
    _cache(db).pop(article_id, None)
    if sig is not None:
        drop_bands(db, article_id, sig)


def drop_bands(db: sqlite_utils.Database, article_id: int, sig: Signature) -> None:
    """Delete the band rows `sig` gave article `article_id` (their keys are its key column)."""
    db.conn.executemany("DELETE FROM lsh_bands WHERE band_key = ? AND article_id = ?",
                        [(key, article_id) for key in band_keys(sig)])


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
    A candidate whose body is gone (retention) is skipped.
    """
    scored = []
    for article_id, other in signatures_of(db, candidates(db, sig)).items():
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


def _signed_up_to(db: sqlite_utils.Database) -> int | None:
    """The last article id an interrupted re-sign finished; None when none is pending."""
    mark = _meta(db, RESIGNING_KEY)
    return None if mark is None else int(mark)


def unsigned_count(db: sqlite_utils.Database) -> int:
    """Articles with a body that a pending re-sign has still to sign (0 when none is)."""
    after = _signed_up_to(db)
    if after is None:
        return 0
    return db.conn.execute("SELECT COUNT(*) FROM article_bodies WHERE article_id > ?",
                           [after]).fetchone()[0]


def backfill_signatures(db: sqlite_utils.Database, batch_size: int = 500,
                        progress: Callable[[int, int], None] | None = None) -> int:
    """Sign and index the articles a pending re-sign has not reached; return how many.

    For `resign_all` and archives whose signing was left unfinished (an
    interrupted reindex; archives from before schema 2, see schema v7). Does
    not link them (their duplicate_of is left as it is). Commits after each
    batch of `batch_size` articles, recording the last id done, so a long run
    can be stopped and resumed, and calls `progress(articles looked at,
    articles signed)` after each. Clears the mark when done.
    """
    last_id = _signed_up_to(db)
    if last_id is None:
        return 0
    signed, seen = 0, 0
    while True:
        rows = db.conn.execute(
            "SELECT article_id FROM article_bodies WHERE article_id > ? ORDER BY article_id LIMIT ?",
            [last_id, batch_size]).fetchall()
        if not rows:
            break
        texts = bodies_of(db, [row[0] for row in rows])
        with db.conn:
            for article_id, text in texts.items():
                sig = signature(text)
                if sig is not None:
                    add_signature(db, article_id, sig)
                    signed += 1
            last_id = rows[-1][0]
            set_meta(db, RESIGNING_KEY, str(last_id))
        seen += len(rows)
        if progress is not None:
            progress(seen, signed)
    with db.conn:
        set_meta(db, RESIGNING_KEY, None)
    return signed


def resign_all(db: sqlite_utils.Database, batch_size: int = 500,
               progress: Callable[[int, int], None] | None = None) -> int:
    """Re-sign every article with the current scheme; return how many were signed.

    Old bands are dropped in one transaction (a table without WHERE is
    emptied without visiting its rows) that also records the new scheme and
    a `resigning` mark; `backfill_signatures` then signs the articles in
    committed batches and the mark goes when it is done. An interrupted run
    leaves a consistent archive of the new scheme with some articles
    unsigned: they are not found as originals until the next `newsmon
    reindex` signs them. duplicate_of links are kept as they are.
    """
    with db.conn:
        db.conn.execute("DELETE FROM lsh_bands")
        set_meta(db, SCHEME_KEY, scheme())
        set_meta(db, RESIGNING_KEY, "0")
    _signature_cache.pop(db, None)
    return finish_resign(db, batch_size, progress)


def index_all(db: sqlite_utils.Database, batch_size: int = 500,
              progress: Callable[[int, int], None] | None = None) -> int:
    """Sign every article with a body again and add any band it lacks (those already
    there stay); resumable like `resign_all`. Returns how many were signed."""
    with db.conn:
        set_meta(db, RESIGNING_KEY, "0")
    return finish_resign(db, batch_size, progress)


def finish_resign(db: sqlite_utils.Database, batch_size: int = 500,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Sign what a pending re-sign has not reached and clear its mark."""
    _scheme_state[db] = "current"  # recorded by resign_all; the mark is ours, not a warning
    signed = backfill_signatures(db, batch_size, progress)
    _scheme_state.pop(db, None)
    return signed
