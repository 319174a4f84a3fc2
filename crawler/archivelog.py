"""One log line, not a traceback, when the archive (not newsmon) is at fault.

A damaged or full archive makes SQLite fail wherever the crawl touches it:
in the spider's start, its callbacks, the pipelines. Scrapy logs each such
failure with a full traceback, which reads like a bug in newsmon and floods
cron mail; the crawl's own summary and exit code (3 or 7) already say what is
wrong and what to do. This filter, on the handlers of the root logger, keeps
the first line of those records and the SQLite message, and drops the rest.
"""

from __future__ import annotations

import logging

from crawler.archive.errors import is_archive_fault


class ArchiveFaultFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None or not is_archive_fault(error):
            return True
        line = record.getMessage().split("\n", 1)[0]
        if str(error) not in line:
            line = f"{line}: archive error: {error}"
        record.msg, record.args = line, ()
        record.exc_info = record.exc_text = None
        return True


def quiet_archive_faults() -> None:
    """Install the filter on every root handler (once each)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, ArchiveFaultFilter) for f in handler.filters):
            handler.addFilter(ArchiveFaultFilter())
