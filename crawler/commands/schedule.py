"""`newsmon schedule` (and `python scheduler.py`): the daemon of crawler/daemon/loop.py.

Both entry points are this one click command, so they take the same options
and run the same function. It imports neither Scrapy nor trafilatura: the
daemon runs crawls as child processes and stays small (about 50 MB).
"""

from __future__ import annotations

import sys

import click

from crawler.commands.common import config_option

LEVELS = click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False)


@click.command()
@config_option
@click.option("--stop-timeout", type=float, default=7.0, show_default=True,
              help="Seconds a running crawl gets to stop on SIGTERM/SIGINT before it is killed.")
@click.option("--crawl-timeout", type=float, default=1800.0, show_default=True,
              help="Seconds after which a crawl is stopped and its runs recorded as failed.")
@click.option("--alerts-every", type=float, default=60.0, show_default=True,
              help="Seconds between `newsmon alerts send` runs (0: never).")
@click.option("--batch-size", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Most sources crawled together by one crawl process (1: one per source).")
@click.option("--batch-window", type=click.FloatRange(min=0), default=2.0, show_default=True,
              help="Seconds to wait for more sources to fall due before starting a crawl.")
@click.option("--log-level", default="INFO", show_default=True, type=LEVELS)
@click.option("--crawl-log-level", default="WARNING", show_default=True, type=LEVELS,
              help="Log level of each crawl (its log is shown when it fails).")
def schedule(config_path, stop_timeout, crawl_timeout, alerts_every, batch_size, batch_window,
             log_level, crawl_log_level):
    """Run the daemon: crawl each source on its own `schedule`, send alerts, keep going.

    Sources due together are crawled by one `newsmon crawl` child process
    (up to --batch-size), one crawl at a time; each source still gets its own
    run. Config changes take effect without a restart. Stops cleanly on
    SIGTERM or SIGINT (exit 0). Exit 4 if another scheduler already runs on
    the same archive.

    Example: newsmon schedule --config newsmon.toml
    """
    from crawler.daemon.loop import Options, configure_logging, run_daemon

    configure_logging(log_level.upper())
    options = Options(stop_timeout=stop_timeout, crawl_timeout=crawl_timeout,
                      alerts_every=alerts_every, crawl_log_level=crawl_log_level.upper(),
                      batch_size=batch_size, batch_window=batch_window)
    sys.exit(run_daemon(config_path, options))
