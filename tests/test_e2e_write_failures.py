"""A crawl whose archive cannot take its articles says so, and the next crawl gets them all.

The disk really fills up: the archive lives on a small tmpfs (mounting needs
root, as the tests run here), else on a file size limit (RLIMIT_FSIZE, which
any user can set on a child). Either way SQLite's writes fail for real.
"""

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, newsmon_env
from fixtureweb import publish_generated

ARTICLES = 60
HEADROOM = 160 * 1024      # bytes left for the crawl: a few articles fit, a batch of 50 does not


def try_mount_tmpfs(folder: Path) -> bool:
    folder.mkdir()
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)],
                          capture_output=True)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    """(folder for the archive, fill(), free()): fill() leaves HEADROOM bytes on its disk."""
    folder = tmp_path / "disk"
    mounted = try_mount_tmpfs(folder)
    limits = {}

    def fill(archive: Path):
        if mounted:
            stat = os.statvfs(folder)
            spare = stat.f_bavail * stat.f_frsize - HEADROOM
            (folder / "filler").write_bytes(b"\0" * spare)
        else:
            limits["fsize"] = archive.stat().st_size + HEADROOM

    def free():
        (folder / "filler").unlink(missing_ok=True)
        limits.clear()

    def preexec():
        if "fsize" in limits:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a failed write, not a killed process
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits["fsize"], limits["fsize"]))

    yield folder, fill, free, preexec
    if mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def crawl(config, preexec):
    return subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config)],
                          cwd=REPO, env=newsmon_env(), capture_output=True, text=True,
                          timeout=180, preexec_fn=preexec)


def test_a_full_disk_fails_the_run_and_the_next_crawl_stores_every_article(
        fixture_web, write_config, tmp_path, small_disk):
    from crawler.archive import open_archive
    from crawler.archive.lock import ArchiveLock

    folder, fill, free, preexec = small_disk
    site = fixture_web.frontier
    paths = publish_generated(site, ARTICLES)
    feed = site.url("/generated.xml")
    sources = [{"name": "generated", "feeds": [feed], "schedule": "every 10m"}]
    config = write_config(tmp_path, sources=sources, archive=str(folder / "newsmon.db"))
    archive = folder / "newsmon.db"
    open_archive(archive).close()
    ArchiveLock(archive).acquire().release()      # the lock file exists before the disk fills
    fill(archive)

    first = crawl(config, preexec)
    assert first.returncode == 7, first.stdout + first.stderr[-3000:]     # EXIT_WRITE_FAILED
    assert "could not be written" in first.stderr
    assert "write_failed" in first.stdout and "Traceback" not in first.stderr, first.stderr
    row = next(line for line in first.stdout.splitlines() if line.startswith("generated"))
    assert row.split()[1] in ("partial", "failed")

    free()
    mark = fixture_web.mark()
    second = crawl(config, None)
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    feed_requests = [r for r in fixture_web.requests(since=mark) if r.route == "/generated.xml"]
    assert feed_requests and all(r.status == 200 for r in feed_requests)  # validators not kept
    with sqlite3.connect(archive) as conn:
        stored = {row[0].split("/", 3)[3] for row in conn.execute("SELECT url FROM articles")}
        runs = conn.execute("SELECT outcome, details FROM runs ORDER BY id").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert stored == {path.lstrip("/") for path in paths}
    assert runs[-1][0] == "ok"
    first_run = [json.loads(details) for outcome, details in runs[:-1]]
    if first_run:   # recorded, unless even the runs row did not fit
        assert first_run[0]["errors"].get("write_failed")
