"""The one loader of newsmon's TOML configuration.

The user's file is applied on top of the built-in `default.toml`: scalar
sections (`[archive]`, `[crawl]`, ...) are merged key by key, while `[[sources]]`
given by the user replace the built-in sources (a user who lists their own
outlets does not want the dozen defaults crawled as well). Every problem is
reported as a `ConfigError` naming the file, the key and what is wrong, so a
typo never turns into a silent default; the keys and their checks are in
crawler/config/spec.py.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.config.spec import ConfigError, validate
from crawler.net.policy import DEFAULT_PRIVATE_NETWORKS

BUILTIN_CONFIG = Path(__file__).with_name("default.toml")
CONFIG_ENV = "NEWSMON_CONFIG"


@dataclass(frozen=True)
class Source:
    name: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    follow: tuple[re.Pattern, ...] = ()
    allowed_hosts: tuple[str, ...] = ()   # other hosts whose links on pages are followed
    schedule: str = "*/30 * * * *"


@dataclass(frozen=True)
class Config:
    file: Path
    archive_path: Path
    user_agent: str
    timeout: float
    obey_robots: bool
    max_page_mb: float
    sources: tuple[Source, ...]
    max_minutes: float = 60.0
    private_networks: tuple[str, ...] = DEFAULT_PRIVATE_NETWORKS
    companies: tuple[dict, ...] = ()
    use_builtin_companies: bool = True
    alerts: tuple[dict, ...] = ()
    dedup_threshold: float = 0.5
    health_notify: tuple[str, ...] = ()
    keep_bodies_days: float | None = None
    extraction_timeout: float = 30.0
    raw: dict = field(default_factory=dict, repr=False)

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)


def read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found") from None
    except PermissionError:
        raise ConfigError(path, "", "file not readable (permission denied)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"not valid TOML: {exc}") from None


def merge(defaults: dict, user: dict) -> dict:
    """User sections on top of the defaults; user [[sources]] replace the built-in ones."""
    merged = {key: (dict(value) if isinstance(value, dict) else value) for key, value in defaults.items()}
    for key, value in user.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def resolve_config_path(path: str | os.PathLike | None) -> Path:
    if path:
        return Path(path)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return BUILTIN_CONFIG


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Load `path`, else $NEWSMON_CONFIG, else the built-in configuration."""
    file = resolve_config_path(path)
    defaults = read_toml(BUILTIN_CONFIG)
    user = read_toml(file) if file != BUILTIN_CONFIG else {}
    validate(file, user)
    data = merge(defaults, user)
    validate(BUILTIN_CONFIG if not user else file, data)
    return build_config(file, data)


def _resolve_archive_path(file: Path, raw_path: str) -> Path:
    path = Path(raw_path).expanduser()
    if path.is_absolute():
        return path
    # The built-in config writes to the working directory, a user's file next to itself.
    base = Path.cwd() if file == BUILTIN_CONFIG else file.resolve().parent
    return base / path


def build_config(file: Path, data: dict[str, Any]) -> Config:
    """`data` is the user's config merged over default.toml, where every section key
    with a default has it: the defaults are written there once, not again here."""
    crawl = data["crawl"]
    sources = tuple(
        Source(
            name=s["name"],
            feeds=tuple(s.get("feeds", ())),
            sitemaps=tuple(s.get("sitemaps", ())),
            pages=tuple(s.get("pages", ())),
            follow=tuple(re.compile(p) for p in s.get("follow", ())),
            allowed_hosts=tuple(h.strip().strip("[]").lower() for h in s.get("allowed_hosts", ())),
            schedule=s.get("schedule", "*/30 * * * *"),
        )
        for s in data.get("sources", [])
    )
    return Config(
        file=file,
        archive_path=_resolve_archive_path(file, data["archive"]["path"]),
        user_agent=crawl["user_agent"],
        timeout=float(crawl["timeout"]),
        obey_robots=crawl["obey_robots"],
        max_page_mb=float(crawl["max_page_mb"]),
        max_minutes=float(crawl["max_minutes"]),
        private_networks=tuple(crawl.get("private_networks", DEFAULT_PRIVATE_NETWORKS)),
        extraction_timeout=float(crawl["extraction_timeout"]),
        sources=sources,
        companies=tuple(data.get("companies", ())),
        use_builtin_companies=data["tagging"]["builtin"],
        alerts=tuple(data.get("alerts", ())),
        health_notify=tuple(data.get("health", {}).get("notify", ())),
        dedup_threshold=float(data["dedup"]["threshold"]),
        keep_bodies_days=data["archive"].get("keep_bodies_days"),
        raw=data,
    )
