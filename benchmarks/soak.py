"""Soak: 200 scheduled runs in one daemon; does its memory stay flat?

    python benchmarks/soak.py [--runs 200] [--max-seconds 1800]

Starts the two-site fixture web (tests/fixtureweb.py) on loopback, a config
with both sources on `every 1s`, and `python scheduler.py` against it. A new
article is published every 5 runs, so the crawl children extract and store
real pages, not just 304s. While the runs accumulate it samples, 5 times a
second, the daemon's peak RSS (VmHWM in /proc, the kernel's high-water mark,
so no peak is missed between samples) and every crawl child's VmHWM (child
plus extraction workers: sampled, so a child's last moments may be missed).

Printed: the daemon's peak RSS at run 10 and at run 200 and their ratio
(flat memory: within 10% of each other), the children's peak RSS over the first
and the last 10 runs, the median run duration (mostly the ~1 s start-up of a
child), how many published articles were stored, and the SIGTERM stop time.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from _daemonproc import stop_daemon, vm_kb  # noqa: E402
from fixtureweb import AIWIRE_FEEDS, Entry, article_page, serve_fixture_web, write_config_file  # noqa: E402

PUBLISH_EVERY = 5
SAMPLE_SECONDS = 0.2


def child_tree_peak_kb(daemon_pid: int) -> int:
    """Largest VmHWM among the daemon's descendants right now (crawl child or worker)."""
    try:
        tree = psutil.Process(daemon_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    return max((vm_kb(p.pid, "VmHWM") for p in tree), default=0)


def count_runs(archive: Path) -> int:
    try:
        conn = sqlite3.connect(archive, timeout=10)
        try:
            return conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0


def stored_count(archive: Path, prefix: str) -> int:
    conn = sqlite3.connect(archive, timeout=10)
    try:
        return conn.execute("SELECT COUNT(*) FROM articles WHERE url LIKE ?",
                            [f"%{prefix}%"]).fetchone()[0]
    finally:
        conn.close()


def publish(web, n: int) -> None:
    path = f"/ai-labs/soak-story-{n}"
    paragraphs = [f"Soak story {n}, paragraph {p}: a lab announced model number {n * 10 + p} "
                  f"with a context window of {1000 + p * n} tokens and new evaluation results "
                  f"on coding, reasoning and multilingual benchmarks." for p in range(6)]
    page = article_page(f"Soak story {n}: a new model", paragraphs, "2026-05-02T08:00:00Z")
    web.frontier.publish(path, page, Entry(path, f"Soak story {n}", "2026-05-02T08:00:00Z"),
                         feed="/atom.xml")


def sources(web) -> list[dict]:
    return [{"name": "frontiernews", "feeds": [web.frontier.url("/atom.xml")], "schedule": "every 1s"},
            {"name": "aiwire", "feeds": [web.aiwire.url(p) for p in AIWIRE_FEEDS],
             "schedule": "every 1s"}]


class Soak:
    def __init__(self, web, folder: Path, target: int):
        self.web, self.target = web, target
        self.config = write_config_file(web, folder, sources=sources(web))
        self.archive = folder / "newsmon.db"
        self.log = folder / "daemon.log"
        self.published = 0
        self.daemon_hwm: dict[int, int] = {}      # run count -> daemon VmHWM (kB) then
        self.daemon_rss: dict[int, int] = {}
        self.child_peak: dict[int, int] = {}      # run count -> largest child VmHWM seen then

    def start(self) -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        env.pop("NEWSMON_CONFIG", None)
        return subprocess.Popen([sys.executable, str(REPO / "scheduler.py"), "--config",
                                 str(self.config)], cwd=REPO, env=env, start_new_session=True,
                                stdout=open(self.log, "w"), stderr=subprocess.STDOUT)

    def sample(self, pid: int, runs: int) -> None:
        self.daemon_hwm[runs] = vm_kb(pid, "VmHWM")
        self.daemon_rss[runs] = max(self.daemon_rss.get(runs, 0), vm_kb(pid, "VmRSS"))
        self.child_peak[runs] = max(self.child_peak.get(runs, 0), child_tree_peak_kb(pid))
        while self.published < runs // PUBLISH_EVERY:
            self.published += 1
            publish(self.web, self.published)

    def watch(self, daemon: subprocess.Popen, max_seconds: float) -> int:
        deadline = time.monotonic() + max_seconds
        runs = 0
        while runs < self.target and time.monotonic() < deadline and daemon.poll() is None:
            runs = count_runs(self.archive)
            self.sample(daemon.pid, runs)
            time.sleep(SAMPLE_SECONDS)
        return runs


def stop(daemon: subprocess.Popen) -> tuple[int | None, float]:
    began = time.monotonic()
    code = stop_daemon(daemon, timeout=20)
    return code, time.monotonic() - began


def window_max(values: dict[int, int], low: int, high: int) -> int:
    return max((v for runs, v in values.items() if low <= runs <= high), default=0)


def report(soak: Soak, runs: int, wall: float, stop_code, stop_seconds) -> None:
    mb = 1024.0
    early, late = min(10, runs), runs
    hwm_early, hwm_late = window_max(soak.daemon_hwm, 0, early), window_max(soak.daemon_hwm, 0, late)
    durations = [float(s) for s in re.findall(r"finished in ([\d.]+) s", soak.log.read_text())]
    print(f"runs: {runs} in {wall:.0f} s ({wall / max(runs, 1):.2f} s per run)")
    print(f"daemon peak RSS (VmHWM) at run {early}: {hwm_early / mb:.1f} MB")
    print(f"daemon peak RSS (VmHWM) at run {late}: {hwm_late / mb:.1f} MB")
    print(f"ratio run {late} / run {early}: {hwm_late / max(hwm_early, 1):.3f}")
    print(f"daemon RSS during runs 1-{early}: {window_max(soak.daemon_rss, 1, early) / mb:.1f} MB, "
          f"during runs {late - 9}-{late}: {window_max(soak.daemon_rss, late - 9, late) / mb:.1f} MB")
    print(f"crawl children peak RSS (largest process, sampled): runs 1-{early}: "
          f"{window_max(soak.child_peak, 1, early) / mb:.1f} MB, runs {late - 9}-{late}: "
          f"{window_max(soak.child_peak, late - 9, late) / mb:.1f} MB")
    if durations:
        print(f"run duration (child start to exit): median {statistics.median(durations):.2f} s, "
              f"max {max(durations):.2f} s over {len(durations)} runs")
    print(f"published {soak.published} articles, stored {stored_count(soak.archive, 'soak-story-')}")
    print(f"SIGTERM -> exit {stop_code} in {stop_seconds:.2f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--max-seconds", type=float, default=1800.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newsmon-soak-") as folder, serve_fixture_web() as web:
        soak = Soak(web, Path(folder), args.runs)
        began = time.monotonic()
        daemon = soak.start()
        try:
            runs = soak.watch(daemon, args.max_seconds)
            wall = time.monotonic() - began
            code, seconds = stop(daemon)
            report(soak, runs, wall, code, seconds)
        finally:
            if daemon.poll() is None:
                os.killpg(daemon.pid, signal.SIGKILL)
    return 0 if runs >= args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
