"""The daemon (scheduler.py) as users run it: a real process against the fixture web.

Schedules are `every 2s`, so several runs happen within seconds; each test
bounds every wait and kills the daemon and its crawl children at teardown.
The pure parts (when a source runs next, how a child is stopped) are tested
directly at the end of the file.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil
import pytest

from conftest import REPO, newsmon_env, unused_port, wait_for
from crawler.archive import open_archive
from crawler.archive.lock import ArchiveLock
from crawler.archive.runs import mark_timed_out, record_run
from crawler.daemon.childproc import Child, ChildResult
from crawler.daemon.crawljob import daemon_run_row
from crawler.daemon.timetable import next_fire_time
from fixtureweb import AIWIRE_FEEDS, Entry, article_page, to_toml

STOP_LIMIT = 10.0   # seconds the contract allows between SIGTERM and exit


# -- helpers --------------------------------------------------------------------------
def runs(archive: Path, source: str | None = None) -> list[dict]:
    if not archive.exists():
        return []
    conn = sqlite3.connect(archive, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        where, args = ("WHERE source = ?", [source]) if source else ("", [])
        rows = conn.execute(f"SELECT * FROM runs {where} ORDER BY id", args).fetchall()
        return [{**dict(row), "details": json.loads(row["details"] or "{}")} for row in rows]
    except sqlite3.OperationalError:   # the daemon has not created the schema yet
        return []
    finally:
        conn.close()


def finished_runs(archive, source, outcomes=("ok", "partial")) -> list[dict]:
    return [run for run in runs(archive, source) if run["outcome"] in outcomes]


def crawl_children(daemon: subprocess.Popen, source: str | None = None) -> list[psutil.Process]:
    """The daemon's `newsmon crawl` children (each leads its own session)."""
    try:
        children = psutil.Process(daemon.pid).children()
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            argv = child.cmdline()
        except psutil.Error:
            continue
        if "crawl" in argv and (source is None or source in argv):
            found.append(child)
    return found


def assert_archive_consistent(archive: Path) -> None:
    conn = sqlite3.connect(archive)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES('integrity-check')")
        unfinished = conn.execute("SELECT COUNT(*) FROM runs WHERE finished IS NULL").fetchone()[0]
        assert unfinished == 0
    finally:
        conn.close()


def assert_runs_never_overlap(all_runs: list[dict]) -> None:
    """One crawl at a time per archive, so no source is ever crawled twice at once.

    The runs of one crawl share its start (one crawl, several sources); each crawl
    starts after the previous one ended, and each source's runs follow each other."""
    crawls: dict[str, str] = {}
    for run in all_runs:
        assert run["started"] <= run["finished"], run
        crawls[run["started"]] = max(crawls.get(run["started"], ""), run["finished"])
    ordered = sorted(crawls.items())
    for (_, previous_end), (start, _) in zip(ordered, ordered[1:]):
        assert start >= previous_end, (previous_end, start)
    by_source: dict[str, list[dict]] = {}
    for run in all_runs:
        by_source.setdefault(run["source"], []).append(run)
    for source_runs in by_source.values():
        source_runs.sort(key=lambda run: run["id"])
        for previous, run in zip(source_runs, source_runs[1:]):
            assert run["started"] >= previous["finished"], (previous, run)


class DaemonProcess:
    """`python scheduler.py --config F` (or `newsmon schedule`) with its log in a file."""

    def __init__(self, config: Path, log: Path, *args: str, entry=("scheduler.py",)):
        self.log_path = log
        self._log = open(log, "w", encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, *entry, "--config", str(config), *args],
                                     cwd=REPO, env=newsmon_env(), stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig=signal.SIGTERM, group=False) -> tuple[int, float]:
        """Send `sig` (to its process group, as a terminal's Ctrl-C does, if `group`);
        (exit code, seconds it took), failing if it takes over STOP_LIMIT."""
        began = time.monotonic()
        if group:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=STOP_LIMIT + 5)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"daemon still running {STOP_LIMIT + 5:.0f} s after {sig!r}")
        return code, time.monotonic() - began

    def kill_everything(self) -> None:
        """Teardown: whatever state the test left, no daemon and no crawl child survives."""
        leftovers = crawl_children(self.proc)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for child in leftovers:
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._log.close()


@pytest.fixture
def start_daemon(tmp_path):
    started = []

    def start(config: Path, *args: str, entry=("scheduler.py",)) -> DaemonProcess:
        daemon = DaemonProcess(config, tmp_path / f"daemon-{len(started)}.log", *args, entry=entry)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.kill_everything()


def quick_sources(web, schedule="every 2s") -> list[dict]:
    """Both sites through one feed each: a run takes ~2-3 s, mostly start-up."""
    f, a = web.frontier, web.aiwire
    return [{"name": "frontiernews", "feeds": [f.url("/atom.xml")], "schedule": schedule},
            {"name": "aiwire", "feeds": [a.url(p) for p in AIWIRE_FEEDS], "schedule": schedule}]


NEW_PATH = "/ai-labs/gemini-robotics-launch"
NEW_PAGE = article_page(
    "Google DeepMind opens its robotics model to outside developers",
    [f"{opening} said on Monday that outside developers can now build on the robotics model it "
     f"has used inside its own labs; the first {n} partners come off a waiting list this month."
     for n, opening in enumerate(("Google DeepMind", "The lab", "A spokesperson", "Its chief",
                                  "The company", "Its research team"), start=10)],
    "2026-05-02T08:00:00Z")


# -- the daemon, end to end -------------------------------------------------------------
def test_daemon_runs_every_source_repeatedly_and_picks_up_new_articles(
        fixture_web, write_config, tmp_path, start_daemon):
    config = write_config(tmp_path, sources=quick_sources(fixture_web))
    archive = tmp_path / "newsmon.db"
    daemon = start_daemon(config)

    wait_for(lambda: all(len(finished_runs(archive, s)) >= 2 for s in ("frontiernews", "aiwire")),
             30, "two runs of each source")
    before = fixture_web.mark()
    fixture_web.frontier.publish(NEW_PATH, NEW_PAGE, Entry(
        NEW_PATH, "Google DeepMind opens its robotics model", "2026-05-02T08:00:00Z"), feed="/atom.xml")
    published_run = max(run["id"] for run in runs(archive))

    def stored():
        conn = sqlite3.connect(archive, timeout=10)
        try:
            return conn.execute("SELECT id, source FROM articles WHERE url = ?",
                                [fixture_web.frontier.url(NEW_PATH)]).fetchall()
        finally:
            conn.close()

    rows = wait_for(stored, 20, "the article published between runs")
    wait_for(lambda: any(run["id"] > published_run for run in finished_runs(archive, "aiwire")),
             15, "aiwire to keep running after the new article")
    code, seconds = daemon.stop()

    assert code == 0, daemon.log
    assert seconds < STOP_LIMIT
    assert rows == [(rows[0][0], "frontiernews")]
    fetched = [r for r in fixture_web.requests(before) if r.route == NEW_PATH]
    assert len(fetched) == 1, "the new article is fetched once, by the next run only"
    all_runs = runs(archive)
    for source in ("frontiernews", "aiwire"):
        assert len(finished_runs(archive, source)) >= 3, all_runs
    assert {run["outcome"] for run in all_runs} <= {"ok", "partial", "interrupted"}, all_runs
    assert_runs_never_overlap(all_runs)
    assert_archive_consistent(archive)
    assert crawl_children(daemon.proc) == []
    ArchiveLock(archive).acquire().release()   # the crawl lock was left free
    assert daemon.log.count("started (pid") >= 3 and "scheduler stopped" in daemon.log


def test_ctrl_c_during_a_crawl_stops_it_cleanly(fixture_web, write_config, tmp_path,
                                                 start_daemon):
    """SIGINT to the daemon's process group, as Ctrl-C in a terminal sends it, mid-crawl.

    The crawl child must get exactly one signal (the daemon's SIGTERM): with two,
    Scrapy forces an unclean shutdown and the child records nothing itself."""
    sources = [{**fixture_web.sources()[0], "schedule": "every 2s"}]
    config = write_config(tmp_path, sources=sources)
    archive = tmp_path / "newsmon.db"
    daemon = start_daemon(config)

    wait_for(lambda: len(fixture_web.requests()) >= 8, 30, "the crawl to be under way")
    child = wait_for(lambda: crawl_children(daemon.proc), 5, "the crawl child")[0]
    code, seconds = daemon.stop(signal.SIGINT, group=True)

    assert code == 0, daemon.log
    assert seconds < STOP_LIMIT
    assert not psutil.pid_exists(child.pid) or child.status() == psutil.STATUS_ZOMBIE
    last = runs(archive)[-1]
    assert last["outcome"] == "interrupted", last
    assert last["details"]["close_reason"] == "shutdown", "recorded by the child, stopped cleanly"
    assert_archive_consistent(archive)
    ArchiveLock(archive).acquire().release()


def test_a_crashing_crawl_does_not_stop_the_daemon_or_other_sources(
        fixture_web, write_config, tmp_path, start_daemon):
    """A crawl child killed as the OOM killer would do it: recorded as crashed for each of
    its sources, life goes on (the two sources are then crawled apart for a while)."""
    config = write_config(tmp_path, sources=quick_sources(fixture_web))
    archive = tmp_path / "newsmon.db"
    daemon = start_daemon(config)

    victim = wait_for(lambda: crawl_children(daemon.proc, "frontiernews"), 20,
                      "a frontiernews crawl child", interval=0.02)[0]
    victim.send_signal(signal.SIGKILL)
    crashed = wait_for(lambda: [r for r in runs(archive, "frontiernews") if r["outcome"] == "crashed"],
                       10, "the crash to be recorded")[0]
    wait_for(lambda: [r for r in finished_runs(archive, "aiwire") if r["id"] > crashed["id"]],
             15, "aiwire to run after the crash")
    wait_for(lambda: [r for r in finished_runs(archive, "frontiernews") if r["id"] > crashed["id"]],
             15, "frontiernews to run again after its crash")
    code, _ = daemon.stop()

    assert code == 0, daemon.log
    assert crashed["details"]["signal"] == "SIGKILL"
    assert crashed["details"]["recorded_by"] == "scheduler"
    with pytest.raises(ProcessLookupError):
        os.killpg(victim.pid, 0)   # its extraction workers went with it
    assert "crawl child ended with SIGKILL" in daemon.log
    assert_runs_never_overlap(runs(archive))
    assert_archive_consistent(archive)


def test_a_source_that_keeps_failing_is_announced_to_health_channels(
        write_config, tmp_path, start_daemon, webhook_receiver):
    """Three failed runs in a row make a source `failing`: [health] notify hears it once."""
    down = f"http://127.0.0.1:{unused_port()}/feed.xml"
    config = write_config(tmp_path, sources=[{"name": "down", "feeds": [down], "schedule": "every 1s"}])
    config.write_text(config.read_text() + f'\n[health]\nnotify = ["{webhook_receiver.url("/ops")}"]\n')
    daemon = start_daemon(config)
    (post,) = webhook_receiver.wait_for(1, "/ops", timeout=40)
    wait_for(lambda: len(runs(tmp_path / "newsmon.db", "down")) >= 4, 20, "a fourth failed run")
    code, _ = daemon.stop()
    assert code == 0, daemon.log
    assert post["title"] == "[newsmon] source down is failing"
    assert len(webhook_receiver.posts("/ops")) == 1, "announced on the change, not on every run"
    assert "down: unhealthy (failing)" in daemon.log


def test_missed_runs_are_coalesced_and_one_daemon_per_archive(
        fixture_web, write_config, tmp_path, start_daemon, webhook_receiver):
    """aiwire missed six 10-minute runs while we were down: one run at start-up, not six.
    frontiernews ran a minute ago: nothing until its next fire time. Alerts are sent
    once: by the crawl that found the article, then `alerts send` finds nothing due."""
    config = write_config(tmp_path, sources=quick_sources(fixture_web, schedule="every 10m"))
    rule = {"name": "distillation", "match": "distill*", "notify": [webhook_receiver.url("/d")]}
    config.write_text(config.read_text() + to_toml({"alerts": [rule]}))
    archive = tmp_path / "newsmon.db"
    now = datetime.now(timezone.utc)
    db = open_archive(archive)
    for source, ago in (("aiwire", timedelta(hours=1)), ("frontiernews", timedelta(minutes=1))):
        stamp = (now - ago).strftime("%Y-%m-%dT%H:%M:%SZ")
        record_run(db, {"source": source, "started": stamp, "finished": stamp, "outcome": "ok",
                        "requests": 1, "new_articles": 1, "duplicates": 0, "not_modified": 0,
                        "dropped": 0, "errors": 0, "details": {}})
    db.close()
    daemon = start_daemon(config, "--alerts-every", "1", entry=("-m", "crawler.cli", "schedule"))

    wait_for(lambda: len(runs(archive, "aiwire")) == 2, 20, "aiwire's catch-up run")
    sends = daemon.log.count("alerts send: ")
    second = subprocess.run([sys.executable, "scheduler.py", "--config", str(config)], cwd=REPO,
                            env=newsmon_env(), capture_output=True, text=True, timeout=60)
    # A replayed run would be due by the end of the catch-up run. Runs and `alerts send` share
    # one first-in-first-out thread, and an `alerts send` is queued only once the previous one
    # has ended: the second one to finish from here was queued after the catch-up ended, so
    # any replay was queued before it, and has run, by the time it finishes.
    wait_for(lambda: daemon.log.count("alerts send: ") >= sends + 2, 60,
             "two `alerts send` runs after the catch-up")
    code, _ = daemon.stop()

    assert code == 0, daemon.log
    assert second.returncode == 4 and "another scheduler is running" in second.stderr
    assert len(runs(archive, "aiwire")) == 2
    assert daemon.log.count("crawl aiwire: started") == 1
    assert len(runs(archive, "frontiernews")) == 1
    assert not [r for r in fixture_web.frontier.requests if r.route == "/atom.xml"]
    assert "alerts send: " in daemon.log
    assert len(webhook_receiver.posts("/d")) == 1


def test_sources_command_shows_next_run_last_outcome_and_health(
        fixture_web, write_config, tmp_path, run_newsmon):
    config = write_config(tmp_path, sources=quick_sources(fixture_web, schedule="every 10m"))
    db = open_archive(tmp_path / "newsmon.db")
    started = datetime.now(timezone.utc) - timedelta(minutes=4)
    for n in range(3):
        stamp = (started + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        record_run(db, {"source": "aiwire", "started": stamp, "finished": stamp,
                        "outcome": "crashed", "requests": 0, "new_articles": 0, "duplicates": 0,
                        "not_modified": 0, "dropped": 0, "errors": 0, "details": {}})
    db.close()

    result = run_newsmon("sources", "--config", config, "--json")

    assert result.returncode == 0, result.stderr
    rows = {row["source"]: row for row in json.loads(result.stdout)}
    assert rows["frontiernews"]["next_run"] == "due"
    assert rows["frontiernews"]["health"] == "never run"
    aiwire = rows["aiwire"]
    assert aiwire["last_outcome"] == "crashed" and aiwire["health"] == "failing"
    expected = (started + timedelta(seconds=2, minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert aiwire["next_run"] == expected


# -- the pure parts ---------------------------------------------------------------------
NOW = datetime(2026, 5, 4, 12, 7, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("schedule, last, expected", [
    ("every 10m", None, NOW),                                          # never ran: at once
    ("every 10m", NOW - timedelta(hours=5), NOW),                      # 30 missed: one run now
    ("every 10m", NOW - timedelta(minutes=4), NOW + timedelta(minutes=6)),
    ("*/15 * * * *", NOW - timedelta(minutes=2), NOW.replace(minute=15, second=0)),
    ("*/15 * * * *", NOW - timedelta(minutes=9), NOW),                 # 12:00 was missed
    ("0 6 * * *", NOW - timedelta(days=3), NOW),                       # three missed: one
    ("0 6 * * *", NOW - timedelta(hours=1), (NOW + timedelta(days=1)).replace(
        hour=6, minute=0, second=0)),
])
def test_next_fire_time_coalesces_missed_runs(schedule, last, expected):
    assert next_fire_time(schedule, last, NOW) == expected


def test_child_that_ignores_sigterm_is_killed_with_its_group():
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    began = time.monotonic()
    child = Child([sys.executable, "-c", code], label="stubborn")

    result = child.wait(timeout=1.0, grace=0.5)

    assert time.monotonic() - began < 5
    assert result.timed_out and result.terminated and result.killed
    assert result.signal_name == "SIGKILL"


@pytest.mark.parametrize("terminated, killed, timed_out, outcome", [
    (False, False, False, "crashed"),       # died on its own (OOM killer, segfault, bug)
    (True, False, False, "interrupted"),    # the daemon stopped it at shutdown
    (True, True, False, "interrupted"),
    (True, True, True, "failed"),           # over --crawl-timeout
])
def test_daemon_recorded_outcome(terminated, killed, timed_out, outcome):
    result = ChildResult(-9 if killed else -15, 3.0, "Traceback ...", terminated, killed, timed_out)
    row = daemon_run_row("wire", "2026-05-01T09:00:00Z", result)
    assert row["outcome"] == outcome
    assert row["details"]["signal"] == ("SIGKILL" if killed else "SIGTERM")
    assert row["details"]["output_tail"] == "Traceback ..."


def test_a_timed_out_crawl_is_a_failed_run(tmp_path):
    db = open_archive(tmp_path / "t.db")
    run_id = record_run(db, {"source": "wire", "started": "2026-05-01T09:00:00Z",
                             "finished": "2026-05-01T09:30:00Z", "outcome": "interrupted",
                             "requests": 9, "new_articles": 1, "duplicates": 0, "not_modified": 0,
                             "dropped": 0, "errors": 0, "details": {"close_reason": "shutdown"}})
    mark_timed_out(db, [run_id])
    outcome, details = db.execute("SELECT outcome, details FROM runs WHERE id = ?", [run_id]).fetchone()
    assert outcome == "failed"
    assert json.loads(details) == {"close_reason": "shutdown", "timed_out": True}
