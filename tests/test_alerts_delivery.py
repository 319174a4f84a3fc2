"""deliver() (crawler/alerts/delivery.py): one message to one channel over real sockets.

A webhook receiver and an SMTP server on loopback stand for the channels; a failure of
any kind comes back as Delivery(ok=False, error) naming the channel by its label only.
"""

from __future__ import annotations

from crawler.alerts.delivery import Delivery, deliver
from crawler.alerts.messages import Message
from conftest import unused_port

MESSAGE = Message(subject="[newsmon] r: Chips", text="Export **rules** tightened.",
                  html="<p>Export <mark>rules</mark> tightened.</p>")


def test_a_webhook_gets_the_subject_and_the_text_body(webhook_receiver):
    assert deliver(webhook_receiver.url("/d"), "json://127.0.0.1/d", MESSAGE).ok
    (post,) = webhook_receiver.wait_for(1, "/d")
    assert (post["title"], post["message"]) == (MESSAGE.subject, MESSAGE.text)


def test_email_gets_the_html_body_with_a_text_alternative(smtp_server):
    assert deliver(smtp_server.url(to="me@example.org"), "mailto://127.0.0.1", MESSAGE).ok
    (mail,) = smtp_server.wait_for(1)
    assert mail["Subject"] == MESSAGE.subject and mail["To"] == "me@example.org"
    assert "<mark>rules</mark>" in mail.get_body(("html",)).get_content()
    assert "rules" in mail.get_body(("plain",)).get_content()


def test_a_channel_answering_an_error_is_a_failed_delivery(alert_sinks):
    broken = alert_sinks.webhook(status=500)
    result = deliver(broken.url("/d"), "json://127.0.0.1/d", MESSAGE)
    assert not result.ok and "500" in result.error
    assert len(broken.posts("/d")) == 1   # it was tried, and it was the channel that said no


def test_a_refused_connection_is_a_failed_delivery_without_the_secret():
    url = f"json://user:s3cret@127.0.0.1:{unused_port()}/d"
    result = deliver(url, "json://user:****@127.0.0.1/d", MESSAGE)
    assert not result.ok and result.error and "s3cret" not in result.error


def test_an_unknown_scheme_is_a_failed_delivery_naming_the_label():
    result = deliver("nosuchscheme://x", "nosuchscheme://(unparsed)", MESSAGE)
    assert result == Delivery(False, "apprise does not understand the notify URL "
                                     "nosuchscheme://(unparsed)")
