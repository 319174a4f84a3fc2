"""What the crawler remembers between runs: validators and the seen-set.

`fetch_state` has one row per clean URL. Listings (feeds, sitemaps, section
pages) keep their ETag / Last-Modified so the next run can ask "changed?" and
pay nothing for a 304. Article URLs keep their outcome: a URL that was stored,
was a duplicate, or was not an article is in the seen-set and is never
downloaded again; one that failed for a reason that may pass (timeout, 500,
connection) is retried directly on the next runs, since its listing will
likely answer 304, until MAX_ATTEMPTS; one that is gone for good (404, 410, a
redirect loop) or too large joins the seen-set.

Functions only execute statements, on `db.conn` (sqlite-utils 4's
`db.execute` commits a write when no transaction is open); callers decide the
transaction (`with db.conn:`), so the store pipeline can write these rows in
the same transaction as the articles they describe.
"""

from __future__ import annotations

from sqlite_utils import Database

from crawler.text.utc import iso_now

SEEN_OUTCOMES = ("stored", "duplicate", "not_article", "gone", "gave_up")
MAX_ATTEMPTS = 3
PERMANENT_ERRORS = ("http_404", "http_410", "redirect_loop")


def is_seen(db: Database, url: str) -> bool:
    marks = ", ".join("?" * len(SEEN_OUTCOMES))
    row = db.conn.execute(
        f"SELECT 1 FROM fetch_state WHERE url = ? AND outcome IN ({marks})", [url, *SEEN_OUTCOMES]
    ).fetchone()
    return row is not None


def listing_validators(db: Database, url: str) -> tuple[str | None, str | None]:
    row = db.conn.execute("SELECT etag, last_modified FROM fetch_state WHERE url = ?", [url]).fetchone()
    return (row[0], row[1]) if row else (None, None)


def record_listing(db: Database, url: str, *, kind: str, source: str, status: int,
                   etag: str | None, last_modified: str | None) -> None:
    """Remember a listing fetch; a 304 keeps the validators it was asked with."""
    now = iso_now()
    db.conn.execute(
        """INSERT INTO fetch_state (url, kind, source, etag, last_modified, status, outcome,
                                    first_seen, last_fetched)
           VALUES (?, ?, ?, ?, ?, ?, 'listing', ?, ?)
           ON CONFLICT(url) DO UPDATE SET
               status = excluded.status, last_fetched = excluded.last_fetched,
               etag = CASE WHEN excluded.status = 304 THEN etag ELSE excluded.etag END,
               last_modified = CASE WHEN excluded.status = 304 THEN last_modified
                                    ELSE excluded.last_modified END""",
        [url, kind, source, etag, last_modified, status, now, now],
    )


def record_outcome(db: Database, urls, *, source: str, outcome: str, article_id: int | None = None,
                   status: int | None = 200) -> None:
    """Remember what became of every URL that led to one page."""
    now = iso_now()
    db.conn.executemany(
        """INSERT INTO fetch_state (url, kind, source, status, outcome, article_id,
                                    first_seen, last_fetched)
           VALUES (?, 'article', ?, ?, ?, ?, ?, ?)
           ON CONFLICT(url) DO UPDATE SET
               status = excluded.status, outcome = excluded.outcome,
               article_id = COALESCE(excluded.article_id, article_id),
               last_fetched = excluded.last_fetched""",
        [(url, source, status, outcome, article_id, now, now) for url in dict.fromkeys(urls)],
    )


def record_failure(db: Database, url: str, *, source: str, reason: str, status: int | None = None) -> str:
    """Remember a failed article fetch; returns the outcome: error, gave_up or gone."""
    row = db.conn.execute("SELECT attempts FROM fetch_state WHERE url = ?", [url]).fetchone()
    attempts = ((row[0] or 0) if row else 0) + 1
    if reason in PERMANENT_ERRORS:
        outcome = "gone"
    else:
        outcome = "error" if attempts < MAX_ATTEMPTS else "gave_up"
    now = iso_now()
    db.conn.execute(
        """INSERT INTO fetch_state (url, kind, source, status, outcome, reason, attempts,
                                    first_seen, last_fetched)
           VALUES (?, 'article', ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(url) DO UPDATE SET
               status = excluded.status, outcome = excluded.outcome, reason = excluded.reason,
               attempts = excluded.attempts, last_fetched = excluded.last_fetched""",
        [url, source, status, outcome, reason, attempts, now, now])
    return outcome


def urls_to_retry(db: Database, source: str) -> list[str]:
    """Article URLs of `source` whose last fetch failed for a reason that may pass."""
    return [row[0] for row in db.conn.execute(
        "SELECT url FROM fetch_state WHERE outcome = 'error' AND source = ? ORDER BY last_fetched",
        [source])]
