"""Decode an HTML page: the HTTP header, then a BOM, then the page's <meta>,
then UTF-8 if the bytes are valid UTF-8, else cp1252.

Scrapy's own last resort is a statistical guess (charset_normalizer), which
reads short latin-1 pages as cp1250 ("naïve" -> "naďve"). Undeclared pages
on news sites are in practice UTF-8 or Windows-1252/latin-1, so trying exactly
those two is both simpler and right more often.
"""

from __future__ import annotations

from w3lib.encoding import html_to_unicode


def utf8_or_cp1252(body: bytes) -> str:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decode_html(content_type: str | None, body: bytes) -> tuple[str, str]:
    """(encoding, text) of an HTML body."""
    return html_to_unicode(content_type, body, auto_detect_fun=utf8_or_cp1252)
