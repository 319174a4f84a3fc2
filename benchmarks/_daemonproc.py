"""The daemon benchmarks' view of a daemon process: its memory, and stopping it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path


def vm_kb(pid: int, field: str = "VmHWM") -> int:
    """A /proc/PID/status memory line in kB: VmHWM (peak resident) or VmRSS; 0 if it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else 0


def stop_daemon(daemon: subprocess.Popen, timeout: float) -> int | None:
    """SIGTERM, as cron or systemd would stop it; after `timeout` s its whole process
    group is killed. Its exit code, or None when it had to be killed."""
    daemon.send_signal(signal.SIGTERM)
    try:
        return daemon.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(daemon.pid, signal.SIGKILL)
        daemon.wait()
        return None
