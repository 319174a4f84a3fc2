"""TaggingPipeline: settings in, item["mentions"] and stats out."""

import pytest
from conftest import newsmon_crawler
from crawler.items import ArticleItem
from crawler.text.companies import load_companies
from pipelines.tagging import TaggingPipeline

TITLE = "Amazon to invest another $4 billion in Anthropic"
BODY = "Amazon will invest an additional $4 billion in Anthropic, the companies said on Friday."


def build(settings=None):
    crawler = newsmon_crawler(settings)
    crawler.stats.open_spider()
    return TaggingPipeline.from_crawler(crawler), crawler.stats


@pytest.mark.parametrize("make_item", [dict, ArticleItem])
def test_sets_mentions_as_plain_dicts(make_item):
    pipeline, stats = build()
    item = pipeline.process_item(make_item(url="https://example.com/a", title=TITLE, body=BODY))
    by_company = {m["company"]: m for m in item["mentions"]}
    assert set(by_company) == {"Amazon", "Anthropic"}
    assert by_company["Amazon"] == {
        "company": "Amazon", "count": 2, "in_title": True, "first_offset": 0,
        "matched": "Amazon", "snippet": BODY}
    assert stats.get_value("newsmon/tagging/articles_tagged") == 1
    assert stats.get_value("newsmon/tagging/mentions") == 2


def test_article_without_companies_gets_an_empty_list_and_is_counted():
    pipeline, stats = build()
    item = pipeline.process_item({"title": "Drought on the Amazon river", "body": "Barges are stuck."})
    assert item["mentions"] == []
    assert stats.get_value("newsmon/tagging/articles_tagged") == 1
    assert stats.get_value("newsmon/tagging/mentions", 0) == 0


def test_missing_title_or_body_is_not_an_error():
    pipeline, _ = build()
    item = pipeline.process_item({"body": "Nvidia shares rose."})
    assert [m["company"] for m in item["mentions"]] == ["Nvidia"]
    assert pipeline.process_item({"title": None, "body": None})["mentions"] == []


def test_companies_come_from_the_settings():
    pipeline, _ = build({
        "NEWSMON_COMPANIES": ({"name": "Acme Robotics", "aliases": ["Acme"]},),
        "NEWSMON_USE_BUILTIN_COMPANIES": False,
    })
    item = pipeline.process_item({"title": "Acme and OpenAI sign a deal", "body": ""})
    assert [m["company"] for m in item["mentions"]] == ["Acme Robotics"]


def test_built_directly_with_plain_values():
    pipeline = TaggingPipeline(load_companies(({"name": "Acme Robotics"},), use_builtin=True))
    item = pipeline.process_item({"title": "Acme Robotics and OpenAI", "body": ""})
    assert {m["company"] for m in item["mentions"]} == {"Acme Robotics", "OpenAI"}
