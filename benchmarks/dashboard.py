"""How fast the dashboard answers: every canned query, chart and home page panel, timed.

    python benchmarks/dashboard.py [--db ARCHIVE] [--articles 20000] [--repeat 3]

Without --db it builds a synthetic archive of --articles articles through the
archive's own schema (open_archive), in a temporary folder: bodies from a
small vocabulary (so FTS has common and rare words), 10% syndicated copies,
1-3 company mentions per article, dates over the last 60 days, 10 sources
crawled every 30 minutes for 30 days, and an alert outbox for 3 rules. With
--db it times an existing archive (for instance the 1M-article one built by
benchmarks/archive_scale.py); sources and rules are then read from its
`runs` and `alerts` tables.

Each query runs through the real Datasette instance `newsmon serve` builds
(crawler/web/app.py), as a JSON request, so the figure includes Datasette's
own work. Printed: the median of --repeat runs per query, and its ratio to a
reference measured in the same run: the first page of the `stories` view
(`SELECT * FROM stories ORDER BY first_seen DESC LIMIT 100`), the obvious way
to list the latest stories. Before schema v5 it grouped the whole archive;
since, it reads 100 rows of story_summary through an index, so the ratio says
how each page compares with the cheapest listing there is (Datasette's own
cost included), and the first run after dropping the archive from the page
cache (cold; the reference's ratio stays warm). The search is timed for the word
found in most recent articles, alone, with a source filter and as a phrase, and
the company timeline for the busiest and the rarest company (its walk reads the
most stories). Datasette's time limit is lifted for the benchmark, so slow
queries are timed, not cut off.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.archive import open_archive  # noqa: E402
from crawler.archive.articles import insert_article  # noqa: E402
from crawler.config.loader import load_config  # noqa: E402
from crawler.text.utc import iso  # noqa: E402
from crawler.web import queries  # noqa: E402
from crawler.web.app import build_datasette  # noqa: E402
from archive_scale import drop_from_cache  # noqa: E402

COMPANIES = ["OpenAI", "Anthropic", "Google", "Microsoft", "Amazon", "Meta", "xAI", "Mistral AI",
             "Apple", "Nvidia", "DeepSeek", "Alibaba", "Baidu", "Cohere", "Hugging Face"]
SOURCES = [f"source{i:02d}" for i in range(10)]
RULES = ["distillation", "funding", "chips"]
REFERENCE = "SELECT * FROM stories ORDER BY first_seen DESC LIMIT 100"


def build_archive(path: Path, articles: int, seed: int = 7) -> None:
    """A synthetic archive of `articles` articles, stored through the real schema."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(3000)] + ["distillation", "funding", "chips", "model"] * 40
    now = datetime.now(timezone.utc)
    db = open_archive(path)
    conn = db.conn
    roots: list[int] = []
    with conn:
        for n in range(1, articles + 1):
            when = now - timedelta(days=60) * (1 - n / articles)
            copy_of = rng.choice(roots) if roots and rng.random() < 0.1 else None
            body = " ".join(rng.choice(words) for _ in range(150))
            insert_article(db, {
                "id": n, "url": f"https://example.org/{n}", "source": rng.choice(SOURCES),
                "title": f"Story {n} about {body[:40]}",
                "published": iso(when - timedelta(hours=rng.random() * 6)) if rng.random() < 0.9 else None,
                "fetched_at": iso(when), "language": "en", "body": body, "word_count": 150,
                "content_hash": f"h{n}", "duplicate_of": copy_of, "similarity": 0.9 if copy_of else None})
            if copy_of is None:
                roots.append(n)
            for company in rng.sample(COMPANIES, rng.randint(1, 3)):
                conn.execute("INSERT INTO mentions (article_id, company, count, in_title,"
                             " first_offset, matched, snippet) VALUES (?, ?, 1, 0, 0, ?, '')",
                             [n, company, company])
        for source in SOURCES:
            for run in range(30 * 48):
                started = now - timedelta(minutes=30 * (30 * 48 - run))
                conn.execute("INSERT INTO runs (source, started, finished, outcome, requests,"
                             " new_articles, duplicates, not_modified, dropped, errors, details)"
                             " VALUES (?, ?, ?, 'ok', 5, ?, 0, 3, 0, 0, '{}')",
                             [source, iso(started), iso(started + timedelta(seconds=20)),
                              rng.randint(0, 3)])
        for rule in RULES:
            for story in rng.sample(roots, max(1, len(roots) // 20)):
                for channel in ("json://hooks.example.org/a", "mailto://desk@example.org"):
                    failed = rng.random() < 0.02
                    conn.execute(
                        "INSERT INTO alerts (rule, article_id, story_id, channel, status, attempts,"
                        " last_error, created, sent, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
                        " 'immediate')",
                        [rule, story, story, channel, "failed" if failed else "sent",
                         5 if failed else 1, "connection refused" if failed else None,
                         iso(now - timedelta(days=rng.random() * 30)),
                         None if failed else iso(now - timedelta(days=rng.random() * 30))])
    db.close()


def write_config(folder: Path, db_path: Path) -> Path:
    """A config naming the archive's sources and alert rules (as found in it)."""
    db = open_archive(db_path)
    sources = [row[0] for row in db.execute("SELECT DISTINCT source FROM runs LIMIT 100")]
    rules = [row[0] for row in db.execute("SELECT DISTINCT rule FROM alerts LIMIT 100")]
    db.close()
    lines = [f"[archive]\npath = {str(db_path)!r}\n"]
    for source in sources or ["none"]:
        lines.append(f'[[sources]]\nname = "{source}"\nfeeds = ["https://example.org/feed"]\n'
                     'schedule = "*/30 * * * *"\n')
    for rule in rules:
        lines.append(f'[[alerts]]\nname = "{rule}"\nmatch = "distill*"\n'
                     'notify = ["json://hooks.example.org/x"]\n')
    path = folder / "bench.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def common_word(db) -> str:
    """The word found in most of the last 200 bodies: search's hardest case."""
    seen: Counter = Counter()
    for (body,) in db.execute("SELECT body FROM article_text WHERE body IS NOT NULL"
                              " ORDER BY id DESC LIMIT 200"):
        seen.update({word for word in re.findall(r"[a-z]{3,}", body.lower())})
    return seen.most_common(1)[0][0] if seen else "model"


def params_for(db_path: Path) -> dict[str, dict]:
    """Realistic parameters: a common word, the busiest and the rarest company, a story
    with copies..."""
    db = open_archive(db_path)
    one = lambda sql: (db.execute(sql).fetchone() or [""])[0]  # noqa: E731
    story = one("SELECT duplicate_of FROM articles WHERE duplicate_of IS NOT NULL"
                " ORDER BY id DESC LIMIT 1") or one("SELECT MAX(id) FROM articles")
    company = one("SELECT company FROM mentions WHERE article_id > (SELECT MAX(article_id) - 1000"
                  " FROM mentions) GROUP BY company ORDER BY COUNT(*) DESC LIMIT 1")
    rarest = one("SELECT company FROM company_summary WHERE stories > 0 ORDER BY stories LIMIT 1")
    rule = one("SELECT rule FROM alerts ORDER BY id DESC LIMIT 1")
    source = one("SELECT source FROM runs ORDER BY id DESC LIMIT 1")
    word = common_word(db)
    db.close()
    return {
        "search": {"q": "distillation", "company": company, "since": "30d", "source": ""},
        f"search (most common word: {word})": {"q": word, "company": "", "since": "", "source": ""},
        f"search ({word} --source {source})": {"q": word, "company": "", "since": "",
                                               "source": source},
        "search (rare word, no filter)": {"q": "w2999", "company": "", "since": "", "source": ""},
        "search (phrase)": {"q": '"data center"', "company": "", "since": "", "source": ""},
        "latest_stories": {"source": "", "limit": ""},
        f"company_timeline ({company})": {"company": company, "since": "", "limit": ""},
        f"company_timeline (rarest: {rarest})": {"company": rarest, "since": "", "limit": ""},
        "story": {"id": story},
        "alerts": {"status": "failed", "rule": ""},
        "recent_runs": {"source": source, "limit": ""},
        "rule_feed": {"rule": rule},
    }


async def _time(datasette, path: str, repeat: int, db_path: Path) -> tuple[float, float, int]:
    """Median seconds of `repeat` warm GETs of `path`, the first GET's after dropping the
    archive from the page cache, and the rows of the last answer."""
    times, rows = [], 0
    drop_from_cache(db_path)
    for _ in range(repeat + 1):
        started = time.perf_counter()
        response = await datasette.client.get(path)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}: {response.text[:500]}")
        if path.startswith("/newsmon"):
            rows = len(response.json()["rows"])
    return statistics.median(times[1:]), times[0], rows


async def measure(config_path: Path, db_path: Path, repeat: int) -> list[tuple[str, float, int]]:
    datasette = build_datasette(load_config(config_path), {"sql_time_limit_ms": 600000})
    await datasette.invoke_startup()
    params = params_for(db_path)
    targets = [("reference: stories view, first page",
                "/newsmon.json?" + urlencode({"sql": REFERENCE, "_shape": "objects"}))]
    for name, query in queries.CANNED.items():
        for label, args in [(label, args) for label, args in params.items()
                            if label.split(" (")[0] == name] or [(name, {})]:
            targets.append((f"query {label}", f"/newsmon/{name}.json?{urlencode(args)}"))
    for slug, chart in queries.CHARTS.items():
        targets.append((f"chart {slug}", "/newsmon.json?" + urlencode({"sql": chart["sql"]})))
    targets.append(("home page (all panels)", "/"))
    targets.append(("dashboard page", "/-/dashboards/newsmon"))
    targets.append(("feed " + params["rule_feed"]["rule"],
                    f"/-/feeds/{params['rule_feed']['rule']}.atom"))
    results = []
    for label, path in targets:
        results.append((label, *await _time(datasette, path, repeat, db_path)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an existing archive (default: build one)")
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db_path = args.db.resolve() if args.db else None  # the config lives elsewhere
        if db_path is None:
            db_path = folder / "dashboard-bench.db"
            started = time.perf_counter()
            build_archive(db_path, args.articles)
            print(f"built a synthetic archive of {args.articles} articles "
                  f"in {time.perf_counter() - started:.1f} s")
        db = open_archive(db_path)
        total = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        db.close()
        results = asyncio.run(measure(write_config(folder, db_path), db_path, args.repeat))
    reference = results[0][1]
    print(f"\narchive: {total} articles; warm = median of {args.repeat} runs, cold = first run"
          f" after dropping the archive from the page cache; ratio = warm / reference"
          f" ({reference * 1000:.1f} ms)\n")
    print(f"{'what':52s} {'warm ms':>9s} {'cold ms':>9s} {'ratio':>7s} {'rows':>6s}")
    for label, seconds, cold, rows in results:
        print(f"{label:52s} {seconds * 1000:9.1f} {cold * 1000:9.1f} {seconds / reference:7.2f} {rows:6d}")
    slowest = max(results[1:], key=lambda result: result[1])
    coldest = max(results[1:], key=lambda result: result[2])
    print(f"\nslowest warm: {slowest[0]} at {slowest[1] * 1000:.1f} ms "
          f"({slowest[1] / reference:.2f} x the reference); slowest cold: {coldest[0]} at "
          f"{coldest[2] * 1000:.1f} ms")

if __name__ == "__main__":
    main()
