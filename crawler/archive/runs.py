"""One `runs` row per source per crawl: what `newsmon sources` reports from."""

from __future__ import annotations

import json


def record_run(db, run: dict) -> int:
    """Insert one run (details as a dict) and return its id."""
    row = {**run, "details": json.dumps(run.get("details", {}), sort_keys=True)}
    return db["runs"].insert(row).last_pk


def runs_by_id(db, run_ids) -> list[dict]:
    ids = list(run_ids)
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = db.query(f"SELECT * FROM runs WHERE id IN ({marks}) ORDER BY source", ids)
    return [{**row, "details": json.loads(row["details"] or "{}")} for row in rows]


def last_runs(db) -> dict[str, dict]:
    """The latest run of every source that ever ran."""
    rows = db.query(
        """SELECT * FROM runs WHERE id IN (SELECT MAX(id) FROM runs GROUP BY source)""")
    return {row["source"]: {**row, "details": json.loads(row["details"] or "{}")} for row in rows}


def recent_outcomes(db, source: str, limit: int = 10) -> list[dict]:
    return list(db.query(
        "SELECT started, outcome, new_articles FROM runs WHERE source = ? ORDER BY id DESC LIMIT ?",
        [source, limit]))


FAILING_AFTER = 3


def source_health(db, source: str, failing_after: int = FAILING_AFTER) -> str:
    """'never run', 'failing' (the last N runs failed), or 'ok'."""
    outcomes = [row["outcome"] for row in recent_outcomes(db, source, failing_after)]
    if not outcomes:
        return "never run"
    if len(outcomes) >= failing_after and all(o == "failed" for o in outcomes):
        return "failing"
    return "ok"
