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

Output goes to an anonymous temporary file (a pipe nobody reads would block a
chatty child), and its tail is kept for the log and for `runs.details`.
"""

from __future__ import annotations

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
    output_tail: str
    terminated: bool         # we sent SIGTERM (stop or timeout)
    killed: bool             # we sent SIGKILL to its group
    timed_out: bool

    @property
    def signal_name(self) -> str | None:
        if self.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.returncode).name
        except ValueError:
            return f"signal {-self.returncode}"


def newsmon_command(*args: str) -> list[str]:
    """The same entry point as the `newsmon` console script, with this interpreter."""
    return [sys.executable, "-m", "crawler.cli", *args]


class Child:
    """One child process; `terminate()` and `kill()` are safe to call from another thread."""

    def __init__(self, argv: list[str], label: str):
        self.argv, self.label = argv, label
        self._output = tempfile.TemporaryFile()
        self._started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._output,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.terminated = self.killed = self.timed_out = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def terminate(self) -> None:
        """Ask the child (not its workers) to stop; only the first call sends anything."""
        if self.terminated or self.proc.poll() is not None:
            return
        self.terminated = True
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

    def wait(self, timeout: float | None, grace: float) -> ChildResult:
        """Wait up to `timeout` s; then SIGTERM, `grace` s more, then SIGKILL the group."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.timed_out = True
            logger.warning("%s: still running after %.0f s, stopping it", self.label, timeout)
            self.terminate()
        if self.proc.returncode is None:
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill()
                self.proc.wait(timeout=10)
        return self._result()

    def _result(self) -> ChildResult:
        self._reap_group()
        return ChildResult(self.proc.returncode, time.monotonic() - self._started,
                           self._tail(), self.terminated, self.killed, self.timed_out)

    def _reap_group(self) -> None:
        """A child killed hard leaves its workers orphaned: make sure none survives it."""
        if self.killed or self.proc.returncode < 0:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def _tail(self) -> str:
        try:
            size = self._output.seek(0, os.SEEK_END)
            self._output.seek(max(0, size - TAIL_BYTES))
            return self._output.read().decode("utf-8", errors="replace")
        finally:
            self._output.close()
