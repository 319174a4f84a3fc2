"""Stats keys shared by the spider, the pipelines and the run recorder.

Per-source counters live under `newsmon/source/<name>/...` in Scrapy's stats,
so one crawl of several sources still yields one `runs` row per source.
"""

PREFIX = "newsmon/source/"
RUN_IDS_STAT = "newsmon/run_ids"   # the `runs` ids a crawl recorded (see crawler/extensions/runrecorder.py)
UNWRITTEN_STAT = "newsmon/store/unwritten"   # articles given up because the archive refused them


def source_key(source: str, *parts: str) -> str:
    return PREFIX + "/".join((source, *parts))


def counters_by_source(stats: dict, sources) -> dict[str, dict[str, int]]:
    """Each source's counters, keyed by what follows its prefix, in one pass over the stats.

    A crawl of thousands of sources has tens of thousands of keys; scanning them
    once per source would cost seconds. A key belongs to the longest source name
    it starts with (names may contain '/')."""
    names = set(sources)
    grouped: dict[str, dict[str, int]] = {name: {} for name in names}
    for key, value in stats.items():
        if not key.startswith(PREFIX):
            continue
        rest = key[len(PREFIX):]
        cut = rest.rfind("/")
        while cut > 0 and rest[:cut] not in names:
            cut = rest.rfind("/", 0, cut)
        if cut > 0:
            grouped[rest[:cut]][rest[cut + 1:]] = value
    return grouped


def sources_counting(stats: dict, *parts: str) -> set[str]:
    """The sources that have a counter `parts` (e.g. "errors", "write_failed")."""
    suffix = "/" + "/".join(parts)
    return {key[len(PREFIX):-len(suffix)] for key in stats
            if key.startswith(PREFIX) and key.endswith(suffix)}
