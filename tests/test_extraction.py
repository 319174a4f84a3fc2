"""extract_article on the seed article and on pages that are not articles."""

import json
from pathlib import Path

import pytest

from crawler.text.extraction import Article, Rejection, extract_article, looks_binary, to_utc_iso
from crawler.text.analysis import fill_from_hints

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
SEED_URL = "http://127.0.0.1:8000/ai-labs/xai-grok-openai-distillation"


@pytest.fixture(scope="module")
def seed() -> Article:
    html = (FIXTURES / "frontiernews-xai-distillation.html").read_text("utf-8")
    result = extract_article(html, SEED_URL)
    assert isinstance(result, Article), result
    return result


def test_seed_title_date_and_author(seed):
    assert seed.title == EXPECTED["title"]
    assert seed.published == "2026-05-01T09:00:00Z"
    assert seed.author == "FrontierNews Staff"
    assert seed.language == "en"


@pytest.mark.parametrize("sentence", EXPECTED["body_must_contain"])
def test_seed_body_keeps_the_article(seed, sentence):
    assert sentence in seed.body


@pytest.mark.parametrize("boilerplate", EXPECTED["body_must_not_contain"])
def test_seed_body_has_no_boilerplate(seed, boilerplate):
    assert boilerplate not in seed.body


def test_seed_body_does_not_repeat_the_headline(seed):
    assert not seed.body.startswith(EXPECTED["title"])
    assert seed.word_count > 500


def test_canonical_url_is_reported_for_the_pipeline_to_judge(seed):
    assert seed.canonical_url == EXPECTED["canonical_url"]


@pytest.mark.parametrize("html, reason", [
    ("\x00\x01\x02garbage\x00" * 200, "not_html"),
    ("just some plain text without any markup at all", "not_html"),
    ("<html><head><title>t</title></head><body></body></html>", "no_body"),
    ("<html><body><article><p>Too short to be news. Only eight words.</p></article></body></html>",
     "too_short"),
])
def test_pages_that_are_not_articles_are_rejected_with_a_reason(html, reason):
    result = extract_article(html, "http://127.0.0.1/x")
    assert isinstance(result, Rejection)
    assert result.reason == reason and result.detail


def test_binary_detection_tolerates_normal_text():
    assert not looks_binary("<html><body><p>Zürich café naïve – “quotes”</p></body></html>")
    assert looks_binary("PK\x03\x04\x00\x00" + "\x07" * 100)


@pytest.mark.parametrize("value, iso", [
    ("2026-05-01T11:00:00+0200", "2026-05-01T09:00:00Z"),
    ("2026-05-01", "2026-05-01T00:00:00Z"),
    ("yesterday", None),
    (None, None),
])
def test_dates_are_normalised_to_utc(value, iso):
    assert to_utc_iso(value) == iso


def test_feed_metadata_fills_gaps_and_refines_a_bare_date():
    page = {"title": None, "author": "Page Author", "published": "2026-05-01T00:00:00Z"}
    hints = {"title": "Feed title", "author": "Feed Author", "published": "2026-05-01T09:00:00Z",
             "description": "summary"}
    merged = fill_from_hints(page, hints)
    assert merged["title"] == "Feed title"
    assert merged["author"] == "Page Author"
    assert merged["published"] == "2026-05-01T09:00:00Z"
    assert merged["description"] == "summary"
    other_day = fill_from_hints(page, {"published": "2026-05-02T09:00:00Z"})
    assert other_day["published"] == "2026-05-01T00:00:00Z"


@pytest.mark.parametrize("content_type, body, text", [
    ("text/html", "<p>naïve crème brûlée</p>".encode("latin-1"), "naïve crème brûlée"),
    ("text/html", "<p>naïve – “quoted”</p>".encode("utf-8"), "naïve – “quoted”"),
    ("text/html; charset=iso-8859-2", "<p>Łódź</p>".encode("iso-8859-2"), "Łódź"),
    ("text/html", b'<meta charset="koi8-r"><p>' + "привет".encode("koi8-r") + b"</p>", "привет"),
])
def test_html_decoding_order(content_type, body, text):
    from crawler.net.encoding import decode_html

    assert text in decode_html(content_type, body)[1]
