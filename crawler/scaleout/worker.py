"""A crawl worker: takes portals from the current run in Redis and crawls them, many at once.

Every portal is crawled as in :func:`crawler.run.run_portals` (one Scrapy crawler per portal,
:class:`~crawler.run.PortalCrawler`, its summary kept by the same watcher), so one worker and
many produce the same archive; what differs is where the portals come from (a shared run,
:class:`~crawler.scaleout.runstate.RunState`) and where each portal's frontier lives (Redis,
through scrapy-redis). The worker's Redis calls are short (sub-millisecond on a LAN) and made
from the reactor thread on a timer, never per request.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from typing import Any

import redis
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor, is_reactor_installed
from twisted.python.failure import Failure

from crawler.extensions import ArchiveRun, crawl_now, dispose_engines, open_archive
from crawler.run import (DEFAULT_PARALLEL, CrawlResult, PortalCrawler, PortalWatcher, Progress, record_crawl_failure,
                         stop_reactor)
from crawler.scaleout.runstate import DEFAULT_LEASE_TTL, PREFIX, Claim, RunState
from crawler.spiderloader import PortalSpiderLoader, spider_class

logger = logging.getLogger(__name__)

# How often an idle slot asks Redis for a portal (and a worker with --forever for a new run).
POLL_SECONDS = 0.5
# The priority of a run's own settings in its crawlers: above "cmdline" (40), see Worker._join.
RUN_PRIORITY = 50


def worker_id() -> str:
    """``host:pid``: what ``crawler status`` shows, unique among live workers."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class WorkerOptions:
    """How a worker runs: portals at once, lease length, and whether it waits for further runs."""

    parallel: int = DEFAULT_PARALLEL
    lease_ttl: float = DEFAULT_LEASE_TTL
    forever: bool = False
    prefix: str = PREFIX


@dataclass
class WorkerResult:
    """What one worker did: its portals' summaries, and the run it worked on last."""

    crawled: CrawlResult = field(default_factory=CrawlResult)
    state: RunState | None = None
    closed_run: bool = False  # this worker wrote the run's totals to the archive
    error: str | None = None  # why the worker stopped early (Redis unreachable), if it did


class _Process(CrawlerProcess):
    """Scrapy's process, noting that a graceful stop (Ctrl-C, SIGTERM) began: take no more portals."""

    stopping = False

    def _signal_shutdown(self, signum: int, frame: Any) -> None:
        self.stopping = True
        super()._signal_shutdown(signum, frame)


class Worker(Progress):
    """Crawl the current run's portals until it is done (or, with ``forever``, every run to come)."""

    def __init__(self, redis_url: str, settings: Settings, options: WorkerOptions | None = None) -> None:
        self.redis_url = redis_url
        self.client = redis.Redis.from_url(redis_url)
        self.settings = settings
        self.options = options or WorkerOptions()
        self.id = worker_id()
        self.custom = PortalSpiderLoader.from_settings(settings).custom
        self.result = WorkerResult()
        self.state: RunState | None = None
        self.run_settings: Settings | None = None
        self.claims: dict[str, Claim] = {}
        self.crawlers: dict[str, Crawler] = {}
        self.pages: dict[str, int] = {}  # pages of each portal crawling now
        self.fetched = 0  # pages fetched in the current run
        self.watchers: dict[str, PortalWatcher] = {}
        self.process: _Process | None = None
        self.done = False

    def run(self) -> WorkerResult:
        """Block until the run is finished (or the worker is stopped); returns what it did."""
        self.state = RunState.current(self.client, self.options.prefix)
        if self.state is None and not self.options.forever:
            return self.result
        if not is_reactor_installed():  # the crawlers are made later, inside the running reactor
            install_reactor(self.settings["TWISTED_REACTOR"], self.settings["ASYNCIO_EVENT_LOOP"])
        from twisted.internet import reactor, task

        self.process = _Process(self.settings)
        poll = task.LoopingCall(self._poll)
        beat = task.LoopingCall(self._beat)
        reactor.callWhenRunning(lambda: poll.start(POLL_SECONDS).addErrback(self._failed))
        reactor.callWhenRunning(lambda: beat.start(self.options.lease_ttl / 3).addErrback(self._failed))
        try:
            self.process.start(stop_after_crawl=False)
        finally:
            if self.result.state is not None:
                self.result.state.leave(self.id)
            dispose_engines()
        self.result.crawled.stopped = self.process.stopping
        return self.result

    def _failed(self, failure: Any) -> None:
        """Redis unreachable (or a bug) in the loop: stop; the leases expire and others take over."""
        logger.error("worker %s: %s", self.id, failure.getTraceback())
        self.result.error = failure.getErrorMessage()
        stop_reactor()

    # -- the loop --------------------------------------------------------------------------------

    def _poll(self) -> None:
        if self.process.stopping or self.done:
            return
        if self.state is None:
            self.state = RunState.current(self.client, self.options.prefix)
            if self.state is None:
                return
        self._join(self.state)
        while len(self.claims) < self.options.parallel:
            claim = self.state.claim(self.id, self.options.lease_ttl)
            if claim is None:
                break
            self._start(claim)
        if not self.claims and self.state.finished():
            self._finish_run(self.state)

    def _join(self, state: RunState) -> None:
        if self.result.state is state:
            return
        self.result.state = state
        meta = state.meta()
        self.run_settings = self.settings.copy()
        # The run's clock and command, not this worker's: every portal run of the run names the
        # command that seeded it (a scheduler job's marker among them), whichever worker crawls it.
        # Above the command line's priority, because Scrapy's runner merges this process's own
        # settings into each crawler it starts, and an equal priority would let them win.
        self.run_settings.setdict({**state.scrapy_settings(self.redis_url), "CRAWL_AS_OF": meta.get("as_of") or None,
                                   "CRAWL_COMMAND": meta.get("command") or self.settings.get("CRAWL_COMMAND")},
                                  priority=RUN_PRIORITY)
        # What this worker crawled of this run only: a --forever worker lives through many nights.
        self.result.crawled = CrawlResult(run_id=state.run_id)
        self.fetched = 0
        logger.info("worker %s joins run %d", self.id, state.run_id)
        self._beat()

    def _start(self, claim: Claim) -> None:
        name = claim.name
        self.claims[name] = claim
        self.pages[name] = 0
        try:
            if claim.lost_run is not None:
                archive = open_archive(self.run_settings.get("ARCHIVE_DB_URL"))
                archive.finish_run(claim.lost_run, {}, "lost", finished_at=crawl_now(self.run_settings))
            crawler = PortalCrawler(spider_class(self.state.portal(name), self.custom), self.run_settings)
        except Exception:  # an invalid config for this version, the archive refusing: this portal fails, not the worker
            record_crawl_failure(Failure(), name, self.result.crawled, self)
            return
        self.crawlers[name] = crawler
        PortalWatcher(crawler, name, self, self.result.crawled, self.watchers)
        crawler.signals.connect(self._opened, signal=signals.spider_opened)
        deferred = self.process.crawl(crawler)
        deferred.addErrback(record_crawl_failure, name, self.result.crawled, self)

    def _opened(self, spider: Any) -> None:
        from twisted.internet import reactor

        # After ArchiveRun's own spider_opened receiver has started the portal's archive run.
        reactor.callLater(0, self._note_archive_run, spider.name)

    def _note_archive_run(self, name: str) -> None:
        crawler = self.crawlers.get(name)
        extension = crawler.get_extension(ArchiveRun) if crawler else None
        if extension is not None and self.state is not None:
            self.state.started(name, self.id, extension.run_id)

    def _beat(self) -> None:
        state = self.result.state
        if state is None:
            return
        for name in list(self.claims):
            if not state.renew(name, self.id, self.options.lease_ttl) and name in self.crawlers:
                # This worker stalled longer than the lease and another may be crawling the
                # portal now: stop, so the portal never sees two crawls at once.
                logger.error("portal %s: lease lost (this worker stalled longer than the lease): stopping it", name)
                self.crawlers[name].stop()
        state.beat(self.id, {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "portals": dict(self.pages),
            "pages": self.fetched,
            "finished": len(self.result.crawled.portals),
        })

    def _finish_run(self, state: RunState) -> None:
        if state.close(self.id):
            self.result.closed_run = True
            totals = CrawlResult(portals=state.summaries())
            archive = open_archive(self.run_settings.get("ARCHIVE_DB_URL"))
            archive.finish_run(state.run_id, {"portals": len(totals.portals), **totals.totals()}, "finished",
                               finished_at=crawl_now(self.run_settings))
            logger.info("run %d finished: %d portals", state.run_id, len(totals.portals))
        state.leave(self.id)
        if self.options.forever:
            self.state = None
            return
        self.done = True
        stop_reactor()

    # -- Progress hooks (called by the watcher of each portal's crawler) --------------------------

    def page_fetched(self, name: str, size: int) -> None:
        self.pages[name] = self.pages.get(name, 0) + 1
        self.fetched += 1

    def portal_finished(self, name: str, summary: dict[str, Any]) -> None:
        claim = self.claims.pop(name, None)
        self.crawlers.pop(name, None)
        self.pages.pop(name, None)
        if claim is None or self.result.state is None:
            return
        if summary.get("finish_reason") == "shutdown":
            self.result.state.release(name, claim.phase, self.id)
            self.result.crawled.portals.pop(name, None)
        else:
            self.result.state.finish(name, self.id, summary)
