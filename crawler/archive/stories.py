"""Stories: an original article and its copies, read the way `newsmon search` shows them.

`duplicate_of` always points at the story's original, so a story is the
root row plus the rows pointing at it, and COALESCE(duplicate_of, id) is the
story id of any article. Search shows one row per story and, beside it, the
other outlets that ran it.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlite_utils

from crawler.archive.cursor import id_chunks


def story_ids(db: sqlite_utils.Database, article_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """Map each article id to (its story id, its own source); unknown ids are left out."""
    found = {}
    for chunk in id_chunks(list(dict.fromkeys(article_ids))):
        marks = ", ".join("?" * len(chunk))
        for article_id, story_id, source in db.conn.execute(
                f"SELECT id, COALESCE(duplicate_of, id), source FROM articles WHERE id IN ({marks})",
                chunk):
            found[article_id] = (story_id, source)
    return found


def outlets(db: sqlite_utils.Database, story_ids: Iterable[int]) -> dict[int, list[str]]:
    """Distinct sources of each story's copies, in the order they first ran it."""
    result: dict[int, list[str]] = {}
    for chunk in id_chunks(list(dict.fromkeys(story_ids))):
        marks = ", ".join("?" * len(chunk))
        rows = db.conn.execute(
            "SELECT COALESCE(duplicate_of, id) AS story, source, MIN(id) AS first"
            f" FROM articles WHERE id IN ({marks}) OR duplicate_of IN ({marks})"
            " GROUP BY story, source ORDER BY story, first", [*chunk, *chunk])
        for story, source, _first in rows:
            if source is not None:
                result.setdefault(story, []).append(source)
    return result


def also_on(db: sqlite_utils.Database, article_ids: Iterable[int]) -> dict[int, list[str]]:
    """For each article id: the other outlets that ran its story (first-run order).

    The article's own source is left out; an unknown id maps to an empty list.
    """
    article_ids = list(article_ids)
    own = story_ids(db, article_ids)
    by_story = outlets(db, [story for story, _source in own.values()])
    result: dict[int, list[str]] = {}
    for article_id in article_ids:
        if article_id not in own:
            result[article_id] = []
            continue
        story, source = own[article_id]
        result[article_id] = [s for s in by_story.get(story, []) if s != source]
    return result
