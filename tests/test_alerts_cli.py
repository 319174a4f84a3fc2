"""`newsmon alerts list/test/backtest/send` as a user runs them (click's CliRunner, real sinks)."""

import json
import subprocess
import sys

import pytest

from conftest import REPO, ArchiveWriter, invoke_newsmon, newsmon_env, unused_port
from fixtureweb import to_toml

DISTILL = ("xAI told a court that it distills OpenAI models to train Grok, its chatbot, during "
           "testimony in the lawsuit between Musk and OpenAI over the nonprofit charter. Lawyers "
           "argued about what counts as knowledge transfer between frontier labs.")
CHIPS = ("Nvidia is reworking its China lineup after the export rules tightened again this week; "
         "new parts ship later in the year and analysts expect revenue from the region to fall.")


@pytest.fixture
def setup(tmp_path):
    """setup(*rules) -> (config path, ArchiveWriter for the archive the config names)."""
    writers = []

    def make(*rules):
        config = tmp_path / "newsmon.toml"
        config.write_text(to_toml({"archive": {"path": "archive.db"}, "alerts": list(rules)}))
        writers.append(ArchiveWriter(tmp_path / "archive.db"))
        return config, writers[-1]

    yield make
    for writer in writers:
        writer.db.close()


def rule(name, *notify, **table):
    return {"name": name, "match": "distill*", "notify": list(notify), **table}


def test_test_sends_a_sample_and_leaves_the_outbox_alone(setup, webhook_receiver):
    config, archive = setup(rule("distillation", webhook_receiver.url("/t")))
    archive.add("xAI distills OpenAI models", DISTILL)
    result = invoke_newsmon("alerts", "test", "distillation", "--config", config)
    assert result.exit_code == 0, result.stderr
    (post,) = webhook_receiver.wait_for(1, "/t")
    assert post["title"] == "[newsmon test] distillation: xAI distills OpenAI models"
    assert archive.db.conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == 0


def test_test_without_matches_sends_a_placeholder(setup, webhook_receiver):
    config, _ = setup(rule("distillation", webhook_receiver.url("/t")))
    assert invoke_newsmon("alerts", "test", "distillation", "--config", config).exit_code == 0
    assert "Sample article" in webhook_receiver.wait_for(1, "/t")[0]["title"]


def test_test_exit_codes(setup, webhook_receiver):
    config, _ = setup(rule("down", f"json://127.0.0.1:{unused_port()}/x"),
                      rule("secret", "json://bot:${HOOK_TOKEN}@" + webhook_receiver.url()[7:]))
    unknown = invoke_newsmon("alerts", "test", "nosuch", "--config", config)
    assert unknown.exit_code == 2 and "known: down, secret" in unknown.stderr
    down = invoke_newsmon("alerts", "test", "down", "--config", config)
    assert down.exit_code == 6 and "FAILED" in down.stdout
    unset = invoke_newsmon("alerts", "test", "secret", "--config", config)
    assert unset.exit_code == 2 and "HOOK_TOKEN" in unset.stderr
    ok = invoke_newsmon("alerts", "test", "secret", "--config", config,
                        env={"HOOK_TOKEN": "t0k"})
    assert ok.exit_code == 0, ok.stdout + ok.stderr
    assert len(webhook_receiver.wait_for(1)) == 1


def test_backtest_lists_one_line_per_story(setup):
    config, archive = setup(rule("distillation", "json://127.0.0.1:9/x"))
    first = archive.add("xAI distills OpenAI models", DISTILL)
    archive.add("xAI admits distilling", DISTILL, source="aiwire")
    archive.add("Nvidia reworks its lineup", CHIPS)
    result = invoke_newsmon("alerts", "backtest", "distillation", "--since", "7d", "--json",
                         "--config", config)
    assert result.exit_code == 0, result.stderr
    (story,) = json.loads(result.stdout)
    assert story["article_id"] == first and story["outlets"] == ["frontiernews", "aiwire"]
    assert "**distills**" in story["snippet"]
    text = invoke_newsmon("alerts", "backtest", "distillation", "--config", config).stdout
    assert "1 story would have fired rule 'distillation'" in text
    bad = invoke_newsmon("alerts", "backtest", "distillation", "--since", "soon", "--config", config)
    assert bad.exit_code == 2


def test_backtest_never_loads_apprise(setup):
    """Labelling channels loads apprise's plugins (a quarter of a second at every start):
    matching rules against the archive needs none of it."""
    config, archive = setup(rule("distillation", "json://127.0.0.1:9/x"))
    archive.add("xAI distills OpenAI models", DISTILL)
    program = ("import sys; from crawler.cli import main\n"
               "try:\n    main(['alerts', 'backtest', 'distillation', '--config', sys.argv[1]])\n"
               "except SystemExit:\n    pass\n"
               "print('apprise loaded' if 'apprise' in sys.modules else 'apprise not loaded')")
    result = subprocess.run([sys.executable, "-c", program, str(config)], cwd=REPO,
                            env=newsmon_env(), capture_output=True, text=True, timeout=60)
    assert "1 story would have fired" in result.stdout, result.stderr[-2000:]
    assert result.stdout.rstrip().endswith("apprise not loaded")


def test_send_keeps_undelivered_alerts_and_list_shows_them(setup, alert_sinks):
    port = unused_port()
    config, archive = setup(rule("outage", f"json://127.0.0.1:{port}/x"))
    assert invoke_newsmon("alerts", "send", "--config", config).exit_code == 0  # sets the marks
    archive.add("xAI distills OpenAI models", DISTILL)
    failed = invoke_newsmon("alerts", "send", "--config", config)
    assert failed.exit_code == 6 and "1 kept pending" in failed.stdout
    listing = json.loads(invoke_newsmon("alerts", "list", "--json", "--config", config).stdout)
    assert listing["rules"][0]["pending"] == 1 and listing["rules"][0]["last_fired"] == "never"
    (problem,) = listing["problems"]
    assert problem["attempts"] == 1 and "connection" in problem["last_error"].lower()
    assert "outage" in invoke_newsmon("alerts", "list", "--config", config).stdout
    receiver = alert_sinks.webhook(port)
    assert invoke_newsmon("alerts", "send", "--config", config).exit_code == 0  # backoff: not yet
    assert receiver.posts() == []
    sent = invoke_newsmon("alerts", "send", "--retry-now", "--json", "--config", config)
    assert sent.exit_code == 0 and json.loads(sent.stdout)["sent"] == 1
    assert invoke_newsmon("alerts", "send", "--retry-now", "--config", config).exit_code == 0
    assert len(receiver.wait_for(1)) == 1
    listing = json.loads(invoke_newsmon("alerts", "list", "--json", "--config", config).stdout)
    assert listing["rules"][0]["sent"] == 1 and listing["problems"] == []


def test_send_retry_failed_gives_failed_alerts_another_chance(setup, webhook_receiver):
    config, archive = setup(rule("r", webhook_receiver.url("/r")))
    invoke_newsmon("alerts", "send", "--config", config)
    archive.add("xAI distills OpenAI models", DISTILL)
    invoke_newsmon("alerts", "send", "--config", config)
    archive.db.conn.execute("UPDATE alerts SET status = 'failed', sent = NULL")
    archive.db.conn.commit()
    result = invoke_newsmon("alerts", "send", "--retry-failed", "--config", config)
    assert result.exit_code == 0 and "1 failed alerts queued again" in result.stdout
    assert len(webhook_receiver.wait_for(2, "/r")) == 2
