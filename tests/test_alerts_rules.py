"""Rules from the config: secrets from the environment, never stored; checks at load time."""

import pytest

from crawler.alerts.rules import AlertConfigError, find_rule, rule_from_table, rules_from_config
from crawler.config.loader import ConfigError, load_config


def test_secrets_are_expanded_at_send_time_and_masked_in_the_label():
    rule = rule_from_table({"name": "mail", "match": "grok",
                            "notify": ["mailto://bot:${SMTP_PASSWORD}@smtp.example.org?to=me@example.org"]})
    channel = rule.channels[0]
    assert channel.url({"SMTP_PASSWORD": "s3cret"}) == \
        "mailto://bot:s3cret@smtp.example.org?to=me@example.org"
    assert "s3cret" not in channel.label and "SMTP_PASSWORD" not in channel.label
    assert channel.label.startswith("mailto://bot:") and "smtp.example.org" in channel.label


def test_a_literal_password_is_masked_in_the_label():
    rule = rule_from_table({"name": "hook", "match": "grok",
                            "notify": ["json://user:hunter2@hooks.example.org/alerts"]})
    assert "hunter2" not in rule.channels[0].label
    assert rule.channels[0].label == "json://user:****@hooks.example.org/alerts"


def test_a_missing_variable_names_the_rule_and_the_variable():
    rule = rule_from_table({"name": "chat", "match": "grok", "notify": ["${SLACK_URL}"]})
    with pytest.raises(AlertConfigError) as error:
        rule.channels[0].url({})
    assert "'chat'" in str(error.value) and "SLACK_URL" in str(error.value)
    assert rule.channels[0].label == "${SLACK_URL}"


def test_urls_with_the_same_label_stay_apart():
    rule = rule_from_table({"name": "two", "match": "grok", "notify": [
        "json://a:one@hooks.example.org/x", "json://a:two@hooks.example.org/x"]})
    first, second = (channel.label for channel in rule.channels)
    assert first != second and first.startswith("json://a:****@hooks.example.org/x~")


def test_the_same_url_twice_is_one_channel():
    rule = rule_from_table({"name": "dup", "match": "grok",
                            "notify": ["json://127.0.0.1:9/x", "json://127.0.0.1:9/x"]})
    assert len(rule.channels) == 1


def test_find_rule_lists_the_known_rules():
    rules = [rule_from_table({"name": "a", "match": "x", "notify": ["json://h/x"]})]
    assert find_rule(rules, "a").name == "a"
    with pytest.raises(AlertConfigError, match="known: a"):
        find_rule(rules, "b")


def _config(tmp_path, alert: str):
    path = tmp_path / "c.toml"
    path.write_text('[[sources]]\nname = "wire"\nfeeds = ["https://wire.example/feed.xml"]\n\n'
                    f'[[alerts]]\nname = "r"\nnotify = ["json://127.0.0.1:9/x"]\n{alert}\n')
    return load_config(path)


def test_config_builds_rules(tmp_path):
    config = _config(tmp_path, 'match = "distill*"\ncompanies = ["xAI"]\nsources = ["wire"]\n'
                               'digest = "daily"')
    (rule,) = rules_from_config(config)
    assert (rule.match, rule.companies, rule.sources, rule.digest) == \
        ("distill*", ("xAI",), ("wire",), "daily")


@pytest.mark.parametrize("alert, key, problem", [
    ('match = "distill* AND"', "alerts[0].match", "FTS5"),
    ('match = "nosuchcolumn:grok"', "alerts[0].match", "no such column"),
    ('match = "grok"\nsources = ["nowhere"]', "alerts[0].sources", "not a configured source"),
    ('companies = []', "alerts[0]", "needs match, companies or both"),
    ('match = "grok"\ndigest = "weekly"', "alerts[0].digest", "not one of"),
])
def test_bad_rules_are_config_errors(tmp_path, alert, key, problem):
    with pytest.raises(ConfigError) as error:
        _config(tmp_path, alert)
    assert error.value.key == key and problem in error.value.problem


def test_a_rule_needs_a_channel(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[[alerts]]\nname = "r"\nmatch = "grok"\nnotify = []\n')
    with pytest.raises(ConfigError, match="alerts\\[0\\].notify: needs at least one"):
        load_config(path)


def test_untracked_company_names_are_reported_with_a_hint():
    from crawler.alerts.status import company_warnings
    from crawler.text.companies import load_companies

    rules = [rule_from_table({"name": "c", "companies": ["nvidia", "Mistral", "Acme Robotics"],
                              "notify": ["json://h/x"]})]
    warnings = company_warnings(rules, load_companies())
    assert len(warnings) == 2  # "nvidia" is Nvidia: names compare without case
    assert "'Mistral'" in warnings[0] and "did you mean 'Mistral AI'" in warnings[0]
    assert "'Acme Robotics'" in warnings[1] and "[[companies]]" in warnings[1]
