"""The crawl's link to the archive, and the per-portal summary of a crawl.

:class:`ArchiveRun` owns one portal crawl's archive run: it opens the archive (one engine per
database URL per process, shared by every portal crawled in it), registers the portal, starts
a run when the spider opens and stores the run's stats when it closes. The middlewares, the
pipelines and the spider's re-check list reach the archive through it
(``crawler.get_extension(ArchiveRun)``), so there is one place that knows the database.
:class:`JobDirGuard` decides whether a Scrapy job directory can be resumed, and
:func:`crawl_now` is the crawl's clock (real, or a replayed night's).

:func:`portal_summary` turns a crawl's Scrapy stats into the numbers the CLI prints and the
runs table keeps, including the problems that make "0 reports" mean "blocked" or "broken".
"""

from __future__ import annotations

import logging
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from sqlalchemy import Engine

    from storage.archive import Archive
    from storage.records import FetchRecord

logger = logging.getLogger(__name__)

# Summary keys, in the order the CLI prints them; all are sums over portals.
SUMMARY_KEYS: tuple[str, ...] = (
    "pages_fetched",
    "report_fetches",
    "not_modified",
    "new_documents",
    "new_versions",
    "unchanged",
    "duplicates",
    "removed",
    "rejected",
    "errors",
    "bytes",
)

_engines: dict[str, Engine] = {}
_upgraded: set[str] = set()
_STARTED = time.monotonic()


def crawl_now(settings: BaseSettings) -> datetime:
    """The crawl's clock: now, or ``CRAWL_AS_OF`` plus the time elapsed since start.

    ``crawler crawl --as-of`` replays a night of the simulated farm (or a past night for an
    audit) with the re-check policy, fetch times and run times all on that night's clock.
    """
    as_of = settings.get("CRAWL_AS_OF")
    if not as_of:
        return datetime.now(UTC)
    start = datetime.fromisoformat(as_of)
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    return start + timedelta(seconds=time.monotonic() - _STARTED)


def shared_engine(url: str | None) -> Engine:
    """One engine per database URL per process: every portal crawled in it shares the pool."""
    from storage.db import default_url, make_engine

    key = url or default_url()
    if key not in _engines:
        _engines[key] = make_engine(key)
    return _engines[key]


def open_archive(url: str | None) -> Archive:
    """An :class:`~storage.archive.Archive` on the shared engine, its schema brought up to date."""
    from storage.archive import Archive

    engine = shared_engine(url)
    archive = Archive(engine)
    key = str(engine.url)
    if key not in _upgraded:
        archive.upgrade()
        _upgraded.add(key)
    return archive


def dispose_engines() -> None:
    """Close every shared engine (end of a process's crawl)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _upgraded.clear()


class JobDirGuard:
    """Keep a job directory only for a crawl that was stopped gracefully, to resume it.

    Scrapy's ``JOBDIR`` resumes a crawl stopped gracefully (Ctrl-C, SIGTERM): the spider
    closes with reason ``shutdown`` and the directory is marked. Any other end leaves nothing
    worth resuming, and the directory is removed so the next crawl of the portal starts from
    its start URLs: a finished crawl's seen-set is spent, and one stopped by a limit
    (``closespider_pagecount``, ``closespider_timeout``) would otherwise hold the start URLs
    and the next night would read no list at all. A directory without the marker was left
    by a kill -9 (its queue may be torn, its seen-set may hold requests whose items never
    reached the archive): it is discarded and the portal crawled afresh — cheap, because the
    archive answers "unchanged" and the server 304s.
    """

    MARKER = "closed-cleanly"
    RESUMABLE = "shutdown"

    def __init__(self, crawler: Crawler, jobdir: Path) -> None:
        self.jobdir = jobdir
        marker = jobdir / self.MARKER
        if jobdir.exists() and not marker.exists():
            logger.warning("job directory %s was left by a crawl that did not close: starting afresh", jobdir)
            shutil.rmtree(jobdir)
        marker.unlink(missing_ok=True)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            raise NotConfigured
        return cls(crawler, Path(jobdir))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if reason != self.RESUMABLE:
            self.discard(self.jobdir)
            return
        self.jobdir.mkdir(parents=True, exist_ok=True)
        (self.jobdir / self.MARKER).write_text(reason, encoding="utf-8")

    @staticmethod
    def discard(jobdir: Path) -> None:
        """Remove a job directory: nothing in it is worth resuming.

        Also called by :func:`crawler.run.run_portals` for a crawl stopped before its spider
        opened (Ctrl-C at the moment it started): Scrapy closes no spider then, and the queue
        it began to write holds nothing the next run needs.
        """
        shutil.rmtree(jobdir, ignore_errors=True)


class ItemErrorStats:
    """Count items a pipeline failed on (``crawl/item_errors``): Scrapy logs them but counts nothing.

    Without the count a report lost to a pipeline error (the archive refused it, an
    extraction bug) would show in no summary and no portal status, only in the log.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        self.stats.inc_value("crawl/item_errors")
        self.stats.inc_value(f"crawl/item_errors/{failure.type.__name__}")


class ArchiveRun:
    """Start and finish the archive run of one portal crawl; ``ARCHIVE_ENABLED = False`` turns it off."""

    def __init__(self, crawler: Crawler, archive: Archive | None) -> None:
        self.crawler = crawler
        self.archive = archive
        self.run_id: int | None = None
        self.previous_status: str | None = None  # the status of the portal's run before this one
        self._fetches: list[FetchRecord] = []  # fetch-log rows not written yet (see log_fetch)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("ARCHIVE_ENABLED", True):
            raise NotConfigured  # a dry run (`crawler portal check`)
        return cls(crawler, open_archive(crawler.settings.get("ARCHIVE_DB_URL")))

    def spider_opened(self, spider: Spider) -> None:
        portal = getattr(spider, "portal", None)
        if self.archive is None or portal is None:
            return
        self.run_id, self.previous_status = self.archive.open_portal_run(
            portal.name,
            title=portal.title,
            family=portal.family,
            region_code=portal.region.code,
            config=portal.model_dump(mode="json"),
            command=self.crawler.settings.get("CRAWL_COMMAND"),
            started_at=self.now(),
        )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.flush_fetches()
        if self.archive is None or self.run_id is None:
            return
        summary = portal_summary(self.crawler.stats.get_stats(), reason)
        self.archive.finish_run(self.run_id, summary, summary["status"], finished_at=self.now())

    def now(self) -> datetime:
        return crawl_now(self.crawler.settings)

    def log_fetch(
        self,
        url: str,
        *,
        status: int | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        size: int | None = None,
        content_hash: str | None = None,
        error: str | None = None,
    ) -> None:
        """Add one fetch to the archive's fetch log (with this crawl's run id).

        Rows are written ``FETCH_LOG_BATCH`` at a time and when the spider closes: one
        transaction per list page and robots.txt was 4 % of an unchanged night's CPU, and one
        per report's 304 (a sighting, which moves the document's ``last_seen``) 3 % more. A
        crawl killed outright loses at most a batch of rows, never archive content: a lost
        sighting leaves the report due, and the re-run asks for it again.
        """
        if self.archive is None:
            return
        from storage.records import FetchRecord

        self._fetches.append(
            FetchRecord(
                url=url,
                fetched_at=self.now(),
                run_id=self.run_id,
                http_status=status,
                etag=etag,
                last_modified=last_modified,
                bytes=size,
                content_hash=content_hash,
                error=error,
            )
        )
        if len(self._fetches) >= self.crawler.settings.getint("FETCH_LOG_BATCH", 100):
            self.flush_fetches()

    def flush_fetches(self) -> None:
        """Write the fetch-log rows gathered so far, in one transaction."""
        if self.archive is not None and self._fetches:
            fetches, self._fetches = self._fetches, []
            self.archive.record_fetches(fetches)


# A problem a portal's crawl reports when its stat is non-zero: (stat key, text with {n}).
_COUNTED_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("problems/blocked", "blocked: {n} anti-bot challenge(s) (HTTP 412/521 with a script)"),
    ("problems/soft_404", "soft_404: {n} page(s) say 'not found' with HTTP 200"),
    ("robotstxt/forbidden", "robots: {n} request(s) forbidden by robots.txt"),
    ("crawl/offsite_redirects", "offsite_redirect: {n} redirect(s) off the portal dropped"),
    ("crawl/pager_capped", "pager_capped: {n} pager(s) announce more pages than [limits].max_pages"),
    ("crawl/depth_limited", "depth_limit: {n} link(s) beyond [limits].max_depth"),
    ("crawl/failed", "fetch_errors: {n} request(s) failed for good (after retries, or too large)"),
    ("crawl/part_failed", "missing_parts: {n} split report(s) left for the next crawl (a later part failed)"),
    ("crawl/fetch_attempt_errors", "network_errors: {n} attempt(s) failed (reset, timeout, cut short)"),
    ("crawl/broken_links", "broken_links: {n} listed link(s) answer 404 or redirect elsewhere"),
    ("spider_exceptions/count", "spider_errors: {n} exception(s) in the spider (see the log)"),
    ("crawl/item_errors", "pipeline_errors: {n} page(s) lost to an error in the item pipelines (see the log)"),
    ("crawl/attachment_errors", "attachment_errors: {n} attachment(s) could not be downloaded"),
)


def portal_summary(stats: dict[str, Any], reason: str) -> dict[str, Any]:
    """The numbers of one portal crawl, from its Scrapy stats, with its status and problems.

    ``status`` is ``ok``; ``blocked`` (anti-bot challenge); ``broken`` (soft 404s, or no list
    page readable); ``limited`` (page limit hit); ``empty`` (lists read, no candidate on them);
    ``degraded`` (other problems, listed). A portal with no reports is thus never confused with
    one that could not be read.
    """
    get = stats.get
    summary: dict[str, Any] = {
        "pages_fetched": get("crawl/responses", 0),
        "report_fetches": get("crawl/report_fetches", 0),
        "not_modified": get("crawl/report_not_modified", 0),
        "new_documents": get("archive/new_document", 0),
        "new_versions": get("archive/new_version", 0),
        "unchanged": get("archive/unchanged", 0),
        "duplicates": get("archive/duplicate", 0),
        "removed": get("archive/removed", 0),
        "rejected": get("crawl/rejected_by_kind", 0),
        "errors": get("crawl/failed", 0) + get("spider_exceptions/count", 0) + get("crawl/item_errors", 0),
        "bytes": get("crawl/bytes", 0),
        "candidates": get("crawl/candidates", 0),
        "reports": get("crawl/reports", 0),
        "finish_reason": reason,
        "list_encoding": get("crawl/list_encoding"),
    }
    problems = [template.format(n=get(key)) for key, template in _COUNTED_PROBLEMS if get(key)]
    if reason == "closespider_pagecount":
        problems.append("page_limit: stopped at [limits].max_pages")
    http_errors = sum(v for k, v in stats.items() if k.startswith("downloader/response_status_count/5"))
    if http_errors:
        problems.append(f"server_errors: {http_errors} HTTP 5xx answer(s)")
    if not get("crawl/list_pages") and not get("crawl/report_fetches"):
        problems.append("nothing_fetched: no list page could be read")
    elif not get("crawl/reports") and not get("crawl/report_not_modified") and not get("crawl/candidates"):
        problems.append("nothing_found: list pages read but no report candidate found")
    summary["problems"] = problems
    found = get("crawl/reports", 0) + get("crawl/report_not_modified", 0)
    if get("problems/blocked"):
        summary["status"] = "blocked"
    elif problems and problems[-1].startswith("nothing_fetched") or get("problems/soft_404") and not found:
        summary["status"] = "broken"
    elif reason == "closespider_pagecount":
        summary["status"] = "limited"
    elif reason != "finished":
        summary["status"] = reason
    elif problems and problems[-1].startswith("nothing_found"):
        summary["status"] = "empty"
    else:
        summary["status"] = "ok" if not problems else "degraded"
    return summary
