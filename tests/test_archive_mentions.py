"""crawler/archive/mentions.py on a real archive: saving, retagging, counting, searching by company."""

from datetime import datetime, timezone

import pytest

from crawler.archive.articles import insert_article
from crawler.archive.mentions import company_counts, retag_archive, save_mentions
from crawler.archive.search import search_articles
from crawler.text.companies import load_companies
from crawler.text.tagging import CompanyMatcher

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=timezone.utc)


def add_article(db, url, title, body, published=None, fetched_at="2026-05-20T11:00:00Z", duplicate_of=None):
    with db.conn:
        return insert_article(db, {
            "url": url, "source": "test", "title": title, "body": body, "published": published,
            "fetched_at": fetched_at, "duplicate_of": duplicate_of})


def mention(company, count=1):
    return {"company": company, "count": count, "in_title": True, "first_offset": 0,
            "matched": company, "snippet": f"{company} did something."}


def rows(db):
    return sorted((r["article_id"], r["company"], r["count"]) for r in db["mentions"].rows)


def test_save_mentions_replaces_the_articles_rows(db):
    first = add_article(db, "https://e.com/1", "t", "b")
    other = add_article(db, "https://e.com/2", "t", "b")
    with db.conn:
        save_mentions(db, first, [mention("OpenAI", 3), mention("Google")])
        save_mentions(db, other, [mention("Meta")])
    with db.conn:
        save_mentions(db, first, [mention("Anthropic", 2)])
    assert rows(db) == [(first, "Anthropic", 2), (other, "Meta", 1)]
    row = db.execute("SELECT in_title, first_offset, matched, snippet FROM mentions WHERE article_id = ?",
                     [first]).fetchone()
    assert row == (1, 0, "Anthropic", "Anthropic did something.")


def test_save_mentions_stays_inside_the_callers_transaction(db):
    """The store stage calls it inside its batch: a failed batch must leave no mention behind."""
    article = add_article(db, "https://e.com/1", "t", "b")
    with pytest.raises(RuntimeError):
        with db.conn:
            save_mentions(db, article, [mention("OpenAI")])
            raise RuntimeError("batch failed")
    assert rows(db) == []


def test_retag_applies_a_new_company_list_to_old_articles(db):
    ids = [add_article(db, f"https://e.com/{i}", f"Acme Robotics and OpenAI, part {i}", "Body.")
           for i in range(5)]
    river = add_article(db, "https://e.com/river", "The Amazon river is low", "Barges are stuck.")
    counts = retag_archive(db, CompanyMatcher(load_companies()), batch_size=2)
    assert counts == {"articles": 6, "tagged": 5, "mentions": 5, "added": 5, "removed": 0}
    assert {r[1] for r in rows(db)} == {"OpenAI"}

    user = ({"name": "Acme Robotics", "aliases": ["Acme Robotics"]},)
    counts = retag_archive(db, CompanyMatcher(load_companies(user, use_builtin=False)), batch_size=2)
    assert counts == {"articles": 6, "tagged": 5, "mentions": 5, "added": 5, "removed": 5}
    assert rows(db) == [(i, "Acme Robotics", 1) for i in ids]
    assert river not in {r[0] for r in rows(db)}


def test_retag_of_an_empty_archive(db):
    assert retag_archive(db, CompanyMatcher(load_companies()))["articles"] == 0


def test_company_counts_per_window_counting_each_story_once(db):
    def tagged(url, companies, **dates):
        article = add_article(db, url, "t", "b", **dates)
        with db.conn:
            save_mentions(db, article, [mention(c) for c in companies])
        return article

    story = tagged("https://e.com/today", ["OpenAI", "Google"], published="2026-05-20T08:00:00Z")
    tagged("https://copy.com/today", ["OpenAI", "Google"], published="2026-05-20T09:00:00Z",
           duplicate_of=story)                                             # a syndicated copy
    tagged("https://e.com/5-days", ["OpenAI"], published="2026-05-15T08:00:00Z")
    tagged("https://e.com/20-days", ["OpenAI", "Meta"], published="2026-04-30T08:00:00Z")
    tagged("https://e.com/old", ["Meta"], published="2025-01-01T00:00:00Z",
           fetched_at="2026-05-20T11:00:00Z")                             # old news found today
    tagged("https://e.com/undated", ["Meta"], fetched_at="2026-05-20T10:00:00Z")  # no published date

    counts = {row["company"]: row for row in company_counts(db, now=NOW)}
    assert counts["OpenAI"] == {"company": "OpenAI", "day": 1, "week": 2, "month": 3, "total": 3}
    assert counts["Google"] == {"company": "Google", "day": 1, "week": 1, "month": 1, "total": 1}
    assert counts["Meta"] == {"company": "Meta", "day": 1, "week": 1, "month": 2, "total": 3}
    assert [row["company"] for row in company_counts(db, now=NOW)] == ["OpenAI", "Meta", "Google"]


def test_search_by_company_matches_the_name_case_insensitively(db):
    openai = add_article(db, "https://e.com/1", "t", "b")
    add_article(db, "https://e.com/2", "t", "b")
    with db.conn:
        save_mentions(db, openai, [mention("OpenAI")])
    assert [r["id"] for r in search_articles(db, "b", company="openai")] == [openai]
    assert search_articles(db, "b", company="Meta") == []
