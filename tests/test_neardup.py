"""Near-duplicate signatures (crawler/text/neardup.py): copies link, different stories do not."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import trafilatura
from conftest import newsmon_env

from crawler.text import neardup
from crawler.text.neardup import (band_keys, deserialise, fingerprints, jaccard, link_threshold,
                             normalise, serialise, signature, similarity)

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
SAME_TOPIC = json.loads((HERE / "data" / "neardup" / "same_topic.json").read_text())["pairs"]
THRESHOLD = 0.5  # the shipped [dedup] threshold


def extracted(name: str) -> str:
    return trafilatura.extract((FIXTURES / name).read_text(encoding="utf-8"), include_comments=False)


@pytest.fixture(scope="module")
def story() -> str:
    return extracted("frontiernews-xai-distillation.html")


def links(a: str, b: str, threshold: float = THRESHOLD) -> bool:
    """What find_original decides for a candidate pair, without the index."""
    sig_a, sig_b = signature(a), signature(b)
    if sig_a is None or sig_b is None:
        return False
    return similarity(sig_a, sig_b) >= link_threshold(sig_a, sig_b, threshold)


def shares_a_band(a: str, b: str) -> bool:
    """Would the LSH index offer one as a candidate for the other?"""
    return bool(set(band_keys(signature(a))) & set(band_keys(signature(b))))


@pytest.mark.parametrize("a, b", [
    ("Don\u2019t say \u201cUS\u2013based\u201d", "don't say \"US-based\""),
    ("A  line\n\nbreak\tand  spaces", "a line break and spaces"),
    ("\u00abGuillemets\u00bb \u2014 and \u201ecommas\u201c!", "guillemets and commas"),
    ("Full-width \uff21\uff29 and \ufb01ne ligature", "full width ai and fine ligature"),
])
def test_normalise_unifies_case_quotes_dashes_and_spaces(a, b):
    assert normalise(a) == normalise(b)


def test_normalise_keeps_combining_marks_inside_words():
    hindi = "\u0939\u093f\u0928\u094d\u0926\u0940"  # vowel signs are combining marks
    assert normalise(f"{hindi}, e\u0301t\u00e9") == f"{hindi} \u00e9t\u00e9"


def content_hash(text: str) -> str:
    return fingerprints(text)[0]


def test_content_hash_is_the_same_for_style_only_changes_and_differs_otherwise(story):
    restyled = story.replace('"', "\u201d").replace("'", "\u2019").replace("\n", "\n\n")
    assert content_hash(restyled) == content_hash(story)
    assert content_hash(story.replace("Grok", "Gemini")) != content_hash(story)
    assert re.fullmatch(r"[0-9a-f]{40}", content_hash(story))


def test_texts_under_the_minimum_are_not_signed(story):
    words = story.split()
    assert signature(" ".join(words[:neardup.MIN_WORDS - 1])) is None
    assert signature(" ".join(words[:neardup.MIN_WORDS + 5])) is not None
    assert signature("") is None


def test_serialised_signature_round_trips_and_damage_is_refused(story):
    sig = signature(story)
    blob = serialise(sig)
    back = deserialise(blob)
    assert similarity(sig, back) == 1.0
    assert (back.shingles, back.words) == (sig.shingles, sig.words)
    assert list(back.numbers) == list(sig.numbers) and len(sig.numbers) >= 3
    assert len(blob) < 1024
    with pytest.raises(ValueError):
        deserialise(blob[:-4])
    with pytest.raises(ValueError):
        deserialise(b"\x09" + blob[1:])
    with pytest.raises(ValueError):
        deserialise(b"\x01junk")


def test_band_keys_fit_sqlite_integer_and_depend_only_on_the_text(story):
    keys = band_keys(signature(story))
    assert len(keys) == neardup.BANDS == len(set(keys))
    assert all(-2**63 <= key < 2**63 for key in keys)
    assert band_keys(signature(story)) == keys


def _preface(text):
    return "This story first appeared on Wire Daily and is republished with permission.\n" + text


def _drop_last_paragraph(text):
    return "\n".join(text.split("\n")[:-1])


def _new_headline(text):
    return "Musk's AI firm used rival's models, court told\n" + "\n".join(text.split("\n")[1:])


def _quote_style(text):
    return re.sub(r'"([^"]*)"', "\u00ab\\1\u00bb", text).replace("'", "\u2019")


def _edit_words(text):
    for old, new in [("disclosed", "revealed"), ("competing", "rival"), ("technique", "method"),
                     ("broader", "wider"), ("billions", "vast sums"), ("likely", "probably")]:
        text = text.replace(old, new, 1)
    return text


def _all_at_once(text):
    return _preface(_new_headline(_quote_style(_edit_words(_drop_last_paragraph(text)))))


@pytest.mark.parametrize("edit", [_preface, _drop_last_paragraph, _new_headline, _quote_style,
                                  _edit_words, _all_at_once])
def test_syndicated_copy_links_to_the_story(story, edit):
    copy = edit(story)
    assert copy != story
    assert links(story, copy)
    assert shares_a_band(story, copy)


def test_seed_article_and_its_aiwire_copy_link():
    original = extracted("frontiernews-xai-distillation.html")
    copy = extracted("aiwire-xai-distillation-syndicated.html")
    assert similarity(signature(original), signature(copy)) >= 0.9
    assert links(original, copy) and shares_a_band(original, copy)


def test_a_later_longer_version_links_through_containment(story):
    paragraphs = story.split("\n")
    first = "\n".join(paragraphs[:len(paragraphs) * 3 // 5])
    later = story + "\nUpdate: OpenAI declined to comment on the testimony on Friday."
    a, b = signature(first), signature(later)
    assert jaccard(a, b) < 0.75  # Jaccard alone sees a third of `later` as new
    assert similarity(a, b) >= 0.9
    assert links(first, later) and shares_a_band(first, later)


def test_a_long_roundup_quoting_a_story_is_not_that_story(story):
    others = [extracted(name) for name in ("frontiernews-anthropic-cloud-deal.html",
                                           "frontiernews-nvidia-export-rules.html",
                                           "frontiernews-mistral-funding.html")]
    roundup = "\n".join([story, *others])
    assert not links(story, roundup)


@pytest.mark.parametrize("pair", SAME_TOPIC, ids=[p["topic"][:40] for p in SAME_TOPIC])
def test_different_stories_on_one_topic_or_template_do_not_link(pair):
    assert not links(pair["a"], pair["b"])
    assert not links(pair["a"], pair["b"], threshold=0.3)


def test_template_stories_are_kept_apart_by_their_figures():
    pair = next(p for p in SAME_TOPIC if p["topic"].startswith("automated earnings stories"))
    a, b = signature(pair["a"]), signature(pair["b"])
    assert jaccard(a, b) > 0.3  # the wording alone would be a near copy...
    assert neardup.number_agreement(a, b) == 0.0
    assert similarity(a, b) == 0.0  # ...the figures say otherwise


def test_short_texts_need_a_higher_similarity(story):
    brief = " ".join(story.split()[:60])
    near = _preface(brief.replace("disclosed", "revealed"))
    assert signature(brief).words < neardup.SHORT_WORDS
    assert link_threshold(signature(brief), signature(near), 0.3) == neardup.SHORT_THRESHOLD
    assert links(brief, near)
    loose = _edit_words(" ".join(story.split()[8:68]))
    assert similarity(signature(brief), signature(loose)) < neardup.SHORT_THRESHOLD
    assert not links(brief, loose, threshold=0.3)


@pytest.mark.parametrize("a, b", [
    ("frontiernews-xai-distillation.html", "frontiernews-anthropic-cloud-deal.html"),
    ("frontiernews-anthropic-cloud-deal.html", "frontiernews-mistral-funding.html"),
    ("frontiernews-nvidia-export-rules.html", "frontiernews-pentagon-ai-contracts.html"),
    ("frontiernews-deepmind-weather-model.html", "frontiernews-open-weights-leaderboard.html"),
])
def test_different_articles_of_one_outlet_do_not_link(a, b):
    assert not links(extracted(a), extracted(b), threshold=0.2)


def test_fingerprints_sign_the_body_as_signature_does(story):
    _body_hash, sig = fingerprints(story)
    assert serialise(sig) == serialise(signature(story))


def test_a_signature_is_the_same_in_another_process_whatever_its_hash_seed(story, tmp_path):
    """Signatures are stored and compared across runs: no per-process salt may leak in."""
    (tmp_path / "story.txt").write_text(story, encoding="utf-8")
    code = ("import sys; from pathlib import Path; from crawler.text import neardup;"
            "text = Path(sys.argv[1]).read_text(encoding='utf-8');"
            "print(neardup.scheme()); print(neardup.serialise(neardup.signature(text)).hex());"
            "print(neardup.band_keys(neardup.signature(text)))")
    child = subprocess.run([sys.executable, "-c", code, str(tmp_path / "story.txt")],
                           env=newsmon_env({"PYTHONHASHSEED": "12345"}),
                           capture_output=True, text=True, timeout=120, check=True)
    scheme, blob, keys = child.stdout.splitlines()
    assert scheme == neardup.scheme()
    assert bytes.fromhex(blob) == serialise(signature(story))
    assert keys == str(band_keys(signature(story)))


def test_the_scheme_names_the_algorithm_and_fingerprints_its_output():
    # Changing this value means every archive must be re-signed (`newsmon reindex`):
    # a new rensa that changed its digests, or a change of normalisation or band keys.
    assert neardup.scheme() == "rensa-rminhash-128p-3w-42x3-dee89f09"


def test_a_signature_of_another_scheme_is_refused_not_compared(story):
    blob = serialise(signature(story))
    other_tag = bytes([blob[0]]) + bytes(b ^ 0xFF for b in blob[1:5]) + blob[5:]
    with pytest.raises(neardup.StaleSignature, match="not rensa-rminhash"):
        deserialise(other_tag)
    legacy = old_scheme_blob()
    with pytest.raises(neardup.StaleSignature, match=neardup.LEGACY_SCHEME):
        deserialise(legacy)


def old_scheme_blob() -> bytes:
    """A signature BLOB written by the previous scheme (datasketch, format 1)."""
    with sqlite3.connect(HERE / "data" / "neardup" / "old-scheme-archive.sqlite") as conn:
        return conn.execute("SELECT minhash FROM signatures LIMIT 1").fetchone()[0]


def test_the_band_index_keeps_its_candidate_rates(story):
    """42 bands of 3 rows: a near copy shares many bands, a different story none."""
    copy = _all_at_once(story)
    shared = set(band_keys(signature(story))) & set(band_keys(signature(copy)))
    assert len(shared) >= 10
    other = extracted("frontiernews-anthropic-cloud-deal.html")
    assert not set(band_keys(signature(story))) & set(band_keys(signature(other)))
