"""Run one `newsmon` command as a child process that can be stopped cleanly.

The daemon (scheduler.py) runs every crawl and every `alerts send` this way.
Three details matter for a clean stop:

- The child starts in its own session, so a Ctrl-C in the terminal (SIGINT to
  the foreground process group) reaches the daemon only; the daemon forwards
  one SIGTERM. A child that got the signal twice would make Scrapy force an
  unclean shutdown.
- SIGTERM goes to the child alone, not its group: its extraction workers are
  shut down by the child itself; signalled directly they would die under it.
- If the child has not exited when its grace time is up, the whole group
  (child and extraction workers) gets SIGKILL. SQLite transactions keep the
  archive consistent; the daemon records the run itself as interrupted.

Its stdout (the machine output the daemon reads: `--json`) and its stderr
(logs) go to two anonymous temporary files (a pipe nobody reads would block a
chatty child); the stderr tail is kept for the log and for `runs.details`.
The daemon polls its children (`poll()`) from its one loop rather than
blocking a thread on each: timeouts and the stop sequence are steps of that
poll.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

logger = logging.getLogger(__name__)

TAIL_BYTES = 2000


@dataclass
class ChildResult:
    returncode: int          # negative: killed by that signal (subprocess convention)
    seconds: float
    output_tail: str         # the end of its stderr (logs, tracebacks)
    terminated: bool         # we sent SIGTERM (stop or timeout)
    killed: bool             # we sent SIGKILL to its group
    timed_out: bool
    stdout: str = ""         # all of its stdout (its --json answer)

    @property
    def signal_name(self) -> str | None:
        if self.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.returncode).name
        except ValueError:
            return f"signal {-self.returncode}"

    def json(self):
        """The child's --json answer, or None when it printed none (it died first)."""
        try:
            return json.loads(self.stdout) if self.stdout.strip() else None
        except ValueError:
            return None


def newsmon_command(*args: str) -> list[str]:
    """The same entry point as the `newsmon` console script, with this interpreter."""
    return [sys.executable, "-m", "crawler.cli", *args]


class Child:
    """One child process; `terminate()` and `kill()` are safe to call from another thread."""

    def __init__(self, argv: list[str], label: str, timeout: float | None = None,
                 grace: float = 7.0):
        self.argv, self.label = argv, label
        self.timeout, self.grace = timeout, grace
        self._stdout = tempfile.TemporaryFile()
        self._stderr = tempfile.TemporaryFile()
        self._started = time.monotonic()
        self._terminated_at: float | None = None
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._stdout,
                                     stderr=self._stderr, start_new_session=True)
        self.terminated = self.killed = self.timed_out = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def seconds(self) -> float:
        return time.monotonic() - self._started

    def terminate(self) -> None:
        """Ask the child (not its workers) to stop; only the first call sends anything."""
        if self.terminated or self.proc.poll() is not None:
            return
        self.terminated = True
        self._terminated_at = time.monotonic()
        logger.info("%s: sending SIGTERM to pid %d", self.label, self.pid)
        self._signal(lambda: os.kill(self.pid, signal.SIGTERM))

    def kill(self) -> None:
        """SIGKILL the child's whole process group (its extraction workers too)."""
        if self.killed:
            return
        self.killed = True
        logger.warning("%s: killing process group %d", self.label, self.pid)
        self._signal(lambda: os.killpg(self.pid, signal.SIGKILL))

    def _signal(self, send) -> None:
        try:
            send()
        except ProcessLookupError:
            pass  # already gone

    def poll(self) -> ChildResult | None:
        """One step: None while it runs; over `timeout` it gets SIGTERM, `grace` s later
        SIGKILL for its group; once it has exited, its result (the first time only)."""
        if self.proc.poll() is not None:
            return self._result()
        now = time.monotonic()
        if self.timeout is not None and not self.terminated and now - self._started > self.timeout:
            self.timed_out = True
            logger.warning("%s: still running after %.0f s, stopping it", self.label, self.timeout)
            self.terminate()
        elif self._terminated_at is not None and now - self._terminated_at > self.grace:
            self.kill()
        return None

    def wait(self, timeout: float | None, grace: float, interval: float = 0.05) -> ChildResult:
        """Block until it exits: `timeout` s, then SIGTERM, `grace` s more, then SIGKILL."""
        self.timeout, self.grace = timeout, grace
        while (result := self.poll()) is None:
            time.sleep(interval)
        return result

    def _result(self) -> ChildResult:
        self._reap_group()
        return ChildResult(self.proc.returncode, self.seconds, self._read(self._stderr, TAIL_BYTES),
                           self.terminated, self.killed, self.timed_out,
                           stdout=self._read(self._stdout))

    def _reap_group(self) -> None:
        """A child killed hard leaves its workers orphaned: make sure none survives it."""
        if self.killed or self.proc.returncode < 0:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    @staticmethod
    def _read(file, tail: int | None = None) -> str:
        if file.closed:
            return ""
        try:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(0, size - tail) if tail else 0)
            return file.read().decode("utf-8", errors="replace")
        finally:
            file.close()
