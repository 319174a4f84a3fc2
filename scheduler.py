"""The newsmon daemon: crawl each source on its own schedule, send alerts, keep going.

    python scheduler.py [--config newsmon.toml] [options]   (same as: newsmon schedule)

This file is only an entry point: it runs the `newsmon schedule` command
itself (crawler/commands/schedule.py), so both take the same options and run
the same daemon (crawler/daemon/loop.py, where the run model is explained).
"""

from __future__ import annotations

from crawler.commands.schedule import schedule


def main(argv=None):
    return schedule.main(args=argv, prog_name="scheduler.py")


if __name__ == "__main__":
    main()
