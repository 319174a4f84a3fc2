"""Two `newsmon crawl` processes on one archive never crawl at once (crawler/archive/lock.py).

Each process gets its own config with its own user agent but the same archive,
so the fixture web's request log tells which process requested what.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import REPO, newsmon_env, wait_for
from crawler.archive.lock import ArchiveLock, ArchiveLocked
from crawler.exitcodes import EXIT_LOCKED

UA_A = "newsmon-test-A/1.0"
UA_B = "newsmon-test-B/1.0"


def by_agent(fixture_web, agent: str) -> list:
    return [r for r in fixture_web.requests() if r.headers.get("user-agent") == agent]


@pytest.fixture
def two_configs(write_config, tmp_path):
    """Configs a.toml and b.toml: same archive (newsmon.db beside them), different agents."""
    return (write_config(tmp_path, name="a.toml", user_agent=UA_A),
            write_config(tmp_path, name="b.toml", user_agent=UA_B))


@pytest.fixture
def spawn_crawl():
    """spawn_crawl(config) -> Popen of `newsmon crawl` in its own process group; all killed after."""
    procs = []

    def spawn(config):
        proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config)],
                                cwd=REPO, env=newsmon_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        procs.append(proc)
        return proc

    yield spawn
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=10)


def test_second_crawl_exits_4_at_once_and_requests_nothing(
        fixture_web, two_configs, run_newsmon, spawn_crawl):
    config_a, config_b = two_configs
    first = spawn_crawl(config_a)
    wait_for(lambda: by_agent(fixture_web, UA_A), 30, "the first crawl to start")

    began = time.monotonic()
    second = run_newsmon("crawl", "--config", config_b, timeout=60)
    second_seconds = time.monotonic() - began
    assert first.poll() is None, "the first crawl must still be running for this test to mean anything"
    out, err = first.communicate(timeout=60)

    assert second.returncode == EXIT_LOCKED
    assert "another crawl is running on this archive" in second.stderr
    assert f"pid {first.pid}" in second.stderr
    assert second_seconds < 5, "exits at once, without waiting for the lock"
    assert by_agent(fixture_web, UA_B) == []
    assert first.returncode == 0, err
    assert "new articles" in out

    after = run_newsmon("crawl", "--config", config_b, timeout=60)
    assert after.returncode == 0, after.stderr
    assert by_agent(fixture_web, UA_B), "once the first crawl is over, the lock is free"


def test_simultaneous_crawls_only_one_crawls(fixture_web, two_configs, spawn_crawl):
    procs = {UA_A: spawn_crawl(two_configs[0]), UA_B: spawn_crawl(two_configs[1])}
    codes = {agent: proc.wait(timeout=90) for agent, proc in procs.items()}

    assert sorted(codes.values()) == [0, EXIT_LOCKED]
    loser = next(agent for agent, code in codes.items() if code == EXIT_LOCKED)
    winner = UA_A if loser == UA_B else UA_B
    assert by_agent(fixture_web, loser) == []
    assert by_agent(fixture_web, winner)


def test_lock_dies_with_a_killed_crawl(fixture_web, two_configs, run_newsmon, spawn_crawl,
                                       tmp_path):
    """SIGKILL leaves no stale lock: the next crawl runs, and the archive is intact."""
    config_a, config_b = two_configs
    first = spawn_crawl(config_a)
    wait_for(lambda: len(by_agent(fixture_web, UA_A)) >= 5, 30, "the first crawl to be under way")
    os.killpg(first.pid, signal.SIGKILL)
    first.communicate(timeout=10)

    after = run_newsmon("crawl", "--config", config_b, timeout=60)

    assert after.returncode == 0, after.stderr
    assert by_agent(fixture_web, UA_B)
    assert (tmp_path / "newsmon.db.lock").exists(), "the lock file stays; only the flock matters"
    conn = sqlite3.connect(tmp_path / "newsmon.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


# -- the lock itself ---------------------------------------------------------------------
def test_lock_is_exclusive_and_says_who_holds_it(tmp_path):
    archive = tmp_path / "sub" / "archive.db"
    with ArchiveLock(archive) as held:
        assert held.path == tmp_path / "sub" / "archive.db.lock"
        with pytest.raises(ArchiveLocked) as raised:
            ArchiveLock(archive).acquire()   # another open file description: refused
        assert f"pid {os.getpid()}" in raised.value.holder
    ArchiveLock(archive).acquire().release()


def test_lock_does_not_block_sqlite_readers_or_writers(tmp_path):
    """flock on the sidecar and SQLite's own locks on the database are independent."""
    archive = tmp_path / "archive.db"
    with ArchiveLock(archive):
        code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=1); "
                "c.execute('CREATE TABLE t (x)'); c.execute('INSERT INTO t VALUES (1)'); c.commit()")
        done = subprocess.run([sys.executable, "-c", code, str(archive)], timeout=30)
        assert done.returncode == 0


def test_a_surviving_child_does_not_keep_the_lock(tmp_path):
    """A crawl that dies while a child of its lives on (an orphaned extraction worker) must
    not leave the lock held by that child: the lock's fd is close-on-exec."""
    archive = tmp_path / "archive.db"
    holder = ("import os, subprocess, sys; from crawler.archive.lock import ArchiveLock; "
              "ArchiveLock(sys.argv[1]).acquire(); "
              "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'], "
              "close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
              "print(child.pid, flush=True); os._exit(0)")
    done = subprocess.run([sys.executable, "-c", holder, str(archive)], cwd=REPO,
                          env=newsmon_env(), capture_output=True, text=True, timeout=30)
    orphan = int(done.stdout.split()[0])
    try:
        os.kill(orphan, 0)   # still alive
        ArchiveLock(archive).acquire().release()
    finally:
        os.kill(orphan, signal.SIGKILL)
