"""One `runs` row per source per crawl: what `newsmon sources` reports from."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlite_utils import Database

from crawler.archive.cursor import inserted_id
from crawler.text.utc import stored_utc


def record_run(db: Database, run: dict) -> int:
    """Insert one run (details as a dict) and return its id."""
    return record_runs(db, [run])[0]


def record_runs(db: Database, runs: list[dict]) -> list[int]:
    """Insert many runs in one transaction (a crawl of many sources ends with one commit)."""
    ids = []
    with db.conn:
        for run in runs:
            row = {**run, "details": json.dumps(run.get("details", {}), sort_keys=True)}
            sql = (f"INSERT INTO runs ({', '.join(row)}) "
                   f"VALUES ({', '.join('?' * len(row))})")
            ids.append(inserted_id(db.execute(sql, list(row.values()))))
    return ids


def has_runs(db: Database, source: str) -> bool:
    """Did `source` ever run (its articles are in the archive even if it left the config)?"""
    return db.execute("SELECT 1 FROM runs WHERE source = ? LIMIT 1", [source]).fetchone() is not None


def runs_by_id(db: Database, run_ids) -> list[dict]:
    ids = list(run_ids)
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = db.query(f"SELECT * FROM runs WHERE id IN ({marks}) ORDER BY source", ids)
    return [{**row, "details": json.loads(row["details"] or "{}")} for row in rows]


# -- what the daemon (crawler/daemon/loop.py) asks about its crawl children's runs ----------
def max_run_id(db: Database) -> int:
    """The newest run's id: rows above it were written after this moment."""
    return db.execute("SELECT COALESCE(MAX(id), 0) FROM runs").fetchone()[0]


def runs_after(db: Database, after_id: int, sources) -> dict[str, int]:
    """{source: run id} of the runs of these sources recorded after `after_id`.

    How the daemon finds the rows a crawl child wrote before it died without
    answering (only one crawl writes an archive at a time, crawler/archive/lock.py)."""
    wanted = set(sources)
    rows = db.execute("SELECT id, source FROM runs WHERE id > ? ORDER BY id", [after_id])
    return {source: run_id for run_id, source in rows if source in wanted}


def mark_timed_out(db: Database, run_ids) -> None:
    """A child stopped on our SIGTERM wrote "interrupted": a timeout is a failed run."""
    with db.conn:
        for run_id in run_ids:
            details = json.loads(db.execute("SELECT details FROM runs WHERE id = ?",
                                            [run_id]).fetchone()[0] or "{}")
            details["timed_out"] = True
            db.execute("UPDATE runs SET outcome = 'failed', details = ? WHERE id = ?",
                       [json.dumps(details, sort_keys=True), run_id])


def last_runs(db: Database, sources=None) -> dict[str, dict]:
    """The latest run of each of `sources` (default: every source that ever ran).

    With names, one index lookup each (runs_source_id), however long the history.
    """
    rows: Iterable[dict]
    if sources is None:
        rows = db.query(
            """SELECT * FROM runs WHERE id IN (SELECT MAX(id) FROM runs GROUP BY source)""")
    else:
        rows = [row for name in sources for row in db.query(
            "SELECT * FROM runs WHERE source = ? ORDER BY id DESC LIMIT 1", [name])]
    return {row["source"]: {**row, "details": json.loads(row["details"] or "{}")} for row in rows}


def recent_outcomes(db: Database, source: str, limit: int = 10) -> list[dict]:
    return list(db.query(
        "SELECT started, outcome, new_articles FROM runs WHERE source = ? ORDER BY id DESC LIMIT ?",
        [source, limit]))


# -- health ------------------------------------------------------------------------
# A source is "failing" when its last FAILING_AFTER runs all failed (or crashed), and
# "stale" when it has been crawled without yielding anything new for much longer than
# usual: longer than the largest of STALE_FACTOR x its usual gap between productive
# runs (median of the recent ones), STALE_RUNS x its schedule's cadence, and a floor
# that absorbs nights and weekends. The quiet span is measured up to its latest run,
# not to now, so a daemon that was down does not make every source look stale.
FAILING_AFTER = 3
FAILED_OUTCOMES = ("failed", "crashed")
STALE_FACTOR = 4
STALE_RUNS = 10
STALE_FLOOR_SECONDS = 2 * 86400
USUAL_GAP_SAMPLE = 20


def _span(seconds: float) -> str:
    """12s, 40m, 5h, 3d: enough precision for a health message."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def usual_gap(productive: list[datetime]) -> float | None:
    """Median seconds between productive runs (newest first); None with fewer than 3."""
    if len(productive) < 3:
        return None
    gaps = sorted((a - b).total_seconds() for a, b in zip(productive, productive[1:]))
    return gaps[len(gaps) // 2]


def stale_limit(gap: float | None, cadence_seconds: float | None,
                floor: float = STALE_FLOOR_SECONDS) -> float:
    return max(floor, STALE_FACTOR * (gap or 0), STALE_RUNS * (cadence_seconds or 0))


def staleness(db: Database, source: str, cadence_seconds: float | None = None,
              floor: float = STALE_FLOOR_SECONDS) -> str | None:
    """Why the source looks stale, or None when it yielded something recently enough."""
    # Two queries: SQLite answers MIN or MAX alone from the (source, started) index
    # in one step, but both at once by reading every run of the source.
    first = db.execute("SELECT MIN(started) FROM runs WHERE source = ?", [source]).fetchone()[0]
    latest = db.execute("SELECT MAX(started) FROM runs WHERE source = ?", [source]).fetchone()[0]
    if latest is None:
        return None
    productive = [stored_utc(row[0]) for row in db.execute(
        "SELECT started FROM runs WHERE source = ? AND new_articles > 0 ORDER BY id DESC LIMIT ?",
        [source, USUAL_GAP_SAMPLE])]
    since = productive[0] if productive else stored_utc(first)
    quiet = (stored_utc(latest) - since).total_seconds()
    gap = usual_gap(productive)
    limit = stale_limit(gap, cadence_seconds, floor)
    if quiet <= limit:
        return None
    usual = f"usually every {_span(gap)}" if gap else "too few productive runs to know its pace"
    what = "nothing new" if productive else "never anything new"
    return f"{what} for {_span(quiet)} ({usual}; limit {_span(limit)})"


def health_report(db: Database, source: str, cadence_seconds: float | None = None, *,
                  failing_after: int = FAILING_AFTER,
                  stale_floor: float = STALE_FLOOR_SECONDS) -> dict:
    """{"status": "never run" | "failing" | "stale" | "ok", "reason": str}."""
    outcomes = [row["outcome"] for row in recent_outcomes(db, source, failing_after)]
    if not outcomes:
        return {"status": "never run", "reason": ""}
    if len(outcomes) >= failing_after and all(o in FAILED_OUTCOMES for o in outcomes):
        return {"status": "failing", "reason": f"the last {len(outcomes)} runs failed"}
    reason = staleness(db, source, cadence_seconds, stale_floor)
    if reason:
        return {"status": "stale", "reason": reason}
    return {"status": "ok", "reason": ""}
