"""SIGTERM while `newsmon crawl` is still starting: exit 5 with a message, not 143."""

import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import REPO, newsmon_env


@pytest.mark.parametrize("delay", [0.15, 0.6])
def test_sigterm_in_the_first_second_is_an_interrupted_crawl(fixture_web, write_config, tmp_path,
                                                              delay):
    config = write_config(tmp_path)
    crawl = subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config)],
                             cwd=REPO, env=newsmon_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    crawl.send_signal(signal.SIGTERM)
    _, stderr = crawl.communicate(timeout=60)
    assert crawl.returncode == 5, (crawl.returncode, stderr[-2000:])   # EXIT_INTERRUPTED
    assert "interrupted" in stderr and "Traceback" not in stderr
    with sqlite3.connect(tmp_path / "newsmon.db") as conn:   # each source's run, as mid-crawl
        runs = conn.execute("SELECT source, outcome, details FROM runs ORDER BY source").fetchall()
    assert [(source, outcome) for source, outcome, _ in runs] == [
        ("aiwire", "interrupted"), ("frontiernews", "interrupted")]
    assert all(json.loads(details)["close_reason"] == "shutdown" for *_, details in runs)


def test_other_commands_still_die_of_sigterm(tmp_path):
    """Only the crawl holds the signal: a search blocked on input would otherwise never end."""
    reader = subprocess.Popen([sys.executable, "-c",
                               "import crawler.cli, signal, sys; crawler.cli.earlystop.hold(); "
                               "crawler.cli.earlystop.release(); print('ready', flush=True); "
                               "sys.stdin.read()"],
                              cwd=REPO, env=newsmon_env(), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "ready"
    reader.send_signal(signal.SIGTERM)
    assert reader.wait(timeout=10) == -signal.SIGTERM
