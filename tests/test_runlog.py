"""How a crawl's counters become a `runs` row and how failures are named."""

import pytest
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError

from crawler.failures import classify
from crawler.extensions.runrecorder import run_outcome, summarise
from crawler.stats import counters_by_source, source_key


@pytest.mark.parametrize("counters, reason, outcome", [
    ({"listings_ok": 2, "requests": 5}, "finished", "ok"),
    ({"listings_ok": 2, "errors/http_404": 1}, "finished", "partial"),
    ({"listings_failed": 1, "errors/connection": 1}, "finished", "failed"),
    ({"listings_ok": 1}, "shutdown", "interrupted"),
    ({"listings_ok": 1, "new_articles": 3, "errors/write_failed": 2}, "finished", "partial"),
    ({"listings_ok": 1, "errors/write_failed": 5}, "finished", "failed"),
])
def test_run_outcome(counters, reason, outcome):
    assert run_outcome(counters, reason) == outcome


def test_summary_groups_reasons():
    counters = {"requests": 9, "new_articles": 3, "duplicates": 1, "not_modified": 2, "listings_ok": 3,
                "dropped/not_html": 2, "dropped/too_large": 1, "errors/timeout": 1, "already_seen": 4}
    run = summarise("fn", counters, "2026-05-01T00:00:00Z", "finished")
    assert (run["requests"], run["new_articles"], run["duplicates"], run["not_modified"]) == (9, 3, 1, 2)
    assert run["dropped"] == 3 and run["errors"] == 1 and run["outcome"] == "partial"
    assert run["details"]["dropped"] == {"not_html": 2, "too_large": 1}
    assert run["details"]["already_seen"] == 4


def test_source_counters_separate_sources_with_shared_prefixes():
    stats = {source_key("ai", "requests"): 1, source_key("ai-labs", "requests"): 7, "other": 3}
    assert counters_by_source(stats, ["ai"]) == {"ai": {"requests": 1}}
    assert counters_by_source(stats, ["ai", "ai-labs"]) == {"ai": {"requests": 1},
                                                            "ai-labs": {"requests": 7}}


def http_error(status):
    return HttpError(Response("http://h/x", status=status, request=Request("http://h/x")), "bad")


@pytest.mark.parametrize("exception, expected", [
    (http_error(404), ("errors", "http_404")),
    (http_error(500), ("errors", "http_500")),
    (DownloadTimeoutError("took longer"), ("errors", "timeout")),
    (ConnectionRefusedError(), ("errors", "connection")),
    (DNSLookupError(), ("errors", "connection")),
    (IgnoreRequest("max redirections reached"), ("errors", "redirect_loop")),
    (IgnoreRequest("... exceeded DOWNLOAD_MAXSIZE (1048576 B) during decompression."), ("dropped", "too_large")),
    (DownloadCancelledError("larger than download max size"), ("dropped", "too_large")),
    (IgnoreRequest("Forbidden by robots.txt"), ("dropped", "robots_disallowed")),
    (ValueError("?"), ("errors", "other")),
])
def test_failures_are_named(exception, expected):
    assert classify(exception) == expected


def test_sources_with_a_counter():
    from crawler.stats import sources_counting

    stats = {source_key("a", "errors", "write_failed"): 2, source_key("b", "errors", "http_404"): 1,
             source_key("c/d", "errors", "write_failed"): 1}
    assert sources_counting(stats, "errors", "write_failed") == {"a", "c/d"}
