"""Scrapy settings of the project: `scrapy crawl NAME` and `crawler crawl` both read these.

Every moving part is composed here, so an operator can reorder or swap it without editing code.
Scheduling and duplicate filtering stay Scrapy's own (``SCHEDULER``, ``DUPEFILTER_CLASS``):
scale-out over scrapy-redis and PostgreSQL is a change of these settings, for example::

    SCHEDULER = "scrapy_redis.scheduler.Scheduler"
    DUPEFILTER_CLASS = "scrapy_redis.dupefilter.RFPDupeFilter"
    REDIS_URL = "redis://127.0.0.1:6379"
    ARCHIVE_DB_URL = "postgresql+psycopg://root@127.0.0.1/test"
"""

from __future__ import annotations

from pathlib import Path

from scrapy.settings import default_settings

import spiders
from crawler import __version__

BOT_NAME = "fazhi-archive"

# Portals are TOML files; this loader turns each into a spider (`scrapy list` lists them).
SPIDER_LOADER_CLASS = "crawler.spiderloader.PortalSpiderLoader"
SPIDER_MODULES = ["spiders"]
# The portal configs shipped with the project (the one definition of that default);
# `crawler crawl --portals-dir DIR` or `scrapy crawl -s PORTALS_DIR=DIR` points elsewhere.
PORTALS_DIR = str(Path(spiders.__file__).parent / "portals")

# The archive: None -> $CRAWLER_DB_URL -> sqlite:///./data/archive.db (storage.db.make_engine).
ARCHIVE_DB_URL = None

USER_AGENT = f"fazhi-archive/{__version__} (+archive of county rule-of-law reports; polite crawler)"
ROBOTSTXT_OBEY = True

# Politeness: per-domain concurrency and AutoThrottle; a portal's [politeness] overrides the
# delay and the per-domain concurrency for its own spider.
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0

# A callback yields a handful of requests or at most one item; Scrapy starts CONCURRENT_ITEMS
# worker tasks per callback output, so anything above one is overhead for these spiders (its
# default, 100, cost the first night much of its throughput; 8 still cost an unchanged night
# thousands of tasks). Responses are still processed concurrently, each with its own worker.
CONCURRENT_ITEMS = 1

# Safety: no HTML page of a report is this large (PAGE_MAXSIZE, per request); attachments
# (scanned PDFs) may be larger, up to DOWNLOAD_MAXSIZE.
PAGE_MAXSIZE = 4 * 1024 * 1024
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30

# Retries with exponential backoff on 5xx and timeouts (crawler.middlewares.BackoffRetryMiddleware).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 0.5
RETRY_BACKOFF_MAX = 30.0

# Known reports are re-checked when the archive's policy says so (storage.archive.recheck_due),
# counting as due whatever falls due within this many hours (crawls run once a night).
RECHECK_HORIZON_HOURS = 12

# A list page the server calls unchanged (304) lists no new entry, so its further pages are
# not read that night, except on the portal's sweep night, one in this many (spread by portal
# name; crawler.middlewares.sweeps_lists): an entry inserted deep in a list is found within
# this many nights. 1 reads every list to the end every night.
LIST_SWEEP_DAYS = 7

# Fetch-log rows (lists, robots.txt, errors) are written this many at a time per portal, and
# when its crawl closes (crawler.extensions.ArchiveRun.log_fetch).
FETCH_LOG_BATCH = 100

# Depth is counted by the spiders (pagination is not a hop); Scrapy's limit stays off.
DEPTH_LIMIT = 0
# Portal pages can embed inline report links such as `a.htm?x=…`; keep URLs of any sane length.
URLLENGTH_LIMIT = 4096

# Scrapy's check that a callback generator returns no value parses the callback's source with
# `ast` each time it meets a new bound method, and every portal's spider is a class of its own:
# it was 9 % of an unchanged night's CPU. The spiders' callbacks return no values (tests show it).
WARN_ON_GENERATOR_RETURN_VALUE = False

COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
# Scrapy's remote control runs Python sent to a local HTTP server: like the telnet console, not
# something a crawler of public-sector sites should open, and it starts a server and writes a
# job file for every portal's crawler.
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
# Scrapy's memory watcher is per crawler, and a crawl process runs one crawler per portal: each
# read the process's memory at its start and every minute, to enforce limits that are off
# (MEMUSAGE_LIMIT_MB = 0). Memory is measured for the process as a whole (benchmarks/crawl.py).
MEMUSAGE_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # After RedirectMiddleware (600) in the response path, before it in the request path:
    # every request, including a redirect's target, passes the offsite check at 50 first.
    "crawler.middlewares.ConditionalRequestMiddleware": 560,
    "crawler.middlewares.PortalHealthMiddleware": 570,
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.PortalOffsiteMiddleware": 50,
    # Beside the download handler, after the HTTP cache: counts what crossed the wire.
    "crawler.middlewares.FetchLogMiddleware": 950,
}

# Portals are fetched over HTTP(S) only: a link or redirect to file://, ftp://, s3:// or data:
# has no handler (nothing read from the crawl machine's disk or elsewhere), and no crawler
# builds or imports those handlers (0.1 s of a crawl's start, and a little per portal).
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}

# List pages and candidates not (yet) archived are cached and revalidated every night (unchanged
# costs a 304); archived reports use the archive's validators. `crawler crawl --cache-dir` sets the dir.
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "crawler.middlewares.RevalidatePolicy"
HTTPCACHE_DIR = "httpcache"

ITEM_PIPELINES = {
    "crawler.pipelines.ExtractionPipeline": 100,
    "crawler.pipelines.AttachmentPipeline": 200,
    "crawler.pipelines.ArchivePipeline": 300,
}

# The telnet console and the remote control are off (above), and left out of Scrapy's base
# extensions so that their modules are not even imported: Scrapy imports every listed
# extension, disabled or not, and the remote control's module imports aiohttp (0.1 s of every
# crawl's start).
EXTENSIONS_BASE = {
    name: order for name, order in default_settings.EXTENSIONS_BASE.items()
    if name not in ("scrapy.extensions.telnet.TelnetConsole", "scrapy.extensions.remote_control.RemoteControl")
}
EXTENSIONS = {
    "crawler.extensions.ArchiveRun": 100,
    "crawler.extensions.ItemErrorStats": 110,
    # Before Scrapy's scheduler opens the JOBDIR queue: drop a queue a kill -9 left behind.
    "crawler.extensions.JobDirGuard": 50,
}

# Stored text is UTF-8 and JSON exports keep Chinese readable.
FEED_EXPORT_ENCODING = "utf-8"
