"""What a valid newsmon config is: every key, its type and its check.

Kept apart from the loader (crawler/config/loader.py) so the list of keys reads as
one table; tests/test_docs.py walks it to make sure the README documents
every key. A problem is a `ConfigError` naming the file, the key and what is
wrong.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from crawler.net.policy import ip_literal, parse_network
from crawler.config.schedule import ScheduleError, parse_schedule


class ConfigError(Exception):
    """A configuration problem, with the file and key it concerns."""

    def __init__(self, file: Path | str, key: str, problem: str):
        self.file, self.key, self.problem = str(file), key, problem
        super().__init__(f"{self.file}: {key}: {problem}" if key else f"{self.file}: {problem}")


# -- key specifications -------------------------------------------------------
# Each spec maps a key to (accepted types, extra check or None). A check returns
# an error message, or None when the value is fine.


def _positive(value):
    return None if value > 0 else "must be greater than 0"


def _unit_interval(value):
    return None if 0 < value <= 1 else "must be between 0 (exclusive) and 1"


def _http_url(value):
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{value!r} is not an http(s) URL"
    return None


def _network(value):
    try:
        parse_network(value)
    except ValueError as exc:
        return f"{value!r} is not a network (a CIDR such as 10.0.0.0/8, or one address): {exc}"
    return None


def _host(value):
    if not value.strip() or any(c in value for c in "/:@ ") and ip_literal(value) is None:
        return f"{value!r} is not a host name (write cdn.example.com, without scheme or path)"
    return None


def _regex(value):
    try:
        re.compile(value)
    except re.error as exc:
        return f"{value!r} is not a valid regular expression: {exc}"
    return None


def _schedule(value):
    try:
        parse_schedule(value)
    except ScheduleError as exc:
        return str(exc)
    return None


def _non_empty(value):
    return None if value.strip() else "must not be empty"


def fts_query_problem(value):
    """What is wrong with an FTS5 query, or None: alert `match` rules are checked at load
    time, not at the end of a crawl, and `newsmon search` checks its query the same way."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(title, body)")
        conn.execute("SELECT rowid FROM t WHERE t MATCH ?", [value]).fetchall()
    except sqlite3.Error as exc:
        return f"{value!r} is not a valid search query (SQLite FTS5 syntax): {exc}"
    finally:
        conn.close()
    return None


def _digest(value):
    return None if value in ("immediate", "hourly", "daily") else (
        f"{value!r} is not one of immediate, hourly, daily")


NUMBER = (int, float)
STRINGS = ("list", str)

SECTION_SPECS: dict[str, dict[str, tuple]] = {
    "archive": {"path": (str, _non_empty), "keep_bodies_days": (NUMBER, _positive)},
    "crawl": {
        "user_agent": (str, _non_empty),
        "timeout": (NUMBER, _positive),
        "obey_robots": (bool, None),
        "max_page_mb": (NUMBER, _positive),
        "max_minutes": (NUMBER, _positive),
        "private_networks": (STRINGS, _network),
        "extraction_timeout": (NUMBER, _positive),
    },
    "dedup": {"threshold": (NUMBER, _unit_interval)},
    "tagging": {"builtin": (bool, None)},
    "health": {"notify": (STRINGS, _non_empty)},
}

TABLE_LIST_SPECS: dict[str, dict[str, tuple]] = {
    "sources": {
        "name": (str, _non_empty),
        "feeds": (STRINGS, _http_url),
        "sitemaps": (STRINGS, _http_url),
        "pages": (STRINGS, _http_url),
        "follow": (STRINGS, _regex),
        "allowed_hosts": (STRINGS, _host),
        "schedule": (str, _schedule),
    },
    "companies": {
        "name": (str, _non_empty),
        "aliases": (STRINGS, _non_empty),
        "products": (STRINGS, _non_empty),
        "exclude": (STRINGS, _non_empty),
    },
    "alerts": {
        "name": (str, _non_empty),
        "match": (str, fts_query_problem),
        "companies": (STRINGS, _non_empty),
        "sources": (STRINGS, _non_empty),
        "notify": (STRINGS, _non_empty),
        "digest": (str, _digest),
    },
}

REQUIRED_IN_TABLES = {"sources": ("name",), "companies": ("name",), "alerts": ("name", "notify")}


def _type_name(types) -> str:
    if types == STRINGS:
        return "a list of strings"
    if types is bool:
        return "true or false"
    if types == NUMBER:
        return "a number"
    return "a string"


def _check_value(file, key, value, spec):
    types, check = spec
    if types == STRINGS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(file, key, f"must be a list of strings, got {value!r}")
        values = value
    else:
        wrong_bool = isinstance(value, bool) and types is not bool
        if wrong_bool or not isinstance(value, types):
            raise ConfigError(file, key, f"must be {_type_name(types)}, got {value!r}")
        values = [value]
    for item in values:
        problem = check(item) if check else None
        if problem:
            raise ConfigError(file, key, problem)


def _check_table(file, prefix, table, spec):
    if not isinstance(table, dict):
        raise ConfigError(file, prefix, "must be a table")
    for key, value in table.items():
        if key not in spec:
            known = ", ".join(sorted(spec))
            raise ConfigError(file, f"{prefix}.{key}", f"unknown key (known keys: {known})")
        _check_value(file, f"{prefix}.{key}", value, spec[key])


def validate(file, data: dict) -> None:
    """Raise ConfigError for the first unknown key, wrong type or bad value."""
    for section, value in data.items():
        if section in SECTION_SPECS:
            _check_table(file, section, value, SECTION_SPECS[section])
        elif section in TABLE_LIST_SPECS:
            if not isinstance(value, list):
                raise ConfigError(file, section, f"must be an array of tables ([[{section}]])")
            for index, table in enumerate(value):
                prefix = f"{section}[{index}]"
                _check_table(file, prefix, table, TABLE_LIST_SPECS[section])
                for required in REQUIRED_IN_TABLES[section]:
                    if required not in table:
                        raise ConfigError(file, f"{prefix}.{required}", "is required")
        else:
            known = ", ".join(sorted([*SECTION_SPECS, *TABLE_LIST_SPECS]))
            raise ConfigError(file, section, f"unknown section (known: {known})")
    _check_sources(file, data.get("sources", []))
    _check_alerts(file, data.get("alerts", []), data.get("sources"))


def _check_sources(file, sources):
    seen = set()
    for index, source in enumerate(sources):
        name = source["name"]
        if name in seen:
            raise ConfigError(file, f"sources[{index}].name", f"duplicate source name {name!r}")
        seen.add(name)
        if not any(source.get(key) for key in ("feeds", "sitemaps", "pages")):
            raise ConfigError(file, f"sources[{index}]", "needs at least one of feeds, sitemaps, pages")
        if source.get("pages") and not source.get("follow"):
            raise ConfigError(file, f"sources[{index}].follow",
                              "is required with pages: which links on the pages are articles")


def _check_alerts(file, alerts, sources=None):
    """Unique names, something to match on, and (once sources are known) real source names."""
    seen = set()
    known = {source["name"] for source in sources or ()}
    for index, rule in enumerate(alerts):
        if rule["name"] in seen:
            raise ConfigError(file, f"alerts[{index}].name", f"duplicate rule name {rule['name']!r}")
        seen.add(rule["name"])
        if not rule.get("match") and not rule.get("companies"):
            raise ConfigError(file, f"alerts[{index}]", "needs match, companies or both")
        if not rule["notify"]:
            raise ConfigError(file, f"alerts[{index}].notify", "needs at least one apprise URL")
        for name in rule.get("sources", ()):
            if sources is not None and name not in known:
                raise ConfigError(file, f"alerts[{index}].sources", f"{name!r} is not a configured "
                                  f"source (known: {', '.join(sorted(known))})")
