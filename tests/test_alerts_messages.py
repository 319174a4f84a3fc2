"""Messages: escaped HTML with <mark>, **..** in text, one-line subjects, digests; real email."""

from datetime import datetime, timezone

from crawler.alerts.details import MARK_END, MARK_START, AlertItem, alert_items
from crawler.archive.alert_matching import ensure_marks
from crawler.alerts.messages import alert_message, digest_message
from crawler.alerts.rules import rule_from_table
from crawler.alerts.sender import run_alerts

HOSTILE = 'Labs <script>alert("x")</script> & distillation'


def item(**fields) -> AlertItem:
    values = dict(article_id=1, story_id=1, title="xAI distills OpenAI models",
                  url="https://frontiernews.example/a?x=1&y=2", source="frontiernews",
                  sitename="FrontierNews", published="2026-05-01T09:00:00Z",
                  fetched_at="2026-05-01T09:05:00Z", outlets=["frontiernews", "aiwire"],
                  companies=["xAI", "OpenAI"],
                  snippet=f"… it {MARK_START}distills{MARK_END} <b>OpenAI</b> models …")
    return AlertItem(**{**values, **fields})


def test_a_message_carries_every_fact():
    message = alert_message("distillation", item())
    assert message.subject == "[newsmon] distillation: xAI distills OpenAI models"
    for part in (message.text, message.html):
        for fact in ("distillation", "frontiernews, aiwire", "2026-05-01 09:00 UTC", "xAI, OpenAI"):
            assert fact in part
    assert "https://frontiernews.example/a?x=1&y=2" in message.text
    assert "**distills**" in message.text


def test_html_escapes_article_text_and_marks_the_match():
    html = alert_message("r", item(title=HOSTILE)).html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>distills</mark>" in html
    assert "&lt;b&gt;OpenAI&lt;/b&gt;" in html
    assert 'href="https://frontiernews.example/a?x=1&amp;y=2"' in html


def test_subjects_are_one_line():
    assert "\n" not in alert_message("r", item(title="Two\nlines")).subject


def test_a_digest_lists_each_story():
    stories = [item(article_id=n, story_id=n, title=f"Story {n}") for n in (1, 2, 3)]
    message = digest_message("r", "daily", stories)
    assert message.subject == "[newsmon] r: 3 stories (daily digest)"
    assert all(message.text.count(f"Story {n}\n") == 1 for n in (1, 2, 3))
    assert message.html.count("<h3>") == 3


def test_company_rules_highlight_the_mention(alert_archive):
    article = alert_archive.add("Chips", "Export rules tightened. Nvidia reworks its China lineup "
                                "for the new rules.", mentions=("Nvidia",))
    rule = rule_from_table({"name": "n", "companies": ["Nvidia"], "notify": ["json://h/x"]})
    snippet = alert_items(alert_archive.db, rule, [article])[article].snippet
    assert f"{MARK_START}Nvidia{MARK_END}" in snippet


def test_email_is_html_with_a_text_alternative(alert_archive, smtp_server):
    """What apprise really sends to an SMTP server: checked with aiosmtpd on loopback."""
    db = alert_archive.db
    rule = rule_from_table({"name": "distillation", "match": "distill*",
                            "notify": [smtp_server.url(to="me@example.org")]})
    ensure_marks(db, [rule], 0, datetime.now(timezone.utc))
    alert_archive.add(HOSTILE, "Researchers showed how distillation moves skills from a large "
                      "model to a small one. " * 8, url="https://frontiernews.example/x?a=1&b=2")
    assert run_alerts(db, [rule]).sent == 1
    (mail,) = smtp_server.wait_for(1)
    assert mail["Subject"] == f"[newsmon] distillation: {HOSTILE}"
    assert mail["To"] == "me@example.org"
    assert mail.get_content_type() == "multipart/alternative"
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "<mark>distillation</mark>" in html.lower()
    assert HOSTILE in text and "<mark>" not in text
    assert "https://frontiernews.example/x?a=1&b=2" in text
