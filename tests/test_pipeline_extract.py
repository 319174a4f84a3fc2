"""ExtractPipeline: settings, the worker pool, and rejections with reasons."""

import asyncio
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from crawler.items import ArticleItem, Rejected
from pipelines.extract import ExtractPipeline

SEED = (Path(__file__).parent / "fixtures" / "frontiernews-xai-distillation.html").read_text("utf-8")
URL = "http://127.0.0.1:8000/ai-labs/xai-grok-openai-distillation"


@pytest.mark.parametrize("setting, workers", [(None, "cores"), (0, 0), (1, 1), (3, 3)])
def test_worker_count_setting(setting, workers):
    import os

    settings = {} if setting is None else {"NEWSMON_EXTRACT_WORKERS": setting}
    pipeline = ExtractPipeline.from_crawler(get_crawler(settings_dict=settings))
    assert pipeline.workers == (os.cpu_count() if workers == "cores" else workers)


def item(html, url=URL, **extra):
    return ArticleItem(source="fn", url=url, fetched_urls=[url], html=html, hints={}, **extra)


def run(pipeline, article):
    async def go():
        pipeline.open_spider()
        try:
            return await pipeline.process_item(article)
        finally:
            pipeline.close_spider()
    return asyncio.run(go())


@pytest.mark.parametrize("workers", [0, 1])
def test_article_extracted_inline_and_in_a_worker_process(workers):
    result = run(ExtractPipeline(workers=workers, min_words=50, tasks_per_worker=10), item(SEED))
    assert result["title"].startswith("Elon Musk's xAI Admits")
    assert result["published"] == "2026-05-01T09:00:00Z"
    assert result["html"] is None
    assert result["url"] == URL  # canonical is on another site: the fetched URL stays


def test_same_site_canonical_becomes_the_url():
    html = SEED.replace("https://frontiernews.example/ai-labs/", "http://127.0.0.1:8000/stories/")
    result = run(ExtractPipeline(0, 50, 10), item(html, url="http://127.0.0.1:8000/amp/x"))
    assert result["url"] == "http://127.0.0.1:8000/stories/xai-grok-openai-distillation"
    assert result["fetched_urls"] == ["http://127.0.0.1:8000/amp/x", result["url"]]


@pytest.mark.parametrize("article, reason", [
    (item(None, content_type="application/pdf"), "not_html"),
    (item("<html><body><p>Short.</p></body></html>"), "too_short"),
])
def test_rejections_carry_their_reason(article, reason):
    with pytest.raises(Rejected) as caught:
        run(ExtractPipeline(0, 50, 10), article)
    assert caught.value.reason == reason
