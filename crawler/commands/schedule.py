"""`newsmon schedule`: the daemon (scheduler.py) as a newsmon command."""

from __future__ import annotations

import sys

import click

from crawler.commands.common import config_option


@click.command()
@config_option
@click.option("--stop-timeout", type=float, default=7.0, show_default=True,
              help="Seconds a running crawl gets to stop on SIGTERM/SIGINT before it is killed.")
@click.option("--crawl-timeout", type=float, default=1800.0, show_default=True,
              help="Seconds after which a crawl is stopped and recorded as failed.")
@click.option("--alerts-every", type=float, default=60.0, show_default=True,
              help="Seconds between `newsmon alerts send` runs (0: never).")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
def schedule(config_path, stop_timeout, crawl_timeout, alerts_every, log_level):
    """Run the daemon: crawl each source on its own `schedule`, send alerts, keep going.

    Each crawl is a `newsmon crawl --source NAME` child process, one at a time.
    Stops cleanly on SIGTERM or SIGINT (exit 0). Exit 4 if another scheduler
    already runs on the same archive.

    Example: newsmon schedule --config newsmon.toml
    """
    import scheduler

    argv = ["--stop-timeout", str(stop_timeout), "--crawl-timeout", str(crawl_timeout),
            "--alerts-every", str(alerts_every), "--log-level", log_level.upper()]
    if config_path:
        argv += ["--config", config_path]
    sys.exit(scheduler.main(argv))
