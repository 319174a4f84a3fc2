"""Extraction is bounded: a huge page costs at most the time limit, workers die with their crawl.

Real crawls (`newsmon crawl` child processes) of a local site whose feed lists
ordinary articles next to pathological pages: a million short paragraphs
(trafilatura alone would take many minutes and gigabytes on it) and a page
small enough for the DOM limit but slower than the extraction time limit.
"""

import json
import signal
import sqlite3
import subprocess
import sys
import time

import psutil

from conftest import REPO, newsmon_env
from fixtureweb import Entry, publish_generated

MILLION = "/ai-labs/million-paragraphs"
SLOW = "/ai-labs/slow-to-extract"


def paragraphs_page(count: int) -> str:
    return "<html><body><article>" + "<p>Short paragraph here.</p>" * count + "</article></body></html>"


def limits_web(site, articles: int = 3, slow_paragraphs: int = 25_000) -> list[dict]:
    """Under the default element limit, 25,000 paragraphs take seconds to extract."""
    site.set(MILLION, "<html><body>" + "<p>x</p>" * 1_000_000 + "</body></html>")
    site.set(SLOW, paragraphs_page(slow_paragraphs))
    extra = (Entry(MILLION, "A million paragraphs", "2026-04-21T08:00:00Z"),
             Entry(SLOW, "Slow to extract", "2026-04-21T09:00:00Z"))
    publish_generated(site, articles, feed="/limits.xml", extra=extra)
    return [{"name": "limits", "feeds": [site.url("/limits.xml")], "schedule": "every 10m"}]


def test_huge_and_slow_pages_are_dropped_with_a_reason_and_the_rest_is_stored(
        fixture_web, write_config, tmp_path, run_newsmon):
    sources = limits_web(fixture_web.frontier)
    config = write_config(tmp_path, sources=sources, max_page_mb=10, extraction_timeout=1)
    started = time.monotonic()
    result = run_newsmon("crawl", "--config", config, timeout=120)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-2000:]
    with sqlite3.connect(tmp_path / "newsmon.db") as conn:
        stored = {row[0].split("/", 3)[3] for row in conn.execute("SELECT url FROM articles")}
        details = json.loads(conn.execute("SELECT details FROM runs").fetchone()[0])
        outcomes = dict(conn.execute(
            "SELECT url, outcome FROM fetch_state WHERE url LIKE '%/ai-labs/%'").fetchall())
    assert stored == {f"generated/story-{i}" for i in range(3)}
    assert details["dropped"] == {"too_complex": 1, "extraction_timeout": 1}
    # Both are remembered: the next crawl does not pay for them again.
    assert set(outcomes.values()) == {"not_article"} and len(outcomes) == 2
    assert took < 90     # unbounded, the million-paragraph page alone takes many minutes


def crawl_children(crawl_pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(crawl_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_crawl_whose_listings_answer_304_starts_no_extraction_worker(
        fixture_web, write_config, tmp_path, run_newsmon):
    publish_generated(fixture_web.frontier, 2, feed="/few.xml")
    sources = [{"name": "few", "feeds": [fixture_web.frontier.url("/few.xml")], "schedule": "every 10m"}]
    config = write_config(tmp_path, sources=sources, timeout=20)
    first = run_newsmon("crawl", "--config", config)
    assert first.returncode == 0 and "2 new articles" in first.stdout, first.stdout  # none to retry
    crawl = subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config)],
                             cwd=REPO, env=newsmon_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    seen = {}
    while crawl.poll() is None:
        for child in crawl_children(crawl.pid):
            try:
                seen[child.pid] = " ".join(child.cmdline())[:200]
            except psutil.Error:
                seen.setdefault(child.pid, "?")
        time.sleep(0.02)
    stdout, stderr = crawl.communicate()
    assert crawl.returncode == 0, stderr[-2000:]
    assert "not_modified" in stdout and "0 new articles" in stdout
    workers = {pid: line for pid, line in seen.items() if "python" in line or line == "?"}
    assert not workers, f"workers started by a crawl that had nothing to extract: {workers}"
    assert not seen, f"processes started by a crawl that had nothing to extract: {seen}"


def test_no_worker_outlives_a_crawl_killed_mid_extraction(fixture_web, write_config, tmp_path):
    """A worker busy for a long time on a page does not notice its crawl die: it must be told.

    The page (80,000 paragraphs, about 30 s of extraction) is above the element
    limit, so this crawl lifts the limit (`scrapy crawl news -s ...`, the same
    crawl as `newsmon crawl`) and the time limit: without the parent-death
    signal and watchdog the worker would finish it long after the 10 s.
    """
    sources = limits_web(fixture_web.frontier, slow_paragraphs=80_000)
    config = write_config(tmp_path, sources=sources, max_page_mb=10, extraction_timeout=600)
    crawl = subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", "news",
                              "-s", "NEWSMON_MAX_PAGE_ELEMENTS=0"],
                             cwd=REPO, env=newsmon_env({"NEWSMON_CONFIG": str(config)}),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not any(r.route == SLOW for r in fixture_web.frontier.requests):
            assert time.monotonic() < deadline and crawl.poll() is None, "the slow page was never fetched"
            time.sleep(0.05)
        time.sleep(1.5)                      # its worker is now busy on it for seconds
        children = crawl_children(crawl.pid)
        working = sum(child.cpu_percent(interval=0.3) for child in children)
        assert len(children) >= 2 and working > 20, f"no extraction worker at work: {children}"
    finally:
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()
    deadline = time.monotonic() + 10
    while any(alive(child) for child in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [f"{c.pid} {c.name()}" for c in children if alive(c)]
    for child in children:        # do not leak them into the rest of the test run
        if alive(child):
            child.kill()
    assert not left, f"still running 10 s after kill -9 of the crawl: {left}"
