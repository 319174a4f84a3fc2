"""Build and run the Datasette instance `newsmon serve` starts.

Datasette and its plugins do the web work (tables, facets, SQL, JSON, CSV,
charts through datasette-dashboards); newsmon adds its metadata, queries,
home page and feeds (crawler/web/plugin.py). The archive is served as a
*mutable* database, which Datasette reads through `?mode=ro` connections:
unlike `-i` (immutable), that stays correct while a crawl writes to it, and
crawler.web.plugin makes every connection query-only as well.
"""

from __future__ import annotations

import asyncio
import logging

import uvicorn
from pathlib import Path

from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from crawler.web import plugin
from crawler.web.metadata import SETTINGS, build_metadata

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")


def build_datasette(config, settings: dict | None = None) -> Datasette:
    """A Datasette serving `config`'s archive as /newsmon, with newsmon's plugin registered.

    `settings` override newsmon's Datasette settings (the benchmark lifts the time limit).
    """
    if not pm.is_registered(plugin):
        pm.register(plugin, name="newsmon")
    datasette = Datasette(files=[], metadata=build_metadata(config), template_dir=str(TEMPLATES),
                          settings={**SETTINGS, **(settings or {})})
    datasette.remove_database("_memory")
    datasette.add_database(Database(datasette, path=str(config.archive_path), is_mutable=True),
                           name=plugin.DATABASE)
    return datasette


def serve(config, host: str, port: int, log_level: str = "info") -> None:
    """Run the dashboard until interrupted (uvicorn, one worker, as `datasette serve` does)."""
    datasette = build_datasette(config)
    asyncio.run(datasette.invoke_startup())  # plugins' startup hooks, as datasette serve runs them
    logger.info("serving %s read-only at http://%s:%d/", config.archive_path, host, port)
    uvicorn.run(datasette.app(), host=host, port=port, log_level=log_level, lifespan="on",
                workers=1)
