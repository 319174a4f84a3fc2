"""The newsmon daemon as a library: crawl each source on its own schedule, send alerts.

`newsmon schedule` and `python scheduler.py` are one click command
(crawler/commands/schedule.py) that calls `run_daemon(config_path, options)`.

The run model: one crawl child at a time per archive, each crawling every
source that is due (up to `batch_size`). A source's run is still its own
`runs` row with its own outcome and counters: one `newsmon crawl --source A
--source B ... --json` records a row per source (crawler/extensions/runrecorder.py), exactly
as a cron crawl of several sources does.

Why a batch per child rather than a child per source, or a long-lived crawl
worker. Measured on 2 cores: a child costs about 1 s of CPU to start (Python,
Scrapy, the pipelines), whatever it then does; a 304 on a feed costs a few
milliseconds inside Scrapy. A child per source therefore caps the daemon at
about one source-run per second and spends 99% of its CPU starting up (300
sources on `every 1m` fell behind from the first minute). One child for all
the sources due together pays the start-up once per batch, and Scrapy fetches
their listings concurrently while keeping its per-host limits
(benchmarks/sources_scale.py: 2,000 sources on `every 1m` on 2 cores). A
long-lived worker would save the remaining start-up too, but needs Scrapy's
reactor to run crawl after crawl in one process, brings back every leak and
cache of Scrapy, trafilatura and lxml into a process that lives for months
(recycled after N crawls, it is a batched child with extra steps), and one
crash or hang at stop takes every source down with it. The batched child
keeps what the child model gave: the daemon never imports Scrapy or
trafilatura (its memory is flat: benchmarks/soak.py), a crash costs one crawl,
and the daemon stays small.

Rules, and where they are enforced:
- One crawl at a time per archive (crawls link copies across sources at
  write time): the daemon runs one child at a time, and `newsmon crawl` takes
  the archive lock (crawler/archive/lock.py), so a crawl started from cron
  meanwhile makes the daemon's next child exit 4 (logged as skipped). `alerts
  send` takes the same slot, so it never delivers while a crawl's own alert
  step does.
- A source is never in two crawls at once, missed runs coalesce into one, and
  a source that keeps crashing crawls ends up crawled alone:
  crawler/daemon/duetable.py.
- Runs missed while the daemon was down: the `runs` table says when each source
  last ran; a source that missed a fire time (or never ran) runs at start-up,
  then follows its schedule (crawler/daemon/timetable.py).
- The config file is watched (crawler/daemon/configwatch.py): added, removed and
  re-scheduled sources take effect at the next tick; a broken file is
  reported and the last good config stays in force.
- SIGTERM/SIGINT: no new crawls; a running crawl child gets one SIGTERM (it
  stops cleanly and records "interrupted"), a running `alerts send` is left to
  finish (a message sent but not yet marked sent would go out twice); after
  --stop-timeout seconds what is left is killed and the daemon records the
  runs. Exit 0. A second signal kills at once.
- A child that crashes is recorded as "crashed" for each of its sources and
  the daemon carries on.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from crawler.archive import ArchiveError, open_archive
from crawler.archive.lock import ArchiveLock, ArchiveLocked
from crawler.archive.runs import FAILED_OUTCOMES, health_report, last_runs
from crawler.daemon.childproc import Child, ChildResult, newsmon_command
from crawler.config.loader import Config, ConfigError, load_config
from crawler.daemon.configwatch import ConfigWatcher
from crawler.daemon.crawljob import BatchCrawl
from crawler.daemon.duetable import DueTable
from crawler.exitcodes import EXIT_ARCHIVE, EXIT_CONFIG, EXIT_DELIVERY, EXIT_LOCKED, EXIT_OK
from crawler.daemon.timetable import cadence_seconds, next_fire_time
from crawler.text.utc import iso, parse_utc

logger = logging.getLogger("newsmon.scheduler")

DAEMON_LOCK_SUFFIX = ".scheduler.lock"   # one daemon per archive
ALERTS_TIMEOUT = 300.0
CONFIG_CHECK_SECONDS = 1.0       # how often the config file is stat()ed
POLL_SECONDS = 0.1               # how often a running child is looked at
IDLE_SECONDS = 0.5               # longest sleep while idle (stop signals are seen at once anyway)
HEALTH_RECHECK_SECONDS = 600.0   # a healthy source's health is recomputed at most this often
LIST_IN_LOG = 10                 # names listed in one log line about many sources


@dataclass(frozen=True)
class Options:
    stop_timeout: float = 7.0       # SIGTERM -> SIGKILL for a running child
    crawl_timeout: float = 1800.0   # a crawl running longer is stopped and marked failed
    alerts_every: float = 60.0      # `newsmon alerts send` period (0: never)
    crawl_log_level: str = "WARNING"
    batch_size: int = 2000          # most sources in one crawl child
    batch_window: float = 2.0       # wait this long for more sources to fall due together


def _names(names) -> str:
    names = sorted(names)
    more = f" and {len(names) - LIST_IN_LOG} more" if len(names) > LIST_IN_LOG else ""
    return ", ".join(names[:LIST_IN_LOG]) + more


def first_fire_times(config: Config, now: datetime, names=None) -> dict[str, datetime]:
    """Per source: now if it never ran or missed a run while we were down, else its next fire."""
    db = open_archive(config.archive_path)
    try:
        last = last_runs(db)
    finally:
        db.close()
    return {source.name: next_fire_time(source.schedule,
                                        parse_utc(last.get(source.name, {}).get("started")), now)
            for source in config.sources if names is None or source.name in names}


class Daemon:
    """One loop in the main thread: reload the config, step the running child, start the next."""

    def __init__(self, config: Config, options: Options):
        self.options = options
        self.watcher = ConfigWatcher(config)
        self.table = DueTable(options.batch_size)
        self.stopping = threading.Event()
        self.hurry = threading.Event()
        self.crawl: BatchCrawl | None = None
        self.alerts: Child | None = None
        self._health: dict[str, tuple[str, float]] = {}    # source -> (status, checked at)
        self._next_config_check = 0.0
        self._next_alerts = time.monotonic() + options.alerts_every
        self._alerts_went_last = False

    @property
    def config(self) -> Config:
        return self.watcher.config

    # -- start -------------------------------------------------------------------
    def start(self) -> None:
        now = datetime.now(timezone.utc)
        firsts = first_fire_times(self.config, now)
        for source in self.config.sources:
            self.table.add(source.name, source.schedule, firsts[source.name])
        due = sum(1 for first in firsts.values() if first <= now)
        logger.info("%d sources scheduled, %d due now; batches of up to %d sources",
                    len(firsts), due, self.options.batch_size)
        if self.options.alerts_every and self.config.alerts:
            logger.info("alerts: `newsmon alerts send` every %.0f s", self.options.alerts_every)

    # -- the loop ----------------------------------------------------------------
    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.tick()
            except Exception:   # e.g. the archive briefly unreadable: log it, keep going
                logger.exception("scheduler tick failed; trying again")
                self.stopping.wait(5.0)
            self.stopping.wait(self._sleep())
        self.stop()

    def _sleep(self) -> float:
        if self.crawl or self.alerts:
            return POLL_SECONDS
        upcoming = self.table.next_due()
        if upcoming is None:
            return IDLE_SECONDS
        wait = (upcoming - datetime.now(timezone.utc)).total_seconds()
        return min(IDLE_SECONDS, max(POLL_SECONDS, wait))

    def tick(self) -> None:
        if time.monotonic() >= self._next_config_check:
            self._next_config_check = time.monotonic() + CONFIG_CHECK_SECONDS
            self.reload()
        if not self._step_children():
            return                      # the slot is taken: one child at a time
        # Alerts and crawls take turns when both are due, so neither starves the other.
        if self._alerts_due() and not self._alerts_went_last:
            self._start_alerts()
            return
        names = self.table.take_batch(datetime.now(timezone.utc), self.options.batch_window)
        if not names and self._alerts_due():
            self._start_alerts()
        elif names:
            self._alerts_went_last = False
            self.crawl = BatchCrawl(self.watcher.crawl_config_path(), self.config.archive_path,
                                    names, self.options.crawl_log_level)
            try:
                self.crawl.start(self.options.crawl_timeout, self.options.stop_timeout)
            except (OSError, ArchiveError) as exc:
                logger.error("cannot start a crawl: %s", exc)
                self.table.finished(names, datetime.now(timezone.utc), ran=False)
                self.crawl = None

    def _step_children(self) -> bool:
        """Poll the running child, record it if it ended; True when the slot is free."""
        if self.crawl is not None:
            result = self.crawl.child.poll()
            if result is None:
                return False
            crawl, self.crawl = self.crawl, None
            self._crawl_done(crawl, result)
        if self.alerts is not None:
            result = self.alerts.poll()
            if result is None:
                return False
            self.alerts = None
            self._alerts_done(result)
        return True

    # -- crawls ------------------------------------------------------------------
    def _crawl_done(self, crawl: BatchCrawl, result: ChildResult) -> None:
        try:
            runs = crawl.record(result)
        except ArchiveError as exc:
            logger.error("%s: cannot record its runs: %s", crawl.label, exc)
            runs = []
        self.table.finished(crawl.sources, crawl.started, crashed=crawl.crashed,
                            ran=crawl.crawled)
        if crawl.crashed and len(crawl.sources) > 1:
            logger.warning("%s crashed: its sources now share crawls with at most %d others "
                           "until they run cleanly", crawl.label, max(1, len(crawl.sources) // 2))
        if runs:
            self._check_health(runs)

    def _check_health(self, runs: list[dict]) -> None:
        """Log when a source becomes unhealthy or recovers, and tell [health] notify.

        A healthy source whose run went well is looked at again only every
        HEALTH_RECHECK_SECONDS (staleness changes over hours), so thousands of
        sources a minute do not cost thousands of health queries a minute."""
        now = time.monotonic()
        todo = []
        for run in runs:
            previous, checked = self._health.get(run["source"], (None, float("-inf")))
            if (run["outcome"] in FAILED_OUTCOMES or previous not in (None, "ok", "never run")
                    or now - checked >= HEALTH_RECHECK_SECONDS):
                todo.append(run["source"])
        if not todo:
            return
        db = open_archive(self.config.archive_path)
        try:
            for name in todo:
                try:
                    schedule = self.config.source(name).schedule
                except KeyError:
                    continue
                report = health_report(db, name, cadence_seconds(schedule))
                self._health_changed(name, report, now)
        finally:
            db.close()

    def _health_changed(self, name: str, report: dict, now: float) -> None:
        previous = self._health.get(name, (None, 0.0))[0]
        self._health[name] = (report["status"], now)
        if report["status"] in ("failing", "stale") and previous != report["status"]:
            logger.warning("%s: unhealthy (%s): %s", name, report["status"], report["reason"])
        elif report["status"] == "ok" and previous in ("failing", "stale"):
            logger.info("%s: healthy again", name)
        else:
            return
        if self.config.health_notify:
            from crawler.alerts.health import notify_health   # apprise: only when needed

            notify_health(self.config.health_notify, name, report["status"], report["reason"])

    # -- alerts ------------------------------------------------------------------
    def _alerts_due(self) -> bool:
        """Digests and retries: crawls deliver their own new alerts, nothing else sends these."""
        if not self.options.alerts_every or not self.config.alerts:
            return False
        return time.monotonic() >= self._next_alerts

    def _start_alerts(self) -> None:
        self._alerts_went_last = True
        argv = newsmon_command("alerts", "send", "--json", "--config",
                               str(self.watcher.crawl_config_path()))
        self.alerts = Child(argv, label="alerts send", timeout=ALERTS_TIMEOUT,
                            grace=self.options.stop_timeout)

    def _alerts_done(self, result: ChildResult) -> None:
        self._next_alerts = time.monotonic() + self.options.alerts_every   # counted from its end
        answer = result.json()
        if isinstance(answer, dict):
            summary = (f"{answer.get('queued', 0)} queued, {answer.get('sent', 0)} sent in "
                       f"{answer.get('messages', 0)} messages, {answer.get('retrying', 0)} "
                       f"retrying, {answer.get('failed', 0)} failed")
        else:
            summary = "(no answer)"
        if result.returncode == EXIT_OK:
            logger.info("alerts send: %s", summary)
        elif result.returncode == EXIT_DELIVERY:
            logger.warning("alerts send: %s; some notifications were not delivered (kept for "
                           "retry)", summary)
        else:
            logger.warning("alerts send ended with %s:\n%s",
                           result.signal_name or f"exit code {result.returncode}",
                           result.output_tail.strip()[-1500:])

    # -- schedule changes ----------------------------------------------------------
    def reload(self) -> None:
        """Apply a changed config file: added, removed and re-scheduled sources."""
        old = {source.name: source for source in self.config.sources}
        config = self.watcher.poll()
        if config is None:
            return
        new = {source.name: source for source in config.sources}
        added = [name for name in new if name not in old]
        removed = [name for name in old if name not in new]
        rescheduled = [name for name in new
                       if name in old and new[name].schedule != old[name].schedule]
        firsts = first_fire_times(config, datetime.now(timezone.utc), {*added, *rescheduled})
        for name in removed:
            self.table.remove(name)
            self._health.pop(name, None)
        for name in added:
            self.table.add(name, new[name].schedule, firsts[name])
        for name in rescheduled:
            self.table.reschedule(name, new[name].schedule, firsts[name])
        changes = [f"{what} {_names(names)}" for what, names in
                   (("added", added), ("removed", removed), ("re-scheduled", rescheduled)) if names]
        logger.info("config reloaded from %s: %s", config.file,
                    "; ".join(changes) or "no source added, removed or re-scheduled")
        for name in rescheduled:
            logger.info("%s: schedule %r, next run %s", name, new[name].schedule,
                        iso(self.table.slots[name].due))

    # -- stop --------------------------------------------------------------------
    def stop(self) -> None:
        """No new runs; SIGTERM the running crawl, SIGKILL it after stop_timeout."""
        if self.crawl is not None:
            self.crawl.child.grace = self.options.stop_timeout
            self.crawl.child.terminate()
        # A running `alerts send` is left to finish (it may be mid-delivery) until the deadline.
        deadline = time.monotonic() + self.options.stop_timeout
        while not self._step_children() and time.monotonic() < deadline:
            if self.hurry.is_set():
                for child in filter(None, (self.crawl and self.crawl.child, self.alerts)):
                    child.kill()
            time.sleep(0.05)
        for child in filter(None, (self.crawl and self.crawl.child, self.alerts)):
            child.kill()
        bounded = time.monotonic() + 3.0     # after SIGKILL: reap it and record the runs
        while not self._step_children() and time.monotonic() < bounded:
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
        daemon.run()
    finally:
        daemon_lock.release()
    logger.info("scheduler stopped")
    return EXIT_OK


def run_daemon(config_path, options: Options) -> int:
    """Load the config, make sure the archive opens, serve; the exit code."""
    try:
        config = load_config(config_path)
        open_archive(config.archive_path).close()   # create/migrate now, not in a crawl
    except ConfigError as exc:
        print(f"newsmon schedule: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except ArchiveError as exc:
        print(f"newsmon schedule: {exc}", file=sys.stderr)
        return EXIT_ARCHIVE
    return serve(config, options)


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
