"""What storing an article costs: save_articles per article, this newsmon next to an older one.

    python benchmarks/archive_write.py --before-code DIR [--articles 3000] [--rounds 3]

Both versions write the same synthetic articles (benchmarks/archive_scale.py's
~410-word Zipf bodies, 15% copies; content hash and near-duplicate signature
computed beforehand, as the extraction workers do) in batches of 50 into a
new archive each, alternating between versions round by round (the machine
may be shared: the median of the rounds is reported). Prints ms per article
for each, their ratio, and the archive's bytes per article.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WRITER = r"""
import json, pickle, sys, time
from crawler.archive import open_archive
from crawler.archive.articles import save_articles
articles = pickle.load(open(sys.argv[1], "rb"))
db = open_archive(sys.argv[2])
start = time.perf_counter()
for first in range(0, len(articles), 50):
    save_articles(db, articles[first:first + 50], near_threshold=0.5)
elapsed = time.perf_counter() - start
db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
print(json.dumps({"ms": elapsed / len(articles) * 1e3}))
"""


def make_articles(count: int, path: Path) -> None:
    """Pickle `count` articles as the store stage receives them."""
    import pickle

    sys.path.insert(0, str(ROOT / "benchmarks"))
    sys.path.insert(0, str(ROOT))
    from archive_scale import ARTICLE_COLUMNS, Generator
    from crawler.text.neardup import fingerprints

    rows, _mentions, _fetches = Generator(count, seed=5).batch(1, count)
    articles = []
    for row in rows:
        article = dict(zip(ARTICLE_COLUMNS, row))
        del article["id"], article["duplicate_of"], article["similarity"]
        article["content_hash"], article["signature"] = fingerprints(article["body"])
        articles.append(article)
    path.write_bytes(pickle.dumps(articles))


def write_once(code: Path, articles: Path, archive: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-c", WRITER, str(articles), str(archive)],
                          capture_output=True, text=True, env=env, cwd=code, check=True)
    return json.loads(done.stdout)["ms"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before-code", type=Path, required=True)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    versions = {"before": options.before_code.resolve(), "now": ROOT}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_articles(options.articles, folder / "articles.pickle")
        times: dict[str, list[float]] = {name: [] for name in versions}
        sizes: dict[str, int] = {}
        for round_ in range(options.rounds):
            for name, code in versions.items():
                archive = folder / f"{name}-{round_}.db"
                times[name].append(write_once(code, folder / "articles.pickle", archive))
                sizes[name] = archive.stat().st_size
                archive.unlink()
        print(f"{options.articles:,} articles in batches of 50, median of {options.rounds} rounds")
        for name in versions:
            print(f"  {name:7s} {statistics.median(times[name]):6.2f} ms per article"
                  f" (rounds: {', '.join(f'{t:.2f}' for t in times[name])}),"
                  f" {sizes[name] / options.articles:,.0f} bytes per article")
        ratio = statistics.median(times["now"]) / statistics.median(times["before"])
        print(f"  now / before: {ratio:.2f}x the time per article")


if __name__ == "__main__":
    main()
