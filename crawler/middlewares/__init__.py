"""Downloader middlewares: one component per module, as in Scrapy."""
