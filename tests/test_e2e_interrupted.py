"""A crawl stopped halfway keeps the archive consistent and loses no article for good."""

import signal
import sqlite3
import subprocess
import sys

from conftest import REPO, newsmon_env, wait_for
from fixtureweb import FEEDS


def test_interrupted_crawl_stores_no_listing_validators_so_the_next_run_reads_listings(
        fixture_web, write_config, tmp_path, run_newsmon):
    config = write_config(tmp_path, timeout=5)   # the slow page keeps the crawl busy ~4 s
    frontier = fixture_web.frontier
    crawl = subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config)],
                             cwd=REPO, env=newsmon_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: any(r.route == "/ai-labs/slow-story" for r in frontier.requests), 30,
                 "the crawl to request the slow page")
        crawl.send_signal(signal.SIGINT)
        _, stderr = crawl.communicate(timeout=30)
    finally:
        crawl.kill()
    assert crawl.returncode == 5, stderr[-2000:]          # EXIT_INTERRUPTED
    db = tmp_path / "newsmon.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT outcome FROM runs WHERE source = 'frontiernews'").fetchone()[0] \
            == "interrupted"
        validators = conn.execute(
            "SELECT COUNT(*) FROM fetch_state WHERE etag IS NOT NULL OR last_modified IS NOT NULL"
        ).fetchone()[0]
    assert validators == 0

    mark = fixture_web.mark()
    assert run_newsmon("crawl", "--config", config).returncode == 0
    feeds = [r for r in fixture_web.requests(since=mark) if r.site == "frontiernews" and r.route in FEEDS]
    assert feeds and all(r.status == 200 and "if-none-match" not in r.headers for r in feeds)
