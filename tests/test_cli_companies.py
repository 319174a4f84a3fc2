"""`newsmon companies` and `newsmon retag` through click, on a real archive."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from crawler.archive import open_archive
from crawler.archive.articles import insert_article
from crawler.archive.lock import ArchiveLock
from crawler.exitcodes import EXIT_LOCKED
from crawler.commands.companies import companies, retag

RECENT = (datetime.now(timezone.utc) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
ARTICLES = [
    ("https://e.com/1", "Acme Robotics raises $50 million", "Acme Robotics and OpenAI signed a deal."),
    ("https://e.com/2", "OpenAI ships a model", "ChatGPT gets faster."),
    ("https://e.com/3", "The Amazon river is low", "Barges are stuck near Manaus."),
]


def write_config(tmp_path, companies_toml=""):
    path = tmp_path / "newsmon.toml"
    path.write_text(f'[archive]\npath = "archive.db"\n{companies_toml}', encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path):
    path = write_config(tmp_path)
    db = open_archive(tmp_path / "archive.db")
    with db.conn:
        for url, title, body in ARTICLES:
            insert_article(db, {"url": url, "source": "test", "title": title, "body": body,
                                "published": RECENT, "fetched_at": RECENT})
    db.close()
    return path


def invoke(command, *args):
    return CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)


def test_retag_then_companies(config):
    result = invoke(retag, "--config", config)
    assert result.exit_code == 0, result.output
    assert "retagged 3 articles with 30 companies: 2 mention at least one, 2 mentions" in result.output

    result = invoke(companies, "--config", config, "--json")
    rows = {row["company"]: row for row in json.loads(result.output)}
    assert rows["OpenAI"] == {"company": "OpenAI", "day": 2, "week": 2, "month": 2, "total": 2}
    assert rows["Amazon"]["total"] == 0            # tracked, never mentioned (the river is not Amazon)
    assert len(rows) == 30


def test_companies_table(config):
    invoke(retag, "--config", config)
    lines = invoke(companies, "--config", config).output.splitlines()
    assert lines[0].split() == ["company", "day", "week", "month", "total"]
    assert lines[2].split() == ["OpenAI", "2", "2", "2", "2"]


def test_a_company_added_to_the_config_shows_up_in_old_articles(config, tmp_path):
    invoke(retag, "--config", config)
    write_config(tmp_path, '[[companies]]\nname = "Acme Robotics"\naliases = ["Acme Robotics"]\n')
    result = invoke(retag, "--config", config)
    assert "1 article-company pairs added, 0 removed" in result.output
    rows = {row["company"]: row for row in json.loads(invoke(companies, "--config", config, "--json").output)}
    assert rows["Acme Robotics"]["week"] == 1 and rows["OpenAI"]["week"] == 2


def test_retag_waits_for_no_crawl(config, tmp_path):
    with ArchiveLock(tmp_path / "archive.db"):
        result = CliRunner().invoke(retag, ["--config", str(config)])
    assert result.exit_code == EXIT_LOCKED
    assert "another crawl is running" in result.output and "not retagging" in result.output


def test_help_shows_an_example():
    for command in (companies, retag):
        assert "Example: newsmon" in invoke(command, "--help").output
