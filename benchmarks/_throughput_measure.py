"""Measurements for the throughput benchmark: the extraction limit, and a child
process timed from start to exit with the CPU and peak memory of it and its workers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from _throughput_site import site_page


def extraction_rate(base: list[str], seconds: float) -> float:
    """Pages per second of plain trafilatura on one core, over the served pages.

    Whole passes over the base pages (in site variants, so no cache sees a page
    twice), at least one and for at least `seconds`.
    """
    import trafilatura

    trafilatura.bare_extraction(site_page(base, 0), include_comments=False, with_metadata=True)
    done, started = 0, time.perf_counter()
    while done < len(base) or time.perf_counter() - started < seconds:
        trafilatura.bare_extraction(site_page(base, 100_000 + done), include_comments=False,
                                    with_metadata=True)
        done += 1
    return done / (time.perf_counter() - started)


def _peak_rss(process: psutil.Process) -> int:
    """The kernel's high-water mark of resident memory (VmHWM), not a sample of it."""
    try:
        with open(f"/proc/{process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return process.memory_info().rss  # not Linux, or a zombie (then 0)


@dataclass
class ProcessUsage:
    """A child process run to its end: wall time, and CPU seconds / peak bytes."""
    returncode: int
    seconds: float
    main_cpu: float
    main_peak: int
    worker_cpu: float = 0.0
    worker_peaks: dict[int, int] = field(default_factory=dict)
    timed_out: bool = False
    sampler_cpu: float = 0.0  # what watching cost this process (it shares the cores)


class _Sampler(threading.Thread):
    """Samples the child's descendants (its workers; with `spawn`, also multiprocessing's
    resource tracker) until it exits, keeping the last CPU
    times and peak memory per pid: workers exit before the parent, so a reading taken at
    the end would miss them."""

    def __init__(self, pid: int, interval: float = 0.1, rescan: float = 0.5):
        super().__init__(daemon=True)
        self.root, self.interval, self.rescan = psutil.Process(pid), interval, rescan
        self.cpu: dict[int, float] = {}
        self.peak: dict[int, int] = {}
        self.root_peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        workers: list[psutil.Process] = []
        scanned = 0.0
        while not self.stopped.is_set():
            try:
                if time.monotonic() - scanned > self.rescan:
                    workers = self.root.children(recursive=True)  # costs ~5 ms: not every tick
                    scanned = time.monotonic()
                self.root_peak = max(self.root_peak, _peak_rss(self.root))
            except psutil.Error:
                return
            for worker in workers:
                try:
                    times = worker.cpu_times()
                    self.cpu[worker.pid] = times.user + times.system
                    self.peak[worker.pid] = max(self.peak.get(worker.pid, 0), _peak_rss(worker))
                except psutil.Error:
                    pass
            self.stopped.wait(self.interval)


def run_measured(command: list[str], timeout: float, cwd: Path, env: dict | None = None,
                 log: Path | None = None) -> ProcessUsage:
    """Run `command` from its start to its exit (killed after `timeout` seconds).

    The child's total CPU comes from os.wait4 (itself plus the workers it reaped); the
    workers' share from sampling them; the child's own is the difference.
    """
    out = open(log, "wb") if log else subprocess.DEVNULL
    own_cpu, started = time.process_time(), time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
    sampler = _Sampler(child.pid)
    sampler.start()
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        os.killpg(child.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    timer.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    sampler.stopped.set()
    sampler.join()
    try:  # anything the child left running in its session
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if log:
        out.close()
    worker_cpu = sum(sampler.cpu.values())
    return ProcessUsage(
        returncode=child.returncode, seconds=seconds, timed_out=timed_out.is_set(),
        main_cpu=max(0.0, usage.ru_utime + usage.ru_stime - worker_cpu),
        main_peak=sampler.root_peak, worker_cpu=worker_cpu, worker_peaks=dict(sampler.peak),
        sampler_cpu=time.process_time() - own_cpu)
