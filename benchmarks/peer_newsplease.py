"""news-please, the closest open-source peer, crawling the benchmark's feed.

news-please (PyPI `news-please`) is a Scrapy news crawler with its own extraction
(newspaper4k + readability + date heuristics). It pins old dependencies, so it lives
in a virtualenv of its own (benchmarks/out/newsplease-venv, made on first use and
reused). It runs from its own default config with only what a local feed needs:
our site list, the RSS crawler, one crawler at a time, no certificate check, robots.txt off and as
many requests in flight as newsmon gets here, the newspaper extractor that does not download images, a scratch
working folder; and a site list whose heuristics accept every feed item as an article.

Its command polls for finished crawlers every 10 s, so its whole-command time
includes up to 10 s of waiting; its crawl phase (Scrapy's elapsed_time_seconds)
does not.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from _throughput_measure import ProcessUsage, run_measured

VENV = Path(__file__).resolve().parent / "out" / "newsplease-venv"
PACKAGE = "news-please>=1.6,<1.7"

# (pattern in its default config.cfg, replacement): each must match exactly once.
CONFIG_CHANGES = (
    (r"^default = SitemapCrawler$", "default = RssCrawler"),
    (r"^number_of_parallel_crawlers = \d+$", "number_of_parallel_crawlers = 1"),
    (r"^check_certificate = True$", "check_certificate = False"),
    (r"^working_path = .*$", "working_path = {work}"),
    # read sitelist.hjson next to this config, not the package's example list
    (r"^relative_to_start_processes_file = True$", "relative_to_start_processes_file = False"),
    (r"^ROBOTSTXT_OBEY ?= ?True$", "ROBOTSTXT_OBEY = False"),
    (r"^CONCURRENT_REQUESTS ?= ?\d+$", "CONCURRENT_REQUESTS = {concurrency}"),
    (r"^CONCURRENT_REQUESTS_PER_DOMAIN ?= ?\d+$", "CONCURRENT_REQUESTS_PER_DOMAIN = {concurrency}"),
    (r"^extractors = \['newspaper_extractor',", "extractors = ['newspaper_extractor_no_images',"),
)
SITELIST = """{
  "base_urls": [{
    "url": "%s",
    "crawler": "RssCrawler",
    "overwrite_heuristics": {"crawler_contains_only_article_alikes": true, "og_type": false,
                             "linked_headlines": false, "self_linked_headlines": false},
    "pass_heuristics_condition": "crawler_contains_only_article_alikes"
  }]
}
"""


class PeerUnavailable(RuntimeError):
    """news-please could not be installed, configured or run: the message says which step."""


@dataclass
class PeerRun:
    version: str
    pages: int  # article pages fetched (all but the root page and the feed)
    stored: int
    crawl_seconds: float
    usage: ProcessUsage


def _venv_python() -> Path:
    """The peer's interpreter, installing news-please on first use."""
    python = VENV / "bin" / "python"
    if not (VENV / "bin" / "news-please").exists():
        steps = ([sys.executable, "-m", "venv", str(VENV)],
                 [str(python), "-m", "pip", "install", "-q", PACKAGE])
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                raise PeerUnavailable(f"{' '.join(step)} failed: {done.stderr.strip()[-800:]}")
    return python


def _write_config(folder: Path, python: Path, home_url: str, concurrency: int) -> str:
    """Its default config with CONFIG_CHANGES, and the site list; returns its version."""
    found = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m, newsplease, pathlib; print(m.version("
         "'news-please')); print(pathlib.Path(newsplease.__file__).parent / 'config/config.cfg')"],
        capture_output=True, text=True, timeout=120)
    if found.returncode != 0:
        raise PeerUnavailable(f"news-please does not import: {found.stderr.strip()[-800:]}")
    version, default_config = found.stdout.split()
    text = Path(default_config).read_text()
    for pattern, replacement in CONFIG_CHANGES:
        text, count = re.subn(pattern, replacement.format(work=folder / "work", concurrency=concurrency), text,
                              flags=re.M)
        if count != 1:
            raise PeerUnavailable(f"its default config.cfg no longer has {pattern!r}")
    folder.mkdir(parents=True)
    (folder / "config.cfg").write_text(text)
    (folder / "sitelist.hjson").write_text(SITELIST % home_url)
    return version


def _scrapy_stat(log: str, name: str) -> float | None:
    found = re.findall(rf"'{name}': ([0-9.]+)", log)
    return float(found[-1]) if found else None


def run_newsplease(folder: Path, home_url: str, timeout: float, concurrency: int) -> PeerRun:
    """Crawl the feed advertised at `home_url` with news-please, with `concurrency`
    requests in flight (in all and per domain); raises PeerUnavailable."""
    python, folder = _venv_python(), folder.resolve()
    version = _write_config(folder, python, home_url, concurrency)
    log = folder / "news-please.log"
    usage = run_measured([str(python), "-m", "newsplease", "-c", str(folder), "-no-confirm"],
                         timeout=timeout, cwd=folder, log=log)
    text = log.read_text("utf-8", "replace")
    stored = int(_scrapy_stat(text, "item_scraped_count") or 0)
    pages = int(_scrapy_stat(text, "response_received_count") or 2) - 2
    crawl_seconds = _scrapy_stat(text, "elapsed_time_seconds")
    if usage.timed_out or usage.returncode != 0 or not stored or not crawl_seconds:
        why = "timed out" if usage.timed_out else f"exit code {usage.returncode}"
        raise PeerUnavailable(f"news-please {why}, {stored} articles stored; end of its log "
                              f"({log}):\n{text.strip()[-1500:]}")
    return PeerRun(version=version, pages=pages, stored=stored, crawl_seconds=crawl_seconds,
                   usage=usage)
