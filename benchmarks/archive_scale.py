"""The archive at scale: CLI command times and bytes per article on a synthetic archive.

    python benchmarks/archive_scale.py --articles 100000 [--before-code DIR] [--vacuum]

Builds (once; cached under --scratch) a synthetic archive with newsmon's own
schema: the tables are created by the shipped migrations up to schema v4
(crawler/archive/schema.py MIGRATIONS[:4]), so the file is what newsmon 0.x
wrote before issue 13, then rows are bulk-loaded with executemany (indexes
and triggers created after the load, FTS5 filled by its 'rebuild' command,
the same index the triggers keep). Contents: ~410-word bodies drawn from a
Zipf vocabulary (common English words first; 'training' sits at the rank
where it lands in about 60% of articles), 30 sources, 2 years ending now,
15% copies of an earlier story on another source (exact or with a preface),
20% of originals naming one or two companies (with their `mentions` rows),
a MinHash signature and 42 LSH band rows per article (random values: the
size of real ones), one `fetch_state` row per URL, and 876k `runs` rows (30
sources every 36 minutes for 2 years).

Then a copy of it is measured:
1. with --before-code DIR (a checkout of older newsmon), each command as
   that version runs it;
2. the upgrade to the current schema (open_archive, timed);
3. each command with this newsmon.
Each command runs as a child `python -m crawler.cli ...` (what a user
types); its time is net of process start: minus the median of `newsmon
stats --help` runs interleaved with its own. Warm = median of 3 runs after one
unmeasured run; cold = first run after dropping the archive's files from the
page cache (posix_fadvise DONTNEED, so other users of the shared machine
keep their caches; Python's own files stay cached, as they would be).
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
import time
from datetime import datetime, timedelta, timezone
from operator import itemgetter
from pathlib import Path

import numpy as np
import sqlite_utils

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.archive.schema import MIGRATIONS  # noqa: E402
from dedup_scale import fill_synthetic  # noqa: E402

V4 = 4
SOURCES = [f"outlet{n:02d}" for n in range(30)]
COMPANIES = ["OpenAI", "Google", "Microsoft", "Nvidia", "Anthropic", "Meta", "Amazon", "xAI"]
COMPANY_WEIGHTS = np.array([30, 18, 14, 12, 10, 8, 5, 3], dtype=float) / 100
COMMON = ("the of and to a in is that for on it with as was by at be this from an are have has "
          "its not but or which were their will more been also they one about would new after "
          "than said who had other all when can into over year there up some time first two "
          "could people out only our may most us what just years so like company such been if "
          "no these many use model ai models data while however we those under through because "
          "before between both where each since being last then any them how could use made").split()
AI_WORDS = ("training language compute chips billion research users systems safety release open "
            "cloud market inference agents startup funding policy benchmark infrastructure "
            "regulators energy weights developers customers capacity revenue investment").split()
TRAINING_RANK = 40            # doc frequency ~0.6 for a 410-word body under this Zipf law
VOCABULARY = 30_000
SPAN = timedelta(days=730)
RUNS_EVERY = timedelta(minutes=36)
COPY_SHARE, COMPANY_SHARE, PHRASE_SHARE = 0.15, 0.20, 0.03
BATCH = 20_000
WARM_RUNS = 3

ARTICLE_COLUMNS = ("id", "url", "source", "title", "author", "published", "fetched_at", "language",
                   "description", "sitename", "image", "body", "word_count", "content_hash",
                   "duplicate_of", "similarity")


def vocabulary(rng) -> list[str]:
    words = list(dict.fromkeys(COMMON))[:TRAINING_RANK] + ["training"]
    words += [w for w in dict.fromkeys(COMMON + AI_WORDS) if w not in words]
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "pre", "con", "gra", "ste",
                 "tion", "ment", "al", "er", "ing", "ly", "ter", "ous"]
    while len(words) < VOCABULARY:
        parts = rng.integers(0, len(syllables), size=rng.integers(2, 5))
        word = "".join(syllables[p] for p in parts)
        if word not in words:
            words.append(word)
    return words[:VOCABULARY]


def zipf_probabilities(size: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1)
    return weights / weights.sum()


class Generator:
    """Deterministic synthetic articles, generated in id order, batch by batch."""

    def __init__(self, count: int, seed: int = 13):
        self.rng = np.random.default_rng(seed)
        self.count = count
        self.words = vocabulary(self.rng)
        self.cumulative = np.cumsum(zipf_probabilities(len(self.words)))
        self.end = datetime.now(timezone.utc).replace(microsecond=0)
        self.start = self.end - SPAN
        self.originals: list[int] = []     # ids of stories, to copy from
        self.bodies: dict[int, tuple[str, str, str]] = {}  # a window of recent originals

    def text(self, length: int) -> list[str]:
        picks = np.searchsorted(self.cumulative, self.rng.random(length))
        return list(itemgetter(*np.minimum(picks, len(self.words) - 1))(self.words))

    def body(self, companies: list[str]) -> str:
        words = self.text(int(np.clip(self.rng.normal(410, 70), 120, 900)))
        for company in companies:
            for _ in range(int(self.rng.integers(1, 4))):
                words.insert(int(self.rng.integers(0, len(words))), company)
        if self.rng.random() < PHRASE_SHARE:
            at = int(self.rng.integers(0, len(words) - 1))
            words[at:at + 2] = ["data", "center"]
        sentences = [" ".join(words[i:i + 18]).capitalize() + "." for i in range(0, len(words), 18)]
        return " ".join(sentences)

    def batch(self, first_id: int, size: int):
        """(articles, mentions, fetch_state rows) for ids first_id .. first_id + size - 1."""
        articles, mentions, fetches = [], [], []
        step = SPAN / self.count
        for article_id in range(first_id, first_id + size):
            fetched = self.start + step * article_id
            source = SOURCES[int(self.rng.integers(0, len(SOURCES)))]
            published = fetched - timedelta(minutes=int(self.rng.integers(5, 360)))
            published_text = None if self.rng.random() < 0.05 else published.isoformat()
            if self.originals and self.rng.random() < COPY_SHARE:
                original = self.originals[-1 - int(self.rng.integers(0, min(len(self.originals), 500)))]
                title, body, digest = self.bodies[original]
                exact = self.rng.random() < 0.5
                if not exact:
                    body = f"This story first appeared on {source}. {body}"
                    digest = f"{digest}-{article_id}"
                duplicate_of, similarity = original, 1.0 if exact else 0.97
                companies = []
            else:
                companies = []
                if self.rng.random() < COMPANY_SHARE:
                    companies = list(dict.fromkeys(self.rng.choice(
                        COMPANIES, size=int(self.rng.integers(1, 3)), p=COMPANY_WEIGHTS)))
                title = " ".join(self.text(int(self.rng.integers(7, 13)))).capitalize()
                if companies and self.rng.random() < 0.5:
                    title = f"{companies[0]} {title}"
                body = self.body(companies)
                digest = f"{article_id:040x}"
                duplicate_of, similarity = None, None
                self.originals.append(article_id)
                self.bodies[article_id] = (title, body, digest)
                if len(self.bodies) > 600:
                    self.bodies.pop(next(iter(self.bodies)))
            url = f"https://{source}.example/{fetched:%Y/%m}/{article_id}-{title[:40].lower().replace(' ', '-')}"
            fetched_text = fetched.isoformat()
            articles.append((article_id, url, source, title, "Staff Writer", published_text,
                             fetched_text, "en", body[:160], source, f"https://{source}.example/i/{article_id}.jpg",
                             body, body.count(" ") + 1, digest, duplicate_of, similarity))
            for company in companies:
                offset = body.find(company)
                mentions.append((article_id, company, body.count(company), int(company in title),
                                 offset, company, body[max(0, offset - 60):offset + 90]))
            fetches.append((url, "article", source, 200, "stored" if duplicate_of is None else "duplicate",
                            article_id, fetched_text, fetched_text))
        return articles, mentions, fetches


def _saved_sql(db, table: str, kind: str) -> list[str]:
    return [row[0] for row in db.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type = ? AND sql IS NOT NULL",
        [table, kind])]


def build_v4(path: Path, count: int) -> None:
    """A schema-v4 archive of `count` articles, bulk-loaded (see the module docstring)."""
    tmp = path.with_suffix(".building")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    db = sqlite_utils.Database(tmp)
    for migration in MIGRATIONS[:V4]:
        migration(db)
    db.execute(f"PRAGMA user_version = {V4}")
    conn = db.conn
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    deferred = []
    for table in ("articles", "mentions", "fetch_state", "runs"):
        for kind in ("trigger", "index"):
            for sql in _saved_sql(db, table, kind):
                deferred.append(sql)
    for name, in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'index')"
                              " AND sql IS NOT NULL AND tbl_name IN ('articles', 'mentions',"
                              " 'fetch_state', 'runs')").fetchall():
        kind = "TRIGGER" if name.startswith("articles_a") else "INDEX"
        conn.execute(f"DROP {kind} [{name}]")
    started = time.perf_counter()
    gen = Generator(count)
    insert_article = (f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)})"
                      f" VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))})")
    for first in range(1, count + 1, BATCH):
        articles, mentions, fetches = gen.batch(first, min(BATCH, count + 1 - first))
        with conn:
            conn.executemany(insert_article, articles)
            conn.executemany("INSERT INTO mentions VALUES (?, ?, ?, ?, ?, ?, ?)", mentions)
            conn.executemany("INSERT INTO fetch_state (url, kind, source, status, outcome, article_id,"
                             " first_seen, last_fetched) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", fetches)
        print(f"  articles {first + len(articles) - 1:,}/{count:,}"
              f" ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    with conn:
        conn.executemany("INSERT INTO fetch_state (url, kind, source, status, outcome, etag,"
                         " first_seen, last_fetched) VALUES (?, 'feed', ?, 200, 'listing', ?, ?, ?)",
                         [(f"https://{s}.example/feed.xml", s, '"e1"', gen.start.isoformat(),
                           gen.end.isoformat()) for s in SOURCES])
        conn.executemany("INSERT INTO alerts (rule, article_id, story_id, channel, status, attempts,"
                         " created, sent, digest) SELECT 'openai', article_id, article_id, 'json://x',"
                         " 'sent', 1, ?, ?, 'immediate' FROM mentions WHERE company = 'OpenAI'",
                         [(gen.end.isoformat(), gen.end.isoformat())])
        conn.execute("INSERT INTO alert_state VALUES ('openai', ?, ?)", [count, gen.end.isoformat()])
    fill_runs(conn, gen)
    print(f"  signatures ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    conn.execute("PRAGMA foreign_keys = OFF")
    fill_synthetic(db, count, first_id=1)
    print(f"  indexes and FTS ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    with conn:
        for sql in deferred:
            if not sql.upper().startswith("CREATE TRIGGER"):
                conn.execute(sql)
        conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
        for sql in deferred:
            if sql.upper().startswith("CREATE TRIGGER"):
                conn.execute(sql)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    tmp.rename(path)
    print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def fill_runs(conn, gen: Generator) -> None:
    details = json.dumps({"dropped": {}, "errors": {}, "not_modified": 1})
    with conn:
        moment = gen.start
        while moment < gen.end:
            rows = []
            for source in SOURCES:
                new = int(gen.rng.integers(0, 3))
                rows.append((source, moment.isoformat(), (moment + timedelta(seconds=40)).isoformat(),
                             "ok", 3, new, 0, 2, 0, 0, details))
            conn.executemany("INSERT INTO runs (source, started, finished, outcome, requests,"
                             " new_articles, duplicates, not_modified, dropped, errors, details)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            moment += RUNS_EVERY


def write_config(folder: Path, archive: Path) -> Path:
    lines = [f'[archive]\npath = "{archive}"\n']
    for source in SOURCES:
        lines.append(f'[[sources]]\nname = "{source}"\nfeeds = ["https://{source}.example/feed.xml"]\n'
                     'schedule = "every 36m"\n')
    lines.append('[[alerts]]\nname = "openai"\nmatch = "openai"\nnotify = ["json://127.0.0.1:9/x"]\n')
    config = folder / "archive_scale.toml"
    config.write_text("\n".join(lines), "utf-8")
    return config


COMMANDS = [
    ("search training", ["search", "training"]),
    ("search openai", ["search", "openai"]),
    ("search '\"data center\"'", ["search", '"data center"']),
    ("search openai --json --limit 100", ["search", "openai", "--json", "--limit", "100"]),
    ("search model --company openai", ["search", "model", "--company", "openai"]),
    ("search training --source outlet07 --since 30d",
     ["search", "training", "--source", "outlet07", "--since", "30d"]),
    ("stats", ["stats"]),
    ("stories (newest 20)", ["stories"]),
    ("companies", ["companies"]),
    ("sources", ["sources"]),
    ("alerts backtest openai --since 30d", ["alerts", "backtest", "openai", "--since", "30d"]),
]


# The process start subtracted from each command: a subcommand's help loads Python, click
# and the CLI with its common modules but opens no archive. (`newsmon --help` itself loads
# every command's module, Scrapy's included, and took 0.75 s where a command took 0.3.)
START_ARGS = ["stats", "--help"]


def drop_from_cache(archive: Path) -> None:
    for path in (archive, Path(f"{archive}-wal"), Path(f"{archive}-shm")):
        if path.exists():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def run_cli(code: Path, config: Path, args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(code)}
    env.pop("NEWSMON_CONFIG", None)
    start = time.perf_counter()
    config_args = [] if args[-1:] == ["--help"] else ["--config", str(config)]
    done = subprocess.run([sys.executable, "-m", "crawler.cli", *args, *config_args],
                          capture_output=True, text=True, env=env, cwd=code)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"newsmon {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def has_command(code: Path, name: str) -> bool:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-m", "crawler.cli", name, "--help"],
                          capture_output=True, env=env, cwd=code)
    return done.returncode == 0


def measure(code: Path, config: Path, archive: Path) -> dict[str, tuple[float, float] | None]:
    """{command: (warm net seconds, cold net seconds)}; None when that newsmon lacks it.

    Each command's runs alternate with runs of `newsmon stats --help`, and the
    median of those is the process start subtracted: on a shared machine the
    load changes from minute to minute.
    """
    results: dict[str, tuple[float, float] | None] = {}
    starts = []
    for label, args in COMMANDS:
        if not has_command(code, args[0]):
            results[label] = None
            continue
        drop_from_cache(archive)
        cold = run_cli(code, config, args)
        warm, start_up = [], []
        for _ in range(WARM_RUNS):
            start_up.append(run_cli(code, config, START_ARGS))
            warm.append(run_cli(code, config, args))
        start = statistics.median(start_up)
        starts.append(start)
        results[label] = (statistics.median(warm) - start, cold - start)
        print(f"  {label}: warm {results[label][0]:.3f} s, cold {results[label][1]:.3f} s"
              f" (process start {start:.3f} s)", file=sys.stderr, flush=True)
    results["(process start, median)"] = (statistics.median(starts), statistics.median(starts))
    return results


# The library calls behind each command, timed inside one process (no start-up
# noise): run by `python -c` with PYTHONPATH at the newsmon being measured.
LIBRARY_TIMER = r"""
import json, os, statistics, sys, time
from crawler.archive import open_archive
from crawler.archive.search import search_articles, parse_since
from crawler.archive.totals import archive_totals, articles_per_source
from crawler.archive.mentions import company_counts
from crawler.archive.runs import health_report, last_runs
from crawler.archive.alert_matching import backtest
from crawler.alerts.details import alert_items
from crawler.alerts.rules import rules_from_config
from crawler.config.loader import load_config

config = load_config(sys.argv[1])
path = str(config.archive_path)
names = [s.name for s in config.sources]
rule = rules_from_config(config)[0]

def sources(db):
    try:
        last = last_runs(db, names)
    except TypeError:
        last = last_runs(db)
    return last, [health_report(db, name, 36 * 60) for name in names]

def backtest_30d(db):
    hits = backtest(db, rule, fetched_since=parse_since("30d"))
    return alert_items(db, rule, [hit.article_id for hit in hits[-100:]])

CALLS = {
    "search training": lambda db: search_articles(db, "training"),
    "search openai": lambda db: search_articles(db, "openai"),
    "search '\"data center\"'": lambda db: search_articles(db, '"data center"'),
    "search openai --json --limit 100": lambda db: search_articles(db, "openai", limit=100),
    "search model --company openai": lambda db: search_articles(db, "model", company="openai"),
    "search training --source outlet07 --since 30d":
        lambda db: search_articles(db, "training", source="outlet07", since="30d"),
    "stats": lambda db: (archive_totals(db, path), articles_per_source(db)),
    "stories (newest 20)": lambda db: db.execute(
        "SELECT * FROM stories ORDER BY first_seen DESC LIMIT 20").fetchall(),
    "companies": company_counts,
    "sources": sources,
    "alerts backtest openai --since 30d": backtest_30d,
}

def drop_cache():
    for name in (path, path + "-wal", path + "-shm"):
        if os.path.exists(name):
            fd = os.open(name, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)

results = {}
for label, call in CALLS.items():
    drop_cache()
    db = open_archive(path)
    start = time.perf_counter(); call(db); cold = time.perf_counter() - start
    warm = []
    for _ in range(3):
        start = time.perf_counter(); call(db); warm.append(time.perf_counter() - start)
    db.close()
    results[label] = (statistics.median(warm), cold)
    print(f"  {label}: warm {results[label][0]:.4f} s, cold {cold:.4f} s", file=sys.stderr, flush=True)
print(json.dumps(results))
"""


def measure_library(code: Path, config: Path) -> dict[str, tuple[float, float]]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-c", LIBRARY_TIMER, str(config)], capture_output=True,
                          text=True, env=env, cwd=code)
    if done.returncode != 0:
        raise SystemExit(f"library timing failed: {done.stderr[-2000:]}")
    return {label: tuple(value) for label, value in json.loads(done.stdout).items()}


def sizes(archive: Path) -> tuple[int, dict[str, float]]:
    """(articles, {table group: bytes per article}) from SQLite's dbstat; free pages
    (what a dropped index leaves until `maintain --vacuum`) as the group "(free pages)"."""
    conn = sqlite3.connect(archive)
    count = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0] * conn.execute(
        "PRAGMA page_size").fetchone()[0]
    groups: dict[str, float] = {"(free pages)": free / count}
    for name, size in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
        group = "articles_fts" if name.startswith("articles_fts") else (
            "indexes" if name.startswith(("idx_", "sqlite_autoindex", "articles_", "mentions_",
                                          "runs_", "fetch_state_", "alerts_", "story_")) else name)
        groups[group] = groups.get(group, 0) + size / count
    conn.close()
    return count, groups


def print_sizes(title: str, archive: Path) -> None:
    count, groups = sizes(archive)
    total = archive.stat().st_size
    print(f"\n{title}: {total / count:,.0f} bytes per article ({total / 1e6:,.0f} MB, {count:,} articles)")
    for name, size in sorted(groups.items(), key=lambda item: -item[1]):
        if size >= 5:
            print(f"  {name:16s} {size:7,.0f} B/article")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--scratch", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--before-code", type=Path,
                        help="a checkout of an older newsmon to time the same commands with")
    parser.add_argument("--vacuum", action="store_true",
                        help="also time `newsmon maintain --vacuum` and the size after it")
    parser.add_argument("--library-only", action="store_true",
                        help="time the library calls in one process only, not the CLI commands")
    options = parser.parse_args()
    options.scratch.mkdir(parents=True, exist_ok=True)
    cached = options.scratch / f"archive-v4-{options.articles}.db"
    if not cached.exists():
        print(f"building {cached} ...", file=sys.stderr)
        build_v4(cached, options.articles)
    archive = options.scratch / f"archive-{options.articles}.db"
    for stale in (archive, Path(f"{archive}-wal"), Path(f"{archive}-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(cached, archive)
    config = write_config(options.scratch, archive)
    print_sizes("schema v4 (as built)", archive)
    columns = {}
    library = {}
    if options.before_code:
        print("timing the library calls with the older newsmon ...", file=sys.stderr)
        library["before"] = measure_library(options.before_code.resolve(), config)
        if not options.library_only:
            print("timing the commands with the older newsmon ...", file=sys.stderr)
            columns["before"] = measure(options.before_code.resolve(), config, archive)
    from crawler.archive import open_archive

    started = time.perf_counter()
    open_archive(archive).close()
    upgrade = time.perf_counter() - started
    print(f"\nupgrade to the current schema: {upgrade:.1f} s ({upgrade / options.articles * 1e6:.0f} us"
          " per article)")
    print_sizes("after the upgrade (same page size)", archive)
    print("timing the library calls with this newsmon ...", file=sys.stderr)
    library["after"] = measure_library(ROOT, config)
    print("\nIn one process (the queries behind each command, no process start):")
    report(library, options.articles, "in one process")
    if options.library_only:
        return
    print("timing the commands with this newsmon ...", file=sys.stderr)
    columns["after"] = measure(ROOT, config, archive)
    if options.vacuum:
        started = time.perf_counter()
        run_cli(ROOT, config, ["maintain", "--vacuum"])
        print(f"\n`newsmon maintain --vacuum`: {time.perf_counter() - started:.1f} s")
        print_sizes("after maintain --vacuum", archive)
        columns["after vacuum"] = measure(ROOT, config, archive)
    print("\nAs commands (child processes, net of process start):")
    report(columns, options.articles)


def report(columns: dict, articles: int, what: str = "net of process start") -> None:
    names = list(columns)
    print(f"\n{articles:,} articles; seconds {what} (warm median of {WARM_RUNS} / cold)")
    header = f"{'command':44s}" + "".join(f"{name:>22s}" for name in names)
    if "before" in columns:
        header += f"{'speed-up (warm)':>18s}"
    print(header)
    for label in columns[names[0]]:
        cells = []
        for name in names:
            value = columns[name].get(label)
            cells.append(f"{'-':>22s}" if value is None else f"{value[0]:>10.4f} / {value[1]:<9.4f}")
        line = f"{label:44s}" + "".join(cells)
        before, after = columns.get("before", {}).get(label), columns["after"].get(label)
        if before and after and not label.startswith("(process start"):
            line += f"{before[0] / max(after[0], 1e-4):>17.1f}x"
        print(line)


if __name__ == "__main__":
    main()
