"""The configuration contract: one TOML file, every mistake named by file and key, exit 2.

Each bad config is checked twice: through `crawler.config.loader.load_config` (the one loader)
and through `newsmon crawl --config`, where a mistake must also mean nothing crawled and
no archive created. The bad files point at the live fixture web, so "nothing crawled"
is checked on the wire, not assumed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.config.loader import BUILTIN_CONFIG, ConfigError, load_config
from fixtureweb import to_toml

SOURCE = '[[sources]]\nname = "mine"\nfeeds = ["{feed}"]\n'

# id -> (TOML text, key named in the error, a fragment the problem must mention)
BAD = {
    "unknown-key": ('[crawl]\ntimout = 5\n' + SOURCE, "crawl.timout", "unknown"),
    "unknown-source-key": ('[[sources]]\nname = "mine"\nfeed = ["{feed}"]\n', "sources[0].feed", "unknown"),
    "unknown-section": ('[crawler]\ntimeout = 5\n' + SOURCE, "crawler", "unknown"),
    "wrong-type-number": ('[crawl]\ntimeout = "20"\n' + SOURCE, "crawl.timeout", "20"),
    "wrong-type-bool": ('[crawl]\nobey_robots = "yes"\n' + SOURCE, "crawl.obey_robots", "yes"),
    "wrong-type-list": ('[[sources]]\nname = "mine"\nfeeds = "{feed}"\n', "sources[0].feeds", "list"),
    "wrong-type-archive": ('[archive]\npath = 5\n' + SOURCE, "archive.path", "5"),
    "not-positive": ('[crawl]\nmax_page_mb = 0\n' + SOURCE, "crawl.max_page_mb", "greater than 0"),
    "bad-network": ('[crawl]\nprivate_networks = ["10.0.0.0/8", "10.0.0.1/8"]\n' + SOURCE,
                    "crawl.private_networks", "10.0.0.1/8"),
    "not-a-network": ('[crawl]\nprivate_networks = ["intranet"]\n' + SOURCE,
                      "crawl.private_networks", "intranet"),
    "max-minutes-zero": ('[crawl]\nmax_minutes = 0\n' + SOURCE, "crawl.max_minutes", "greater than 0"),
    "allowed-host-url": (SOURCE + 'allowed_hosts = ["https://cdn.example.com/"]\n',
                         "sources[0].allowed_hosts", "https://cdn.example.com/"),
    "bad-url": ('[[sources]]\nname = "mine"\nfeeds = ["{feed}", "not a url"]\n', "sources[0].feeds", "not a url"),
    "bad-url-scheme": (SOURCE + 'sitemaps = ["ftp://127.0.0.1/sitemap.xml"]\n', "sources[0].sitemaps", "ftp://"),
    "bad-regex": (SOURCE + 'pages = ["{feed}"]\nfollow = ["/ai-(labs/"]\n', "sources[0].follow", "/ai-(labs/"),
    "bad-schedule": (SOURCE + 'schedule = "every fortnight"\n', "sources[0].schedule", "every fortnight"),
    "bad-cron": (SOURCE + 'schedule = "61 * * * *"\n', "sources[0].schedule", "61 * * * *"),
    "duplicate-source": (SOURCE + SOURCE, "sources[1].name", "duplicate"),
    "pages-without-follow": ('[[sources]]\nname = "mine"\npages = ["{feed}"]\n', "sources[0].follow", "required"),
    "bad-second-source": (SOURCE + '[[sources]]\nname = "other"\nfeeds = ["127.0.0.1/feed.xml"]\n',
                          "sources[1].feeds", "127.0.0.1/feed.xml"),
}


def write_bad(folder: Path, case: str, feed: str) -> Path:
    text = BAD[case][0].replace("{feed}", feed)
    path = folder / f"{case}.toml"
    path.write_text('[archive]\npath = "archive.db"\n' * ("[archive]" not in text) + text, encoding="utf-8")
    return path


def databases(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob("*.db*")]


# -- through load_config ------------------------------------------------------------
@pytest.mark.parametrize("case", BAD)
def test_load_config_names_file_key_and_problem(tmp_path, case):
    path = write_bad(tmp_path, case, "http://127.0.0.1:9/feed.xml")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    _, key, fragment = BAD[case]
    assert (caught.value.file, caught.value.key) == (str(path), key)
    assert fragment in caught.value.problem
    assert str(path) in str(caught.value) and key in str(caught.value)


def test_toml_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('[crawl]\ntimeout = 20\nuser_agent = "unterminated\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.file == str(path) and "line 3" in caught.value.problem


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "absent.toml")
    assert caught.value.file == str(tmp_path / "absent.toml") and "not found" in caught.value.problem


def test_newsmon_config_env_is_honoured(tmp_path, monkeypatch):
    path = tmp_path / "env.toml"
    path.write_text(SOURCE.replace("{feed}", "https://example.org/feed.xml"), encoding="utf-8")
    monkeypatch.setenv("NEWSMON_CONFIG", str(path))
    config = load_config()
    assert config.file == path and [s.name for s in config.sources] == ["mine"]


def test_explicit_path_beats_the_env(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSMON_CONFIG", str(tmp_path / "absent.toml"))
    path = tmp_path / "explicit.toml"
    path.write_text(SOURCE.replace("{feed}", "https://example.org/feed.xml"), encoding="utf-8")
    assert load_config(path).file == path


@pytest.mark.parametrize("raw, expected", [
    ("newsmon.db", "newsmon.db"),
    ("data/archive.db", "data/archive.db"),
    ("../shared/archive.db", "../shared/archive.db"),
])
def test_relative_archive_path_resolves_against_the_config_folder(tmp_path, monkeypatch, raw, expected):
    folder = tmp_path / "conf"
    folder.mkdir()
    path = folder / "newsmon.toml"
    path.write_text(f'[archive]\npath = "{raw}"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_config(path).archive_path.resolve() == (folder / expected).resolve()


def test_absolute_archive_path_is_kept(tmp_path):
    path = tmp_path / "newsmon.toml"
    path.write_text(to_toml({"archive": {"path": str(tmp_path / "elsewhere" / "a.db")}}), encoding="utf-8")
    assert load_config(path).archive_path == tmp_path / "elsewhere" / "a.db"


def test_user_sources_replace_the_builtin_ones(tmp_path):
    builtin = {s.name for s in load_config(BUILTIN_CONFIG).sources}
    path = tmp_path / "newsmon.toml"
    path.write_text(SOURCE.replace("{feed}", "https://example.org/feed.xml"), encoding="utf-8")
    assert len(builtin) > 1 and "mine" not in builtin
    assert [s.name for s in load_config(path).sources] == ["mine"]


def test_user_scalars_apply_on_top_of_the_builtin_ones(tmp_path):
    builtin = load_config(BUILTIN_CONFIG)
    path = tmp_path / "newsmon.toml"
    path.write_text("[crawl]\ntimeout = 7\n", encoding="utf-8")
    config = load_config(path)
    assert config.timeout == 7 and config.user_agent == builtin.user_agent
    assert config.sources == builtin.sources


def test_source_fields_are_loaded(tmp_path):
    path = tmp_path / "newsmon.toml"
    path.write_text(SOURCE.replace("{feed}", "https://example.org/feed.xml")
                    + 'pages = ["https://example.org/ai/"]\nfollow = ["/ai/"]\nschedule = "every 10m"\n',
                    encoding="utf-8")
    [source] = load_config(path).sources
    assert source.feeds == ("https://example.org/feed.xml",) and source.pages == ("https://example.org/ai/",)
    assert source.follow[0].search("https://example.org/ai/story") and source.schedule == "every 10m"


# -- through the CLI --------------------------------------------------------------------
@pytest.mark.parametrize("case", BAD)
def test_cli_rejects_bad_config_with_exit_2(run_newsmon, fixture_web, tmp_path, case):
    path = write_bad(tmp_path, case, fixture_web.frontier.url("/feed.xml"))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    proc = run_newsmon("crawl", "--config", path, cwd=cwd)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert str(path) in proc.stderr and BAD[case][1] in proc.stderr
    assert fixture_web.requests() == [] and databases(tmp_path) == []


@pytest.mark.parametrize("name, text", [
    ("syntax.toml", '[crawl\ntimeout = 20\n'),
    ("absent.toml", None),
])
def test_cli_rejects_unreadable_config_with_exit_2(run_newsmon, tmp_path, name, text):
    path = tmp_path / name
    if text is not None:
        path.write_text(text, encoding="utf-8")
    proc = run_newsmon("crawl", "--config", path, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert str(path) in proc.stderr and databases(tmp_path) == []


def test_cli_reads_newsmon_config_from_the_env(run_newsmon, tmp_path):
    path = write_bad(tmp_path, "unknown-key", "http://127.0.0.1:9/feed.xml")
    proc = run_newsmon("crawl", env={"NEWSMON_CONFIG": str(path)}, cwd=tmp_path)
    assert proc.returncode == 2 and str(path) in proc.stderr and "crawl.timout" in proc.stderr


def test_cli_env_config_writes_the_archive_next_to_the_config(run_newsmon, fixture_web, write_config, tmp_path):
    config = write_config(tmp_path / "conf", archive="data/archive.db")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    proc = run_newsmon("crawl", "--source", "aiwire", env={"NEWSMON_CONFIG": str(config)}, cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "conf" / "data" / "archive.db").exists() and databases(cwd) == []
    assert fixture_web.aiwire.requests, "the source from the env's config was not crawled"


def test_cli_unknown_source_exits_2_before_crawling(run_newsmon, fixture_web, write_config, tmp_path):
    proc = run_newsmon("crawl", "--config", write_config(tmp_path), "--source", "nosuch")
    assert proc.returncode == 2 and "nosuch" in proc.stderr
    assert fixture_web.requests() == [] and databases(tmp_path) == []


def test_network_keys_have_defaults_and_can_be_set(tmp_path):
    default = load_config(BUILTIN_CONFIG)
    assert "169.254.0.0/16" in default.private_networks and "fc00::/7" in default.private_networks
    assert default.max_minutes == 60
    path = tmp_path / "mine.toml"
    path.write_text(to_toml({
        "crawl": {"private_networks": ["127.0.0.66/32"], "max_minutes": 5},
        "sources": [{"name": "mine", "pages": ["http://127.0.0.1/"], "follow": ["/a/"],
                     "allowed_hosts": ["CDN.example.com", "[::1]"]}]}), encoding="utf-8")
    config = load_config(path)
    assert (config.private_networks, config.max_minutes) == (("127.0.0.66/32",), 5.0)
    assert config.source("mine").allowed_hosts == ("cdn.example.com", "::1")
