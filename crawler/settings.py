"""Scrapy settings for newsmon.

Values that users choose (user agent, timeout, robots, size limit, sources,
archive) come from the TOML config: `NewsSpider.update_settings` loads it
(`NEWSMON_CONFIG_PATH`, else $NEWSMON_CONFIG, else the built-in file) and sets
them, so `scrapy crawl news` and `newsmon crawl` run the same crawl.
"""

BOT_NAME = "newsmon"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Politeness: robots.txt (config can turn it off), AutoThrottle, per-domain limits.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_DELAY = 0
RETRY_TIMES = 1
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawler.logformatter.NewsmonLogFormatter"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.conditional.ConditionalRequestMiddleware": 560,
    # Above RedirectMiddleware (600), so it sees a redirect before it is followed.
    "crawler.middlewares.redirectloop.RedirectLoopMiddleware": 650,
}

EXTENSIONS = {
    "crawler.runlog.RunRecorder": 500,
    "crawler.alerts.extension.AlertsExtension": 510,
}

ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.dedup.DedupPipeline": 200,
    "pipelines.tagging.TaggingPipeline": 300,
    "pipelines.store.StorePipeline": 900,
}

# newsmon's own settings (defaults; the config overrides most of them).
NEWSMON_CONFIG_PATH = None          # None: $NEWSMON_CONFIG or the built-in config
NEWSMON_ONLY_SOURCES = []           # crawl only these sources (newsmon crawl --source)
NEWSMON_MIN_WORDS = 50              # shorter bodies are dropped as too_short
NEWSMON_EXTRACT_WORKERS = None      # None: one extraction process per core; 0: inline
NEWSMON_EXTRACT_TASKS_PER_WORKER = 2000  # recycle workers: bounded memory in long crawls
NEWSMON_EXTRACTION_TIMEOUT = 30.0   # seconds per page in a worker ([crawl] extraction_timeout)
NEWSMON_MAX_PAGE_ELEMENTS = 30000   # pages with more start tags are dropped as too_complex
NEWSMON_STORE_BATCH = 50            # articles per archive transaction
NEWSMON_STORE_FLUSH_SECONDS = 1.0   # and at least this often
