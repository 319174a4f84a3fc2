"""Test pairs for the near-duplicate benchmark, made from real article bodies.

A syndicated copy is what a second outlet publishes: the body with a preface
line, the last paragraph dropped, the other quote style, a few words edited,
under another headline, inside another site's boilerplate, and then run
through trafilatura like any crawled page. An update is an early version of
a story (its first 55-70%) followed later by the full text plus an update
paragraph. Everything is seeded, so every run builds the same pairs.
"""

from __future__ import annotations

import html
import random
import re

import trafilatura

OUTLETS = ["Wire Daily", "The Morning Ledger", "Metro Dispatch", "Global Courier",
           "Valley Tribune", "Harbor Herald"]
PREFACES = [
    "This story first appeared on {outlet} and is republished with permission.",
    "Originally published by {outlet}.",
    "This article is reproduced from {outlet} under a content-sharing agreement.",
]
UPDATES = [
    "Update: This story has been updated with comment from the company and further details.",
    "Updated at 5pm with reactions from officials and a statement from the other side.",
    "This article was updated after publication to add new information as it became available.",
]
SYNONYMS = {"said": "stated", "says": "states", "also": "additionally", "after": "following",
            "about": "around", "more": "further", "because": "since", "people": "persons",
            "would": "could", "however": "but", "before": "prior", "many": "numerous"}
FILLERS = ["reportedly", "new", "major", "recent", "local", "latest", "key", "several"]
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in body.split("\n") if p.strip()]


def units(body: str) -> list[str]:
    """Paragraphs, or sentences when the body has fewer than four paragraphs."""
    paras = paragraphs(body)
    return paras if len(paras) >= 4 else [s for p in paras for s in _SENTENCE.split(p) if s]


def restyle_quotes(text: str) -> str:
    """Curly quotes become straight ones, straight ones become curly."""
    if re.search("[\u201c\u201d\u2019]", text):
        return (text.replace("\u201c", '"').replace("\u201d", '"')
                .replace("\u2018", "'").replace("\u2019", "'"))
    text = re.sub(r'"([^"]*)"', "\u201c\\1\u201d", text)
    return text.replace("'", "\u2019")


def edit_words(text: str, rng: random.Random, count: int) -> str:
    """Replace `count` words (synonyms where known, else a filler word)."""
    tokens = re.split(r"(\s+)", text)
    editable = [i for i, t in enumerate(tokens) if t.isalpha() and len(t) > 3]
    for i in rng.sample(editable, min(count, len(editable))):
        word = tokens[i]
        tokens[i] = SYNONYMS.get(word.lower(), rng.choice(FILLERS))
    return "".join(tokens)


def headline_for(body: str) -> str:
    words = body.split()[:9]
    return "Report: " + " ".join(words).rstrip(".,;:").title()


def wrap_html(headline: str, preface: str, paras: list[str], outlet: str) -> str:
    """Another site's page around the text: banner, navigation, related links, footer."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paras)
    related = "".join(f'<li><a href="/news/{n}">{html.escape(OUTLETS[n % 6])} story {n}:'
                      f" markets, weather and sport in brief</a></li>" for n in range(6))
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{html.escape(headline)} | {outlet}</title></head><body>
<div class="cookie-banner">We use cookies to improve your experience.
<button>Accept all cookies</button></div>
<header><a href="/" class="logo">{outlet}</a><nav><a href="/world">World</a>
<a href="/business">Business</a><a href="/tech">Technology</a><a href="/sport">Sport</a></nav></header>
<main><article><h1>{html.escape(headline)}</h1>
<p class="byline">By {outlet} staff</p><p><em>{html.escape(preface)}</em></p>
{body}
<div class="share">Share this story: Facebook, X, LinkedIn, Email</div></article>
<aside><h2>Related stories</h2><ul>{related}</ul></aside>
<section class="newsletter"><h2>Get our daily briefing</h2><p>Subscribe to receive the
top stories every morning.</p><form><input type="email"><button>Subscribe</button></form></section>
</main><footer><p>&copy; 2026 {outlet}. All rights reserved.</p><a href="/privacy">Privacy policy</a>
<a href="/terms">Terms of service</a><a href="/ads">Advertise with us</a></footer></body></html>"""


def syndicated_copy(body: str, rng: random.Random) -> str:
    """The body as another outlet runs it, extracted from that outlet's page."""
    parts = units(body)
    if len(parts) > 2:
        parts = parts[:-1]
    text = edit_words(restyle_quotes("\n".join(parts)), rng, 5 + len(body.split()) // 100)
    outlet = rng.choice(OUTLETS)
    preface = rng.choice(PREFACES).format(outlet=rng.choice([o for o in OUTLETS if o != outlet]))
    page = wrap_html(headline_for(body), preface, paragraphs(text), outlet)
    return trafilatura.extract(page, include_comments=False) or ""


def update_pair(body: str, rng: random.Random) -> tuple[str, str]:
    """(first version, later longer version) of one story."""
    parts = units(body)
    total = sum(len(p.split()) for p in parts)
    share, kept, cut = rng.uniform(0.55, 0.7), 0, len(parts)
    for index, part in enumerate(parts):
        kept += len(part.split())
        if kept >= share * total:
            cut = index + 1
            break
    first = "\n".join(parts[:cut])
    later = edit_words("\n".join(parts), rng, 3) + "\n" + rng.choice(UPDATES)
    return first, later
