"""How many sources one daemon keeps on time: N feeds on `every 1m`, the real daemon.

    python benchmarks/sources_scale.py [--sources 2000] [--hosts 200] [--seconds 180]
                                       [--new-per-minute 20] [--batch-sizes 2000,1]

Serves N RSS feeds over up to 200 loopback hosts (127.0.1.1-127.0.1.200,
tests/feedfarm.py: one asyncio loop in this process; every feed answers 304
when unchanged, and `--new-per-minute` random feeds gain an article each
minute), writes a config with one source per feed on `every 1m`, and runs
`newsmon schedule` against it for `--seconds`, once per batch size (2000 is the
default run model; 1 is the old one child per source). Then it prints, per
run model, side by side:

- source-runs due: each source is due when the daemon starts and every 60 s
  after; only due times at least `--grace` seconds before the end count, so
  a run due at the last moment is not counted as missed;
- completed: due times followed by a run of that source before its next due
  time (a later run covers several due times only once: coalesced);
- lag from due time to the start the run recorded (p50, p95, max);
- CPU seconds of all newsmon processes (daemon, crawl children, extraction
  workers: getrusage of this process's waited-for children) per source-run;
- peak RSS of the daemon and of the largest crawl process.

Targets on 2 cores: >= 99% of due runs completed, p95 lag < 30 s, < 20 ms CPU
per source-run (nearly all of them unchanged feeds).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from _daemonproc import stop_daemon, vm_kb  # noqa: E402
from feedfarm import FeedFarm  # noqa: E402
from fixtureweb import to_toml  # noqa: E402

INTERVAL = 60.0


def write_config(farm: FeedFarm, folder: Path) -> Path:
    data = {"archive": {"path": "newsmon.db"},
            "crawl": {"user_agent": "newsmon-bench/1.0", "timeout": 10, "obey_robots": True},
            "sources": farm.sources("every 1m")}
    path = folder / "newsmon.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    return path


class Sampler(threading.Thread):
    """Peak RSS of the daemon and of its largest descendant, sampled twice a second."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.daemon_kb, self.child_kb = pid, 0, 0
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.wait(0.5):
            self.daemon_kb = max(self.daemon_kb, vm_kb(self.pid))
            try:
                tree = psutil.Process(self.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                return
            for process in tree:
                self.child_kb = max(self.child_kb, vm_kb(process.pid))


class Publisher(threading.Thread):
    """`per_minute` random feeds gain an article each minute, spread evenly."""

    def __init__(self, farm: FeedFarm, per_minute: float, seed: int = 12):
        super().__init__(daemon=True)
        self.farm, self.per_minute = farm, per_minute
        self.random = random.Random(seed)
        self.stop_event = threading.Event()
        self.published = 0

    def run(self):
        if self.per_minute <= 0:
            return
        while not self.stop_event.wait(60.0 / self.per_minute):
            self.farm.publish(self.random.randrange(self.farm.feeds))
            self.published += 1


def parse_utc(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def score(archive: Path, sources: int, anchor: float, end: float, grace: float) -> dict:
    """Due times, completed ones and their lags, from the `runs` table."""
    conn = sqlite3.connect(archive)
    starts: dict[str, list[float]] = {}
    outcomes: dict[str, int] = {}
    for source, started, outcome in conn.execute("SELECT source, started, outcome FROM runs"):
        starts.setdefault(source, []).append(parse_utc(started))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    conn.close()
    due = completed = 0
    lags = []
    for n in range(sources):
        runs = sorted(starts.get(f"s{n}", []))
        k = 0
        while anchor + k * INTERVAL <= end - grace:
            due_at = anchor + k * INTERVAL
            # `started` is truncated to the second: a run in [due - 1, next due - 1) is this one's.
            mine = [s for s in runs if due_at - 1 <= s < due_at + INTERVAL - 1]
            due += 1
            if mine:
                completed += 1
                lags.append(max(0.0, mine[0] - due_at))
            k += 1
    lags.sort()
    total_runs = sum(outcomes.values())
    return {"due": due, "completed": completed, "lags": lags, "runs": total_runs,
            "outcomes": outcomes}


def run_model(args, batch_size: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="newsmon-scale-") as folder:
        farm = FeedFarm(args.sources, args.hosts).start()
        publisher = Publisher(farm, args.new_per_minute)
        try:
            config = write_config(farm, Path(folder))
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(
                filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
            env.pop("NEWSMON_CONFIG", None)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            log = open(Path(folder) / "daemon.log", "w")
            anchor = time.time()
            daemon = subprocess.Popen(
                [sys.executable, "-m", "crawler.cli", "schedule", "--config", str(config),
                 "--batch-size", str(batch_size), "--alerts-every", "0"],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            sampler = Sampler(daemon.pid)
            sampler.start()
            publisher.start()
            time.sleep(args.seconds)
            end = time.time()
            code = stop_daemon(daemon, timeout=60)
            sampler.stop_event.set()
            publisher.stop_event.set()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            log.close()
            result = score(Path(folder) / "newsmon.db", args.sources, anchor, end, args.grace)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            result.update(cpu=cpu, exit=code, daemon_kb=sampler.daemon_kb,
                          child_kb=sampler.child_kb, published=publisher.published,
                          farm=farm.counts())
            if code != 0:
                print((Path(folder) / "daemon.log").read_text()[-3000:], file=sys.stderr)
            return result
        finally:
            publisher.stop_event.set()
            farm.stop()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(share * len(values)))]


def report(args, results: dict[int, dict]) -> None:
    names = {size: ("batched" if size > 1 else "child per source") + f" (--batch-size {size})"
             for size in results}
    rows = [
        ("source-runs due", lambda r: f"{r['due']}"),
        ("completed", lambda r: f"{r['completed']} ({r['completed'] / max(r['due'], 1):.1%})"),
        ("runs recorded (all)", lambda r: f"{r['runs']}"),
        ("outcomes", lambda r: " ".join(f"{k}:{v}" for k, v in sorted(r["outcomes"].items()))),
        ("lag p50", lambda r: f"{percentile(r['lags'], 0.5):.1f} s"),
        ("lag p95", lambda r: f"{percentile(r['lags'], 0.95):.1f} s"),
        ("lag max", lambda r: f"{max(r['lags'], default=float('nan')):.1f} s"),
        ("CPU, all newsmon processes", lambda r: f"{r['cpu']:.1f} s"),
        ("CPU per source-run", lambda r: f"{1000 * r['cpu'] / max(r['runs'], 1):.1f} ms"),
        ("feed requests (304)", lambda r: f"{r['farm']['feed_requests']} "
                                          f"({r['farm']['not_modified']})"),
        ("articles published", lambda r: f"{r['published']}"),
        ("daemon peak RSS", lambda r: f"{r['daemon_kb'] / 1024:.1f} MB"),
        ("largest crawl process peak RSS", lambda r: f"{r['child_kb'] / 1024:.1f} MB"),
        ("daemon exit code", lambda r: f"{r['exit']}"),
    ]
    print(f"{args.sources} sources on `every 1m` over {min(args.hosts, args.sources)} hosts, "
          f"{args.seconds:.0f} s per model, {os.cpu_count()} cores")
    width = max(len(label) for label, _ in rows) + 2
    header = "".join(f"{names[size]:>36}" for size in results)
    print(f"{'':{width}}{header}")
    for label, cell in rows:
        print(f"{label:{width}}" + "".join(f"{cell(results[size]):>36}" for size in results))
    sizes = sorted(results, reverse=True)
    if len(sizes) == 2 and results[sizes[1]]["completed"]:
        fast, slow = results[sizes[0]], results[sizes[1]]
        print(f"completed source-runs, batched / child per source: "
              f"{fast['completed'] / slow['completed']:.1f}x; CPU per source-run: "
              f"{(slow['cpu'] / max(slow['runs'], 1)) / (fast['cpu'] / max(fast['runs'], 1)):.1f}x "
              f"less batched")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--grace", type=float, default=30.0,
                        help="due times this close to the end are not counted (default 30)")
    parser.add_argument("--new-per-minute", type=float, default=20.0)
    parser.add_argument("--batch-sizes", default="2000,1",
                        help="run models to compare (default: 1000 = batched, 1 = old model)")
    args = parser.parse_args(argv)
    results = {}
    for size in [int(s) for s in args.batch_sizes.split(",")]:
        results[size] = run_model(args, size)
    report(args, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
