"""Company tagging: which tracked companies an article really talks about.

Pure functions, no Scrapy. `load_companies()` (crawler/text/companies.py) merges the
built-in list (`companies.toml`) with the user's `[[companies]]`; `CompanyMatcher` builds one
Aho-Corasick automaton over every alias, product and exclude phrase, so tagging
is one pass over the lowercased article whatever the number of companies (a
regex per alias would cost more than the extraction itself). Each hit then
goes through these rules:

1. Whole words: no letter, digit or "_" before, no letter after; a version may
   follow a name (Qwen3). A German genitive counts for unambiguous names (Googles).
2. Case, per alias: `capitalized` (default) matches as written, or in ALL CAPS
   when the alias starts with a capital, so "apple" and "to google" never match;
   `exact` only as written, so "XAI" (explainable AI) is not xAI; `any` for
   names with no other sense (OpenAI, ChatGPT, DeepSeek).
3. Exclude phrases (case-insensitive, whole words, a hyphen and a space
   interchangeable: "meta-analysis" also cancels "Meta Analyse") cancel hits they
   overlap ("Amazon rainforest", "Oracle of Delphi", "Claude Monet"); of overlapping
   hits the longest wins ("Amazon Web Services" over "Amazon").
4. Ambiguous aliases (`ambiguous` in the rules) are another word when:
   - joined by a hyphen to a lowercase word ("meta-analysis", "Meta-analysis"),
     except company compounds ("Meta-owned"), or preceded by "Word-" (Jean-Claude);
   - `unit`: they follow a number ("3 tesla", "7-Tesla-MRT");
   - `numbered`: a number follows ("Figure 2");
   - `name_part`: a capitalised word follows ("Claude Monet", "Alexa Chung"),
     unless the headline is in Title Case, or an age does ("Claude, 82,");
   - an `avoid` word is within five words of the same sentence ("Mistral winds",
     "band Tesla").
5. Evidence an ambiguous alias needs:
   - `start` (brands spelled as ordinary words, "Open AI", and names whose capital
     says enough mid-sentence): mid-sentence, the capital is enough ("shares of
     Apple"); at a sentence start, in the headline or in a German compound
     ("Meta-Ebene"), where nouns are capitalised anyway, it needs context;
   - `context` (everyday words and first names: Claude, Grok, Llama, Copilot):
     a cue word within ~150 characters of the same paragraph (company, shares,
     CEO, model, chatbot, a currency sign, French and German equivalents) or
     another company's accepted mention there;
   - `confirmed`: short forms ("Scale", "SSI") count only if the company is
     named by another accepted hit in the article.
6. The other sense in the article: when it also uses the alias in another case
   ("the mistral", "to grok", "open AI"), as part of a person's name ("Claude
   Perrin"), next to an avoid word or inside an exclude phrase, each of its other
   uses is weighed on its own: it counts with evidence in its own sentence (a word
   of `evidence` - shares, the carmaker, the company, chatbot, model -, a ticker
   such as "(ORCL)", a sum of money, or another company's accepted mention), or when the company
   is named by an accepted hit elsewhere.
One sense per discourse: a hit without enough evidence still counts when the
company is accepted elsewhere in the article, or when two different aliases of
the company both lack it ("Apple" in the headline and "Siri" in the body support
each other); a hit rejected by rule 4 never does.
A product alone (ChatGPT, Claude, Copilot, AWS, Llama) counts for its company.
People (Musk) and public bodies are not companies and are never tagged.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left
from dataclasses import dataclass

import ahocorasick

from crawler.text.companies import AliasRule, Company, builtin_data

logger = logging.getLogger(__name__)

@dataclass
class Mention:
    """One company in one article, as stored in the `mentions` table."""

    company: str
    count: int
    in_title: bool
    first_offset: int
    matched: str
    snippet: str


# -- matching -----------------------------------------------------------------

YES, NO, CONTEXT, EVIDENCE, CONFIRM = "yes", "no", "context", "evidence", "confirm"
WORD = re.compile(r"[^\W_]+")
NUMBER_BEFORE = re.compile(r"(?<![\d.,])(\d+(?:[.,]\d+)?)[\s-]?$")
CURRENCY = set("$€£¥")
SENTENCE_END = set(".!?:;•\n")
SENTENCE_BREAK = re.compile(r"[.!?](?=\s)|\n")
PERSON_AGE = re.compile(r",\s\d{1,3}(?:,|\s(?:ans|Jahre|years)\b)")   # "Claude, 82," "Alexa, 16 ans"
TICKER = re.compile(r"\((?:[A-Z]{2,8}:\s?)?[A-Z]{1,5}(?:\.[A-Z]{1,2})?\)")
OPENERS = set(" \t\"“”«»‘’'([")
CUE_REACH, AVOID_WORDS = 150, 5


@dataclass
class _Hit:
    start: int
    end: int
    company: int
    alias: str
    rule: AliasRule
    verdict: str = NO


def _lower_same_length(text: str) -> str:
    """Lowercase without shifting offsets (a few characters grow when lowercased)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _case_ok(found: str, alias: str, case: str) -> bool:
    if case == "any" or found == alias:
        return True
    return case == "capitalized" and alias[:1].isupper() and found == alias.upper()


def _is_title_case(title: str) -> bool:
    words = [w for w in WORD.findall(title) if len(w) > 3]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


class CompanyMatcher:
    """All companies' aliases in one automaton; `find_mentions` tags one article."""

    def __init__(self, companies: list[Company], cues=None, compound_ok=None, evidence=None):
        data = builtin_data()
        self.companies = list(companies)
        self.cues = frozenset(cues) if cues is not None else data["cues"]
        self.evidence = frozenset(evidence) if evidence is not None else data["evidence"]
        self.compound_ok = frozenset(compound_ok) if compound_ok is not None else data["compound_ok"]
        patterns: dict[str, list] = {}
        for index, company in enumerate(self.companies):
            for alias in dict.fromkeys((*company.aliases, *company.products)):
                rule = company.rule(alias)
                patterns.setdefault(alias.lower(), []).append(("alias", index, alias, rule, False))
                if not rule.ambiguous and alias[-1:].isalpha() and alias[-1:] not in "sS":
                    patterns.setdefault(alias.lower() + "s", []).append(("alias", index, alias, rule, True))
            for phrase in company.exclude:
                for variant in _separator_variants(phrase.lower()):
                    patterns.setdefault(variant, []).append(("exclude", index, phrase, None, False))
        self.automaton = ahocorasick.Automaton()
        for key, entries in patterns.items():
            self.automaton.add_word(key, (len(key), tuple(entries)))
        if patterns:
            self.automaton.make_automaton()
        logger.debug("company automaton: %d companies, %d patterns", len(self.companies), len(patterns))

    def find_mentions(self, title: str, body: str) -> list[Mention]:
        """The companies `title` and `body` talk about, in order of first appearance."""
        title, body = title or "", body or ""
        doc = f"{title}\n{body}"
        if not self.companies or not doc.strip():
            return []
        hits, excludes, twins = self._scan(doc)
        hits, excluded = _without_excluded(_longest_first(hits), excludes)
        twins.update((hit.company, hit.alias) for hit in excluded if hit.rule.ambiguous)
        self._judge(doc, len(title), hits, twins)
        return self._mentions(doc, len(title) + 1, [h for h in hits if h.verdict == YES])

    def _scan(self, doc: str):
        """Every whole-word, case-correct alias hit, exclude span and other-case twin.

        A twin is an ambiguous alias written in a case its rule does not accept
        ("the mistral", "open AI"): the article uses the everyday sense too.
        """
        hits: list[_Hit] = []
        excludes: list[tuple[int, int]] = []
        twins: set = set()
        if not len(self.automaton):
            return hits, excludes, twins
        for end, (length, entries) in self.automaton.iter(_lower_same_length(doc)):
            start, end = end - length + 1, end + 1
            if not _bounded(doc, start, end):
                continue
            found = doc[start:end]
            for kind, index, alias, rule, genitive in entries:
                if kind == "exclude":
                    excludes.append((start, end))
                    continue
                stem = found[:-1] if genitive else found
                if genitive and found[-1] != "s":
                    continue
                if _case_ok(stem, alias, rule.case):
                    hits.append(_Hit(start, end - genitive, index, alias, rule))
                elif rule.ambiguous and stem != stem.upper():
                    twins.add((index, alias))
        return hits, excludes, twins

    def _judge(self, doc: str, title_len: int, hits: list[_Hit], twins: set) -> None:
        """Set each hit's verdict: word form first, then evidence, context, the article."""
        title_case = _is_title_case(doc[:title_len])
        other = [bool(hit.rule.ambiguous) and self._other_sense(doc, title_len, title_case, hit)
                 for hit in hits]
        twins.update((hit.company, hit.alias) for hit, is_other in zip(hits, other) if is_other)
        for hit, is_other in zip(hits, other):
            twin = (hit.company, hit.alias) in twins
            hit.verdict = NO if is_other else self._needs(doc, title_len, hit, twin)
        for level, test in ((EVIDENCE, self._has_evidence), (CONTEXT, self._has_cue)):
            accepted = [(hit.start, hit.company) for hit in hits if hit.verdict == YES]
            for hit in hits:
                if hit.verdict == level:
                    hit.verdict = YES if test(doc, hit, accepted) else CONFIRM
        named = {hit.company for hit in hits if hit.verdict == YES}
        waiting: dict[int, set[str]] = {}
        for hit in hits:
            if hit.verdict == CONFIRM and hit.rule.ambiguous != "confirmed":
                waiting.setdefault(hit.company, set()).add(hit.alias)
        named.update(company for company, aliases in waiting.items() if len(aliases) > 1)
        for hit in hits:
            if hit.verdict == CONFIRM:
                hit.verdict = YES if hit.company in named else NO

    def _other_sense(self, doc, title_len, title_case, hit: _Hit) -> bool:
        """Rule 4: the word form or an avoid word says this use is another word."""
        if self._other_word(doc, hit, hit.start < title_len and title_case):
            return True
        return bool(_words_near(doc, hit.start, hit.end, AVOID_WORDS) & hit.rule.avoid)

    @staticmethod
    def _needs(doc, title_len, hit: _Hit, twin: bool) -> str:
        """What a hit that is not another word needs to count (rules 5 and 6)."""
        rule = hit.rule
        if not rule.ambiguous:
            return YES
        if rule.ambiguous == "confirmed":
            return CONFIRM
        if twin:
            return EVIDENCE
        if rule.ambiguous == "start" and not (hit.start < title_len or _sentence_start(doc, hit.start)
                                              or re.match(r"-[A-ZÀ-Þ]", doc[hit.end:hit.end + 2])):
            return YES
        return CONTEXT

    def _other_word(self, doc: str, hit: _Hit, title_case: bool) -> bool:
        """Compounds, units and longer names that show the alias is another word."""
        start, end, rule = hit.start, hit.end, hit.rule
        after = doc[end:end + 40]
        if after.startswith("-") and after[1:2].islower():
            suffix = WORD.match(after[1:])
            if suffix and suffix.group() not in self.compound_ok:
                return True
        if start >= 2 and doc[start - 1] == "-" and doc[start - 2].isalpha():
            return True
        if rule.unit:
            number = NUMBER_BEFORE.search(doc[max(0, start - 12):start])
            if number and not re.fullmatch(r"(19|20)\d\d", number.group(1)):
                return True
        if rule.numbered and re.match(r" \d", after):
            return True
        if rule.name_part and PERSON_AGE.match(after):
            return True
        return rule.name_part and not title_case and bool(re.match(r" [A-ZÀ-Þ][a-zß-ÿ]", after))

    def _has_cue(self, doc: str, hit: _Hit, accepted: list[tuple[int, int]]) -> bool:
        """A cue word, a currency sign or another company's accepted hit nearby."""
        low, high = _paragraph_window(doc, hit.start, hit.end, CUE_REACH)
        around = f"{doc[low:hit.start]} {doc[hit.end:high]}"
        if CURRENCY.intersection(around):
            return True
        if any(w.casefold() in self.cues for w in WORD.findall(around)):
            return True
        return _other_company_between(accepted, hit.company, low, high)

    def _has_evidence(self, doc: str, hit: _Hit, accepted: list[tuple[int, int]]) -> bool:
        """Evidence in the hit's own sentence: an evidence word, a ticker, money, another company."""
        low, high = _sentence_bounds(doc, hit.start, hit.end, CUE_REACH)
        around = f"{doc[low:hit.start]} {doc[hit.end:high]}"
        if TICKER.search(around) or CURRENCY.intersection(around):
            return True
        if any(w.casefold() in self.evidence for w in WORD.findall(around)):
            return True
        return _other_company_between(accepted, hit.company, low, high)

    def _mentions(self, doc: str, body_start: int, hits: list[_Hit]) -> list[Mention]:
        by_company: dict[int, list[_Hit]] = {}
        for hit in sorted(hits, key=lambda h: h.start):
            by_company.setdefault(hit.company, []).append(hit)
        mentions = []
        for index, found in by_company.items():
            in_body = [h for h in found if h.start >= body_start]
            anchor = in_body[0] if in_body else found[0]
            mentions.append(Mention(
                company=self.companies[index].name,
                count=len(found),
                in_title=found[0].start < body_start - 1,
                first_offset=in_body[0].start - body_start if in_body else -1,
                matched=doc[found[0].start:found[0].end],
                snippet=_sentence(doc, anchor.start, anchor.end),
            ))
        return mentions


def _bounded(doc: str, start: int, end: int) -> bool:
    before = doc[start - 1] if start else " "
    after = doc[end] if end < len(doc) else " "
    if before.isalnum() or after.isalpha() or "_" in (before, after):
        return False
    return not (after.isdigit() and not doc[end - 1].isalpha())


def _longest_first(hits: list[_Hit]) -> list[_Hit]:
    """Leftmost-longest: drop hits inside a longer overlapping one (keep equal spans)."""
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        if kept and hit.start < kept[-1].end and (hit.start, hit.end) != (kept[-1].start, kept[-1].end):
            continue
        kept.append(hit)
    return kept


def _without_excluded(hits: list[_Hit], spans: list[tuple[int, int]]) -> tuple[list[_Hit], list[_Hit]]:
    """(kept, excluded): hits (sorted by start) that overlap no exclude span, and the others."""
    spans.sort()
    kept: list[_Hit] = []
    excluded: list[_Hit] = []
    index, reach = 0, -1   # reach: furthest end of the spans starting before the hit's end
    for hit in hits:
        while index < len(spans) and spans[index][0] < hit.end:
            reach = max(reach, spans[index][1])
            index += 1
        (kept if reach <= hit.start else excluded).append(hit)
    return kept, excluded


def _separator_variants(phrase: str) -> set[str]:
    """The phrase with each hyphen or space between words as either ("meta-analysis", "meta analysis")."""
    parts = re.split(r"(?<=\w)[ -](?=\w)", phrase)
    if len(parts) > 4:
        return {phrase}
    variants = {parts[0]}
    for part in parts[1:]:
        variants = {f"{v}{sep}{part}" for v in variants for sep in " -"}
    return variants | {phrase}


def _other_company_between(accepted: list[tuple[int, int]], company: int, low: int, high: int) -> bool:
    """Whether another company has an accepted hit starting in doc[low:high]."""
    index = bisect_left(accepted, (low, -1))
    while index < len(accepted) and accepted[index][0] < high:
        if accepted[index][1] != company:
            return True
        index += 1
    return False


def _sentence_start(doc: str, start: int) -> bool:
    if start >= 2 and doc[start - 1] in "'’" and doc[start - 2].isalpha():
        return False  # elision: d'Apple, l'OpenAI
    i = start - 1
    while i >= 0 and doc[i] in OPENERS:
        i -= 1
    return i < 0 or doc[i] in SENTENCE_END


def _paragraph_window(doc: str, start: int, end: int, reach: int) -> tuple[int, int]:
    low = max(doc.rfind("\n", max(0, start - reach), start) + 1, start - reach, 0)
    newline = doc.find("\n", end, end + reach)
    high = newline if newline >= 0 else min(len(doc), end + reach)
    return low, high


def _sentence_bounds(doc: str, start: int, end: int, reach: int) -> tuple[int, int]:
    """The sentence around doc[start:end], at most `reach` characters either side."""
    low = max(0, start - reach)
    for match in SENTENCE_BREAK.finditer(doc, low, start):
        low = match.end()
    stop = SENTENCE_BREAK.search(doc, end, min(len(doc), end + reach))
    return low, stop.start() if stop else min(len(doc), end + reach)


def _words_near(doc: str, start: int, end: int, count: int) -> set[str]:
    """Up to `count` words either side of doc[start:end], in its sentence."""
    low, high = _sentence_bounds(doc, start, end, 80)
    before = WORD.findall(doc[low:start])[-count:]
    after = WORD.findall(doc[end:high])[:count]
    return {w.casefold() for w in (*before, *after)}


def _sentence(doc: str, start: int, end: int, limit: int = 300) -> str:
    """The sentence around doc[start:end], cut to about `limit` characters."""
    bounds = [m.end() for m in re.finditer(r"[.!?](?=\s)|\n", doc[:start])]
    low = bounds[-1] if bounds else 0
    stop = re.search(r"[.!?](?=\s|$)|\n", doc[end:])
    high = end + stop.end() if stop else len(doc)
    text = " ".join(doc[low:high].split())
    if len(text) <= limit:
        return text
    offset = start - low
    cut = max(0, min(offset - limit // 2, len(text) - limit))
    return ("…" if cut else "") + text[cut:cut + limit].strip() + "…"
