"""Turn one HTML page into an article, or into a reason why it is not one.

`extract_article` is a pure function so that it can run in a worker process
(see `pipelines/extract.py`) and be benchmarked on its own
(`benchmarks/extraction.py`). Unlike a bare trafilatura call, a rejection is
never a silent `None`: it says which reason (counted in the crawl's stats) and
why (logged).

Two paths. trafilatura with `favor_precision` gives the cleanest bodies on
most pages, but on some it keeps only a fragment (a reprints box, a lead
paragraph) or nothing. So its text is trusted only when it has `min_words`
and at least `MIN_READING_SHARE` of the words a reader reads on the page
(visible text that is not link text, see `reading_words`).
Otherwise the page takes the second path, and only then pays for more
extractors, each tried while the text is still short by the same measure:

1. trafilatura's balanced (default) mode; its text replaces the precise one
   when the precise text is under `PRECISE_SHARE_OF_BALANCED` of it (the
   precise text is then a fragment of the same article, not a cleaner copy);
2. the page's own JSON-LD `articleBody` (what the publisher says the article
   is), else readability-lxml's main block, a different algorithm that finds
   what trafilatura misses on some templates: taken when it is at least
   `OTHER_EXTRACTOR_FACTOR` times longer than the text so far and than
   `min_words` (trafilatura missed most of the article; a merely different
   cut of the same article, or a short page with its boilerplate, is not
   worth switching for).

The precise pass itself runs in two steps. trafilatura's full mode checks
its own text against readability's and jusText's, but that check can only
change the text when the text is short for the page, under 250 characters,
or without paragraph text (trafilatura's own conditions, in
`compare_extraction`). So the pass first runs in `fast` mode, and runs again
in full mode only when `full_pass_may_differ` says the check could matter:
the same short-text measure as above, plus those structural conditions. On
the 878 pages of both development sets, every page whose fast and full
texts differ (50) is caught, 133 pages (15%) pay for both, and every page's
output is the same as with the full mode alone.

The thresholds were chosen on the 793 WCXB development pages and confirmed,
unchanged, on the 85 pages of the older article-extraction benchmark, with
`benchmarks/extraction.py` (figures in README.md).
"""

from __future__ import annotations

import json
import re
from typing import Any

import lxml.html
import readability.readability
import trafilatura
import trafilatura.utils
from htmldate import find_date
from lxml.etree import ElementDefaultClassLookup, XPath
from lxml.html import HtmlElement
from readability import Document as ReadabilityDocument
from trafilatura.meta import reset_caches
from trafilatura.metadata import (META_URL, examine_meta, extract_author, extract_meta_json,
                                  extract_sitename, extract_title, extract_url)
from trafilatura.settings import Document
from trafilatura.utils import load_html

from crawler.text.article import Article, Rejection
from crawler.text.utc import to_utc_iso

MIN_WORDS = 50
# trafilatura keeps module-level caches that grow in long-lived processes.
RESET_CACHES_EVERY = 200

EXTRACTION_OPTIONS = {
    "include_comments": False,
    "favor_precision": True,
    "include_tables": True,
}
BALANCED_OPTIONS = {"include_comments": False, "include_tables": True}
# htmldate's ISO output; a date without time comes back as "...T00:00:00" with
# no zone, which `to_utc_iso` stores as that day at midnight UTC.
DATE_PARAMS: dict[str, Any] = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True,
                               "extensive_search": True}

MIN_READING_SHARE = 0.5
PRECISE_SHARE_OF_BALANCED = 0.7
OTHER_EXTRACTOR_FACTOR = 1.5

HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.I)
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\ufffd]")
WORD = re.compile(r"\w+")
DOCUMENT_END = re.compile(r"</(?:body|html)\s*>", re.I)
CONTENT_TAG = re.compile(r"<(?:p|div|article|section|main|h[1-6])\b", re.I)
INVISIBLE = {"script", "style", "noscript", "template", "svg", "head"}
UNREAD = INVISIBLE | {"a"}   # what `reading_words` skips, subtree and all
# trafilatura's own threshold for a short text (settings.cfg MIN_EXTRACTED_SIZE).
SHORT_TEXT_CHARS = 250
PARAGRAPH_TEXT = XPath(".//p//text()")
BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "br",
          "section", "article", "figcaption", "dd", "dt"}

_calls = 0


def use_plain_element_classes(parser=trafilatura.utils.HTML_PARSER) -> None:
    """Make the parser behind trafilatura's `load_html` build every element as an HtmlElement.

    lxml.html's default lookup is a Python method called for every element
    object lxml creates (millions per hundred pages, as trafilatura, htmldate
    and jusText walk and copy the tree), only to pick special classes for form
    fields that no extractor here uses. lxml's C-level default lookup does the
    same job without the call: 5-10% less CPU per page, with the same output
    on the 878 pages of both development sets. The parser keeps its lookup
    for the copies trafilatura makes of the tree. Only extraction workers (and
    benchmarks) import this module.
    """
    parser.set_element_class_lookup(ElementDefaultClassLookup(element=HtmlElement))


use_plain_element_classes()


def keep_readability_to_text() -> None:
    """Spare readability's cleaner the work of making its HTML safe to run.

    Before scoring, readability-lxml passes every page through lxml_html_clean
    with `javascript=True`: it rewrites every link of the page to drop
    `javascript:` URLs, and strips `on*` event attributes. That is a third of
    readability's cost here (about 9 ms a page), for HTML that nobody runs or
    shows: `readability_text` keeps only its text, which neither step changes.
    Scripts, styles and comments are still removed, as they hold no article
    text. Same output on the 878 pages of both development sets.
    """
    readability.readability.html_cleaner.javascript = False


keep_readability_to_text()


def looks_binary(text: str, sample: int = 4096) -> bool:
    """Decoded junk shows up as NULs, control characters and replacement marks."""
    head = text[:sample]
    if not head:
        return False
    return "\x00" in head or len(CONTROL_CHARS.findall(head)) > len(head) * 0.02


def strip_title_line(text: str, title: str | None) -> str:
    """trafilatura keeps the <h1> as the body's first line; the title has its own column."""
    if title:
        first, _, rest = text.partition("\n")
        if first.strip() == title.strip():
            return rest.lstrip("\n")
    return text


def page_language(html: str, detected: str | None) -> str | None:
    if detected:
        return detected
    match = HTML_LANG.search(html[:5000])
    return match.group(1).lower() if match else None


def _maybe_reset_caches() -> None:
    global _calls
    _calls += 1
    if _calls % RESET_CACHES_EVERY == 0:
        reset_caches()


def word_count(text: str | None) -> int:
    return len(WORD.findall(text or ""))


def repair_early_end(html: str) -> str:
    """Drop `</body>`/`</html>` tags that come before the page's content.

    Some templates close the document after the header and print the article
    after it. Browsers show that content (it still belongs to the body), but
    libxml2 discards it, so every extractor would see a page without an article.
    """
    end = DOCUMENT_END.search(html)
    if end is None or not CONTENT_TAG.search(html, end.end()):
        return html
    return DOCUMENT_END.sub("", html)


def reading_words(tree) -> int:
    """Words a reader reads in the page's body: visible text that is not link text.

    Menus, related-story lists and tag clouds are links; leaving them out makes
    the article's share of this count high on good extractions and low on
    fragments, whatever the template around them. Link and invisible subtrees
    are not walked at all (nothing in them counts), and the words are counted
    once over the collected text: a space between pieces keeps their words apart.
    """
    body = tree.find("body")
    pieces = []
    stack = [body if body is not None else tree]
    while stack:  # no recursion: the DOM may be deeper than Python's stack
        element = stack.pop()
        if not isinstance(element.tag, str) or element.tag in UNREAD:
            continue
        if element.text:
            pieces.append(element.text)
        for child in element:
            stack.append(child)
            if child.tail:  # a link's tail is read: it follows the link
                pieces.append(child.tail)
    return word_count(" ".join(pieces))


def json_ld_body(tree) -> str:
    """The longest `articleBody` in the page's JSON-LD blocks ('' if none)."""
    found = ""

    def walk(node) -> None:
        nonlocal found
        if isinstance(node, dict):
            text = node.get("articleBody")
            if isinstance(text, str) and len(text) > len(found):
                found = text
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() == "application/ld+json" and script.text:
            try:
                walk(json.loads(script.text))
            except ValueError:
                continue
    return found.strip()


def readability_text(html: str) -> str:
    """readability-lxml's main block as plain text, one line per paragraph."""
    summary = ReadabilityDocument(html).summary(html_partial=True)
    root = lxml.html.fromstring(summary)
    for element in root.iter():
        if element.tag in BLOCKS:
            element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def trafilatura_text(tree, url: str, **options) -> str:
    document = trafilatura.bare_extraction(tree, url=url, **options)
    return document_text(document)


def document_text(document) -> str:
    return (document.text or "").strip() if document is not None else ""


def looks_short(words: int, reading: int, min_words: int) -> bool:
    return words < min_words or words < MIN_READING_SHARE * reading


def full_pass_may_differ(document, text: str, reading: int, min_words: int) -> bool:
    """Whether trafilatura's full mode could give another text than the `fast` one.

    Full mode adds one step, a comparison with readability and jusText that
    keeps trafilatura's text unless it is empty or short (under 250
    characters, or readability's text is over twice as long), has no
    paragraph text, or has more tables than paragraphs. All but "readability
    is longer" are read off the fast result; for that one the text's share of
    the page's reading words stands in: a text that holds half of what a
    reader reads leaves readability little to find that is twice as long.
    """
    if looks_short(word_count(text), reading, min_words) or len(text) < SHORT_TEXT_CHARS:
        return True
    body = document.body
    return not PARAGRAPH_TEXT(body) or len(body.findall(".//table")) > len(body.findall(".//p"))


def second_path(html: str, tree, url: str, precise: str, reading: int,
                min_words: int) -> tuple[str, str]:
    """The best (text, extractor) for a page whose precise text looks short (module docstring)."""
    best, extractor = precise, "precision"
    balanced = trafilatura_text(tree, url, **BALANCED_OPTIONS)
    if word_count(precise) < PRECISE_SHARE_OF_BALANCED * word_count(balanced):
        best, extractor = balanced, "balanced"
        if not looks_short(word_count(best), reading, min_words):
            return best, extractor
    others = (("json-ld", lambda: json_ld_body(tree)), ("readability", lambda: readability_text(html)))
    for name, candidate in others:
        try:
            text = candidate()
        except Exception:  # readability/lxml raise many kinds on broken markup
            continue
        # Measured against `min_words` too: on a short page (a news brief) another
        # extractor's text is the brief plus its cookie banner and footer.
        if word_count(text) >= OTHER_EXTRACTOR_FACTOR * max(word_count(best), min_words):
            return text, name
    return best, extractor


def page_metadata(tree, url: str) -> Document:
    """trafilatura's metadata of the page, without what the archive does not keep.

    `trafilatura.metadata.extract_metadata` also looks for categories, tags and
    a licence on every page: a quarter of its cost (2.3 of 9 ms a page on the
    throughput benchmark's pages) for fields no article has. This runs its
    other steps, in its order and with its helpers, so that every field kept is
    the one it gives; tests/test_extraction_metadata.py compares the two on
    real pages.
    """
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None   # one word is a handle or a desk, not a byline
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # trafilatura's JSON-LD reader fails on broken blocks: the meta tags stand
        pass
    meta.title = meta.title or extract_title(tree)
    meta.author = meta.author or extract_author(tree)
    meta.url = meta.url or extract_url(tree, url)
    meta.date = find_date(tree, url=meta.url, **DATE_PARAMS)
    meta.sitename = site_name(meta.sitename or extract_sitename(tree), meta.url)
    meta.clean_and_trim()
    return meta


def site_name(name: str | None, url: str | None) -> str | None:
    """The site's name as trafilatura tidies it, else the URL's host."""
    if name:
        name = name.lstrip("@")
        if name and "." not in name and not name[0].isupper():
            name = name.title()
        return name
    match = META_URL.match(url) if url else None
    return match[1] if match else None


def extract_article(html: str, url: str, min_words: int = MIN_WORDS) -> Article | Rejection:
    """Extract body and metadata from `html` (already decoded) fetched from `url`."""
    _maybe_reset_caches()
    if looks_binary(html):
        return Rejection("not_html", "binary content")
    if "<" not in html[:2048]:
        return Rejection("not_html", "no markup")
    html = repair_early_end(html)
    try:
        tree = load_html(html)
        if tree is None:
            return Rejection("no_body", "no HTML tree")
        document = trafilatura.bare_extraction(tree, url=url, fast=True, **EXTRACTION_OPTIONS)
        text = document_text(document)
        reading = reading_words(tree)
        if document is None or full_pass_may_differ(document, text, reading, min_words):
            text = trafilatura_text(tree, url, **EXTRACTION_OPTIONS)
        took_second_path = looks_short(word_count(text), reading, min_words)
        extractor = "precision"
        if took_second_path:
            text, extractor = second_path(html, tree, url, text, reading, min_words)
        if not text:
            return Rejection("no_body", "no main text found")
        # Once, last, and only for a page with text: bare_extraction would extract it again
        # in every pass that asks for it; the passes worked on copies of `tree`.
        document = page_metadata(tree, url)
    except Exception as exc:  # trafilatura/lxml raise many kinds on broken markup
        return Rejection("no_body", f"extraction failed: {type(exc).__name__}: {exc}")
    body = strip_title_line(text, document.title)
    words = word_count(body)
    if words < min_words:
        return Rejection("too_short", f"{words} words by {extractor} (minimum {min_words})")
    return Article(
        title=document.title,
        author=document.author,
        published=to_utc_iso(document.date),
        language=page_language(html, document.language),
        description=document.description,
        sitename=document.sitename,
        image=document.image,
        body=body,
        word_count=words,
        canonical_url=document.url if document.url != url else None,
        extractor=extractor,
        second_path=took_second_path,
    )
