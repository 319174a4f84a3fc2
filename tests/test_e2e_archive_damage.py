"""A damaged archive is exit 3 with a message for every command; check and backup.

The archive is a real one (written by a real crawl of the fixture web), then
damaged as a disk or a careless copy damages files: pages overwritten with
garbage, either in the middle of the file (data pages: the commands that read
them notice) or over the tables' root pages (every command notices).
"""

import random
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import REPO, newsmon_env
from crawler.archive.bodies import register_functions

PAGE = 4096
COMMANDS = [("stats",), ("search", "OpenAI"), ("companies",), ("sources",), ("alerts", "list"),
            ("retag",), ("reindex",), ("crawl",), ("check",), ("backup", "copy.db")]
READS_DATA = {"stats", "search", "companies", "retag", "reindex", "check", "backup"}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """A healthy archive from a real crawl, and its config (module scope: crawled once)."""
    from fixtureweb import serve_fixture_web, write_config_file

    folder = tmp_path_factory.mktemp("crawled")
    with serve_fixture_web() as web:
        config = write_config_file(web, folder)
        done = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config)],
                              cwd=REPO, env=newsmon_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    with sqlite3.connect(folder / "newsmon.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder / "newsmon.db"


def damaged_copy(archive, folder, where: str):
    folder.mkdir(exist_ok=True)
    target = folder / "newsmon.db"
    shutil.copy(archive, target)
    data = bytearray(target.read_bytes())
    pages = len(data) // PAGE
    first, last = (pages * 2 // 5, pages * 3 // 5) if where == "middle" else (1, 30)
    rng = random.Random(7)
    for page in range(first, last):
        data[page * PAGE:(page + 1) * PAGE] = rng.randbytes(PAGE)
    target.write_bytes(bytes(data))
    config = folder / "newsmon.toml"
    config.write_text('[archive]\npath = "newsmon.db"\n[crawl]\nobey_robots = false\n[[sources]]\nname = "dead"\n'
                      'feeds = ["http://127.0.0.1:9/feed.xml"]\n', encoding="utf-8")
    return config


@pytest.mark.parametrize("where", ["middle", "roots"])
def test_every_command_on_a_damaged_archive_exits_3_with_a_message(crawled, tmp_path, where,
                                                                    run_newsmon):
    config = damaged_copy(crawled, tmp_path / where, where)
    for command in COMMANDS:
        result = run_newsmon(*command, "--config", config, cwd=tmp_path / where)
        output = result.stdout + result.stderr
        assert "Traceback" not in output, (command, output[-2000:])
        if where == "roots" or command[0] in READS_DATA:
            assert result.returncode == 3, (command, result.returncode, output[-2000:])
            assert "damaged" in result.stderr, (command, result.stderr)
        else:   # what it reads may be intact: it works, or says the archive is damaged
            assert result.returncode in (0, 3), (command, output[-2000:])
    assert not (tmp_path / where / "copy.db").exists()


def test_check_reports_the_damage_and_how_to_recover(crawled, tmp_path, run_newsmon):
    config = damaged_copy(crawled, tmp_path / "middle", "middle")
    result = run_newsmon("check", "--config", config)
    assert result.returncode == 3
    assert "integrity_check" in result.stderr or "quick_check" in result.stderr
    assert ".recover" in result.stderr and "newsmon backup" in result.stderr


def test_check_says_ok_for_a_healthy_archive(crawled, tmp_path, run_newsmon):
    config = tmp_path / "newsmon.toml"
    config.write_text(f'[archive]\npath = "{crawled}"\n', encoding="utf-8")
    result = run_newsmon("check", "--config", config)
    assert result.returncode == 0, result.stderr
    assert ": ok" in result.stdout


def table_counts(path) -> dict:
    with sqlite3.connect(path) as conn:
        register_functions(conn)   # counting articles_fts reads its content, the article_text view
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {table: conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                for table in tables}


def test_backup_has_every_row_and_refuses_to_overwrite(crawled, tmp_path, run_newsmon):
    config = tmp_path / "newsmon.toml"
    config.write_text(f'[archive]\npath = "{crawled}"\n', encoding="utf-8")
    result = run_newsmon("backup", tmp_path / "copy.db", "--config", config)
    assert result.returncode == 0, result.stderr
    counts = table_counts(tmp_path / "copy.db")
    assert counts == table_counts(crawled) and counts["articles"] >= 10
    with sqlite3.connect(tmp_path / "copy.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'grok'"
                            ).fetchone()[0] > 0
    again = run_newsmon("backup", tmp_path / "copy.db", "--config", config)
    assert again.returncode == 2 and "exists" in again.stderr


def test_backup_while_a_crawl_writes(fixture_web, write_config, tmp_path, run_newsmon):
    from fixtureweb import publish_generated

    publish_generated(fixture_web.frontier, 150, feed="/many.xml")
    sources = [{"name": "many", "feeds": [fixture_web.frontier.url("/many.xml")], "schedule": "every 10m"}]
    config = write_config(tmp_path, sources=sources)
    crawl = subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config)],
                             cwd=REPO, env=newsmon_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "newsmon.db").exists() or table_counts(tmp_path / "newsmon.db").get(
                "articles", 0) == 0:
            assert time.monotonic() < deadline and crawl.poll() is None, "nothing stored"
            time.sleep(0.1)
        during = run_newsmon("backup", tmp_path / "during.db", "--config", config)
        _, stderr = crawl.communicate(timeout=120)
    finally:
        crawl.kill()
    assert during.returncode == 0, during.stderr
    assert crawl.returncode == 0, stderr[-2000:]
    with sqlite3.connect(tmp_path / "during.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        copied = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    assert 0 < copied <= 150
    assert table_counts(tmp_path / "newsmon.db")["articles"] == 150
