"""Health notices: a source turning unhealthy (or well again) reaches [health] notify."""

from crawler.alerts.health import health_message, notify_health
from conftest import unused_port


def test_unhealthy_source_is_announced_on_every_channel(alert_sinks):
    first, second = alert_sinks.webhook(), alert_sinks.webhook()
    results = notify_health([first.url("/ops"), second.url("/ops")], "techcrunch-ai", "failing",
                            "the last 3 runs failed")
    assert [r.ok for r in results] == [True, True]
    (post,) = first.wait_for(1, "/ops")
    assert post["title"] == "[newsmon] source techcrunch-ai is failing"
    assert "the last 3 runs failed" in post["message"]
    assert len(second.wait_for(1, "/ops")) == 1


def test_a_down_channel_or_missing_secret_is_reported_not_raised(monkeypatch):
    monkeypatch.delenv("NEWSMON_TEST_UNSET_TOKEN", raising=False)
    down = f"json://127.0.0.1:{unused_port()}/ops"
    results = notify_health([down, "json://127.0.0.1/${NEWSMON_TEST_UNSET_TOKEN}"], "s", "stale", "r")
    assert [r.ok for r in results] == [False, False]
    assert "NEWSMON_TEST_UNSET_TOKEN" in results[1].error


def test_recovery_message_and_escaping():
    message = health_message("<b>src</b>", "ok", "new articles again & again")
    assert message.subject == "[newsmon] source <b>src</b> is healthy again"
    assert "&lt;b&gt;src&lt;/b&gt;" in message.html and "again &amp; again" in message.html
