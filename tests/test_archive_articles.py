"""save_articles: one row per URL, copies linked, whole batches or nothing."""

import sqlite3

import pytest

from crawler.archive.articles import save_articles
from crawler.archive.bodies import bodies_of
from crawler.archive.fetchstate import is_seen
from crawler.text.neardup import fingerprints

BODY = " ".join(f"Sentence number {i} about the model release and its many consequences." for i in range(40))


def article(url, body=BODY, source="s1", **extra):
    return {"url": url, "source": source, "title": "T", "body": body, "word_count": len(body.split()),
            "content_hash": fingerprints(body)[0], "fetched_at": "2026-05-01T09:00:00Z",
            "fetched_urls": [url], **extra}


def test_new_article_is_stored_and_seen(db):
    (saved,) = save_articles(db, [article("http://h/a")])
    assert saved.status == "new" and saved.duplicate_of is None
    row = db["articles"].get(saved.article_id)
    assert row["url"] == "http://h/a" and row["duplicate_of"] is None
    assert is_seen(db, "http://h/a")


def test_same_url_is_one_row(db):
    save_articles(db, [article("http://h/a")])
    (again,) = save_articles(db, [article("http://h/a", body=BODY + " Updated.")])
    assert again.status == "duplicate_url"
    assert db["articles"].count == 1
    assert bodies_of(db, [again.article_id]) == {again.article_id: BODY}


def test_exact_copy_on_another_url_points_at_the_first(db):
    first, copy, third = save_articles(db, [article("http://h/a"), article("http://other/b", source="s2"),
                                            article("http://third/c", source="s3")])
    assert copy.status == "duplicate" and copy.duplicate_of == first.article_id
    assert third.duplicate_of == first.article_id
    assert db["articles"].get(copy.article_id)["similarity"] == 1.0
    assert db.execute("SELECT outcome FROM fetch_state WHERE url='http://other/b'").fetchone()[0] == "duplicate"


def test_copies_are_linked_across_batches_and_runs(db):
    (first,) = save_articles(db, [article("http://h/a")])
    (later,) = save_articles(db, [article("http://h/later")])
    assert later.duplicate_of == first.article_id


def test_a_failing_batch_leaves_nothing_behind(db):
    broken = article("http://h/broken")
    broken["url"] = None  # NOT NULL violation in the middle of the batch
    with pytest.raises(sqlite3.IntegrityError):
        save_articles(db, [article("http://h/ok"), broken])
    assert db["articles"].count == 0
    assert not is_seen(db, "http://h/ok")


def test_full_text_index_follows_inserts(db):
    save_articles(db, [article("http://h/a", body=BODY + " Distillation is discussed.")])
    hits = db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'distill*'").fetchall()
    assert len(hits) == 1


def test_an_earlier_published_copy_found_later_becomes_the_original(db):
    wire, later = save_articles(db, [
        article("http://wire/a", source="wire", published="2026-05-01T15:30:00Z"),
        article("http://wire/b", source="wire2", published="2026-05-01T16:00:00Z")])
    db.conn.execute("INSERT INTO alerts (rule, article_id, story_id, channel, status) "
                    "VALUES ('r', ?, ?, 'json://x', 'sent')", [wire.article_id, wire.article_id])
    db.conn.commit()
    (origin,) = save_articles(db, [article("http://origin/a", source="origin",
                                           published="2026-05-01T09:00:00Z")])
    assert origin.status == "new" and origin.duplicate_of is None
    links = dict(db.execute("SELECT id, duplicate_of FROM articles").fetchall())
    assert links == {wire.article_id: origin.article_id, later.article_id: origin.article_id,
                     origin.article_id: None}
    assert db.execute("SELECT story_id FROM alerts").fetchone()[0] == origin.article_id


def test_a_copy_without_a_date_does_not_take_over(db):
    (first,) = save_articles(db, [article("http://h/a", published="2026-05-01T09:00:00Z")])
    (undated,) = save_articles(db, [article("http://h/b")])
    assert undated.duplicate_of == first.article_id
