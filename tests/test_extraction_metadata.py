"""What extraction saves on work whose result it does not keep, compared with the full work.

`page_metadata` skips trafilatura's categories, tags and licence; readability's
cleaner skips making links and event attributes safe. Both are checked here
against the library's own full path on real pages (tests/fixtures: the site's
pages and the real benchmark pages, licenses next to them), so an upgrade of
trafilatura or readability-lxml that changes what the skipped work feeds into
fails here rather than changing the archive.
"""

import gzip
from pathlib import Path

import pytest
import readability.readability
from trafilatura.metadata import extract_metadata
from trafilatura.utils import load_html

from crawler.text.extraction import DATE_PARAMS, page_metadata, readability_text

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted(FIXTURES.glob("*.html")) + sorted(FIXTURES.glob("*.html.gz"))
KEPT = ("title", "author", "date", "language", "description", "sitename", "image", "url")


def page(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace")


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path.name)
def test_page_metadata_gives_every_kept_field_as_trafilatura_does(path):
    html, url = page(path), f"https://news.example/{path.stem}"
    ours, theirs = page_metadata(load_html(html), url), extract_metadata(load_html(html), url, DATE_PARAMS)
    assert theirs.title   # a real page, with metadata to compare
    assert {key: getattr(ours, key) for key in KEPT} == {key: getattr(theirs, key) for key in KEPT}


def test_a_site_name_is_tidied_and_falls_back_to_the_host():
    named = '<html><head><meta property="og:site_name" content="@frontier news"></head><body><p>x</p></body></html>'
    assert page_metadata(load_html(named), "https://frontier.example/a").sitename == "Frontier News"
    unnamed = "<html><body><p>Nothing names this site.</p></body></html>"
    assert page_metadata(load_html(unnamed), "https://www.frontier.example/a").sitename == "frontier.example"


@pytest.fixture
def safe_cleaner():
    """readability's cleaner as the library ships it, for the duration of one test."""
    cleaner = readability.readability.html_cleaner
    cleaner.javascript = True
    yield
    cleaner.javascript = False


JS_PAGE = """<html><body><div class="nav"><a href="/">Home</a></div>
<article><h1>Model release</h1>""" + "".join(
    f'<p onclick="track({i})">Paragraph {i} of the release story, with <a href="javascript:void(0)" '
    f'onmouseover="x()">a scripted link {i}</a> inside the sentence that goes on.</p>' for i in range(12)
) + "</article></body></html>"


@pytest.mark.parametrize("html", [JS_PAGE, page(FIXTURES / "wcxb-4111-readability-only.html.gz")],
                         ids=["scripted links", "real page"])
def test_readability_text_is_the_same_without_the_safety_cleaning(html, request):
    fast = readability_text(html)
    request.getfixturevalue("safe_cleaner")
    assert readability.readability.html_cleaner.javascript
    assert fast and readability_text(html) == fast
    assert "a scripted link 3" in readability_text(JS_PAGE)   # link text stays either way


def test_extraction_workers_run_readability_without_the_safety_cleaning():
    assert readability.readability.html_cleaner.javascript is False
