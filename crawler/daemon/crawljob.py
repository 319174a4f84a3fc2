"""One crawl the daemon runs: `newsmon crawl --source A --source B ... --json` as a child.

The cron path and the daemon run a crawl the same way: the `newsmon crawl`
command (crawler/commands/crawl.py -> crawler/runner.py), whose RunRecorder
writes one `runs` row per source. The child answers on stdout with those rows
as JSON (`--json`); the daemon reads that answer, never the child's log.

When the child could not answer (it crashed, was killed by the OOM killer, or
by the daemon at shutdown before Scrapy was up), the daemon writes a row for
every source of the crawl that has none, so every source-run leaves a row:
outcome "crashed" (died on its own) or "interrupted" (stopped by the daemon),
with the exit code or signal and the tail of its log in `details`. A crawl
stopped for exceeding the crawl timeout is "failed" for all its sources. A
child that found the archive locked by another crawl (exit code 4) or the
config unusable (exit code 2) did not crawl: nothing is recorded, it is logged.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from crawler.archive import open_archive
from crawler.archive.runs import (
    mark_timed_out, max_run_id, record_runs, runs_after, runs_by_id)
from crawler.daemon.childproc import Child, ChildResult, newsmon_command
from crawler.exitcodes import EXIT_CONFIG, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_OK
from crawler.text.utc import iso, iso_now

logger = logging.getLogger(__name__)


def daemon_run_row(source: str, started: str, result: ChildResult) -> dict:
    """The row for a source-run whose child wrote none."""
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


class BatchCrawl:
    """start() launches the child; poll() steps it; record(result) makes sure rows exist."""

    def __init__(self, config_file, archive_path, sources: list[str], log_level: str = "WARNING"):
        self.config_file, self.archive_path = config_file, archive_path
        self.sources = list(sources)
        self.log_level = log_level
        self.child: Child | None = None
        self.started: datetime | None = None
        self._before = 0
        self._result: ChildResult | None = None

    @property
    def label(self) -> str:
        if len(self.sources) == 1:
            return f"crawl {self.sources[0]}"
        return f"crawl of {len(self.sources)} sources"

    def start(self, timeout: float, grace: float) -> BatchCrawl:
        db = open_archive(self.archive_path)
        try:
            self._before = max_run_id(db)
        finally:
            db.close()
        self.started = datetime.now(timezone.utc)
        argv = newsmon_command("crawl", "--config", str(self.config_file), "--json",
                               "--log-level", self.log_level)
        for name in self.sources:
            argv += ["--source", name]
        self.child = Child(argv, label=self.label, timeout=timeout, grace=grace)
        logger.info("%s: started (pid %d): %s", self.label, self.child.pid,
                    ", ".join(self.sources[:5]) + (" ..." if len(self.sources) > 5 else ""))
        return self

    @property
    def crawled(self) -> bool:
        """Did the finished child crawl at all (False: locked out or config rejected)?"""
        return self._result is not None and self._result.returncode not in (EXIT_LOCKED,
                                                                            EXIT_CONFIG)

    @property
    def crashed(self) -> bool:
        """Did the crawl die on its own or overrun its timeout (a reason to split it up)?"""
        result = self._result
        if result is None or not self.crawled:
            return False
        if result.timed_out:
            return True
        stopped_by_us = result.terminated or result.killed
        return not stopped_by_us and result.returncode not in (EXIT_OK, EXIT_INTERRUPTED)

    def record(self, result: ChildResult) -> list[dict]:
        """The crawl's runs, one per source (none when it did not crawl)."""
        self._result = result
        if result.returncode == EXIT_LOCKED:
            logger.warning("%s: skipped, another crawl holds the archive lock: %s",
                           self.label, result.output_tail.strip()[-300:])
            return []
        if result.returncode == EXIT_CONFIG:
            logger.error("%s: the crawl rejected the config, nothing crawled: %s",
                         self.label, result.output_tail.strip()[-500:])
            return []
        db = open_archive(self.archive_path)
        try:
            runs = self._rows(db, result)
        finally:
            db.close()
        self._log(runs, result)
        return runs

    def _rows(self, db, result: ChildResult) -> list[dict]:
        answer = result.json()
        if isinstance(answer, dict) and isinstance(answer.get("runs"), list):
            ids = {run["source"]: run["id"] for run in answer["runs"] if "id" in run}
        else:   # no answer: find what it wrote before it died
            ids = runs_after(db, self._before, self.sources)
        if ids and result.timed_out:
            mark_timed_out(db, ids.values())
        missing = [name for name in self.sources if name not in ids]
        if missing:
            started = iso(self.started)
            new = record_runs(db, [daemon_run_row(name, started, result) for name in missing])
            ids.update(zip(missing, new))
        return runs_by_id(db, ids.values())

    def _log(self, runs: list[dict], result: ChildResult) -> None:
        outcomes: dict[str, int] = {}
        for run in runs:
            outcomes[run["outcome"]] = outcomes.get(run["outcome"], 0) + 1
            logger.debug("%s: run %d: %s, %d new, %d requests, %d errors", run["source"],
                         run["id"], run["outcome"], run["new_articles"], run["requests"],
                         run["errors"])
        if len(runs) <= 5:
            for run in runs:
                logger.info("%s: run %d finished in %.1f s: %s, %d new, %d requests, %d errors",
                            run["source"], run["id"], result.seconds, run["outcome"],
                            run["new_articles"], run["requests"], run["errors"])
        else:
            logger.info("%s: finished in %.1f s: %s; %d new articles", self.label,
                        result.seconds, ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())),
                        sum(run["new_articles"] for run in runs))
        stopped_by_us = result.terminated or result.killed     # logged when it was sent
        if result.returncode not in (EXIT_OK, EXIT_INTERRUPTED) and not stopped_by_us:
            how = result.signal_name or f"exit code {result.returncode}"
            logger.warning("%s: crawl child ended with %s (%s); its last output:\n%s",
                           self.label, how, ", ".join(self.sources[:20]),
                           result.output_tail.strip()[-1500:])
