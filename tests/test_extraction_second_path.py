"""The second extraction path and publication dates, on real pages (tests/fixtures/second-path.json)."""

import asyncio
import gzip
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.text.extraction import Article, extract_article, repair_early_end, to_utc_iso
from crawler.items import ArticleItem
from crawler.text.utc import iso
from crawler.text.analysis import fill_from_hints
from pipelines.extract import ExtractPipeline

FIXTURES = Path(__file__).parent / "fixtures"
CASES = {name: case for name, case in json.loads((FIXTURES / "second-path.json").read_text()).items()
         if not name.startswith("_")}
SEED = (FIXTURES / "frontiernews-xai-distillation.html").read_text("utf-8")


def page(name: str) -> str:
    return gzip.decompress((FIXTURES / f"{name}.html.gz").read_bytes()).decode("utf-8")


@pytest.fixture(scope="module")
def extracted() -> dict[str, Article]:
    return {name: extract_article(page(name), case["url"]) for name, case in CASES.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_whole_story_is_kept(extracted, name):
    case, article = CASES[name], extracted[name]
    assert isinstance(article, Article), article
    assert article.extractor == case["extractor"]
    assert article.second_path == (case["extractor"] != "precision")
    assert article.word_count >= case["min_words"]
    for sentence in case["must_contain"]:
        assert sentence in article.body


def test_a_clean_page_does_not_pay_for_the_second_path():
    article = extract_article(SEED, "http://127.0.0.1:8000/ai-labs/xai-grok-openai-distillation")
    assert article.extractor == "precision" and not article.second_path


def test_a_date_without_time_or_zone_stores_the_day(extracted):
    assert extracted["wcxb-4584-wedding-checklist"].published == "2025-10-23T00:00:00Z"


def test_the_date_survives_a_page_where_only_readability_finds_the_body(extracted):
    assert extracted["wcxb-4111-readability-only"].published[:10] == "2024-09-25"


@pytest.mark.parametrize("value, stored", [
    ("2025-10-23T00:00:00", "2025-10-23T00:00:00Z"),          # htmldate's day without zone
    ("2025-10-23T18:30:00", "2025-10-23T18:30:00Z"),          # time without zone: as written
    ("2020-04-12T18:00:00-0700", "2020-04-13T01:00:00Z"),     # a zone: the instant in UTC
    ("2025-10-23", "2025-10-23T00:00:00Z"),
    ("2099-01-01T00:00:00+0000", None),                       # the future
    ("1989-03-12", None),                                     # before the web
    ("not a date", None),
])
def test_what_is_stored_for_a_date(value, stored):
    assert to_utc_iso(value) == stored


def test_future_tolerance_is_small():
    now = datetime.now(timezone.utc)
    assert to_utc_iso(iso(now + timedelta(hours=12))) is not None   # a zone east of UTC
    assert to_utc_iso(iso(now + timedelta(days=3))) is None


def run_pipeline(html: str, url: str, hints: dict) -> ArticleItem:
    pipeline = ExtractPipeline(workers=0, min_words=50, tasks_per_worker=10)
    item = ArticleItem(source="s", url=url, fetched_urls=[url], html=html, hints=hints)
    return asyncio.run(pipeline.process_item(item))


def test_the_feed_date_is_used_when_the_page_has_none():
    case = CASES["wcxb-4621-undated"]
    item = run_pipeline(page("wcxb-4621-undated"), case["url"], {"published": "2026-05-01T09:00:00Z"})
    assert item["published"] == "2026-05-01T09:00:00Z"


def test_the_page_date_wins_over_the_feed_date():
    case = CASES["wcxb-4584-wedding-checklist"]
    item = run_pipeline(page("wcxb-4584-wedding-checklist"), case["url"],
                        {"published": "2025-11-02T08:00:00Z"})
    assert item["published"] == "2025-10-23T00:00:00Z"


def test_a_future_feed_date_is_not_stored():
    assert fill_from_hints({"published": None}, {"published": "2099-01-01T00:00:00Z"})["published"] is None


def test_content_after_an_early_document_end_is_kept():
    html = ("<html><head><title>t</title></head><body><header>Menu</header></body></html>"
            "<div><article><p>" + "The story goes on after the stray end tags. " * 20 + "</p></article></div>")
    assert "</html>" not in repair_early_end(html)
    article = extract_article(html, "http://127.0.0.1/story")
    assert isinstance(article, Article) and "stray end tags" in article.body
    assert repair_early_end(SEED) == SEED   # a normal page is untouched
