"""The daemon: when each source is due, batched crawl children, config reload."""
