"""Name why a request failed, in the words the run summary uses.

Scrapy reports failures as exceptions of many kinds (its own, Twisted's);
users want a handful of reasons they can act on. Oversized responses and
robots.txt refusals are not errors of the source: they count as dropped, and
so do URLs newsmon refuses to fetch (private_address, bad_scheme, bad_url).
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_errors

from crawler.middlewares.privatenet import RefusedURL

TIMEOUTS = (DownloadTimeoutError, twisted_errors.TimeoutError, twisted_errors.TCPTimedOutError)
CONNECTION = (
    DownloadConnectionRefusedError, CannotResolveHostError, twisted_errors.ConnectionRefusedError,
    twisted_errors.DNSLookupError, twisted_errors.ConnectError, twisted_errors.ConnectionLost,
)


def classify(exception: BaseException) -> tuple[str, str]:
    """('errors' | 'dropped', reason) for a failed request's exception."""
    if isinstance(exception, HttpError):
        return "errors", f"http_{exception.response.status}"
    if isinstance(exception, TIMEOUTS):
        return "errors", "timeout"
    if isinstance(exception, CONNECTION):
        return "errors", "connection"
    if isinstance(exception, DownloadCancelledError):
        return "dropped", "too_large"
    if isinstance(exception, RefusedURL):
        return "dropped", exception.reason
    if isinstance(exception, IgnoreRequest):
        message = str(exception)
        if "max redirections" in message or "redirect loop" in message:
            return "errors", "redirect_loop"
        if "DOWNLOAD_MAXSIZE" in message or "max size" in message:
            return "dropped", "too_large"
        if "robots.txt" in message:
            return "dropped", "robots_disallowed"
        return "dropped", "ignored"
    return "errors", "other"
