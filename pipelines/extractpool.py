"""The extraction worker pool: a time limit per page, a size limit per page, workers tied to the crawl.

trafilatura's cost grows much faster than the page: 20,000 short paragraphs
take seconds, a million take many minutes and gigabytes. One hostile or broken
page must not hold a worker for ever, so:

- **Time limit.** Each page gets `timeout` seconds in a worker. pebble's
  ProcessPool (rather than concurrent.futures') enforces it: the worker that
  overruns is killed and replaced, and the page becomes an
  `extraction_timeout` rejection. concurrent.futures cannot stop one task.
- **Size limit.** Before trafilatura sees a page, the worker counts its start
  tags; a page over `max_elements` is rejected as `too_complex`. Dropped, not
  trimmed: cutting a document at an arbitrary element leaves trafilatura a
  page whose main-content scoring is meaningless (the article may well come
  after the cut), and a page with tens of thousands of elements is a live
  blog, an archive listing or an attack, not an article we extract well.
  Real news pages have under 5,000 elements (882 real pages measured).
- **Workers die with their crawl.** A worker busy on a page does not notice
  that its crawl was killed (kill -9, OOM killer): on Linux the kernel sends it
  SIGKILL when the crawl dies (prctl PR_SET_PDEATHSIG), and everywhere a
  watchdog thread exits it once its parent is gone. multiprocessing's
  resource tracker ends by itself when the crawl and its workers are gone.
- **Started on demand.** `start()` is called when the first article is
  scheduled, so a crawl whose listings all answer 304 starts no worker, and
  the workers (about 1 s to spawn and import trafilatura, which the
  initializer does at once) warm up while the first article downloads.
- **The whole page's analysis, not just extraction.** A worker returns the
  `AnalysedPage` (crawler/text/analysis.py): fields, content hash,
  near-duplicate signature and company mentions, all pure functions of the
  body; the crawl process only schedules, decides "already seen?" and writes.
  What is the same for every page (size limit, minimum words, the company
  matcher) reaches each worker once, through the pool's initializer.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from concurrent.futures.process import BrokenProcessPool

from pebble import ProcessExpired, ProcessPool

from crawler.text.analysis import analyse
from crawler.text.article import Rejection

logger = logging.getLogger(__name__)

START_TAG = re.compile(r"<[A-Za-z]")
PR_SET_PDEATHSIG = 1          # linux/prctl.h
WATCHDOG_SECONDS = 1.0


# -- in the worker -------------------------------------------------------------

def count_elements(html: str) -> int:
    """Start tags in the page: the size of the DOM trafilatura would build (0.2 s for 1,000,000)."""
    return sum(1 for _ in START_TAG.finditer(html))


def extract_bounded(html: str, url: str, min_words: int, max_elements: int):
    """Extract one page, unless it is too large a DOM to hand to trafilatura."""
    from crawler.text.extraction import extract_article   # not in the crawl process

    if max_elements:
        elements = count_elements(html)
        if elements > max_elements:
            return Rejection("too_complex", f"{elements} elements, over the limit of {max_elements}")
    return extract_article(html, url, min_words)


def analyse_bounded(html: str, url: str, hints: dict, min_words: int, max_elements: int,
                    matcher):
    """The page's AnalysedPage, or the Rejection saying why it is not an article."""
    result = extract_bounded(html, url, min_words, max_elements)
    return result if isinstance(result, Rejection) else analyse(result, hints, matcher)


# Set once per worker by `start_worker`: what every page of the crawl shares.
_worker: dict = {}


def start_worker(parent_pid: int, min_words: int, max_elements: int, companies) -> None:
    """Pool initializer: tie the worker to the crawl, load the extractors, build the matcher."""
    import crawler.text.extraction  # noqa: F401  (imported now, while listings download)
    from crawler.text.tagging import CompanyMatcher

    die_with_parent(parent_pid)
    _worker.update(min_words=min_words, max_elements=max_elements,
                   matcher=CompanyMatcher(companies) if companies else None)


def analyse_in_worker(html: str, url: str, hints: dict):
    return analyse_bounded(html, url, hints, _worker["min_words"], _worker["max_elements"],
                           _worker["matcher"])


def _exit_when_orphaned(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(WATCHDOG_SECONDS)


def die_with_parent(parent_pid: int) -> None:
    """Worker initializer: end this process when `parent_pid` (the crawl) dies, however it dies."""
    if sys.platform.startswith("linux"):
        # CDLL(None): the symbols already loaded, libc's among them. Not find_library,
        # which runs ldconfig in a subprocess (a fork that can fail on a loaded machine).
        try:
            if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0):
                logger.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
        except (OSError, AttributeError) as exc:   # the watchdog below still ends the worker
            logger.warning("no parent-death signal for extraction workers: %s", exc)
    if os.getppid() != parent_pid:   # the crawl died before the signal was armed
        os._exit(1)
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), daemon=True,
                     name="newsmon-orphan-watchdog").start()


# -- in the crawl ----------------------------------------------------------------

class ExtractionPool:
    """`await pool.analyse(html, url, hints)` -> AnalysedPage | Rejection, never blocking the reactor."""

    def __init__(self, workers: int, min_words: int, tasks_per_worker: int,
                 timeout: float, max_elements: int, companies=()):
        self.workers = workers
        self.min_words = min_words
        self.tasks_per_worker = tasks_per_worker
        self.timeout = timeout
        self.max_elements = max_elements
        self.companies = list(companies)
        self._pool: ProcessPool | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    def start(self) -> ProcessPool:
        """Spawn the workers now (idempotent); a no-op task makes pebble start them at once."""
        if self._pool is not None:
            return self._pool
        self._pool = ProcessPool(
            max_workers=self.workers, max_tasks=self.tasks_per_worker,
            initializer=start_worker,
            initargs=(os.getpid(), self.min_words, self.max_elements, self.companies),
            context=multiprocessing.get_context("spawn"))
        self._pool.schedule(os.getpid)
        return self._pool

    def stop(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.stop()
            pool.join()

    async def analyse(self, html: str, url: str, hints: dict):
        future = self.start().schedule(analyse_in_worker, args=(html, url, hints),
                                       timeout=self.timeout)
        try:
            return await asyncio.wrap_future(future)
        except TimeoutError:
            logger.warning("extraction of %s took over %g s; its worker was replaced",
                           url, self.timeout)
            return Rejection("extraction_timeout", f"over {self.timeout:g} s")
        except ProcessExpired as exc:
            logger.error("extraction worker died on %s (%s); it was replaced", url, exc)
            return Rejection("extraction_crashed", f"worker process died: {exc}")
        except BrokenProcessPool as exc:
            logger.error("extraction pool broke on %s (%s); starting a new one", url, exc)
            self.stop()
            return Rejection("extraction_crashed", f"worker pool broke: {exc}")
