"""`scrapy crawl news` from the repository root runs the same crawl as `newsmon crawl`."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from fixtureweb import STORED

REPO = Path(__file__).resolve().parent.parent


def test_scrapy_crawl_news_fills_the_same_archive(fixture_web, write_config, tmp_path):
    config = write_config(tmp_path)
    env = {**os.environ, "NEWSMON_CONFIG": str(config),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "news", "-s", "LOG_LEVEL=INFO"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Spider opened" in done.stderr            # the INFO log is there, without
    assert "Remote control" not in done.stderr       # Scrapy's code-running HTTP server
    assert "Telnet console listening" not in done.stderr
    with sqlite3.connect(tmp_path / "newsmon.db") as db:
        urls = {row[0] for row in db.execute("SELECT url FROM articles")}
        runs = db.execute("SELECT source, outcome FROM runs").fetchall()
        mentions = db.execute("SELECT COUNT(*) FROM mentions").fetchone()[0]
    assert {fixture_web.frontier.url(path) for path in STORED} <= urls
    assert {source for source, _ in runs} == {s["name"] for s in fixture_web.sources()}
    assert mentions > 0
