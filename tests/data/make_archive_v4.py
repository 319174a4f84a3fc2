"""Writes tests/data/archive_v4.db: a small archive made by newsmon at schema version 4.

It was run once, at commit d55d88d (schema v4), through newsmon's own storage code
(open_archive, save_articles, record_run, the alert outbox tables), so the migration
test upgrades a file the old code really wrote. Kept for the record; running it with
a newer newsmon writes a newer schema.
"""

from __future__ import annotations

import sys
from pathlib import Path

from crawler.archive import open_archive
from crawler.archive.articles import save_articles
from crawler.archive.fetchstate import record_failure, record_listing
from crawler.archive.runs import record_run
from crawler.text.neardup import fingerprints

WORDS = ("model training cluster chips funding release benchmark open weights safety policy "
         "researchers agents inference datacenter energy regulation startup partnership").split()


def body(seed: int, length: int = 90) -> str:
    return " ".join(WORDS[(seed * 7 + i * (seed % 5 + 1)) % len(WORDS)] + ("." if i % 12 == 11 else "")
                    for i in range(length))


def article(n: int, source: str, text: str, company: str | None, published: str) -> dict:
    digest, signature = fingerprints(text)
    mentions = [] if company is None else [{
        "company": company, "count": 1, "in_title": True, "first_offset": -1,
        "matched": company, "snippet": f"{company} news"}]
    return {"url": f"https://{source}.example/{n}", "source": source,
            "title": f"{company or 'Industry'} story {n}", "published": published,
            "fetched_at": f"2026-05-{1 + n:02d}T08:00:00Z", "body": text, "word_count": len(text.split()),
            "content_hash": digest, "signature": signature, "mentions": mentions,
            "language": "en", "sitename": source}


def main(path: Path) -> None:
    db = open_archive(path)
    originals = [article(n, ("frontiernews", "aiwire", "techwire")[n % 3], body(n),
                         ("OpenAI", "Anthropic", None)[n % 3], f"2026-05-{1 + n:02d}T07:00:00Z")
                 for n in range(9)]
    save_articles(db, originals, near_threshold=0.5)
    copies = [article(20 + n, "syndic", "This story first appeared elsewhere. " + body(n),
                      ("OpenAI", "Anthropic", None)[n % 3], f"2026-05-{2 + n:02d}T07:00:00Z")
              for n in (0, 1, 4)]
    save_articles(db, copies, near_threshold=0.5)
    with db.conn:
        record_listing(db, "https://aiwire.example/feed", kind="feed", source="aiwire", status=200,
                       etag='"v1"', last_modified=None)
        record_failure(db, "https://aiwire.example/broken", source="aiwire", reason="timeout")
        db.conn.execute("INSERT INTO alerts (rule, article_id, story_id, channel, status, attempts,"
                        " created, digest) VALUES ('openai', 1, 1, 'json://x', 'sent', 1,"
                        " '2026-05-02T09:00:00Z', 'immediate')")
        db.conn.execute("INSERT INTO alert_state VALUES ('openai', 12, '2026-05-12T09:00:00Z')")
    for n, source in enumerate(("frontiernews", "aiwire", "techwire", "syndic")):
        record_run(db, {"source": source, "started": f"2026-05-10T0{n}:00:00Z",
                        "finished": f"2026-05-10T0{n}:01:00Z", "outcome": "ok", "requests": 5,
                        "new_articles": 3, "duplicates": 1, "not_modified": 0, "dropped": 0,
                        "errors": 0, "details": {}})
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.execute("PRAGMA journal_mode = DELETE")
    db.conn.execute("VACUUM")
    db.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
