"""`newsmon serve`: the archive in the browser (Datasette), read-only."""

from __future__ import annotations

import click

from crawler.commands.common import config_option, load_config_or_exit, open_archive_or_exit


@click.command()
@config_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep 127.0.0.1 and use an SSH tunnel, or put an "
                   "authenticating proxy in front (see README, Dashboard).")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(config_path, host, port, log_level):
    """Serve the archive read-only in the browser: home page, queries, dashboard, alert feeds.

    A crawl or the daemon can keep writing to the archive meanwhile.

    Example: newsmon serve --config newsmon.toml --port 8001
    """
    from crawler.web.app import serve as run_server  # Datasette is imported only here

    config = load_config_or_exit(config_path)
    open_archive_or_exit(config.archive_path).close()  # create or upgrade the schema first
    click.echo(f"newsmon: serving {config.archive_path} read-only at http://{host}:{port}/",
               err=True)
    run_server(config, host, port, log_level)
