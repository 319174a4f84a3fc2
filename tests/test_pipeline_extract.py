"""ExtractPipeline: settings, the worker pool, and rejections with reasons."""

import asyncio
from pathlib import Path

import pytest

from conftest import newsmon_crawler

from crawler.items import ArticleItem, Rejected
from pipelines.extract import ExtractPipeline

SEED = (Path(__file__).parent / "fixtures" / "frontiernews-xai-distillation.html").read_text("utf-8")
URL = "http://127.0.0.1:8000/ai-labs/xai-grok-openai-distillation"


@pytest.mark.parametrize("setting, workers", [(None, "cores"), (0, 0), (1, 1), (3, 3)])
def test_worker_count_setting(setting, workers):
    import os

    settings = {} if setting is None else {"NEWSMON_EXTRACT_WORKERS": setting}
    pipeline = ExtractPipeline.from_crawler(newsmon_crawler(settings))
    assert pipeline.workers == (os.cpu_count() if workers == "cores" else workers)


def item(html, url=URL, **extra):
    return ArticleItem(source="fn", url=url, fetched_urls=[url], html=html, hints={}, **extra)


def run(pipeline, article):
    async def go():
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


def paragraphs_page(count: int) -> str:
    return "<html><body><article>" + "".join(
        f"<p>Paragraph {i} of a page far too long for trafilatura.</p>" for i in range(count)
    ) + "</article></body></html>"


def test_a_page_over_the_element_limit_is_dropped_before_trafilatura():
    pipeline = ExtractPipeline(0, 50, 10, max_elements=1000)
    with pytest.raises(Rejected) as caught:
        run(pipeline, item(paragraphs_page(1001)))
    assert caught.value.reason == "too_complex"
    assert run(pipeline, item(SEED))["title"]      # a real page is far under the limit


def test_a_page_over_the_time_limit_costs_the_limit_and_its_worker_is_replaced():
    import time

    pipeline = ExtractPipeline(1, 50, 10, timeout=0.5, max_elements=0)

    async def go():
        try:
            started = time.monotonic()
            with pytest.raises(Rejected) as caught:
                await pipeline.process_item(item(paragraphs_page(30000)))
            took = time.monotonic() - started
            after = await pipeline.process_item(item(SEED))   # the replacement worker works
            return caught.value.reason, took, after
        finally:
            pipeline.close_spider()

    reason, took, after = asyncio.run(go())
    assert reason == "extraction_timeout"
    assert took < 20        # spawn + import + 0.5 s; unbounded, this page takes many seconds
    assert after["title"].startswith("Elon Musk's xAI Admits")


def test_the_pool_starts_with_the_first_article_request_not_at_crawl_open():
    import scrapy

    pipeline = ExtractPipeline(1, 50, 10)
    feed = scrapy.Request("http://127.0.0.1/feed.xml", meta={"newsmon_kind": "feed"})
    article = scrapy.Request("http://127.0.0.1/a", meta={"newsmon_kind": "article"})
    try:
        pipeline._request_scheduled(feed, None)
        assert not pipeline.pool.started
        pipeline._request_scheduled(article, None)
        assert pipeline.pool.started
    finally:
        pipeline.close_spider()


def test_the_crawl_process_does_not_import_the_extractors():
    """A crawl whose listings answer 304 extracts nothing: it must not pay for trafilatura."""
    import subprocess
    import sys

    code = ("import sys, crawler.cli, crawler.spiders.news, pipelines.dedup, pipelines.store; "
            "from pipelines.extract import ExtractPipeline; ExtractPipeline(1, 50, 10); "
            "print(sorted(m for m in ('trafilatura', 'readability', 'htmldate') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
