"""The tracked companies: the built-in list with the user's `[[companies]]` on top.

The built-in list, its per-alias rules (how ambiguous a word is, which case
counts) and the context words live in `companies.toml`, shipped with the
package; how the rules are applied is described in crawler/text/tagging.py.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

BUILTIN_COMPANIES = Path(__file__).with_name("companies.toml")
CASES = ("capitalized", "exact", "any")
LEVELS = ("", "start", "context", "confirmed")


@dataclass(frozen=True)
class AliasRule:
    """How one alias is read; the default is an unambiguous, capitalised name."""

    case: str = "capitalized"
    ambiguous: str = ""
    avoid: frozenset = frozenset()
    name_part: bool = False
    unit: bool = False
    numbered: bool = False


@dataclass(frozen=True)
class Company:
    name: str
    aliases: tuple[str, ...]
    products: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    rules: dict = field(default_factory=dict, compare=False, hash=False)

    def rule(self, alias: str) -> AliasRule:
        return self.rules.get(alias, AliasRule())


def parse_rule(alias: str, spec: dict) -> AliasRule:
    """An AliasRule from its TOML table; ValueError names the alias and the problem."""
    try:
        rule = AliasRule(**{**spec, "avoid": frozenset(w.casefold() for w in spec.get("avoid", ()))})
    except TypeError as exc:
        raise ValueError(f"rule for {alias!r}: {exc}") from None
    if rule.case not in CASES or rule.ambiguous not in LEVELS:
        raise ValueError(f"rule for {alias!r}: case must be one of {CASES}, ambiguous one of {LEVELS}")
    return rule


@cache
def builtin_data() -> dict:
    """The parsed built-in list: companies, alias rules, context cues and evidence words."""
    with open(BUILTIN_COMPANIES, "rb") as handle:
        data = tomllib.load(handle)
    rules: dict[str, AliasRule] = {}
    for entry in data["companies"]:
        for alias, spec in entry.get("rules", {}).items():
            rules[alias] = parse_rule(alias, spec)
    context = data["context"]
    return {
        "companies": data["companies"],
        "rules": rules,
        "cues": frozenset(word.casefold() for word in context["cues"]),
        "evidence": frozenset(word.casefold() for word in context["evidence"]),
        "compound_ok": frozenset(context["compound_ok"]),
    }


def _company(entry: dict, rules: dict[str, AliasRule]) -> Company:
    aliases = tuple(dict.fromkeys((entry["name"], *entry.get("aliases", ()))))
    products = tuple(entry.get("products", ()))
    known = {alias: rules[alias] for alias in (*aliases, *products) if alias in rules}
    return Company(entry["name"], aliases, products, tuple(entry.get("exclude", ())), known)


def load_companies(user_entries: tuple[dict, ...] = (), use_builtin: bool = True) -> list[Company]:
    """The tracked companies: built-in entries (unless switched off) with the user's on top.

    A user entry whose name is a built-in company replaces that entry; other
    names are added. The name itself always counts as an alias. The
    built-in alias rules apply to an alias wherever it is listed, since they
    describe the word ("Amazon" is also a river), not the list it came from.
    """
    data = builtin_data()
    entries = {entry["name"]: entry for entry in data["companies"]} if use_builtin else {}
    for entry in user_entries:
        entries[entry["name"]] = entry
    return [_company(entry, data["rules"]) for entry in entries.values()]
