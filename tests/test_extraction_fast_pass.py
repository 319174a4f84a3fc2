"""The precise pass's fast-mode-first rule (crawler/text/extraction.py), on real pages.

tests/fixtures/extraction-bench-0ec95c72.html.gz is a page of the public
article-extraction-benchmark (scrapinghub, MIT license: extraction-bench-LICENSE
next to it), unchanged: in trafilatura's fast mode its precise text is the
site's headline box; full mode finds the article.
"""

import gzip
from pathlib import Path

import trafilatura
from trafilatura.utils import load_html

from crawler.text.extraction import (EXTRACTION_OPTIONS, Article, extract_article,
                                     full_pass_may_differ, reading_words)

FIXTURES = Path(__file__).parent / "fixtures"
FAST_MISSES = (gzip.decompress((FIXTURES / "extraction-bench-0ec95c72.html.gz").read_bytes()).decode("utf-8"),
               "http://entermedia.co.kr/news/news_view.html?idx=8576&page=1&bc=03&mc=08&find=&sch_date=")
CLEAN = ((FIXTURES / "frontiernews-xai-distillation.html").read_text("utf-8"),
         "http://127.0.0.1:8000/ai-labs/xai-grok-openai-distillation")
# From the benchmark's ground truth: the article's second paragraph, not in the fast text.
SECOND_PARAGRAPH = "그래서 처음 이러한 사진 공개에 대한 대중들의 반응은 엘제이의 행동에 대한 비난으로 이어졌다."


def passes(html: str, url: str):
    tree = load_html(html)
    fast = trafilatura.bare_extraction(tree, url=url, fast=True, **EXTRACTION_OPTIONS)
    full = trafilatura.bare_extraction(tree, url=url, **EXTRACTION_OPTIONS)
    return tree, fast, fast.text.strip(), full.text.strip()


def test_a_page_where_fast_mode_keeps_a_fragment_gets_the_full_pass():
    tree, fast, fast_text, full_text = passes(*FAST_MISSES)
    assert SECOND_PARAGRAPH not in fast_text and SECOND_PARAGRAPH in full_text   # the case is real
    assert full_pass_may_differ(fast, fast_text, reading_words(tree), 50)
    article = extract_article(*FAST_MISSES)
    assert isinstance(article, Article) and article.extractor == "precision"
    assert SECOND_PARAGRAPH in article.body and article.word_count > 500


def test_a_clean_page_is_extracted_once_in_fast_mode_and_loses_nothing():
    tree, fast, fast_text, full_text = passes(*CLEAN)
    assert not full_pass_may_differ(fast, fast_text, reading_words(tree), 50)
    assert fast_text == full_text
    assert extract_article(*CLEAN).body in fast_text


def test_a_long_text_without_paragraphs_gets_the_full_pass():
    """trafilatura's own check can swap a table-only text for readability's: not skipped."""
    rows = "".join(f"<tr><td>Quarter {i} revenue grew while the model team shipped release {i} "
                   f"to enterprise customers in several regions.</td></tr>" for i in range(40))
    html = f"<html><body><table>{rows}</table></body></html>"
    tree = load_html(html)
    fast = trafilatura.bare_extraction(tree, url="http://127.0.0.1/t", fast=True, **EXTRACTION_OPTIONS)
    text = fast.text.strip()
    assert len(text.split()) > 400   # long enough: only the structure triggers
    assert full_pass_may_differ(fast, text, reading_words(tree), 50)


def test_pages_are_parsed_into_plain_html_elements():
    """use_plain_element_classes: no per-element Python lookup, form fields included."""
    import crawler.text.extraction  # noqa: F401  (sets the lookup)
    from lxml.html import HtmlElement

    tree = load_html("<html><body><form><label>Name <input name='q'></label></form>"
                     "<p>Text</p></body></html>")
    assert {type(element) for element in tree.iter()} == {HtmlElement}
    assert tree.find(".//label").text_content() == "Name "
