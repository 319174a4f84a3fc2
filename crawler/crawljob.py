"""One scheduled crawl of one source: a `newsmon crawl --source NAME` child, then its record.

The child's RunRecorder writes the `runs` row as for any crawl. When the child
could not (it crashed, was killed by the OOM killer, or by the daemon at
shutdown before Scrapy was up), the daemon writes the row itself, so every run
leaves a row: outcome "crashed" (died on its own) or "interrupted" (stopped by
the daemon), with the exit code or signal and the tail of its output in
`details`. A run stopped for exceeding the crawl timeout is marked "failed".
A child that found the archive locked by another crawl (exit code 4) did not
run: nothing is recorded, the skip is logged.
"""

from __future__ import annotations

import json
import logging

from crawler.archive import open_archive
from crawler.utc import iso_now
from crawler.archive.runs import record_run, runs_by_id
from crawler.childproc import Child, ChildResult, newsmon_command
from crawler.commands.common import EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_OK
from crawler.config import Config

logger = logging.getLogger(__name__)


def max_run_id(db) -> int:
    return db.execute("SELECT COALESCE(MAX(id), 0) FROM runs").fetchone()[0]


def new_run_ids(db, source: str, after_id: int) -> list[int]:
    rows = db.execute("SELECT id FROM runs WHERE source = ? AND id > ? ORDER BY id",
                      [source, after_id])
    return [row[0] for row in rows]


def daemon_run_row(source: str, started: str, result: ChildResult) -> dict:
    """The row for a run whose child wrote none."""
    stopped_by_us = result.terminated or result.killed
    outcome = "failed" if result.timed_out else "interrupted" if stopped_by_us else "crashed"
    return {
        "source": source, "started": started, "finished": iso_now(), "outcome": outcome,
        "requests": 0, "new_articles": 0, "duplicates": 0, "not_modified": 0,
        "dropped": 0, "errors": 0,
        "details": {"recorded_by": "scheduler", "exit_code": result.returncode,
                    "signal": result.signal_name, "timed_out": result.timed_out,
                    "killed": result.killed, "output_tail": result.output_tail[-1000:]},
    }


def mark_timed_out(db, run_ids: list[int]) -> None:
    """The child stopped on our SIGTERM wrote "interrupted": a timeout is a failed run."""
    with db.conn:
        for run_id in run_ids:
            details = json.loads(db.execute("SELECT details FROM runs WHERE id = ?",
                                            [run_id]).fetchone()[0] or "{}")
            details["timed_out"] = True
            db.execute("UPDATE runs SET outcome = 'failed', details = ? WHERE id = ?",
                       [json.dumps(details, sort_keys=True), run_id])


class CrawlJob:
    """start() launches the child; finish() waits for it and makes sure a row exists."""

    def __init__(self, config: Config, source: str, log_level: str = "WARNING"):
        self.config, self.source, self.log_level = config, source, log_level
        self.child: Child | None = None
        self._before = 0
        self._started = ""

    def start(self) -> Child:
        db = open_archive(self.config.archive_path)
        try:
            self._before = max_run_id(db)
        finally:
            db.close()
        self._started = iso_now()
        argv = newsmon_command("crawl", "--config", str(self.config.file),
                               "--source", self.source, "--log-level", self.log_level)
        self.child = Child(argv, label=f"crawl {self.source}")
        logger.info("%s: run started (pid %d)", self.source, self.child.pid)
        return self.child

    def finish(self, timeout: float, grace: float) -> list[dict]:
        """The run's rows (none when it was skipped for the lock)."""
        result = self.child.wait(timeout, grace)
        if result.returncode == EXIT_LOCKED:
            logger.warning("%s: skipped, another crawl holds the archive lock: %s",
                           self.source, result.output_tail.strip()[-300:])
            return []
        db = open_archive(self.config.archive_path)
        try:
            return self._record(db, result)
        finally:
            db.close()

    def _record(self, db, result: ChildResult) -> list[dict]:
        ids = new_run_ids(db, self.source, self._before)
        if ids and result.timed_out:
            mark_timed_out(db, ids)
        if not ids:
            with db.conn:
                ids = [record_run(db, daemon_run_row(self.source, self._started, result))]
        runs = runs_by_id(db, ids)
        self._log(runs, result)
        return runs

    def _log(self, runs: list[dict], result: ChildResult) -> None:
        for run in runs:
            logger.info("%s: run %d finished in %.1f s: %s, %d new, %d requests, %d errors",
                        self.source, run["id"], result.seconds, run["outcome"],
                        run["new_articles"], run["requests"], run["errors"])
        if result.returncode not in (EXIT_OK, EXIT_INTERRUPTED):
            how = result.signal_name or f"exit code {result.returncode}"
            logger.warning("%s: crawl child ended with %s; its last output:\n%s",
                           self.source, how, result.output_tail.strip()[-1500:])

