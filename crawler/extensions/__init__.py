"""Scrapy extensions: the run recorder, the alert step, quiet logs for expected failures."""
