"""Shared test fixtures: the local fixture web, configs for it, and the CLI as a child process.

The crawl runs in a child process (`python -m crawler.cli`, the same entry point as the
`newsmon` console script) because that is how users and the scheduler run it, and because
Scrapy's reactor cannot be restarted inside one test process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtureweb import FixtureWeb, serve_fixture_web, write_config_file

REPO = Path(__file__).resolve().parent.parent


def newsmon_env(env: dict | None = None) -> dict:
    """The environment of a child newsmon: ours without NEWSMON_CONFIG, plus `env`."""
    child = {k: v for k, v in os.environ.items() if k != "NEWSMON_CONFIG"}
    child["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), child.get("PYTHONPATH")]))
    child.update(env or {})
    return child


@pytest.fixture(scope="session")
def run_newsmon(tmp_path_factory):
    """run_newsmon(*args, env=None, timeout=120, cwd=None) -> CompletedProcess (text).

    The default working directory is an empty temporary folder, so a crawl that
    falls back to the built-in config never writes into the repository.
    """
    default_cwd = tmp_path_factory.mktemp("newsmon-cwd")

    def run(*args, env=None, timeout=120, cwd=None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "crawler.cli", *map(str, args)],
                              capture_output=True, text=True, timeout=timeout,
                              cwd=cwd or default_cwd, env=newsmon_env(env))

    return run


@pytest.fixture
def fixture_web() -> FixtureWeb:
    """Both fixture sites (frontiernews on 127.0.0.1, aiwire on 127.0.0.2), fresh per test."""
    with serve_fixture_web() as web:
        yield web


@pytest.fixture
def write_config(fixture_web):
    """write_config(tmp_path, **overrides) -> Path of a TOML config for `fixture_web`.

    Overrides: archive="name.db", sources=[...], name="file.toml", and any [crawl] key
    (timeout, max_page_mb, obey_robots, user_agent). Defaults: timeout 1.5 s,
    max_page_mb 1, obey_robots true, archive newsmon.db next to the config.
    """
    def write(tmp_path, **overrides) -> Path:
        return write_config_file(fixture_web, tmp_path, **overrides)

    return write
