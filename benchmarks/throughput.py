"""Whole-process crawl throughput against the extraction limit, and against news-please.

    python benchmarks/throughput.py [--pages 1000,200] [--repeat 1] [--skip-peer]
                                    [--peer-pages 200] [--base 100] [--limit-seconds 10]

Serves real news pages (see _throughput_site.py: the extraction benchmark's 85 pages
then WCXB article pages, `--base` of them, each in unique variants) behind one RSS feed
from a local server in its own process. Printed, all measured in this run:

- the limit: plain `trafilatura.bare_extraction(html, include_comments=False,
  with_metadata=True)` single-core rate on the same pages x cores, measured before,
  between and after the crawls and averaged (load that changes during the run moves
  both sides of the ratios, not one);
- per crawl size: `newsmon crawl` as a child process timed from its start to its exit
  (start-up, pool spawn and tail included), as pages/s and as a ratio to the limit next
  to the target; CPU ms per page of the crawl process and of its workers (all its child
  processes), and the peak RSS of each; the CPU-bound ceiling (the ratio this CPU per
  page allows with every core busy throughout) and how busy the cores were, which tell
  CPU cost and idle time apart as the cause of a ratio below target;
- news-please on the same feed (peer_newsplease.py): its whole-command and crawl-phase
  rates, and newsmon's rate at the same size as a multiple of each.

robots.txt is off in the benchmark's config; AutoThrottle is off and 32 requests may be
in flight (these have no config key, so the child sets Scrapy's settings before running
the command): the benchmark measures the pipeline, not politeness towards a real site
nor the page server's latency. Everything else is newsmon's defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"

from _throughput_measure import ProcessUsage, extraction_rate, run_measured  # noqa: E402
from _throughput_site import (SiteServer, advertise_feed, feed_url, load_base_pages,  # noqa: E402
                              write_site)

TARGETS = {1000: 0.85, 200: 0.7}  # whole-process rate / limit, issue 14 (2 cores)
# Scrapy settings the benchmark changes (no config key has them): no AutoThrottle, and
# enough requests in flight that the page server's latency on a loaded machine is not
# what is measured. news-please gets the same concurrency.
BENCH_SETTINGS = {"AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 32,
                  "CONCURRENT_REQUESTS_PER_DOMAIN": 32}
# `newsmon crawl` itself (crawler.cli's click group), after setting BENCH_SETTINGS.
NEWSMON_CRAWL = ("import sys, json, crawler.settings as s; vars(s).update(json.loads(sys.argv.pop(1))); "
                 "from crawler.cli import main; main()")
CONFIG = """[archive]
path = "{archive}"
[crawl]
obey_robots = false
[[sources]]
name = "bench"
feeds = ["{feed}"]
"""


def crawl_newsmon(folder: Path, feed: str, size: int, timeout: float) -> tuple[ProcessUsage, dict]:
    """One `newsmon crawl` of the feed into a fresh archive: its usage and its run's counts."""
    folder.mkdir(parents=True)
    config = folder / "newsmon.toml"
    config.write_text(CONFIG.format(archive=folder / "bench.db", feed=feed))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    log = folder / "crawl.log"
    usage = run_measured([sys.executable, "-c", NEWSMON_CRAWL, json.dumps(BENCH_SETTINGS), "crawl",
                          "--config", str(config)],
                         timeout=timeout, cwd=ROOT, env=env, log=log)
    if usage.returncode != 0 or usage.timed_out:
        raise SystemExit(f"newsmon crawl of {size} pages failed (exit {usage.returncode}"
                         f"{', timed out' if usage.timed_out else ''}):\n"
                         f"{log.read_text('utf-8', 'replace')[-3000:]}")
    with sqlite3.connect(folder / "bench.db") as db:
        db.row_factory = sqlite3.Row
        run = dict(db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone())
    return usage, run


def _mb(size: int) -> str:
    return f"{size / 2**20:.0f} MB"


HEADER = ("  pages  seconds  pages/s  ratio  target   CPU ms/page: crawl  workers"
          "   peak RSS: crawl  largest child")


def ceiling(usage: ProcessUsage, size: int, limit: float) -> float:
    """The ratio a crawl spending this CPU per page would reach with no idle core at all.

    The limit spends cores / limit seconds of CPU per page; the crawl spends its own
    process's and its workers'. Their quotient bounds the ratio whatever the overlap,
    which tells CPU per page (extraction, the crawl process) apart from idle time
    (start-up, a worker waiting for pages, the tail) as the cause of a low ratio.
    """
    cores = os.cpu_count() or 1
    return (cores / limit) / ((usage.main_cpu + usage.worker_cpu) / size)


def busy(usage: ProcessUsage) -> float:
    """Share of the cores' time the crawl and its workers used, start to exit."""
    return (usage.main_cpu + usage.worker_cpu) / (usage.seconds * (os.cpu_count() or 1))


def report_newsmon(size: int, runs: list[tuple[ProcessUsage, dict]], limit: float) -> float:
    """Print one line per run of this size; return the median rate."""
    target = TARGETS.get(size)
    rates = []
    for usage, run in runs:
        processed = run["new_articles"] + run["duplicates"] + run["dropped"] + run["errors"]
        rate = size / usage.seconds
        rates.append(rate)
        children = usage.worker_peaks.values()
        print(f"  {size:5d}  {usage.seconds:7.1f}  {rate:7.1f}  {rate / limit:5.2f}  "
              f"{f'>= {target}' if target else '-':7s}  {1000 * usage.main_cpu / size:18.1f}  "
              f"{1000 * usage.worker_cpu / size:7.1f}  {_mb(usage.main_peak):>16s}  "
              f"{_mb(max(children, default=0)):>13s}")
        print(f"         stored {run['new_articles']} ({run['duplicates']} duplicates), dropped "
              f"{run['dropped']}, errors {run['errors']}; {len(children)} child processes; "
              f"sampling cost {100 * usage.sampler_cpu / usage.seconds:.1f}% of a core"
              + ("" if processed == size else f"  WARNING: {processed} of {size} pages processed"))
        print(f"         CPU-bound ceiling {ceiling(usage, size, limit):.2f}: the ratio if every core "
              f"were busy all along on this CPU per page; cores busy {busy(usage):.0%} of the time")
    median = statistics.median(rates)
    if len(runs) > 1:
        print(f"  {size:5d}  median   {median:7.1f}  {median / limit:5.2f}")
    return median


def run_peer(site: Path, root_url: str, size: int):
    """news-please on the feed of `size` pages: its PeerRun, or why it could not run."""
    from peer_newsplease import PeerUnavailable, run_newsplease

    advertise_feed(site, feed_url(root_url, size))
    folder = OUT / "newsplease-run"  # kept after the run: its log explains a failure
    shutil.rmtree(folder, ignore_errors=True)
    try:
        return run_newsplease(folder, root_url, timeout=300 + 2 * size,
                              concurrency=BENCH_SETTINGS["CONCURRENT_REQUESTS_PER_DOMAIN"])
    except (PeerUnavailable, OSError, subprocess.SubprocessError) as exc:
        return f"{type(exc).__name__}: {exc}"


def report_peer(peer, size: int, ours: float) -> None:
    if isinstance(peer, str):
        print(f"news-please: not measured: {peer}")
        return
    whole = peer.pages / peer.usage.seconds
    crawl = peer.pages / peer.crawl_seconds
    cpu = peer.usage.main_cpu + peer.usage.worker_cpu
    print(f"news-please {peer.version} (RssCrawler, no images), {peer.pages} pages "
          f"({peer.stored} stored): whole command {peer.usage.seconds:.1f} s = {whole:.1f} pages/s, "
          f"crawl phase {peer.crawl_seconds:.1f} s = {crawl:.1f} pages/s, "
          f"CPU {1000 * cpu / peer.pages:.0f} ms/page")
    print(f"  newsmon at {size} pages ({ours:.1f} pages/s): {ours / whole:.1f}x its whole-command "
          f"rate, {ours / crawl:.1f}x its crawl-phase rate")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="1000,200", help="crawl sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="crawls per size")
    parser.add_argument("--base", type=int, default=100, help="distinct real pages served")
    parser.add_argument("--skip-peer", action="store_true", help="do not run news-please")
    parser.add_argument("--peer-pages", type=int, default=None,
                        help="size news-please crawls (default: the smallest of --pages)")
    parser.add_argument("--limit-seconds", type=float, default=10.0,
                        help="seconds of extraction for each of the two limit measurements")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.pages.split(",")]
    peer_size = args.peer_pages or min(sizes)
    if peer_size not in sizes:
        parser.error(f"--peer-pages {peer_size} must be one of --pages {args.pages}")
    cores = os.cpu_count() or 1
    base = load_base_pages(args.base)
    load_before = os.getloadavg()
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        folder = Path(tmp)
        server = SiteServer(folder / "site")
        write_site(folder / "site", base, sizes, server.root_url)
        with server:
            # The limit before, between and after the crawls, averaged: load that changes
            # during the run moves both sides of the ratios, not one.
            rates = [extraction_rate(base, args.limit_seconds)]
            results = {size: [] for size in sizes}
            for rep in range(args.repeat):
                for size in sizes:
                    results[size].append(crawl_newsmon(
                        folder / f"newsmon-{size}-{rep}", feed_url(server.root_url, size), size,
                        timeout=120 + size))
                    rates.append(extraction_rate(base, args.limit_seconds))
            peer = None if args.skip_peer else run_peer(folder / "site", server.root_url, peer_size)
            if peer is not None:
                rates.append(extraction_rate(base, args.limit_seconds))
    single = statistics.mean(rates)
    limit = single * cores
    print(f"throughput: {cores} cores; load average {load_before[0]:.1f} at start, "
          f"{os.getloadavg()[0]:.1f} at end")
    print(f"pages: {len(base)} real pages, each served in unique variants behind one RSS feed")
    print(f"limit: plain trafilatura.bare_extraction on one core, before, between and after the "
          f"crawls: {', '.join(f'{r:.1f}' for r in rates)} pages/s; mean {single:.1f} x {cores} "
          f"cores = {limit:.1f} pages/s")
    print("newsmon crawl, whole process (start to exit), AutoThrottle and robots.txt off, "
          f"{BENCH_SETTINGS['CONCURRENT_REQUESTS']} requests in flight; ratio = pages/s / limit:")
    print(HEADER)
    medians = {size: report_newsmon(size, runs, limit) for size, runs in results.items()}
    if peer is not None:
        report_peer(peer, peer_size, medians[peer_size])
    return 0


if __name__ == "__main__":
    sys.exit(main())
