"""The newsmon daemon: crawl each source on its own schedule, send alerts, keep going.

    python scheduler.py [--config newsmon.toml]      (same as: newsmon schedule)

The model: one child process per crawl. APScheduler's BackgroundScheduler
decides *when*; each run is a `newsmon crawl --source NAME` child process
(crawler/crawljob.py), exactly what a cron user runs. Why not one reactor for
the daemon's lifetime: Scrapy's reactor cannot be restarted, and keeping it
alive for months means every leak or cache in Scrapy, trafilatura or lxml
accumulates in one process, and one crash (or a hang at stop: a Scrapy crawl
stopped before its engine runs can hang for good) takes every source down. A child per crawl costs about 1 s of start-up (measured
here: a no-op crawl of the fixture web takes 1.7-2.5 s in all), which is nothing
next to cadences of minutes; in exchange the daemon never imports Scrapy or
trafilatura, so its memory is flat by construction (benchmarks/soak.py: peak RSS
after 10 and after 200 runs), a crashing or OOM-killed crawl costs one run of
one source, and the daemon stays small enough to reason about.

Rules, and where they are enforced:
- One crawl at a time per archive: the `crawls` executor has one thread, so due
  runs queue in order (`alerts send` queues there too, so it never delivers
  while a crawl's own alert step does); `newsmon crawl` also takes the archive lock
  (crawler/archive/lock.py), so a crawl started from cron meanwhile makes the
  daemon's next child exit 4 (logged as skipped), never crawl alongside.
- At most one pending-or-running instance per source (`max_instances=1`; a job
  waiting in the queue counts), missed fire times coalesced into one run
  (`coalesce=True`). `misfire_grace_time=None`: APScheduler checks the grace
  time when the queued job starts, so any finite grace would silently drop a
  run that waited behind other sources' crawls.
- Runs missed while the daemon was down: the `runs` table says when each source
  last ran; a source that missed a fire time (or never ran) runs once at
  start-up, then follows its schedule (crawler/timetable.py).
- SIGTERM/SIGINT: no new runs; a running crawl child gets one SIGTERM (it stops
  cleanly and records "interrupted"), a running `alerts send` is left to finish
  (a message sent but not yet marked sent would go out twice); after
  --stop-timeout seconds what is left is killed and the daemon records the run.
  Exit 0. A second signal kills at once.
- A child that crashes is recorded as "crashed" and the daemon carries on.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from crawler.alerts.health import notify_health
from crawler.archive import ArchiveError, open_archive
from crawler.archive.lock import ArchiveLock, ArchiveLocked
from crawler.archive.runs import health_report, last_runs
from crawler.childproc import Child, newsmon_command
from crawler.commands.common import (
    EXIT_ARCHIVE, EXIT_CONFIG, EXIT_DELIVERY, EXIT_LOCKED, EXIT_OK)
from crawler.config import Config, ConfigError, load_config
from crawler.crawljob import CrawlJob
from crawler.timetable import cadence_seconds, daemon_trigger, next_fire_time
from crawler.utc import iso, parse_utc

logger = logging.getLogger("newsmon.scheduler")

DAEMON_LOCK_SUFFIX = ".scheduler.lock"   # one daemon per archive
ALERTS_TIMEOUT = 300.0


@dataclass(frozen=True)
class Options:
    stop_timeout: float = 7.0       # SIGTERM -> SIGKILL for a running child
    crawl_timeout: float = 1800.0   # a crawl running longer is stopped and marked failed
    alerts_every: float = 60.0      # `newsmon alerts send` period (0: never)
    crawl_log_level: str = "WARNING"


def first_fire_times(config: Config, now: datetime) -> dict[str, datetime]:
    """Per source: now if it never ran or missed a run while we were down, else its next fire."""
    db = open_archive(config.archive_path)
    try:
        last = last_runs(db)
    finally:
        db.close()
    return {source.name: next_fire_time(source.schedule,
                                        parse_utc(last.get(source.name, {}).get("started")), now)
            for source in config.sources}


class Daemon:
    def __init__(self, config: Config, options: Options):
        self.config, self.options = config, options
        self.stopping = threading.Event()
        self.hurry = threading.Event()
        self._lock = threading.Lock()
        self._active: dict[tuple[str, str], Child] = {}
        self._health: dict[str, str] = {}
        self.scheduler = BackgroundScheduler(
            executors={"crawls": ThreadPoolExecutor(1)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
            timezone="UTC")

    # -- start -------------------------------------------------------------------
    def start(self) -> None:
        now = datetime.now(timezone.utc)
        firsts = first_fire_times(self.config, now)
        for source in self.config.sources:
            first = firsts[source.name]
            self.scheduler.add_job(
                self.run_source, daemon_trigger(source.schedule, first), args=[source.name],
                id=f"crawl:{source.name}", name=f"crawl {source.name}", executor="crawls",
                next_run_time=first)
            logger.info("%s: schedule %r, first run %s", source.name, source.schedule,
                        "now" if first <= now else iso(first))
        self._schedule_alerts()
        self.scheduler.start()

    def _schedule_alerts(self) -> None:
        """Digests and retries: crawls deliver their own new alerts, nothing else sends these."""
        if not self.options.alerts_every or not self.config.alerts:
            return
        self.scheduler.add_job(self.send_alerts, "interval", seconds=self.options.alerts_every,
                               id="alerts", name="alerts send", executor="crawls")
        logger.info("alerts: `newsmon alerts send` every %.0f s", self.options.alerts_every)

    # -- jobs --------------------------------------------------------------------
    def _launch(self, key: tuple[str, str], start) -> Child | None:
        with self._lock:
            if self.stopping.is_set():
                return None
            child = self._active[key] = start()
            return child

    def _done(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._active.pop(key, None)

    def run_source(self, name: str) -> None:
        """One scheduled run of one source (runs in the single `crawls` thread)."""
        job = CrawlJob(self.config, name, self.options.crawl_log_level)
        if self._launch(("crawl", name), job.start) is None:
            return
        try:
            job.finish(self.options.crawl_timeout, self.options.stop_timeout)
        finally:
            self._done(("crawl", name))
        self._check_health(name)

    def send_alerts(self) -> None:
        argv = newsmon_command("alerts", "send", "--config", str(self.config.file))
        child = self._launch(("alerts", ""), lambda: Child(argv, label="alerts send"))
        if child is None:
            return
        try:
            result = child.wait(ALERTS_TIMEOUT, self.options.stop_timeout)
        finally:
            self._done(("alerts", ""))
        lines = result.output_tail.strip().splitlines()
        summary = next((line for line in lines if " queued, " in line), "(no summary)")
        if result.returncode == EXIT_OK:
            logger.info("alerts send: %s", summary)
        elif result.returncode == EXIT_DELIVERY:
            logger.warning("alerts send: %s; some notifications were not delivered (kept for "
                           "retry)", summary)
        elif result.returncode != EXIT_OK:
            logger.warning("alerts send ended with %s:\n%s",
                           result.signal_name or f"exit code {result.returncode}",
                           result.output_tail.strip()[-1500:])

    def _check_health(self, name: str) -> None:
        """Log when a source becomes unhealthy or recovers, and tell [health] notify."""
        source = self.config.source(name)
        db = open_archive(self.config.archive_path)
        try:
            report = health_report(db, name, cadence_seconds(source.schedule))
        finally:
            db.close()
        previous = self._health.get(name)
        self._health[name] = report["status"]
        if report["status"] in ("failing", "stale") and previous != report["status"]:
            logger.warning("%s: unhealthy (%s): %s", name, report["status"], report["reason"])
        elif report["status"] == "ok" and previous in ("failing", "stale"):
            logger.info("%s: healthy again", name)
        else:
            return
        if self.config.health_notify:
            notify_health(self.config.health_notify, name, report["status"], report["reason"])

    # -- stop --------------------------------------------------------------------
    def stop(self) -> None:
        """No new runs; SIGTERM the running children, SIGKILL them after stop_timeout."""
        self.stopping.set()
        self.scheduler.shutdown(wait=False)
        with self._lock:
            crawls = [child for (kind, _), child in self._active.items() if kind == "crawl"]
        for child in crawls:
            child.terminate()
        deadline = time.monotonic() + self.options.stop_timeout
        while self._active and time.monotonic() < deadline and not self.hurry.is_set():
            time.sleep(0.05)
        with self._lock:
            children = list(self._active.values())
        for child in children:
            child.kill()
        deadline = time.monotonic() + 3.0   # the job threads record the killed runs
        while self._active and time.monotonic() < deadline:
            time.sleep(0.05)


def serve(config: Config, options: Options) -> int:
    """Run until SIGTERM or SIGINT; 0 after a clean stop."""
    try:
        daemon_lock = ArchiveLock(config.archive_path, DAEMON_LOCK_SUFFIX).acquire()
    except ArchiveLocked as exc:
        print(f"newsmon schedule: another scheduler is running on {config.archive_path} "
              f"({exc.holder or exc.lock_path}); not starting", file=sys.stderr)
        return EXIT_LOCKED
    daemon = Daemon(config, options)

    def on_signal(signum, frame):
        if daemon.stopping.is_set():
            daemon.hurry.set()
        daemon.stopping.set()
        logger.info("%s received: stopping", signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        daemon.start()
        logger.info("scheduler running: %d sources, archive %s (daemon lock %s)",
                    len(config.sources), config.archive_path, daemon_lock.path)
        while not daemon.stopping.wait(1.0):
            pass
        daemon.stop()
    finally:
        daemon_lock.release()
    logger.info("scheduler stopped")
    return EXIT_OK


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="scheduler.py", description=__doc__.split("\n")[0])
    parser.add_argument("--config", help="TOML config (default: $NEWSMON_CONFIG, else built-in)")
    parser.add_argument("--stop-timeout", type=float, default=Options.stop_timeout,
                        help="seconds a running crawl gets to stop on SIGTERM (default 7)")
    parser.add_argument("--crawl-timeout", type=float, default=Options.crawl_timeout,
                        help="seconds before a crawl is stopped and marked failed (default 1800)")
    parser.add_argument("--alerts-every", type=float, default=Options.alerts_every,
                        help="seconds between `newsmon alerts send` runs; 0: never (default 60)")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper)
    parser.add_argument("--crawl-log-level", default="WARNING",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper,
                        help="log level of each crawl child (its output is logged on failure)")
    return parser.parse_args(argv)


def _not_already_queued(record: logging.LogRecord) -> bool:
    """Drop APScheduler's "skipped: maximum number of running instances reached": with one
    crawl at a time, a source whose run is still queued or running is the normal case."""
    return "maximum number of running instances" not in record.msg


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level != "DEBUG":  # "Running job ..." twice per run is noise at INFO
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        logging.getLogger("apscheduler.scheduler").addFilter(_not_already_queued)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    configure_logging(args.log_level)
    try:
        config = load_config(args.config)
        open_archive(config.archive_path).close()   # create/migrate now, not in a job
    except ConfigError as exc:
        print(f"newsmon schedule: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except ArchiveError as exc:
        print(f"newsmon schedule: {exc}", file=sys.stderr)
        return EXIT_ARCHIVE
    options = Options(stop_timeout=args.stop_timeout, crawl_timeout=args.crawl_timeout,
                      alerts_every=args.alerts_every, crawl_log_level=args.crawl_log_level)
    return serve(config, options)


if __name__ == "__main__":
    sys.exit(main())
