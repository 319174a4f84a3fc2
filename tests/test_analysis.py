"""The analysed page: fields, hints, fingerprints and mentions, made where the page is extracted."""

import asyncio

import pytest
from scrapy.utils.test import get_crawler

from crawler.items import ArticleItem
from crawler.text.analysis import analyse
from crawler.text.article import Article
from crawler.text.companies import load_companies
from crawler.text.neardup import fingerprints
from crawler.text.tagging import CompanyMatcher
from pipelines.extract import ExtractPipeline

TITLE = "Amazon to invest another $4 billion in Anthropic"
BODY = "Amazon will invest an additional $4 billion in Anthropic, the companies said on Friday."
FILLER = " ".join(f"Paragraph {i} reports on the chip export rules and their effect." for i in range(20))


def article(title=TITLE, body=BODY, **extra):
    fields = dict(title=title, author=None, published=None, language="en", description=None,
                  sitename=None, image=None, body=body, word_count=len(body.split()),
                  canonical_url=None)
    return Article(**{**fields, **extra})


def test_mentions_are_plain_dicts():
    page = analyse(article(), {}, CompanyMatcher(load_companies()))
    by_company = {m["company"]: m for m in page.mentions}
    assert set(by_company) == {"Amazon", "Anthropic"}
    assert by_company["Amazon"] == {
        "company": "Amazon", "count": 2, "in_title": True, "first_offset": 0,
        "matched": "Amazon", "snippet": BODY}


def test_fingerprints_are_those_of_the_body():
    page = analyse(article(body=FILLER), {}, None)
    assert page.content_hash == fingerprints(FILLER)[0]
    assert page.signature is not None and page.mentions == []
    short = analyse(article(body="Just a few words here."), {}, None)
    assert short.signature is None and short.content_hash


def test_a_title_from_the_feed_is_tagged_too():
    page = analyse(article(title=None, body=FILLER), {"title": "Nvidia shares rose"},
                   CompanyMatcher(load_companies()))
    assert page.fields["title"] == "Nvidia shares rose"
    assert [m["company"] for m in page.mentions] == ["Nvidia"]


def html_page(title: str, body: str) -> str:
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"<p>{body}</p><p>{FILLER}</p></article></body></html>")


@pytest.mark.parametrize("workers", [0, 1])
def test_the_extract_stage_tags_with_the_configured_companies_inline_and_in_a_worker(workers):
    crawler = get_crawler(settings_dict={
        "NEWSMON_EXTRACT_WORKERS": workers,
        "NEWSMON_COMPANIES": ({"name": "Acme Robotics", "aliases": ["Acme"]},),
        "NEWSMON_USE_BUILTIN_COMPANIES": False,
    })
    crawler.stats.open_spider()
    pipeline = ExtractPipeline.from_crawler(crawler)
    url = "http://127.0.0.1:8000/acme"
    item = ArticleItem(source="s", url=url, fetched_urls=[url], hints={},
                       html=html_page("Acme and OpenAI sign a deal", "Acme Robotics said so."))

    async def go():
        try:
            return await pipeline.process_item(item)
        finally:
            pipeline.close_spider()

    result = asyncio.run(go())
    assert [m["company"] for m in result["mentions"]] == ["Acme Robotics"]   # not OpenAI: builtin off
    assert result["content_hash"] == fingerprints(result["body"])[0]
    assert result["signature"] is not None
    assert crawler.stats.get_value("newsmon/tagging/articles_tagged") == 1
    assert crawler.stats.get_value("newsmon/tagging/mentions") == 1
