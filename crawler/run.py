"""Run many portal crawls in one process and one reactor, a bounded number at a time.

Each portal is its own Scrapy crawler (its own settings, stats and archive run), so a slow or
blocked portal never holds up the others' stats, and ``scrapy crawl NAME`` and
``crawler crawl NAME`` run exactly the same spider. At most ``parallel`` crawlers are alive
at once: memory stays flat in the number of portals, and the per-domain politeness settings
still apply inside each crawler.
"""

from __future__ import annotations

import copy
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import BaseSettings, Settings, SettingsAttribute

from crawler.extensions import SUMMARY_KEYS, JobDirGuard, crawl_now, dispose_engines, open_archive, portal_summary
from crawler.portals import Portal, PortalError
from crawler.signals import list_parsed
from crawler.spiderloader import PortalSpiderLoader, spider_class

logger = logging.getLogger(__name__)

DEFAULT_PARALLEL = 16


class CrawlSettings(Settings):
    """Scrapy's settings, copied for each portal's crawler without a deep copy.

    Every Scrapy crawler starts from ``settings.copy()``, a ``copy.deepcopy`` of some 200
    settings and their nested tables: with one crawler per portal that was the largest fixed
    cost per portal of an unchanged night (4 ms, a tenth of the crawlers' set-up). Settings
    are changed through ``set``/``update`` only, which replace a table's entries and never
    mutate a value in place, so a copy of the tables (values shared) keeps each crawler's
    changes its own just as well.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> CrawlSettings:
        return _copy_tables(self)


def _copy_tables(settings: BaseSettings) -> Any:
    clone = copy.copy(settings)
    clone.attributes = {
        name: SettingsAttribute(_copy_tables(a.value) if isinstance(a.value, BaseSettings) else a.value, a.priority)
        for name, a in settings.attributes.items()
    }
    return clone


def crawl_settings(
    *,
    db_url: str | None = None,
    portals_dir: Path | None = None,
    jobdir: Path | None = None,
    cache_dir: Path | None = None,
    archive: bool = True,
    log_level: str | None = None,
    as_of: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """The project's settings (``crawler/settings.py``) with the command line's choices on top.

    Built from the module rather than from ``scrapy.cfg``, so the CLI works from any directory.
    """
    settings = CrawlSettings()
    settings.setmodule("crawler.settings", priority="project")
    cmdline = {
        "ARCHIVE_DB_URL": db_url,
        "PORTALS_DIR": str(portals_dir) if portals_dir else None,
        "JOBDIR_ROOT": str(jobdir) if jobdir else None,
        "HTTPCACHE_DIR": str(cache_dir.resolve()) if cache_dir else None,
        "LOG_LEVEL": log_level,
        "CRAWL_AS_OF": as_of,
        "CRAWL_COMMAND": " ".join(sys.argv),
    }
    settings.setdict({k: v for k, v in cmdline.items() if v is not None}, priority="cmdline")
    if not archive:
        settings.set("ARCHIVE_ENABLED", False, priority="cmdline")
    settings.setdict(overrides or {}, priority="cmdline")
    if logging.getLevelNamesMapping().get(str(settings.get("LOG_LEVEL")).upper(), logging.INFO) > logging.INFO:
        # Scrapy formats every crawler's stats for an INFO line at its close, logged or not.
        settings.set("STATS_DUMP", False, priority="project")
    return settings


@dataclass
class CrawlResult:
    """What one ``crawler crawl`` did: per-portal summaries, totals and the config errors seen."""

    portals: dict[str, dict[str, Any]] = field(default_factory=dict)
    config_errors: list[str] = field(default_factory=list)
    run_id: int | None = None
    stopped: bool = False  # a graceful stop (Ctrl-C, SIGTERM) ended the crawl before every portal was crawled

    def totals(self) -> dict[str, int]:
        return {key: sum(p.get(key, 0) for p in self.portals.values()) for key in SUMMARY_KEYS}

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` summary: totals at the top level, then per-portal details and problems."""
        return {
            "portals": len(self.portals),
            **self.totals(),
            "run_id": self.run_id,
            "stopped": self.stopped,
            "blocked": sorted(n for n, p in self.portals.items() if p["status"] == "blocked"),
            "broken": sorted(n for n, p in self.portals.items() if p["status"] == "broken"),
            "config_errors": self.config_errors,
            "per_portal": self.portals,
        }


class Progress:
    """Callbacks a front end (the CLI's progress bar) gets from a crawl; all optional no-ops here."""

    def portal_started(self, name: str) -> None: ...

    def page_fetched(self, name: str, size: int) -> None: ...

    def item_scraped(self, name: str, item: Any) -> None: ...

    def item_dropped(self, name: str, item: Any, reason: str) -> None: ...

    def list_parsed(self, name: str, spider: Any, response: Any, items: list, next: list[str], family: str) -> None:
        """A list page was read (:data:`crawler.signals.list_parsed`): its items and further pages."""

    def portal_finished(self, name: str, summary: dict[str, Any]) -> None: ...


def select_portals(
    settings: Settings, names: Iterable[str] = (), *, all_portals: bool = False
) -> tuple[list[Portal], list[PortalError], PortalSpiderLoader]:
    """The portals to crawl (by name, or all valid ones), the config errors met, and the loader."""
    loader = PortalSpiderLoader.from_settings(settings)
    names = list(names)
    unknown = [n for n in names if n not in loader.portals]
    if unknown:
        errors = {e.path.stem: str(e) for e in loader.errors}
        details = "; ".join(errors.get(n, f"no {n}.toml in {loader.portals_dir}") for n in unknown)
        raise KeyError(f"unknown or invalid portal(s) {', '.join(unknown)}: {details}")
    chosen = list(loader.portals.values()) if all_portals else [loader.portals[n] for n in names]
    return chosen, loader.errors, loader


def load_components(settings: Settings) -> None:
    """Import the code every portal's crawler runs, before the first crawler is built.

    Scrapy imports a crawler's middlewares, extensions, pipelines, download handlers and
    scheduler when it builds them, and the archive is imported when first opened. A process
    that freezes its loaded code out of the garbage collector's walks (``crawler crawl``)
    loads them first: a good part of the code would otherwise be walked by every full
    collection of the night.
    """
    from scrapy.utils.conf import build_component_list
    from scrapy.utils.misc import load_object

    paths = [path for name in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS", "ITEM_PIPELINES")
             for path in build_component_list(settings.getwithbase(name))]
    paths += [path for path in settings.getwithbase("DOWNLOAD_HANDLERS").values() if path]
    paths += [settings[name] for name in ("SCHEDULER", "DUPEFILTER_CLASS", "SCHEDULER_PRIORITY_QUEUE",
                                          "SCHEDULER_MEMORY_QUEUE", "STATS_CLASS") if settings.get(name)]
    for path in paths:
        load_object(path)
    if settings.getbool("ARCHIVE_ENABLED", True):
        import storage.archive  # noqa: F401 (loaded, not used here)


def run_portals(
    portals: list[Portal],
    settings: Settings,
    *,
    loader: PortalSpiderLoader | None = None,
    parallel: int = DEFAULT_PARALLEL,
    progress: Progress | None = None,
) -> CrawlResult:
    """Crawl ``portals`` in this process (blocking until all are done) and return the summary.

    The crawl as a whole gets its own archive run (``portal`` NULL) holding the totals; each
    portal's run holds that portal's numbers.
    """
    progress = progress or Progress()
    result = CrawlResult()
    custom = loader.custom if loader else {}
    archive = open_archive(settings.get("ARCHIVE_DB_URL")) if settings.getbool("ARCHIVE_ENABLED", True) else None
    if archive is not None:
        result.run_id = archive.start_run(None, command=settings.get("CRAWL_COMMAND"), started_at=crawl_now(settings))
    process = CrawlerProcess(settings)

    from twisted.internet.defer import DeferredList, DeferredSemaphore

    semaphore = DeferredSemaphore(max(1, parallel))
    started: list[str] = []
    watchers: dict[str, PortalWatcher] = {}

    def crawl_one(portal: Portal) -> Any:
        if result.stopped:
            return None  # Ctrl-C: the portals not started yet are left for the next run
        crawler = PortalCrawler(spider_class(portal, custom), settings, init_reactor=not started)
        started.append(portal.name)
        PortalWatcher(crawler, portal.name, progress, result, watchers)
        progress.portal_started(portal.name)
        deferred = process.crawl(crawler)
        deferred.addErrback(record_crawl_failure, portal.name, result, progress)
        return deferred

    def crawl_phase(_: Any, phase: list[Portal]) -> Any:
        return DeferredList(
            [semaphore.run(crawl_one, p).addErrback(record_crawl_failure, p.name, result, progress) for p in phase],
            consumeErrors=True,
        )

    done: list[bool] = []
    crawls = crawl_phase(None, [])  # an already-fired start; the phases run one after another
    for phase in phases(portals):
        crawls.addCallback(crawl_phase, phase)
    crawls.addBoth(lambda _: done.append(True))
    crawls.addBoth(stop_reactor)
    status = "failed"
    try:
        if not done:
            process.start(stop_after_crawl=False)
        # The reactor stopped with crawls pending: a graceful stop, even if it came before any
        # spider could close with reason "shutdown" (Ctrl-C while a portal was starting).
        result.stopped = result.stopped or not done
        for name, watcher in list(watchers.items()):
            if name not in result.portals:  # neither closed nor failed
                watcher.never_closed()
        status = "stopped" if result.stopped else "finished"
    finally:
        if archive is not None and result.run_id is not None:
            totals = {"portals": len(result.portals), **result.totals()}
            archive.finish_run(result.run_id, totals, status, finished_at=crawl_now(settings))
        dispose_engines()
    return result


class PromptEngine(ExecutionEngine):
    """Scrapy's engine, noticing that a spider went idle within half a second instead of five.

    Scrapy checks for the end of a crawl on a 5-second heartbeat. A portal's crawl is a few
    dozen pages, so with thousands of portals a night would spend more time in those tails
    than crawling; the interval is a class attribute of the engine, set lower here.
    """

    _SLOT_HEARTBEAT_INTERVAL = 0.5


class PortalCrawler(Crawler):
    """A crawler whose engine is :class:`PromptEngine`; everything else is Scrapy's."""

    def _create_engine(self) -> ExecutionEngine:
        return PromptEngine(self, lambda _: self.stop_async())


def phases(portals: list[Portal]) -> list[list[Portal]]:
    """Portals grouped by level, county portals first, then city-level, then provincial ones.

    A city portal often re-publishes its counties' reports. The archive files a text under the
    URL that served it first and records later URLs as mirrors, so the county's own page — the
    report's real home — must be fetched before the copies: each level starts when the one
    below it is done.
    """
    levels: dict[int, list[Portal]] = {}
    for portal in portals:
        levels.setdefault(portal_level(portal.region.code), []).append(portal)
    return [levels[level] for level in sorted(levels)]


def portal_level(code: str) -> int:
    """0 for a county-level division code, 1 for a prefecture (``xxxx00``), 2 for a province (``xx0000``)."""
    if code.endswith("0000"):
        return 2
    return 1 if code.endswith("00") else 0


class PortalWatcher:
    """Relays one portal crawler's signals to the progress hooks and keeps its summary at the end.

    Used by :func:`run_portals` and by the scale-out worker, whose portals are crawlers of the
    same kind. Scrapy holds signal receivers weakly, so the watchers are kept alive in
    ``live`` (by portal name) until their crawler closes, then let go (a finished crawler's
    memory is freed). A hook the front end does not override (``crawler crawl --json`` has
    none) is not connected: each connected signal costs a dispatch per page or item.
    """

    def __init__(self, crawler: Crawler, name: str, progress: Progress, result: CrawlResult, live: dict) -> None:
        self.crawler, self.name, self.progress, self.result, self.live = crawler, name, progress, result, live
        live[name] = self
        for hook, receiver, signal in (
            ("page_fetched", self.response_received, signals.response_received),
            ("item_scraped", self.item_scraped, signals.item_scraped),
            ("item_dropped", self.item_dropped, signals.item_dropped),
            ("list_parsed", self.list_parsed, list_parsed),
        ):
            if getattr(type(progress), hook) is not getattr(Progress, hook):
                crawler.signals.connect(receiver, signal=signal)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        self.progress.page_fetched(self.name, len(response.body))

    def item_scraped(self, item: Any, response: Any, spider: Any) -> None:
        self.progress.item_scraped(self.name, item)

    def item_dropped(self, item: Any, response: Any, exception: Exception, spider: Any) -> None:
        self.progress.item_dropped(self.name, item, str(exception))

    def list_parsed(self, spider: Any, response: Any, items: list, next: list[str], family: str) -> None:
        self.progress.list_parsed(self.name, spider, response, items, next, family)

    def never_closed(self) -> None:
        """The reactor stopped before this portal's spider closed, so Scrapy closed nothing.

        That is a Ctrl-C while the portal was starting (before its spider opened), or a second
        Ctrl-C (Scrapy's immediate stop). Such a portal is left like one not started: no
        summary, and no job directory (one without the closed-cleanly marker is never resumed;
        the next run crawls the portal afresh).
        """
        logger.info("portal %s: stopped before its spider could close", self.name)
        if jobdir := self.crawler.settings.get("JOBDIR"):
            JobDirGuard.discard(Path(jobdir))
        self.live.pop(self.name, None)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if reason == "shutdown":
            self.result.stopped = True
        summary = portal_summary(self.crawler.stats.get_stats(), reason)
        self.result.portals[self.name] = summary
        self.progress.portal_finished(self.name, summary)
        self.live.pop(self.name, None)


def record_crawl_failure(failure: Any, name: str, result: CrawlResult, progress: Progress) -> None:
    """Errback of a portal's crawl: a crawler that could not run at all (bad settings, archive
    unreachable) gets a ``failed`` summary in ``result`` (unless its spider closed with one),
    and the other portals go on."""
    logger.error("portal %s: crawl failed: %s", name, failure.getErrorMessage())
    if name in result.portals:
        return
    summary = portal_summary({}, "failed")
    summary["status"] = "failed"
    summary["problems"] = [f"crawl_failed: {failure.getErrorMessage()}"]
    result.portals[name] = summary
    progress.portal_finished(name, summary)


def stop_reactor(_: Any = None) -> None:
    """Stop the reactor if it runs: the end of a crawl process's work (a callback, hence the ignored argument)."""
    from twisted.internet import reactor

    if reactor.running:
        reactor.stop()
