"""Shared test fixtures: the local fixture web, configs for it, the CLI (as a child process,
or in-process for commands that do not crawl), a fresh archive, alert sinks, and `wait_for`
for anything that happens in another thread or process.

The crawl runs in a child process (`python -m crawler.cli`, the same entry point as the
`newsmon` console script) because that is how users and the scheduler run it, and because
Scrapy's reactor cannot be restarted inside one test process.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fixtureweb import FixtureWeb, serve_fixture_web, write_config_file

REPO = Path(__file__).resolve().parent.parent


def newsmon_env(env: dict | None = None) -> dict:
    """The environment of a child newsmon: ours without NEWSMON_CONFIG, plus `env`."""
    child = {k: v for k, v in os.environ.items() if k != "NEWSMON_CONFIG"}
    child["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), child.get("PYTHONPATH")]))
    child.update(env or {})
    return child


@pytest.fixture(scope="session")
def run_newsmon(tmp_path_factory):
    """run_newsmon(*args, env=None, timeout=120, cwd=None) -> CompletedProcess (text).

    The default working directory is an empty temporary folder, so a crawl that
    falls back to the built-in config never writes into the repository.
    """
    default_cwd = tmp_path_factory.mktemp("newsmon-cwd")

    def run(*args, env=None, timeout=120, cwd=None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "crawler.cli", *map(str, args)],
                              capture_output=True, text=True, timeout=timeout,
                              cwd=cwd or default_cwd, env=newsmon_env(env))

    return run


def wait_for(predicate, timeout: float = 10.0, what: str = "the condition", interval: float = 0.05):
    """Poll `predicate` until it returns something truthy and return that; fail after `timeout` s.

    For what another thread or process does: a positive signal to wait for, never a sleep.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def invoke_newsmon(*args, env: dict | None = None):
    """`newsmon ARGS` run in this process by click's CliRunner -> click Result.

    For commands that do not crawl: no child process to start, and an unexpected
    exception fails the test with its traceback. `env` is added to the environment.
    """
    from click.testing import CliRunner

    from crawler.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


@pytest.fixture
def db(tmp_path):
    """A fresh archive (schema up to date) at tmp_path/archive.db, closed after the test."""
    from crawler.archive import open_archive

    database = open_archive(tmp_path / "archive.db")
    yield database
    database.close()


@pytest.fixture
def fixture_web() -> FixtureWeb:
    """Both fixture sites (frontiernews on 127.0.0.1, aiwire on 127.0.0.2), fresh per test."""
    with serve_fixture_web() as web:
        yield web


@pytest.fixture
def write_config(fixture_web):
    """write_config(tmp_path, **overrides) -> Path of a TOML config for `fixture_web`.

    Overrides: archive="name.db", sources=[...], name="file.toml", and any [crawl] key
    (timeout, max_page_mb, obey_robots, user_agent). Defaults: timeout 1.5 s,
    max_page_mb 1, obey_robots true, archive newsmon.db next to the config.
    """
    def write(tmp_path, **overrides) -> Path:
        return write_config_file(fixture_web, tmp_path, **overrides)

    return write


# -- alert sinks: a webhook receiver and an SMTP server on loopback ------------------------
# Real servers, so alert tests exercise apprise's HTTP and SMTP code over real sockets.


def newsmon_crawler(settings: dict | None = None):
    """A Scrapy crawler for building one component: newsmon's own settings (crawler/settings.py,
    where each default is declared) with `settings` on top, Scrapy's components otherwise."""
    from scrapy.utils.test import get_crawler

    import crawler.settings as project

    ours = {name: value for name, value in vars(project).items() if name.startswith("NEWSMON_")}
    return get_crawler(settings_dict={**ours, **(settings or {})})


def unused_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (right now): connections to it are refused."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class _WebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.receiver._record(self.path, body)
        self.send_response(self.server.receiver.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        """Silent."""


class WebhookReceiver:
    """Records every POST and answers `status`; `url(path)` is the apprise json:// URL that posts here."""

    def __init__(self, port: int = 0, status: int = 200):
        self.status = status
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _WebhookHandler)
        self._server.daemon_threads = True
        self._server.receiver = self
        self.port = self._server.server_address[1]
        self._posts: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def _record(self, path: str, body: bytes) -> None:
        with self._lock:
            self._posts.append((path, json.loads(body)))

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def posts(self, path: str | None = None) -> list[dict]:
        """JSON bodies received ({version, title, message, attachments, type}), oldest first."""
        with self._lock:
            return [body for p, body in self._posts if path is None or p == path]

    def wait_for(self, count: int, path: str | None = None, timeout: float = 10.0) -> list[dict]:
        """The posts once there are `count`, or all there are after `timeout` (callers assert)."""
        with suppress(AssertionError):
            wait_for(lambda: len(self.posts(path)) >= count, timeout)
        return self.posts(path)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class SmtpServer:
    """An aiosmtpd server without TLS or AUTH; `messages` are parsed email.message objects."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self._messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()
        self.port = unused_port()  # aiosmtpd's Controller cannot take port 0
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self._messages.append(message)
        return "250 OK"

    def url(self, to: str = "alerts@example.org", sender: str = "newsmon@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?from={sender}&to={to}"

    @property
    def messages(self) -> list:
        with self._lock:
            return list(self._messages)

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        """The messages once there are `count`, or all there are after `timeout` (callers assert)."""
        with suppress(AssertionError):
            wait_for(lambda: len(self.messages) >= count, timeout)
        return self.messages

    def stop(self) -> None:
        self._controller.stop()


class AlertSinks:
    """Starts webhook receivers and SMTP servers on demand; stops them all at the end."""

    def __init__(self):
        self._running = []

    def webhook(self, port: int = 0, status: int = 200) -> WebhookReceiver:
        self._running.append(WebhookReceiver(port, status))
        return self._running[-1]

    def smtp(self) -> SmtpServer:
        self._running.append(SmtpServer())
        return self._running[-1]

    def stop(self) -> None:
        for sink in reversed(self._running):
            sink.stop()


@contextmanager
def serve_alert_sinks():
    sinks = AlertSinks()
    try:
        yield sinks
    finally:
        sinks.stop()


@pytest.fixture
def alert_sinks() -> AlertSinks:
    """Factory for more receivers in one test (e.g. one started late on a refused port)."""
    with serve_alert_sinks() as sinks:
        yield sinks


@pytest.fixture
def webhook_receiver(alert_sinks) -> WebhookReceiver:
    """A running webhook receiver on 127.0.0.1 recording the JSON apprise posts."""
    return alert_sinks.webhook()


@pytest.fixture
def smtp_server(alert_sinks) -> SmtpServer:
    """A running aiosmtpd server on 127.0.0.1 (no TLS, no AUTH) keeping parsed messages."""
    return alert_sinks.smtp()


class ArchiveWriter:
    """A fresh archive plus `add(...)`: articles stored the way the crawl stores them.

    `add` goes through save_articles with the body's exact hash and MinHash
    signature, so copies and updates get `duplicate_of` exactly as in a crawl.
    """

    def __init__(self, path: Path):
        from crawler.archive import open_archive

        self.path = path
        self.db = open_archive(path)
        self._count = 0

    def add(self, title: str, body: str, *, source: str = "frontiernews", url: str | None = None,
            published: str = "2026-05-01T09:00:00Z", fetched_at: str | None = None,
            mentions: tuple[str, ...] = ()) -> int:
        """Store one article; `mentions` are company names found in the body. Returns its id."""
        from crawler.archive.articles import save_articles
        from crawler.text.neardup import fingerprints

        self._count += 1
        body_hash, body_signature = fingerprints(body)
        article = {
            "url": url or f"https://{source}.example/story-{self._count}", "source": source,
            "title": title, "body": body, "published": published, "sitename": source,
            "fetched_at": fetched_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "word_count": len(body.split()), "content_hash": body_hash,
            "signature": body_signature, "mentions": [_mention(body, name) for name in mentions],
        }
        return save_articles(self.db, [article], near_threshold=0.5)[0].article_id


def _mention(body: str, company: str) -> dict:
    offset = max(body.find(company), 0)
    return {"company": company, "count": max(body.count(company), 1), "in_title": False,
            "first_offset": offset, "matched": company,
            "snippet": body[max(offset - 60, 0):offset + 80]}


@pytest.fixture
def alert_archive(tmp_path) -> ArchiveWriter:
    """An empty archive at tmp_path/archive.db (schema up to date), with `add(...)`."""
    writer = ArchiveWriter(tmp_path / "archive.db")
    yield writer
    writer.db.close()
