"""Scrapy settings for newsmon.

Values that users choose (user agent, timeout, robots, size limit, sources,
archive) come from the TOML config: `NewsSpider.update_settings` loads it
(`NEWSMON_CONFIG_PATH`, else $NEWSMON_CONFIG, else the built-in file) and sets
them, so `scrapy crawl news` and `newsmon crawl` run the same crawl.
"""

from crawler.net.policy import DEFAULT_PRIVATE_NETWORKS
from scrapy.settings import default_settings as _defaults

BOT_NAME = "newsmon"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Politeness: robots.txt (config can turn it off), AutoThrottle, per-domain limits.
ROBOTSTXT_OBEY = True
# Politeness is per host (4 at a time, AutoThrottle); the global cap only bounds the
# whole crawl. One crawl covers hundreds of sources on as many hosts, where a cap of 16
# made requests queue: 500 feeds answering 304 took 11 s at 16, 5 s at 64 (measured).
CONCURRENT_REQUESTS = 64
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Items (or requests) of ONE response handled at a time. Scrapy starts that many asyncio
# tasks for every response, whatever it yields: at the default of 100 an article page
# (one item) cost ~100 tasks, a fifth of the crawl process's CPU (profiled). Listings'
# requests are only queued and each article page yields one item, so 4 loses nothing.
CONCURRENT_ITEMS = 4
# Bytes of responses Scrapy holds between download and the end of their items before it
# stops sending requests (default 5 MB). Article pages wait there for an extraction
# worker; at 5 MB a few large pages (1-2 MB, and the slowest to extract) filled it, so
# one worker extracted them while the other had nothing queued: 0.2-0.3 s idle gaps in
# a 200-page crawl, 5-10% of its time (benchmarks/throughput.py). 16 MB keeps both
# workers fed and still bounds what a crawl holds in memory.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 16_000_000
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_DELAY = 0
RETRY_TIMES = 1
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = False
# No control endpoints: the telnet console and Scrapy 2.19's remote-control HTTP server
# (which runs code sent to it and writes job files under ~/.local/state/scrapy/).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# The private-address check resolves each host before the request; the cache hands the
# connection that same checked address (see crawler/middlewares/privatenet.py).
DNSCACHE_ENABLED = True
LOG_LEVEL = "INFO"
# Scrapy's default list ends with "Platform", which runs `uname -p` in a child process at
# every start: a fork per crawl, and per daemon run, for a line nobody reads twice.
LOG_VERSIONS = ["lxml", "libxml2", "Twisted", "Python", "trafilatura"]
LOG_FORMATTER = "crawler.logformatter.NewsmonLogFormatter"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

DOWNLOADER_MIDDLEWARES = {
    # First of all (robots.txt is 100): a refused URL costs no request, not even robots.txt.
    "crawler.middlewares.privatenet.PrivateAddressMiddleware": 50,
    "crawler.middlewares.conditional.ConditionalRequestMiddleware": 560,
    # Above RedirectMiddleware (600), so it sees a redirect before it is followed.
    "crawler.middlewares.redirectloop.RedirectLoopMiddleware": 650,
}

EXTENSIONS = {
    "crawler.extensions.quietlog.QuietExpectedFailures": 0,
    "crawler.extensions.runrecorder.RunRecorder": 500,
    "crawler.extensions.alerts.AlertsExtension": 510,
}

# Scrapy components newsmon never uses are left out of the *_BASE lists. Setting
# them to None is not enough: Scrapy imports every listed component at start-up to
# compare the names, even those it then drops, and a crawl that finds nothing new
# should cost well under a second of CPU. Cookies (off) pull in tldextract and
# requests, remote control aiohttp's web server; ~0.2 s of CPU together, measured.
_UNUSED = {
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",        # COOKIES_ENABLED = False
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware",    # no HTTP cache
    "scrapy.extensions.telnet.TelnetConsole",                        # TELNETCONSOLE_ENABLED = False
    "scrapy.extensions.memdebug.MemoryDebugger",
    "scrapy.extensions.feedexport.FeedExporter",                     # items go to the archive
    "scrapy.extensions.spiderstate.SpiderState",                     # no JOBDIR
    "scrapy.extensions.remote_control.RemoteControl",
}
DOWNLOADER_MIDDLEWARES_BASE = {name: order for name, order in
                               _defaults.DOWNLOADER_MIDDLEWARES_BASE.items()
                               if name not in _UNUSED}
EXTENSIONS_BASE = {name: order for name, order in _defaults.EXTENSIONS_BASE.items()
                   if name not in _UNUSED}
# Sources are http(s) URLs only (crawler/config/spec.py).
DOWNLOAD_HANDLERS_BASE = {scheme: handler for scheme, handler in
                          _defaults.DOWNLOAD_HANDLERS_BASE.items() if scheme in ("http", "https")}

ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.dedup.DedupPipeline": 200,
    "pipelines.store.StorePipeline": 900,
}

# newsmon's own settings: each declared here once, with its default. Components read
# them as plain values (never the Config object); `settings_from_config`
# (crawler/config/scrapy_settings.py) sets those that come from the user's config.
NEWSMON_CONFIG_PATH = None          # config file to load; None: $NEWSMON_CONFIG or the built-in config
NEWSMON_ARCHIVE = None              # archive file ([archive] path); None until a config is applied
NEWSMON_SOURCES = []                # crawler.config.loader.Source values ([[sources]])
NEWSMON_ONLY_SOURCES = []           # crawl only these sources (newsmon crawl --source)
NEWSMON_COMPANIES = []              # the user's [[companies]] tables
NEWSMON_USE_BUILTIN_COMPANIES = True  # [tagging] builtin
NEWSMON_ALERTS = []                 # the [[alerts]] tables
NEWSMON_ALERTS_ENABLED = True       # False: the crawl never alerts (the rules stay for `alerts send`)
NEWSMON_DEDUP_THRESHOLD = 0.5       # [dedup] threshold: near-copy similarity
NEWSMON_MIN_WORDS = 50              # shorter bodies are dropped as too_short
NEWSMON_EXTRACT_WORKERS = None      # None: one extraction process per core; 0: inline
NEWSMON_EXTRACT_TASKS_PER_WORKER = 2000  # recycle workers: bounded memory in long crawls
NEWSMON_EXTRACTION_TIMEOUT = 30.0   # seconds per page in a worker ([crawl] extraction_timeout)
NEWSMON_MAX_PAGE_ELEMENTS = 30000   # pages with more start tags are dropped as too_complex
NEWSMON_STORE_BATCH = 50            # articles per archive transaction
NEWSMON_STORE_FLUSH_SECONDS = 1.0   # and at least this often
NEWSMON_PRIVATE_NETWORKS = list(DEFAULT_PRIVATE_NETWORKS)  # [crawl] private_networks
NEWSMON_MAX_SITEMAP_DEPTH = 3       # sitemap index -> index -> index -> urlset at most
