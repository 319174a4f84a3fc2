"""The daemon's run model with many sources: batched crawls, crash isolation, live config.

Real daemons (`newsmon schedule`) against a farm of small feeds on loopback
hosts (tests/feedfarm.py). Every wait is bounded; the daemon and its crawl
children are killed at teardown (test_scheduler.start_daemon).
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta, timezone

import psutil
import pytest

from feedfarm import FeedFarm
from fixtureweb import to_toml
from test_scheduler import (  # noqa: F401  (start_daemon is a fixture)
    assert_archive_consistent, assert_runs_never_overlap, crawl_children, runs, start_daemon,
    wait_for)

from crawler.daemon.duetable import DueTable

SOURCES = 50
CLI = ("-m", "crawler.cli", "schedule")


@pytest.fixture
def farm():
    feeds = FeedFarm(SOURCES, hosts=10).start()
    yield feeds
    feeds.stop()


def write_farm_config(path, farm: FeedFarm, sources: list[dict]) -> None:
    data = {"archive": {"path": "newsmon.db"},
            "crawl": {"user_agent": "newsmon-test/1.0", "timeout": 5, "obey_robots": True},
            "sources": sources}
    path.write_text(to_toml(data), encoding="utf-8")


def runs_per_source(archive) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for run in runs(archive):
        grouped.setdefault(run["source"], []).append(run)
    return grouped


def test_fifty_sources_run_repeatedly_in_shared_crawls(farm, tmp_path, start_daemon):
    config = tmp_path / "newsmon.toml"
    write_farm_config(config, farm, farm.sources("every 2s"))
    archive = tmp_path / "newsmon.db"
    farm.publish(3)
    daemon = start_daemon(config, "--batch-window", "0.5", entry=CLI)

    done = wait_for(lambda: (lambda g: len(g) == SOURCES and
                             all(len(r) >= 3 for r in g.values()))(runs_per_source(archive)),
                    90, "three runs of each of the 50 sources", interval=0.5)
    code, _ = daemon.stop()

    assert done and code == 0, daemon.log
    all_runs = runs(archive)
    assert {run["outcome"] for run in all_runs} <= {"ok", "interrupted"}, all_runs
    assert_runs_never_overlap(all_runs)
    assert_archive_consistent(archive)
    # One row per source-run: every finished run asked its feed exactly once (a run
    # interrupted at the stop may or may not have asked).
    for index in range(SOURCES):
        mine = [r for r in all_runs if r["source"] == f"s{index}"]
        finished = [r for r in mine if r["outcome"] == "ok"]
        asked = farm.requests[(index, 200)] + farm.requests[(index, 304)]
        assert len(finished) <= asked <= len(mine), (index, asked, mine)
        assert sum(r["not_modified"] for r in finished) <= farm.requests[(index, 304)]
        assert farm.requests[(index, 304)] >= len(finished) - 1 - (index == 3)
    # Shared crawls: far fewer crawl processes than source-runs.
    crawls = daemon.log.count("started (pid")
    assert crawls * 10 <= len(all_runs), (crawls, len(all_runs))
    stored = [r for r in all_runs if r["source"] == "s3" and r["new_articles"]]
    assert len(stored) == 1 and stored[0]["new_articles"] == 1


class Killer(threading.Thread):
    """Plays the OOM killer for every crawl child that crawls `victim`; notes what it saw."""

    def __init__(self, daemon_pid: int, victim: str):
        super().__init__(daemon=True)
        self.daemon_pid, self.victim = daemon_pid, victim
        self.killed: list[list[str]] = []       # the --source lists of the children it killed
        self.stop_event = threading.Event()

    def run(self):
        deadline = time.monotonic() + 120
        while not self.stop_event.wait(0.02) and time.monotonic() < deadline:
            try:
                children = psutil.Process(self.daemon_pid).children()
            except psutil.NoSuchProcess:
                return
            for child in children:
                try:
                    argv = child.cmdline()
                    names = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--source"]
                    if self.victim in names:
                        child.kill()
                        self.killed.append(names)
                except psutil.Error:
                    continue


def test_a_source_that_crashes_its_crawls_is_isolated(farm, tmp_path, start_daemon):
    config = tmp_path / "newsmon.toml"
    write_farm_config(config, farm, farm.sources("every 2s", range(16)))
    archive = tmp_path / "newsmon.db"
    daemon = start_daemon(config, "--batch-window", "0.2", "--batch-size", "16", entry=CLI)
    killer = Killer(daemon.proc.pid, "s7")
    killer.start()

    alone = wait_for(lambda: [k for k in killer.killed if k == ["s7"]], 90,
                     "s7 to be crawled alone", interval=0.2)
    isolated_at = len(runs(archive))
    wait_for(lambda: all(len([r for r in runs(archive, f"s{n}") if r["outcome"] == "ok"]) >= 2
                         for n in range(16) if n != 7), 60, "the others to run cleanly", 0.5)
    later = [r for r in runs(archive) if r["id"] > isolated_at]
    killer.stop_event.set()
    code, _ = daemon.stop()

    assert alone and code == 0, daemon.log
    sizes = [len(names) for names in killer.killed]
    first_alone = sizes.index(1)
    shrinking = sizes[:first_alone + 1]
    assert sizes[0] == 16 and all(b <= a // 2 for a, b in zip(shrinking, shrinking[1:])), sizes
    assert first_alone <= 4 and set(sizes[first_alone:]) == {1}, sizes    # 16, 8, 4, 2, 1, 1...
    crashed = [r for r in runs(archive, "s7") if r["outcome"] == "crashed"]
    assert len(crashed) == len(killer.killed)
    assert all(r["details"]["signal"] == "SIGKILL" for r in crashed)
    # Once isolated, s7's crashes no longer take the others down.
    assert {r["outcome"] for r in later if r["source"] != "s7"} <= {"ok", "interrupted"}, later
    assert "s7: crashed its crawl again; crawled alone" in daemon.log
    assert_runs_never_overlap(runs(archive))
    assert_archive_consistent(archive)


def test_config_edits_take_effect_without_a_restart(farm, tmp_path, start_daemon):
    config = tmp_path / "newsmon.toml"
    write_farm_config(config, farm, farm.sources("every 2s", range(4)))
    archive = tmp_path / "newsmon.db"
    daemon = start_daemon(config, "--batch-window", "0.2", entry=CLI)
    wait_for(lambda: len(runs(archive, "s0")) >= 2, 40, "s0 to run twice", interval=0.2)

    write_farm_config(config, farm, farm.sources("every 2s", [1, 2, 3, 4]))   # -s0 +s4
    wait_for(lambda: "config reloaded" in daemon.log, 10, "the reload to be logged")
    reloaded = datetime.now(timezone.utc)
    wait_for(lambda: len(runs(archive, "s4")) >= 2, 40, "the added source to run twice", 0.2)
    config.write_text(config.read_text() + "\n[crawl\n", encoding="utf-8")   # broken TOML
    wait_for(lambda: "does not validate" in daemon.log, 10, "the broken config to be reported")
    broken_at = len(runs(archive, "s4"))
    wait_for(lambda: len(runs(archive, "s4")) >= broken_at + 2, 40,
             "crawls to go on with the last good config", 0.2)
    code, _ = daemon.stop()

    assert code == 0, daemon.log
    line = re.search(r"config reloaded from .*", daemon.log).group(0)
    assert "added s4" in line and "removed s0" in line, line
    late = [r for r in runs(archive, "s0")
            if datetime.fromisoformat(r["started"].replace("Z", "+00:00"))
            > reloaded + timedelta(seconds=2)]
    assert late == [], "a removed source is not crawled any more"
    after_break = runs(archive, "s4")[broken_at:]
    assert after_break and {r["outcome"] for r in after_break} <= {"ok", "interrupted"}
    last_good = (tmp_path / "newsmon.toml.last-good").read_text()
    assert "[crawl\n" not in last_good and 'name = "s4"' in last_good


# -- the due table alone ------------------------------------------------------------
T0 = datetime(2026, 5, 4, 12, 0, 0, tzinfo=timezone.utc)


def table_with(n: int, batch_size: int, schedule: str = "every 1m") -> DueTable:
    table = DueTable(batch_size)
    for i in range(n):
        table.add(f"s{i:02d}", schedule, T0)
    return table


def test_batches_are_capped_and_a_running_source_is_never_taken_twice():
    table = table_with(10, batch_size=4)
    first = table.take_batch(T0)
    second = table.take_batch(T0)
    assert (len(first), len(second)) == (4, 4) and not set(first) & set(second)
    assert len(table.take_batch(T0)) == 2 and table.take_batch(T0) == []


def test_missed_fire_times_coalesce_into_one_run():
    table = table_with(1, batch_size=4)
    (name,) = table.take_batch(T0)
    table.finished([name], T0 + timedelta(minutes=5, seconds=10))   # five fire times missed
    assert table.slots[name].due == T0 + timedelta(minutes=6)
    assert table.take_batch(T0 + timedelta(minutes=5, seconds=30)) == []


def test_the_window_gathers_sources_falling_due_together():
    table = table_with(3, batch_size=10)
    assert table.take_batch(T0 + timedelta(seconds=1), window=2.0) == []
    assert len(table.take_batch(T0 + timedelta(seconds=2), window=2.0)) == 3


def test_crashes_halve_the_batch_and_clean_runs_restore_it():
    table = table_with(8, batch_size=8)
    batch = table.take_batch(T0)
    table.finished(batch, T0, crashed=True)
    now = T0 + timedelta(minutes=1)
    assert [len(table.take_batch(now)) for _ in range(3)] == [4, 4, 0]
    table.finished([f"s{i:02d}" for i in range(4)], now, crashed=True)
    table.finished([f"s{i:02d}" for i in range(4, 8)], now)
    assert [table.slots[f"s{i:02d}"].limit for i in range(8)] == [2] * 4 + [None] * 4


# -- one daemon, two entry points, no Scrapy ------------------------------------------
def test_both_entry_points_are_one_command_without_scrapy():
    """`python scheduler.py` and `newsmon schedule` take the same options, and the daemon
    process imports neither Scrapy nor trafilatura (it stays ~45 MB for months)."""
    import subprocess
    import sys

    from conftest import REPO, newsmon_env

    def options(*entry):
        out = subprocess.run([sys.executable, *entry, "--help"], cwd=REPO, env=newsmon_env(),
                             capture_output=True, text=True, timeout=60).stdout
        return sorted(set(re.findall(r"(--[a-z-]+)", out)))

    assert options("scheduler.py") == options("-m", "crawler.cli", "schedule")
    assert "--crawl-log-level" in options("scheduler.py")
    probe = ("import sys; from crawler.cli import main; main.get_command(None, 'schedule'); "
             "import crawler.daemon.loop; print(sorted(m for m in ('scrapy', 'twisted', "
             "'trafilatura', 'datasketch', 'apprise') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=newsmon_env(),
                            capture_output=True, text=True, timeout=60)
    assert loaded.stdout.strip() == "[]", loaded.stderr
