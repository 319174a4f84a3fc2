"""The near-duplicate index in a real archive (crawler/archive/neardup_index.py, schema v2)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
import sqlite_utils
import trafilatura

from crawler.text import neardup
from crawler.archive import SCHEMA_VERSION, open_archive, schema_version
from crawler.archive.articles import insert_article, save_articles
from crawler.archive.neardup_index import (add_signature, backfill_signatures, candidates,
                                           find_original, finish_resign, index_all,
                                           remove_signature, resign_all, resign_pending,
                                           stored_scheme, unsigned_count)
from crawler.archive.schema import MIGRATIONS

FIXTURES = Path(__file__).parent / "fixtures"
THRESHOLD = 0.5


def extracted(name: str) -> str:
    return trafilatura.extract((FIXTURES / name).read_text(encoding="utf-8"), include_comments=False)


@pytest.fixture(scope="module")
def story() -> str:
    return extracted("frontiernews-xai-distillation.html")


@pytest.fixture(scope="module")
def other_story() -> str:
    return extracted("frontiernews-anthropic-cloud-deal.html")


def store(db, body: str, *, source: str = "frontiernews", duplicate_of: int | None = None,
          signed: bool = True) -> int:
    with db.conn:
        article_id = insert_article(db, {
            "url": f"https://{source}.example/{db['articles'].count}", "source": source,
            "body": body, "duplicate_of": duplicate_of, "fetched_at": "2026-05-01T09:00:00Z"})
    if signed:
        with db.conn:
            add_signature(db, article_id, neardup.signature(body))
    return article_id


def test_copy_finds_its_original(db, story, other_story):
    original = store(db, story)
    store(db, other_story)
    copy = "This story first appeared on FrontierNews.\n" + story.rsplit("\n", 1)[0]
    found = find_original(db, neardup.signature(copy), THRESHOLD)
    assert found is not None
    assert found[0] == original and found[1] >= 0.9


def test_the_seed_articles_aiwire_copy_links_in_the_archive(db, story):
    original = store(db, story)
    copy = neardup.signature(extracted("aiwire-xai-distillation-syndicated.html"))
    assert find_original(db, copy, THRESHOLD)[0] == original


def test_a_different_story_finds_nothing(db, story, other_story):
    store(db, story)
    assert find_original(db, neardup.signature(other_story), THRESHOLD) is None


def test_match_on_a_copy_is_followed_to_the_root(db, story):
    root = store(db, story, signed=False)  # e.g. archived before schema v2
    copy_id = store(db, story + "\nUpdate: more details.", duplicate_of=root)
    found = find_original(db, neardup.signature(story + "\nUpdated again."), THRESHOLD)
    assert found is not None and found[0] == root != copy_id


def test_excluded_article_and_its_copies_never_match(db, story):
    own = store(db, story)
    store(db, story + "\nUpdate.", duplicate_of=own)
    assert find_original(db, neardup.signature(story), THRESHOLD, exclude_id=own) is None


def test_add_signature_does_not_commit(db, story):
    article_id = store(db, story, signed=False)
    db.conn.execute("BEGIN")
    add_signature(db, article_id, neardup.signature(story))
    assert db.conn.in_transaction
    db.conn.rollback()
    assert db.execute("SELECT COUNT(*) FROM lsh_bands").fetchone()[0] == 0


def test_removing_a_signature_leaves_no_stale_bands(tmp_path, story, other_story):
    """Its bands are found from the body's signature, also on a new connection (no cache)."""
    db = open_archive(tmp_path / "a.db")
    article_id, other = store(db, story), store(db, other_story)
    keys = {row[0] for row in db.execute("SELECT band_key FROM lsh_bands WHERE article_id = ?",
                                         [article_id])}
    assert keys == set(neardup.band_keys(neardup.signature(story)))
    db.close()
    db = open_archive(tmp_path / "a.db")
    with db.conn:
        remove_signature(db, article_id)
    assert db.execute("SELECT DISTINCT article_id FROM lsh_bands").fetchall() == [(other,)]
    assert find_original(db, neardup.signature(story), THRESHOLD) is None
    db.close()


def test_lookup_searches_the_band_index_instead_of_scanning(db, story):
    keys = neardup.band_keys(neardup.signature(story))
    plan = " ".join(row[3] for row in db.execute(
        "EXPLAIN QUERY PLAN SELECT article_id FROM lsh_bands WHERE band_key IN"
        f" ({', '.join('?' * len(keys))}) GROUP BY article_id", keys))
    assert "SEARCH lsh_bands USING PRIMARY KEY (band_key=?)" in plan
    assert "SCAN lsh_bands" not in plan


@pytest.mark.parametrize("copies", [1, 3])
def test_candidates_are_capped_and_closest_first(db, story, copies):
    ids = [store(db, story) for _ in range(copies)]
    assert candidates(db, neardup.signature(story), limit=2) == ids[:2]


def test_backfill_signs_old_articles_so_they_can_be_found(db, story, other_story):
    original = store(db, story, signed=False)
    store(db, other_story, signed=False)
    store(db, "Too short to sign.", signed=False)
    assert find_original(db, neardup.signature(story), THRESHOLD) is None
    assert index_all(db, batch_size=1) == 2
    assert backfill_signatures(db) == 0 and not resign_pending(db)     # nothing left pending
    assert find_original(db, neardup.signature(story), THRESHOLD)[0] == original


def test_a_v1_archive_is_migrated_keeping_its_rows(tmp_path):
    path = tmp_path / "v1.db"
    old = sqlite_utils.Database(path)
    MIGRATIONS[0](old)
    old.execute("PRAGMA user_version = 1")
    old["articles"].insert({"url": "https://h.example/a", "source": "h", "title": "Kept",
                            "body": "kept body", "fetched_at": "2026-01-01T00:00:00Z"})
    old.conn.commit()
    old.close()
    db = open_archive(path)
    assert schema_version(db) == SCHEMA_VERSION >= 2
    row = db["articles"].get(1)
    assert row["title"] == "Kept" and row["similarity"] is None
    assert db["articles"].columns_dict["similarity"] is float
    assert "lsh_bands" in db.table_names() and "signatures" not in db.table_names()
    assert resign_pending(db) and unsigned_count(db) == 1   # never signed: reindex will
    assert list(db.query("SELECT story_id, title, copies, outlets FROM stories")) == [
        {"story_id": 1, "title": "Kept", "copies": 1, "outlets": "h"}]
    db.close()
    assert schema_version(open_archive(path)) == SCHEMA_VERSION  # reopening is a no-op


def test_a_candidate_without_a_readable_body_is_skipped_not_fatal(tmp_path, story, caplog):
    db = open_archive(tmp_path / "a.db")
    dropped, damaged, good = store(db, story), store(db, story), store(db, story)
    with db.conn:
        db.conn.execute("DELETE FROM article_bodies WHERE article_id = ?", [dropped])
        db.conn.execute("DROP TRIGGER article_bodies_au")      # damage the row under the index
        db.conn.execute("UPDATE article_bodies SET body = ? WHERE article_id = ?", [b"zjunk", damaged])
    db.close()
    db = open_archive(tmp_path / "a.db")        # nothing remembered: signatures from the bodies
    with caplog.at_level(logging.WARNING, logger="crawler.archive.bodies"):
        assert find_original(db, neardup.signature(story), THRESHOLD)[0] == good
    assert any(f"article {damaged}" in r.getMessage() for r in caplog.records)


OLD_SCHEME_ARCHIVE = Path(__file__).parent / "data" / "neardup" / "old-scheme-archive.sqlite"


@pytest.fixture
def old_archive(tmp_path):
    """A real archive written by the previous signature scheme (16 articles, 5 linked copies)."""
    path = tmp_path / "old.db"
    shutil.copyfile(OLD_SCHEME_ARCHIVE, path)
    database = open_archive(path)
    yield database
    database.close()


def links(db) -> list[tuple]:
    return db.execute("SELECT id, duplicate_of, similarity FROM articles ORDER BY id").fetchall()


def test_an_old_scheme_archive_is_recognised_and_its_content_hashes_still_match(old_archive):
    assert stored_scheme(old_archive) == neardup.LEGACY_SCHEME != neardup.scheme()
    for body, stored_hash in old_archive.execute("SELECT t.body, a.content_hash FROM articles a"
                                                 " JOIN article_text t ON t.id = a.id"):
        assert neardup.fingerprints(body)[0] == stored_hash  # exact-copy keys survive the change


def test_a_crawl_on_an_old_scheme_archive_does_not_compare_old_and_new_signatures(old_archive, caplog):
    story = old_archive.execute("SELECT body FROM article_text WHERE id = 10").fetchone()[0]
    near = "This story first appeared on FrontierNews.\n" + story.rsplit("\n", 1)[0]
    batch = [{"url": f"https://wire.example/{n}", "source": "wire", "body": body,
              "content_hash": neardup.fingerprints(body)[0], "signature": neardup.signature(body)}
             for n, body in enumerate([near, story])]
    with caplog.at_level(logging.WARNING, logger="crawler.archive.neardup_index"):
        saved = save_articles(old_archive, batch, near_threshold=THRESHOLD)
    assert [s.duplicate_of for s in saved] == [None, 10]  # near copy unlinked, exact copy linked
    assert sum("newsmon reindex" in r.getMessage() for r in caplog.records) == 1
    assert stored_scheme(old_archive) == neardup.LEGACY_SCHEME


def test_reindex_re_signs_an_old_scheme_archive_keeping_rows_and_links(old_archive):
    before, articles = links(old_archive), old_archive["articles"].count
    seen = []
    signed = resign_all(old_archive, batch_size=4, progress=lambda *counts: seen.append(counts))
    assert signed == 15 and seen[-1] == (articles, 15) and len(seen) == 4
    assert links(old_archive) == before and old_archive["articles"].count == articles
    assert stored_scheme(old_archive) == neardup.scheme() and not resign_pending(old_archive)
    assert old_archive["lsh_bands"].count == 15 * neardup.BANDS
    story = old_archive.execute("SELECT body FROM article_text WHERE id = 10").fetchone()[0]
    near = "This story first appeared on FrontierNews.\n" + story.rsplit("\n", 1)[0]
    assert find_original(old_archive, neardup.signature(near), THRESHOLD)[0] == 10


def test_an_interrupted_re_sign_is_finished_by_the_next_run(old_archive, caplog):
    def stop_after_first_batch(seen, signed):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        resign_all(old_archive, batch_size=5, progress=stop_after_first_batch)
    reopened = open_archive(old_archive.conn.execute("PRAGMA database_list").fetchone()[2])
    assert resign_pending(reopened) and stored_scheme(reopened) == neardup.scheme()
    assert unsigned_count(reopened) == 16 - 5                # the first batch was committed
    done = {row[0] for row in reopened.execute("SELECT DISTINCT article_id FROM lsh_bands")}
    assert 0 < len(done) <= 5
    with caplog.at_level(logging.WARNING, logger="crawler.archive.neardup_index"):
        assert find_original(reopened, neardup.signature("word " * 60), THRESHOLD) is None
    assert any("interrupted" in r.getMessage() for r in caplog.records)
    assert finish_resign(reopened) == 15 - len(done)
    assert reopened["lsh_bands"].count == 15 * neardup.BANDS and not resign_pending(reopened)
    reopened.close()


def test_a_new_archive_records_the_scheme_with_its_first_signature(db, story):
    assert stored_scheme(db) is None
    store(db, story)
    assert stored_scheme(db) == neardup.scheme()
    assert db.execute("SELECT value FROM neardup_meta WHERE key = 'signature_scheme'").fetchone() == (
        neardup.scheme(),)


def v6_archive(path: Path, signed: str, unsigned: list[str]) -> None:
    """A schema-6 archive: article 1 (`signed`) with its signature and bands, no recorded
    scheme; then articles with no signature (too short to sign, or stored before schema 2)."""
    db = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:6]:
        migration(db)
    db.execute("PRAGMA user_version = 6")
    with db.conn:
        for n, body in enumerate([signed, *unsigned], start=1):
            db.conn.execute("INSERT INTO articles (id, url, body) VALUES (?, ?, ?)",
                            [n, f"https://h.example/{n}", body])
        db.conn.execute("INSERT INTO signatures VALUES (1, ?)",
                        [neardup.serialise(neardup.signature(signed))])
        db.conn.executemany("INSERT INTO lsh_bands VALUES (?, 1)",
                            [(key,) for key in neardup.band_keys(neardup.signature(signed))])
    db.close()


def test_a_v6_archive_without_a_recorded_scheme_keeps_the_scheme_of_its_oldest_signature(tmp_path, story):
    """Signatures are dropped by the v7 upgrade: what their headers told is recorded first;
    a text too short to sign is no reason to re-sign."""
    v6_archive(tmp_path / "a.db", story, ["Too short to sign."])
    reopened = open_archive(tmp_path / "a.db")
    assert stored_scheme(reopened) == neardup.scheme() and not resign_pending(reopened)
    assert find_original(reopened, neardup.signature(story), THRESHOLD) == (1, 1.0)
    reopened.close()


def test_articles_left_unsigned_before_v7_are_signed_by_the_next_reindex(tmp_path, story, other_story):
    v6_archive(tmp_path / "a.db", story, ["Too short to sign.", other_story])
    db = open_archive(tmp_path / "a.db")
    assert resign_pending(db) and unsigned_count(db) == 1       # from article 3 on
    assert finish_resign(db) == 1 and not resign_pending(db)
    assert find_original(db, neardup.signature(other_story), THRESHOLD)[0] == 3
    db.close()
