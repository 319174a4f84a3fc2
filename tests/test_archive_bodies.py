"""crawler/archive/bodies.py and the schema-7 triggers: bodies stored compressed, read as text,
and the full-text index following every change of a title or a body."""

from __future__ import annotations

import sqlite3

import pytest

from crawler.archive import open_archive
from crawler.archive.articles import insert_article
from crawler.archive.bodies import BodyFormatError, bodies_of, pack, store_body, unpack

TEXT = ("Régulateurs et laboratoires: the distillation rules drafted on Tuesday would require a "
        "licence for outputs used in training, officials said. ") * 6


def test_a_body_comes_back_as_the_same_text_and_smaller():
    packed = pack(TEXT)
    assert packed[:1] == b"z" and len(packed) < len(TEXT.encode()) / 2
    assert unpack(packed) == TEXT
    assert pack("Hi é") == b"t" + "Hi é".encode() and unpack(pack("Hi é")) == "Hi é"  # no gain: plain
    assert pack(None) is None and unpack(None) is None


def test_an_unknown_format_is_refused_by_name():
    with pytest.raises(BodyFormatError, match="unknown body format"):
        unpack(b"x123")


@pytest.fixture
def db(tmp_path):
    database = open_archive(tmp_path / "a.db")
    yield database
    database.close()


def matches(db, query: str) -> list[int]:
    return [row[0] for row in db.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid", [query])]


def check_index(db) -> None:
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")


def test_the_index_follows_titles_and_bodies_through_every_change(db):
    with db.conn:
        first = insert_article(db, {"url": "https://h.example/1", "title": "Rules drafted", "body": TEXT})
        second = insert_article(db, {"url": "https://h.example/2", "title": "No body yet"})
    assert matches(db, "licence") == [first] and matches(db, "body") == [second]
    assert db.execute("SELECT snippet(articles_fts, 1, '[', ']', '', 6) FROM articles_fts"
                      " WHERE articles_fts MATCH 'licence'").fetchone()[0].count("[licence]") == 1
    with db.conn:
        store_body(db, second, "A later body about quantum chips.")     # a body arrives
        db.conn.execute("UPDATE articles SET title = 'Rules adopted' WHERE id = ?", [first])
    check_index(db)
    assert matches(db, "quantum") == [second] and matches(db, "adopted") == [first]
    assert matches(db, "drafted") == [first]              # still in the body, not the title
    assert matches(db, "title:drafted") == []
    with db.conn:
        store_body(db, second, "Replaced text on photonics.")           # a body replaced
        store_body(db, first, None)                                      # a body dropped
    check_index(db)
    assert matches(db, "quantum") == [] and matches(db, "photonics") == [second]
    assert matches(db, "licence") == [] and matches(db, "adopted") == [first]
    assert bodies_of(db, [first, second]) == {second: "Replaced text on photonics."}
    with db.conn:
        store_body(db, second, None)
        db.conn.execute("DELETE FROM articles WHERE id = ?", [second])
        db.conn.execute("DELETE FROM articles WHERE id = ?", [first])
    check_index(db)
    assert matches(db, "photonics OR adopted") == []


def test_an_article_deleted_with_its_body_still_there_is_refused(db):
    """article_bodies' key is checked at commit: no body outlives its article."""
    with db.conn:
        article_id = insert_article(db, {"url": "https://h.example/1", "title": "T", "body": TEXT})
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        with db.conn:
            db.conn.execute("DELETE FROM articles WHERE id = ?", [article_id])
    assert bodies_of(db, [article_id]) == {article_id: TEXT}
    check_index(db)
