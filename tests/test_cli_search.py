"""`newsmon search`, `sources` and `stats` on a small real archive."""

import json
import shutil
from pathlib import Path

import pytest

from crawler.archive import open_archive
from crawler.archive.articles import save_articles
from crawler.archive.runs import record_run
from crawler.text.neardup import BANDS, fingerprints, scheme
from conftest import invoke_newsmon

FILLER = " ".join(f"Background sentence {i} on the wider market and its investors." for i in range(30))


def article(url, title, text, published, source="fn"):
    body = f"{text} {FILLER} {url}"
    return {"url": url, "source": source, "title": title, "body": body, "word_count": 300,
            "content_hash": fingerprints(body)[0], "published": published,
            "fetched_at": "2026-11-01T00:00:00Z", "fetched_urls": [url]}


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "newsmon.toml"
    path.write_text('[archive]\npath = "a.db"\n[[sources]]\nname = "fn"\nfeeds = ["http://127.0.0.1:9/f"]\n'
                    'schedule = "every 10m"\n[[sources]]\nname = "aw"\nfeeds = ["http://127.0.0.2:9/f"]\n')
    db = open_archive(tmp_path / "a.db")
    save_articles(db, [
        article("http://h/1", "xAI distills OpenAI models", "Model distillation in court.", "2026-05-01T09:00:00Z"),
        article("http://h/2", "Chip export rules", "Nvidia faces new export rules.", "2026-05-03T09:00:00Z"),
        article("http://h/3", "Distilled models everywhere", "Distillation is common practice.",
                "2026-05-02T09:00:00Z", source="aw"),
    ])
    record_run(db, {"source": "fn", "started": "2026-11-01T00:00:00Z", "finished": "2026-11-01T00:01:00Z",
                    "outcome": "ok", "requests": 3, "new_articles": 2, "details": {}})
    return path


def test_search_is_newest_first_with_highlighted_snippets(config):
    result = invoke_newsmon("search", "distill*", "--config", config, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["url"] for r in rows] == ["http://h/3", "http://h/1"]
    assert "**Distillation**" in rows[0]["snippet"]


@pytest.mark.parametrize("options, urls", [
    (["--source", "aw"], ["http://h/3"]),
    (["--since", "2026-05-02"], ["http://h/3"]),
    (["--limit", "1"], ["http://h/3"]),
])
def test_search_filters(config, options, urls):
    result = invoke_newsmon("search", "distill*", "--config", config, "--json", *options)
    assert [r["url"] for r in json.loads(result.output)] == urls


def test_search_text_output(config):
    result = invoke_newsmon("search", '"export rules"', "--config", config)
    assert result.exit_code == 0
    assert "Chip export rules" in result.output and "http://h/2" in result.output


def test_bad_query_is_a_usage_error(config):
    result = invoke_newsmon("search", 'AND OR (', "--config", config)
    assert result.exit_code == 2
    assert "not a valid search query" in result.output


def test_bad_since_is_a_usage_error(config):
    result = invoke_newsmon("search", "x", "--config", config, "--since", "last tuesday")
    assert result.exit_code == 2


def test_sources_shows_last_run_next_run_and_health(config):
    result = invoke_newsmon("sources", "--config", config, "--json")
    rows = {r["source"]: r for r in json.loads(result.output)}
    assert rows["fn"]["last_outcome"] == "ok" and rows["fn"]["health"] == "ok"
    assert rows["fn"]["next_run"] != "-"
    assert rows["aw"]["health"] == "never run"


def test_stats_counts_the_archive(config):
    result = invoke_newsmon("stats", "--config", config, "--json")
    totals = json.loads(result.output)["totals"]
    assert totals["articles"] == 3 and totals["stories"] == 3 and totals["runs"] == 1


@pytest.fixture
def story_config(tmp_path):
    path = tmp_path / "stories.toml"
    path.write_text('[archive]\npath = "s.db"\n[[sources]]\nname = "fn"\nfeeds = ["http://127.0.0.1:9/f"]\n')
    db = open_archive(tmp_path / "s.db")
    original = article("http://fn/story", "Chip rules", "Nvidia faces new export rules.", "2026-05-01T09:00:00Z")
    copy = article("http://aw/story", "Chip rules (wire)", "Nvidia faces new export rules.",
                   "2026-05-01T12:00:00Z", source="aw")
    copy["body"] = copy["body"].replace("http://aw/story", "http://fn/story") + " Update: lawmakers objected."
    for row in (original, copy):
        row["content_hash"], row["signature"] = fingerprints(row["body"])
    saved = save_articles(db, [original, copy], near_threshold=0.5)
    assert saved[1].duplicate_of == saved[0].article_id
    return path


def test_search_shows_each_story_once_with_its_other_outlets(story_config):
    rows = json.loads(invoke_newsmon("search", "export", "--config", story_config, "--json").output)
    assert [(r["url"], r["also_on"]) for r in rows] == [("http://fn/story", ["aw"])]
    text = invoke_newsmon("search", "export", "--config", story_config).output
    assert "also on: aw" in text


def test_a_story_is_found_when_only_a_copy_matches(story_config):
    rows = json.loads(invoke_newsmon("search", "lawmakers", "--config", story_config, "--json").output)
    assert [r["url"] for r in rows] == ["http://aw/story"]


def test_all_copies_lists_every_copy(story_config):
    rows = json.loads(invoke_newsmon("search", "export", "--config", story_config, "--json", "--all-copies").output)
    assert sorted(r["url"] for r in rows) == ["http://aw/story", "http://fn/story"]


def test_reindex_signs_articles_stored_without_signatures(config, tmp_path):
    db = open_archive(tmp_path / "a.db")
    assert db["lsh_bands"].count == 0
    result = invoke_newsmon("reindex", "--config", config)
    assert result.exit_code == 0 and "signed 3 articles" in result.output
    assert db["lsh_bands"].count == 3 * BANDS
    again = invoke_newsmon("reindex", "--config", config)
    assert again.exit_code == 0 and "signed 3 articles" in again.output
    assert db["lsh_bands"].count == 3 * BANDS            # the same bands, not twice


def test_reindex_refuses_while_a_crawl_holds_the_archive(config, tmp_path):
    from crawler.archive.lock import ArchiveLock

    with ArchiveLock(tmp_path / "a.db"):
        result = invoke_newsmon("reindex", "--config", config)
    assert result.exit_code == 4 and "not reindexing" in result.output


def test_reindex_re_signs_an_archive_signed_with_an_older_scheme(tmp_path):
    shutil.copyfile(Path(__file__).parent / "data" / "neardup" / "old-scheme-archive.sqlite",
                    tmp_path / "a.db")
    config = tmp_path / "newsmon.toml"
    config.write_text('[archive]\npath = "a.db"\n[[sources]]\nname = "fn"\nfeeds = ["http://127.0.0.1:9/f"]\n')
    result = invoke_newsmon("reindex", "--config", config, "--batch-size", "10")
    assert result.exit_code == 0, result.output
    assert f"re-signing all 16 articles with {scheme()}" in result.output
    assert "10/16 articles looked at" in result.output and "signed 15 articles" in result.output
    again = invoke_newsmon("reindex", "--config", config).output      # now of the current scheme:
    assert "indexing all 16 articles" in again and "signed 15 articles" in again   # bands kept


def test_a_syntax_error_is_explained_with_examples_of_valid_queries(config):
    result = invoke_newsmon("search", "(", "--config", config)
    assert result.exit_code == 2
    assert "'(' is not a valid search query (SQLite FTS5 syntax)" in result.output
    assert '"model distillation"' in result.output and "OpenAI NOT Microsoft" in result.output


@pytest.mark.parametrize("option, value", [("--company", "nosuch"), ("--source", "nosuch")])
def test_unknown_company_or_source_is_rejected_as_crawl_does(config, option, value):
    result = invoke_newsmon("search", "distill*", "--config", config, option, value)
    assert result.exit_code == 2
    assert f"{option} 'nosuch'" in result.output
    assert "known:" in result.output or "tracked:" in result.output


def test_known_filters_are_accepted_whatever_the_case_of_a_company(config):
    assert invoke_newsmon("search", "distill*", "--config", config, "--company", "openai").exit_code == 0
    assert invoke_newsmon("search", "distill*", "--config", config, "--source", "aw").exit_code == 0


def test_a_source_no_longer_configured_but_crawled_before_is_accepted(config, tmp_path):
    db = open_archive(tmp_path / "a.db")
    record_run(db, {"source": "gone", "started": "2026-10-01T00:00:00Z", "outcome": "ok",
                    "details": {}})
    assert invoke_newsmon("search", "distill*", "--config", config, "--source", "gone").exit_code == 0


@pytest.mark.parametrize("command", [("search", "grok"), ("stats",), ("companies",),
                                     ("alerts", "list"), ("reindex",), ("retag",), ("check",),
                                     ("backup", "copy.db")])
def test_read_only_commands_never_create_an_archive(tmp_path, command, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "newsmon.toml").write_text('[archive]\npath = "missing.db"\n')
    result = invoke_newsmon(*command, "--config", tmp_path / "newsmon.toml")
    assert result.exit_code == 3, result.output
    assert str(tmp_path / "missing.db") in result.output and "no archive" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["newsmon.toml"]


def test_sources_without_an_archive_lists_every_source_as_never_run(tmp_path):
    (tmp_path / "newsmon.toml").write_text(
        '[archive]\npath = "missing.db"\n[[sources]]\nname = "fn"\nfeeds = ["http://127.0.0.1:9/f"]\n')
    result = invoke_newsmon("sources", "--config", tmp_path / "newsmon.toml", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["source"], r["health"], r["next_run"]) for r in rows] == [("fn", "never run", "due")]
    assert not (tmp_path / "missing.db").exists()
