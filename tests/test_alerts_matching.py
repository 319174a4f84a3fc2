"""Matching: once per rule per story, only new rows, companies and sources, backtest = live."""

from datetime import datetime, timezone

import pytest

from crawler.archive.alert_matching import (
    MatchError, backtest, ensure_marks, last_article_id, match_new, match_rule, matching_articles)
from crawler.alerts.rules import rule_from_table

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)

DISTILL = ("xAI told a court that it distills OpenAI models to train Grok, its chatbot. "
           "The admission came during testimony in the lawsuit between Musk and OpenAI over the "
           "nonprofit charter. Lawyers for both sides argued about what counts as knowledge "
           "transfer between frontier labs and what counts as misappropriation. Analysts said the "
           "practice is common across the industry and rarely disclosed in public filings.")
UPDATE = DISTILL + " Update: the judge scheduled a further hearing for next week on the exhibits."
CHIPS = ("Nvidia is reworking its China lineup after the export rules tightened again this week. "
         "The company said new parts would ship later in the year, and analysts expect revenue "
         "from the region to fall while the rules stay in place. Suppliers in Taiwan said orders "
         "were steady for now, and cloud providers kept their spending plans unchanged.")
FUNDING = ("Mistral AI raised a new funding round at a higher valuation, led by existing investors. "
           "The Paris company plans to spend the money on compute and on hiring researchers, and "
           "said its open-weight models keep gaining enterprise customers across Europe. Rivals "
           "raised larger rounds this year, but investors said the valuation reflects growth.")


def rule(**table):
    return rule_from_table({"name": "r", "notify": ["json://127.0.0.1:9/hook"], **table})


def queued(db, name="r"):
    return [tuple(row) for row in db.conn.execute(
        "SELECT article_id, story_id, channel FROM alerts WHERE rule = ? ORDER BY id", [name])]


def start(db, *rules):
    ensure_marks(db, rules, 0, NOW)


def test_a_story_and_its_syndicated_copy_fire_once(alert_archive):
    db, distill = alert_archive.db, rule(match="distill*")
    start(db, distill)
    original = alert_archive.add("xAI distills OpenAI models", DISTILL)
    copy = alert_archive.add("xAI admits distilling", DISTILL, source="aiwire")
    assert db.conn.execute("SELECT duplicate_of FROM articles WHERE id = ?", [copy]).fetchone()[0] == original
    assert match_rule(db, distill, NOW) == 1
    assert queued(db) == [(original, original, "json://127.0.0.1:9/hook")]


def test_a_copy_or_update_arriving_later_does_not_fire_again(alert_archive):
    db, distill = alert_archive.db, rule(match="distill*")
    start(db, distill)
    original = alert_archive.add("xAI distills OpenAI models", DISTILL)
    match_rule(db, distill, NOW)
    alert_archive.add("xAI admits distilling", DISTILL, source="aiwire")
    update = alert_archive.add("xAI distills OpenAI models (updated)", UPDATE)
    assert db.conn.execute("SELECT duplicate_of FROM articles WHERE id = ?", [update]).fetchone()[0] == original
    assert match_rule(db, distill, NOW) == 0
    assert len(queued(db)) == 1


def test_a_rerun_matches_nothing_and_only_new_rows_are_read(alert_archive):
    db, distill = alert_archive.db, rule(match="distill*")
    start(db, distill)
    alert_archive.add("xAI distills OpenAI models", DISTILL)
    match_rule(db, distill, NOW)
    assert match_rule(db, distill, NOW) == 0
    mark = db.conn.execute("SELECT last_article_id FROM alert_state WHERE rule = 'r'").fetchone()[0]
    assert mark == last_article_id(db)
    # Rows at or below the mark are never read again: drop the outbox, nothing comes back.
    db.conn.execute("DELETE FROM alerts")
    assert match_rule(db, distill, NOW) == 0


def test_a_new_rule_starts_at_its_mark_not_at_the_archive_start(alert_archive):
    db = alert_archive.db
    alert_archive.add("xAI distills OpenAI models", DISTILL)
    late = rule(match="distill* OR nvidia")
    ensure_marks(db, [late], last_article_id(db), NOW)
    chips = alert_archive.add("Nvidia reworks its China lineup", CHIPS, mentions=("Nvidia",))
    assert match_rule(db, late, NOW) == 1
    assert [row[0] for row in queued(db)] == [chips]


def test_company_rules_use_mentions(alert_archive):
    db, nvidia = alert_archive.db, rule(companies=["nvidia"])  # names compare without case
    start(db, nvidia)
    alert_archive.add("xAI distills OpenAI models", DISTILL, mentions=("xAI", "OpenAI"))
    chips = alert_archive.add("Nvidia reworks its China lineup", CHIPS, mentions=("Nvidia",))
    alert_archive.add("Mistral AI raises", FUNDING, mentions=("Mistral AI",))
    match_rule(db, nvidia, NOW)
    assert [row[0] for row in queued(db)] == [chips]


def test_match_and_companies_must_both_hold(alert_archive):
    db, both = alert_archive.db, rule(match="distill*", companies=["Mistral AI"])
    start(db, both)
    alert_archive.add("xAI distills OpenAI models", DISTILL, mentions=("xAI", "OpenAI"))
    alert_archive.add("Mistral AI raises", FUNDING, mentions=("Mistral AI",))
    assert match_rule(db, both, NOW) == 0


def test_sources_restrict_the_rule(alert_archive):
    db, wire = alert_archive.db, rule(match="distill* OR nvidia", sources=["aiwire"])
    start(db, wire)
    alert_archive.add("xAI distills OpenAI models", DISTILL)
    chips = alert_archive.add("Nvidia reworks its China lineup", CHIPS, source="aiwire")
    match_rule(db, wire, NOW)
    assert [row[0] for row in queued(db)] == [chips]


def test_every_channel_gets_a_row(alert_archive):
    db = alert_archive.db
    two = rule_from_table({"name": "two", "match": "distill*",
                           "notify": ["json://127.0.0.1:9/a", "mailto://127.0.0.1:25?to=b@example.org"]})
    start(db, two)
    alert_archive.add("xAI distills OpenAI models", DISTILL)
    assert match_rule(db, two, NOW) == 2
    assert {row[2] for row in queued(db, "two")} == {c.label for c in two.channels}


def test_a_failing_rule_keeps_its_mark_and_the_others_still_match(alert_archive):
    db = alert_archive.db
    broken = rule_from_table({"name": "broken", "match": "nosuchcolumn:x", "notify": ["json://h/x"]})
    good = rule(match="distill*")
    start(db, broken, good)
    alert_archive.add("xAI distills OpenAI models", DISTILL)
    counts, errors = match_new(db, [broken, good], NOW)
    assert counts == {"r": 1} and len(errors) == 1 and "broken" in errors[0]
    mark = db.conn.execute("SELECT last_article_id FROM alert_state WHERE rule = 'broken'").fetchone()[0]
    assert mark == 0
    with pytest.raises(MatchError):
        matching_articles(db, broken)


def test_backtest_returns_what_the_live_rule_queued(alert_archive):
    db, distill = alert_archive.db, rule(match="distill* OR nvidia")
    start(db, distill)
    alert_archive.add("xAI distills OpenAI models", DISTILL)
    match_rule(db, distill, NOW)  # live, in two batches, with a copy in the second
    alert_archive.add("xAI admits distilling", DISTILL, source="aiwire")
    alert_archive.add("Nvidia reworks its China lineup", CHIPS)
    alert_archive.add("Mistral AI raises", FUNDING)
    match_rule(db, distill, NOW)
    live = [(row[0], row[1]) for row in queued(db)]
    assert [(hit.article_id, hit.story_id) for hit in backtest(db, distill)] == live
    assert len(live) == 2


def test_backtest_since_keeps_only_stories_first_matched_in_the_window(alert_archive):
    db, distill = alert_archive.db, rule(match="distill*")
    alert_archive.add("xAI distills OpenAI models", DISTILL, fetched_at="2026-04-01T00:00:00Z")
    alert_archive.add("xAI admits distilling", DISTILL, source="aiwire", fetched_at="2026-05-01T00:00:00Z")
    assert backtest(db, distill, fetched_since="2026-04-15T00:00:00Z") == []
    assert len(backtest(db, distill, fetched_since="2026-03-01T00:00:00Z")) == 1
