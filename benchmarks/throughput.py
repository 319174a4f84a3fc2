"""Crawl throughput of the real pipeline against the raw extraction limit.

    python benchmarks/throughput.py [--pages 1000] [--bench DIR]

Serves N article pages (the real news pages of the extraction benchmark,
--bench DIR, each made unique) from a local HTTP server in its own process, listed in one
sitemap, and crawls them with the real spider and pipelines (extraction pool,
dedup, tagging, store) in a child process. Printed, all measured in this run:

- raw limit: single-core rate of `extract_article` on the same pages x cores
  (measured before and after the crawls, averaged);
- pipeline with the extraction pool (the default) and inline (workers = 0),
  each as pages/s and as a ratio to the raw limit.

AutoThrottle and robots.txt are off here: the benchmark measures the pipeline,
not politeness towards a real site.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_BENCH = ROOT.parent / "shared" / "extraction-bench"


def load_bench_pages(bench: Path) -> list[str]:
    return [gzip.decompress(p.read_bytes()).decode("utf-8", "replace")
            for p in sorted((bench / "html").glob("*.html.gz"))]


def unique_page(html: str, index: int) -> str:
    """Give every copy its own first paragraph so copies are not all exact duplicates."""
    marker = f"<p>Dispatch {index}: reference {index * 7919 % 100003} for the newsroom archive.</p>"
    for tag in ("<article", "<main", "<body"):
        at = html.find(tag)
        if at != -1:
            end = html.find(">", at)
            return html[:end + 1] + marker + html[end + 1:]
    return marker + html


def write_site(folder: Path, pages: list[str], count: int, port: int) -> None:
    (folder / "a").mkdir(parents=True)
    urls = []
    for index in range(count):
        name = f"a/{index:05d}.html"
        (folder / name).write_text(unique_page(pages[index % len(pages)], index), "utf-8")
        urls.append(f"http://127.0.0.1:{port}/{name}")
    entries = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    (folder / "sitemap.xml").write_text(
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raw_rate(pages: list[str], seconds: float = 15.0) -> float:
    """Pages per second of extract_article on one core, over the same pages."""
    from crawler.extraction import extract_article

    done, started = 0, time.perf_counter()
    for index, html in enumerate(pages * 10):
        extract_article(unique_page(html, index), f"http://127.0.0.1/a/{index}.html")
        done += 1
        if time.perf_counter() - started > seconds:
            break
    return done / (time.perf_counter() - started)


def crawl_once(config_path: str, workers: int) -> None:
    """Child process: one crawl, then its stats as JSON on stdout."""
    import resource

    from crawler.config import load_config
    from crawler.runner import run_crawl

    stats = run_crawl(load_config(config_path), overrides={
        "NEWSMON_EXTRACT_WORKERS": workers, "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": False, "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
        "LOG_LEVEL": "ERROR"})
    pages = stats.get("item_scraped_count", 0) + stats.get("item_dropped_count", 0)
    elapsed = (stats["finish_time"] - stats["start_time"]).total_seconds()
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"pages": pages, "seconds": elapsed, "stored": stats.get("item_scraped_count", 0),
                      "main_cpu": own.ru_utime + own.ru_stime,
                      "worker_cpu": workers.ru_utime + workers.ru_stime}))


def measure_crawl(folder: Path, port: int, workers: int) -> dict:
    archive = folder / f"bench-{workers}.db"
    config = folder / f"bench-{workers}.toml"
    config.write_text(f'[archive]\npath = "{archive}"\n[crawl]\ntimeout = 30\nmax_page_mb = 20\n'
                      f'[[sources]]\nname = "bench"\nsitemaps = ["http://127.0.0.1:{port}/sitemap.xml"]\n')
    out = subprocess.run([sys.executable, __file__, "_crawl", str(config), str(workers)],
                         capture_output=True, text=True, timeout=1800, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"crawl failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    pages = load_bench_pages(args.bench)
    with tempfile.TemporaryDirectory() as tmp:
        folder, port = Path(tmp), free_port()
        write_site(folder / "site", pages, args.pages, port)
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                                   "127.0.0.1", "--directory", str(folder / "site")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)
            # The raw rate before and after the crawls: a machine whose load changes
            # during the run moves both sides of the ratio, not one.
            before = raw_rate(pages, seconds=8.0)
            pool = measure_crawl(folder, port, workers=0 if cores == 1 else cores)
            inline = measure_crawl(folder, port, workers=0)
            single = (before + raw_rate(pages, seconds=8.0)) / 2
        finally:
            server.terminate()
            server.wait(timeout=10)
    limit = single * cores
    print(f"pages served: {args.pages}; cores: {cores}")
    print(f"raw extraction limit: {single:.1f} pages/s on one core x {cores} = {limit:.1f} pages/s")
    for name, result in (("pipeline, extraction pool", pool), ("pipeline, inline extraction", inline)):
        rate = result["pages"] / result["seconds"]
        print(f"{name:28s} {result['pages']} pages in {result['seconds']:.1f} s = {rate:.1f} pages/s"
              f"  ratio to limit {rate / limit:.2f}  (CPU ms/page: crawl process "
              f"{1000 * result['main_cpu'] / result['pages']:.0f}, extraction workers "
              f"{1000 * result['worker_cpu'] / result['pages']:.0f})")
    pool_rate = pool["pages"] / pool["seconds"]
    inline_rate = inline["pages"] / inline["seconds"]
    print(f"pool vs inline: {pool_rate / inline_rate:.2f}x")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_crawl":
        crawl_once(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main())
