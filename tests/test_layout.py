"""The rules of ARCHITECTURE.md that the code can check: who imports whom, who writes SQL.

Read from the source with `ast`, so a rule broken anywhere fails here, not in review.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRAPY = ("scrapy", "twisted")
# Statements that change the archive: only crawler/archive/ writes them.
WRITES_SQL = re.compile(r"\b(INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                        r"ALTER\s+TABLE|CREATE\s+(TABLE|INDEX|TRIGGER|VIEW))\b", re.I)
SQL_WRITERS = ("crawler/archive/",)


def modules(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (REPO / folder).rglob("*.py"))


def runtime_imports(path: Path) -> set[str]:
    """Modules `path` imports when it runs (imports under `if TYPE_CHECKING:` do not count)."""
    tree = ast.parse(path.read_text("utf-8"))
    typing_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and getattr(block.test, "id", None) == "TYPE_CHECKING"
                   for node in ast.walk(block)}
    names = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def imported(path: Path, *prefixes: str) -> set[str]:
    return {name for name in runtime_imports(path)
            if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)}


def relative(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


@pytest.mark.parametrize("path", modules("crawler/text", "crawler/net"), ids=relative)
def test_text_and_net_are_pure(path):
    """Pure functions: no Scrapy, and nothing of newsmon but their own package."""
    own = "crawler." + path.relative_to(REPO / "crawler").parts[0]
    others = {name for name in imported(path, "crawler") if not name.startswith(own)}
    assert not imported(path, *SCRAPY) and not others, (imported(path, *SCRAPY), others)


@pytest.mark.parametrize("path", modules("crawler/archive"), ids=relative)
def test_archive_builds_on_text_only(path):
    others = {name for name in imported(path, "crawler")
              if not name.startswith(("crawler.archive", "crawler.text"))}
    assert not imported(path, *SCRAPY) and not others, (imported(path, *SCRAPY), others)


@pytest.mark.parametrize("path", modules("crawler/alerts", "crawler/daemon", "crawler/config",
                                         "crawler/web", "crawler/archive"), ids=relative)
def test_outside_the_crawl_nothing_loads_scrapy(path):
    """The daemon, alerts, config and dashboard run without Scrapy (the crawl is a child)."""
    assert not imported(path, *SCRAPY)


@pytest.mark.parametrize("path", modules("crawler", "pipelines"), ids=relative)
def test_only_the_cli_imports_the_cli(path):
    if relative(path).startswith("crawler/commands/") or relative(path) in ("crawler/cli.py",
                                                                           "crawler/entry.py"):
        return
    assert not imported(path, "crawler.commands", "crawler.cli", "scheduler")


@pytest.mark.parametrize("path", modules("crawler", "pipelines"), ids=relative)
def test_only_the_archive_writes_sql(path):
    if relative(path).startswith(SQL_WRITERS):
        return
    strings = [node.value for node in ast.walk(ast.parse(path.read_text("utf-8")))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    assert not [s for s in strings if WRITES_SQL.search(s)]


def test_the_rules_see_the_code():
    """The checks above read real imports: the spider imports Scrapy, the CLI itself."""
    assert imported(REPO / "crawler/spiders/news.py", "scrapy")
    assert imported(REPO / "crawler/commands/schedule.py", "crawler.commands")
    assert WRITES_SQL.search("INSERT OR IGNORE INTO alerts (rule) VALUES (?)")


# ARCHITECTURE.md, "Which way imports run": what each room may import of newsmon.
BELOW = {
    "crawler/alerts": ("crawler.alerts", "crawler.archive", "crawler.text"),
    "crawler/config": ("crawler.config", "crawler.net", "crawler.text"),
    "crawler/daemon": ("crawler.daemon", "crawler.alerts", "crawler.archive", "crawler.config",
                       "crawler.text", "crawler.net", "crawler.exitcodes"),
    "crawler/web": ("crawler.web", "crawler.daemon", "crawler.alerts", "crawler.archive",
                    "crawler.config", "crawler.text", "crawler.net", "crawler.exitcodes"),
}


@pytest.mark.parametrize("path", modules(*BELOW), ids=relative)
def test_imports_run_downwards(path):
    allowed = BELOW[relative(path).rsplit("/", 1)[0]]
    upward = {name for name in imported(path, "crawler", "pipelines")
              if not name.startswith(allowed)}
    assert not upward, f"{relative(path)} imports rooms above it: {upward}"


# The Scrapy side of a crawl shares one archive connection (crawler/crawlarchive.py); the
# alert step opens its own because it runs in a thread.
SCRAPY_SIDE = ("crawler/spiders", "crawler/middlewares", "crawler/extensions", "pipelines")
OWN_CONNECTION = ("crawler/crawlarchive.py", "crawler/extensions/alerts.py")


def calls(path: Path, name: str) -> bool:
    return any(isinstance(node, ast.Call) and getattr(node.func, "id", None) == name
               for node in ast.walk(ast.parse(path.read_text("utf-8"))))


@pytest.mark.parametrize("path", modules(*SCRAPY_SIDE), ids=relative)
def test_crawl_components_share_the_crawls_connection(path):
    if relative(path) not in OWN_CONNECTION:
        assert not calls(path, "open_archive"), f"{relative(path)} opens a connection of its own"


def test_the_connection_rule_sees_the_code():
    assert calls(REPO / "crawler/crawlarchive.py", "open_archive")
