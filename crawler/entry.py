"""The `newsmon` console script: hold stop signals first, then import and run the CLI.

Importing the commands takes a good part of a second; see crawler/earlystop.py
for why a SIGTERM in that time must not kill a crawl with status 143.
"""

from crawler import earlystop


def main():
    earlystop.hold()
    from crawler.cli import main as cli

    return cli()
