"""One row per story: the `stories` view and the helpers search uses (crawler/archive/stories.py)."""

from __future__ import annotations

import pytest

from crawler.archive.search import search_articles
from crawler.archive.stories import also_on


@pytest.fixture
def db(db):
    """Story 1 ran on frontiernews, then aiwire twice and techwire; story 5 only on aiwire."""
    rows = [
        (1, "frontiernews", None, None, "2026-05-01T10:00:00Z"),
        (2, "aiwire", 1, 0.97, "2026-05-01T09:00:00Z"),
        (3, "aiwire", 1, 0.91, "2026-05-01T12:00:00Z"),
        (4, "techwire", 1, 1.0, "2026-05-02T08:00:00Z"),
        (5, "aiwire", None, None, "2026-05-03T08:00:00Z"),
    ]
    db["articles"].insert_all(
        {"id": i, "url": f"https://{source}.example/{i}", "source": source, "title": f"Title {i}",
         "duplicate_of": original, "similarity": sim, "fetched_at": fetched,
         "published": "2026-05-01"}
        for i, source, original, sim, fetched in rows)
    return db


def test_stories_view_has_one_row_per_story_with_its_outlets(db):
    stories = {row["story_id"]: row for row in db.query("SELECT * FROM stories")}
    assert set(stories) == {1, 5}
    first = stories[1]
    assert (first["title"], first["copies"]) == ("Title 1", 4)
    assert first["url"] == "https://frontiernews.example/1"
    assert first["first_seen"] == "2026-05-01T09:00:00Z"  # a copy was fetched before the original
    assert sorted(first["outlets"].split(",")) == ["aiwire", "frontiernews", "techwire"]
    assert (stories[5]["copies"], stories[5]["outlets"]) == (1, "aiwire")


@pytest.mark.parametrize("article_id, expected", [
    (1, ["aiwire", "techwire"]),
    (2, ["frontiernews", "techwire"]),
    (4, ["frontiernews", "aiwire"]),
    (5, []),
    (99, []),
])
def test_also_on_lists_the_other_outlets_of_the_story(db, article_id, expected):
    assert also_on(db, [article_id]) == {article_id: expected}


def test_also_on_answers_many_ids_at_once(db):
    result = also_on(db, range(1, 6))
    assert set(result) == {1, 2, 3, 4, 5}
    assert result[3] == ["frontiernews", "techwire"]


def test_search_finds_a_story_once_or_with_all_its_copies(db):
    """`search --all-copies` lists every copy; without it a story shows once, as its original."""
    one = search_articles(db, "title", limit=10)
    assert sorted(row["id"] for row in one) == [1, 5]
    every = search_articles(db, "title", limit=10, all_copies=True)
    assert sorted(row["id"] for row in every) == [1, 2, 3, 4, 5]
    assert {row["id"]: row["story_id"] for row in every} == {1: 1, 2: 1, 3: 1, 4: 1, 5: 5}
