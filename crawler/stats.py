"""Stats keys shared by the spider, the pipelines and the run recorder.

Per-source counters live under `newsmon/source/<name>/...` in Scrapy's stats,
so one crawl of several sources still yields one `runs` row per source.
"""

PREFIX = "newsmon/source/"
UNWRITTEN_STAT = "newsmon/store/unwritten"   # articles given up because the archive refused them


def source_key(source: str, *parts: str) -> str:
    return PREFIX + "/".join((source, *parts))


def source_counters(stats: dict, source: str) -> dict[str, int]:
    """The counters of one source, keyed by what follows its prefix."""
    prefix = source_key(source) + "/"
    return {key[len(prefix):]: value for key, value in stats.items() if key.startswith(prefix)}


def sources_counting(stats: dict, *parts: str) -> set[str]:
    """The sources that have a counter `parts` (e.g. "errors", "write_failed")."""
    suffix = "/" + "/".join(parts)
    return {key[len(PREFIX):-len(suffix)] for key in stats
            if key.startswith(PREFIX) and key.endswith(suffix)}
