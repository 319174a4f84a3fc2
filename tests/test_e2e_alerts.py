"""Alerts end to end: the real `newsmon crawl` over the fixture web, real webhook and SMTP servers.

One scenario runs once for the module (each crawl costs seconds) and the tests check its
record: a first crawl (the seed article and its syndicated copy), a re-run, a crawl after
a new matching article is published, and a channel that refuses connections until it
comes back. Everything listens on loopback.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import dataclass, field
from html import escape

import pytest

from crawler.archive.bodies import register_functions
from conftest import serve_alert_sinks, unused_port
from fixtureweb import SEED_PATH, SYNDICATED_PATH, Entry, article_page, serve_fixture_web, to_toml, \
    write_config_file

NEW_PATH = "/ai-labs/distillation-rules-draft"
NEW_TITLE = 'Regulators draft <em>distillation</em> rules & "fair use" limits for labs'
NEW_PARAGRAPHS = [
    "European regulators published a draft that would require AI labs to disclose when a "
    "model was trained by distillation from another company's system, a practice that has "
    "moved from research papers into courtrooms this year.",
    "The draft asks for a register of teacher models, the licence under which their outputs "
    "were used, and an audit trail that inspectors could request after a complaint.",
    "Industry groups said the rules would be hard to apply to open-weight models, while "
    "consumer groups asked for fines large enough to matter to the biggest developers.",
]


@dataclass
class Step:
    """What a step left behind: its command result, every delivery so far, the outbox."""

    result: object
    posts: dict[str, list[dict]]
    mails: list
    outbox: list[dict] = field(default_factory=list)


def _outbox(db_path) -> list[dict]:
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute("SELECT * FROM alerts ORDER BY id")]


def _rules(hook, smtp, outage_port) -> list[dict]:
    return [
        {"name": "distillation", "match": 'distill* OR "model distillation"',
         "notify": [hook.url("/distillation"), smtp.url(to="desk@example.org")]},
        {"name": "nvidia", "companies": ["Nvidia"], "notify": [hook.url("/nvidia")]},
        {"name": "outage", "match": "distill*", "notify": [f"json://127.0.0.1:{outage_port}/outage"]},
    ]


def _publish_new_article(web) -> None:
    page = article_page(NEW_TITLE, NEW_PARAGRAPHS, "2026-05-02T08:00:00Z")
    web.frontier.publish(NEW_PATH, page, Entry(NEW_PATH, NEW_TITLE, "2026-05-02T08:00:00Z"))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, run_newsmon):
    with serve_fixture_web() as web, serve_alert_sinks() as sinks:
        hook, smtp, outage_port = sinks.webhook(), sinks.smtp(), unused_port()
        folder = tmp_path_factory.mktemp("e2e-alerts")
        config = write_config_file(web, folder)
        with open(config, "a", encoding="utf-8") as handle:
            handle.write(to_toml({"alerts": _rules(hook, smtp, outage_port)}))
        db_path = folder / "newsmon.db"
        paths = ("/distillation", "/nvidia", "/outage")
        receivers = [hook]

        def step(*args, expect_posts=0, expect_mails=0) -> Step:
            result = run_newsmon(*args, "--config", config, timeout=90)
            for receiver in receivers:  # deliveries are synchronous; this only bounds a slow one
                receiver.wait_for(expect_posts, timeout=5)
            smtp.wait_for(expect_mails, timeout=5)
            posts = {p: [b for r in receivers for b in r.posts(p)] for p in paths}
            return Step(result, posts, smtp.messages, _outbox(db_path))

        started = time.monotonic()
        record = {"first": step("crawl", expect_posts=2, expect_mails=1)}
        record["rerun"] = step("crawl")
        _publish_new_article(web)
        record["new"] = step("crawl", expect_posts=3, expect_mails=2)
        record["list"] = step("alerts", "list", "--json")
        receivers.append(sinks.webhook(outage_port))          # the channel comes back
        with sqlite3.connect(db_path) as conn:                # ... and its backoff elapses
            conn.execute("UPDATE alerts SET next_attempt = '2000-01-01T00:00:00Z'"
                         " WHERE status = 'pending'")
        record["back"] = step("alerts", "send", expect_posts=5)
        record["again"] = step("alerts", "send", "--retry-now")
        for rule in ("distillation", "nvidia"):
            record[f"backtest-{rule}"] = step("alerts", "backtest", rule, "--since", "1d", "--json")
        with sqlite3.connect(db_path) as conn:
            register_functions(conn)       # newsmon_body(), behind the article_text view
            conn.row_factory = sqlite3.Row
            record["articles"] = [dict(r) for r in conn.execute(
                "SELECT a.*, t.body FROM articles a JOIN article_text t ON t.id = a.id")]
            record["mentions"] = [dict(r) for r in conn.execute("SELECT * FROM mentions")]
        record["seconds"] = time.monotonic() - started
        yield record


def _article(scenario, host_path: str) -> dict:
    return next(a for a in scenario["articles"] if a["url"].endswith(host_path))


def test_crawls_succeed_even_with_a_channel_down(scenario):
    for name in ("first", "rerun", "new"):
        assert scenario[name].result.returncode == 0, scenario[name].result.stderr[-2000:]


def test_seed_and_syndicated_copy_alert_once_on_each_channel(scenario):
    seed, copy = _article(scenario, SEED_PATH), _article(scenario, SYNDICATED_PATH)
    # One story: the seed, published first, is the original whichever was stored first.
    assert seed["duplicate_of"] is None and copy["duplicate_of"] == seed["id"]
    assert all("distill" in a["body"].lower() for a in (seed, copy))  # both copies match
    first = scenario["first"]
    (post,) = first.posts["/distillation"]
    assert post["title"] in (f"[newsmon] distillation: {seed['title']}",
                             f"[newsmon] distillation: {copy['title']}")
    assert re.search(r"\*\*[^*]*distill[^*]*\*\*", post["message"], re.I)  # the match, marked
    assert len(first.mails) == 1
    outage = [row for row in first.outbox if row["rule"] == "outage"]
    assert len(outage) == 1 and first.posts["/outage"] == []


def test_a_company_only_rule_fires_for_articles_mentioning_the_company(scenario):
    tagged = {m["article_id"] for m in scenario["mentions"] if m["company"] == "Nvidia"}
    stories = {a["id"] if a["duplicate_of"] is None else a["duplicate_of"]
               for a in scenario["articles"] if a["id"] in tagged}
    titles = {a["title"] for a in scenario["articles"] if a["id"] in stories}
    posted = {p["title"].removeprefix("[newsmon] nvidia: ") for p in scenario["first"].posts["/nvidia"]}
    assert posted == titles and any("Nvidia" in title for title in titles)
    assert len(scenario["first"].posts["/nvidia"]) == len(stories)


def test_a_rerun_sends_nothing(scenario):
    first, rerun = scenario["first"], scenario["rerun"]
    assert rerun.posts == first.posts and len(rerun.mails) == len(first.mails)
    assert len(rerun.outbox) == len(first.outbox)


def test_a_new_matching_article_sends_one_more(scenario):
    rerun, new = scenario["rerun"], scenario["new"]
    assert len(new.posts["/distillation"]) == len(rerun.posts["/distillation"]) + 1
    assert len(new.mails) == len(rerun.mails) + 1
    assert new.posts["/nvidia"] == rerun.posts["/nvidia"]
    assert "Regulators draft" in new.posts["/distillation"][-1]["title"]


def test_email_has_a_subject_an_html_part_and_a_text_alternative(scenario):
    mail = scenario["new"].mails[-1]
    title = _article(scenario, NEW_PATH)["title"]
    assert "<em>" in title  # the headline really carries markup-like text
    assert mail["Subject"] == f"[newsmon] distillation: {title}"
    assert mail["To"] == "desk@example.org"
    assert mail.get_content_type() == "multipart/alternative"
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert escape(title) in html and "<em>distillation</em>" not in html
    assert "<mark>" in html and _article(scenario, NEW_PATH)["url"] in html
    assert title in text and "<mark>" not in text


def test_a_refused_channel_keeps_alerts_pending_and_delivers_them_once_when_back(scenario):
    listing = json.loads(scenario["list"].result.stdout)
    outage = next(rule for rule in listing["rules"] if rule["rule"] == "outage")
    assert (outage["pending"], outage["sent"], outage["last_fired"]) == (2, 0, "never")
    assert all("connection" in p["last_error"].lower() for p in listing["problems"])
    back = scenario["back"]
    assert back.result.returncode == 0, back.result.stdout + back.result.stderr
    assert len(back.posts["/outage"]) == 2                   # both stories, once each
    assert len({p["title"] for p in back.posts["/outage"]}) == 2
    again = scenario["again"]
    assert again.posts == back.posts and len(again.mails) == len(back.mails)
    assert {row["status"] for row in again.outbox} == {"sent"}


@pytest.mark.parametrize("rule", ["distillation", "nvidia"])
def test_backtest_returns_what_the_live_rule_alerted_on(scenario, rule):
    result = scenario[f"backtest-{rule}"].result
    assert result.returncode == 0, result.stderr
    backtested = [row["article_id"] for row in json.loads(result.stdout)]
    live = sorted({row["article_id"] for row in scenario["again"].outbox if row["rule"] == rule})
    assert backtested == live and live
