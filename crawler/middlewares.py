"""Downloader middlewares: safety, politeness and bookkeeping around every request.

* :class:`PortalOffsiteMiddleware` — no request leaves the portal's ``allowed_domains``, not
  even a start URL, a redirect target or an attachment (Scrapy's own check lets
  ``dont_filter`` requests through; a crawler of public-sector sites must not be an SSRF
  vector). IP addresses match exactly, host names also match their subdomains.
* :class:`BackoffRetryMiddleware` — Scrapy's retries, with an exponential pause before each.
* :class:`ConditionalRequestMiddleware` — ``If-None-Match``/``If-Modified-Since`` on report
  requests from the validators the archive stored, so an unchanged night costs 304s.
* :class:`PortalHealthMiddleware` — anti-bot challenges (412/521 with a script) and soft 404s
  are counted as portal problems, so a blocked portal is never reported as one without reports.
* :class:`FetchLogMiddleware` — every fetch (errors included) goes to the archive's fetch log.
* :class:`RevalidatePolicy` — the HTTP cache keeps list pages and rejected candidates, so an
  unchanged night costs 304s for them too; a 5xx on revalidation is a server error, not "unchanged".
  :func:`sweeps_lists` says on which nights a portal's unchanged lists are still read to the end.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from typing import TYPE_CHECKING, Any, Self

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached

from crawler.extensions import ArchiveRun
from crawler.portals import host_allowed

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Markers of the JS challenges of 瑞数 ($_ts, 412) and 加速乐 (__jsl_clearance, 521) and kin.
CHALLENGE_STATUSES = (412, 521)
CHALLENGE_MARKERS = (b"$_ts", b"__jsl_clearance", b"__jsluid", b"wzws_cid", b"WZWSREL", b"<script")
# Short 200 pages that say "not found" are soft 404s (no real report page is this short).
SOFT_404_MARKERS = ("页面不存在", "找不到", "您访问的页面", "页面未找到", "404 Not Found", "该信息不存在", "信息已删除")
SOFT_404_MAX_BYTES = 3000


class PortalOffsiteMiddleware(OffsiteMiddleware):
    """Drop every request whose host is outside the spider's ``allowed_domains``, without exception."""

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = self.crawler.spider
        domains = getattr(spider, "allowed_domains", None)
        if not domains:
            return
        host = urlparse_cached(request).hostname or ""
        if host_allowed(host, domains):
            return
        self.crawler.stats.inc_value("offsite/filtered")
        if request.meta.get("redirect_times"):
            self.crawler.stats.inc_value("crawl/offsite_redirects")
            logger.warning("dropped off-site redirect to %s (portal domains: %s)", request.url, domains)
        else:
            logger.info("dropped off-site request to %s (portal domains: %s)", request.url, domains)
        raise IgnoreRequest(f"off-site: {request.url}")


class BackoffRetryMiddleware(RetryMiddleware):
    """Retry 5xx answers and timeouts like Scrapy, waiting ``base·2ⁿ`` seconds (capped) before retry n.

    The pause delays the retry only: by the time a downloader middleware sees the answer,
    Scrapy has already freed the request's download slot, so the portal's other requests go on
    meanwhile (at most ``[politeness].concurrency`` at a time, under AutoThrottle).
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 0.5)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 30.0)

    async def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        result = super().process_response(request, response)
        return await self._after_backoff(result)

    async def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> Any:
        result = super().process_exception(request, exception)
        return await self._after_backoff(result)

    async def _after_backoff(self, result: Any) -> Any:
        if isinstance(result, Request):
            attempt = result.meta.get("retry_times", 1)
            await sleep(min(self.backoff_base * 2 ** (attempt - 1), self.backoff_max))
        return result


class CrawlerMiddleware:
    """A downloader middleware that needs only its crawler (stats, the archive run)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)


class ConditionalRequestMiddleware(CrawlerMiddleware):
    """Ask for a known report only if it changed, with the validators of its last stored fetch.

    The validators of the portal's own reports are read in one query at its first report
    request; any other URL (a mirror of another portal's report, a new candidate) is looked up
    on its own.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.known: dict[str, tuple[str | None, str | None] | None] | None = None

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get("role") != "report" or request.meta.get("parts"):
            return
        run = self.crawler.get_extension(ArchiveRun)
        if run is None or run.archive is None:
            return
        if self.known is None:
            portal = getattr(self.crawler.spider, "portal", None)
            self.known = run.archive.portal_validators(portal.name) if portal is not None else {}
        if request.url in self.known:
            validators = self.known[request.url]
        else:
            validators = run.archive.validators(request.url)
        if not validators:
            return
        etag, last_modified = validators
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if last_modified:
            request.headers.setdefault("If-Modified-Since", last_modified)
        request.meta["archive_validators"] = True  # kept by a retry: the HTTP cache stays out of it
        self.crawler.stats.inc_value("crawl/conditional_requests")


class PortalHealthMiddleware(CrawlerMiddleware):
    """Count anti-bot challenges and soft 404s as portal problems (``problems/blocked``, ``problems/soft_404``)."""

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        stats = self.crawler.stats
        if response.status in CHALLENGE_STATUSES and any(m in response.body for m in CHALLENGE_MARKERS):
            stats.inc_value("problems/blocked")
            logger.warning("anti-bot challenge (HTTP %s) at %s: portal blocked", response.status, response.url)
        elif response.status == 200 and is_soft_404(response):
            stats.inc_value("problems/soft_404")
            logger.warning("soft 404 at %s", response.url)
        return response


def is_soft_404(response: Response) -> bool:
    """A short 200 page that says the page does not exist."""
    if len(response.body) > SOFT_404_MAX_BYTES:
        return False
    text = response.body.decode(getattr(response, "encoding", None) or "utf-8", errors="replace")
    return any(marker in text for marker in SOFT_404_MARKERS)


class FetchLogMiddleware(CrawlerMiddleware):
    """Write every fetch to the archive's fetch log, except report answers the pipelines record.

    It sits next to the download handler (after the HTTP cache), so it sees what crossed the
    wire: a list page revalidated by a 304 counts as a 304 and its few bytes.

    Report pages (200) and 304s are recorded by the archive pipeline together with what they
    mean for the document; everything else — lists, robots.txt, errors, redirects — here.
    """

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if "cached" in response.flags:
            return response  # served by the HTTP cache without asking the server: no fetch happened
        stats = self.crawler.stats
        stats.inc_value("crawl/responses")
        stats.inc_value("crawl/bytes", len(response.body))
        if request.meta.get("role") == "report" and not request.meta.get("parts"):
            stats.inc_value("crawl/report_fetches")
            if response.status == 304:
                stats.inc_value("crawl/report_not_modified")
        if request.meta.get("role") == "report" and response.status in (200, 304):
            return response
        run = self.crawler.get_extension(ArchiveRun)
        if run is not None:
            run.log_fetch(
                request.url,
                status=response.status,
                etag=header(response, b"ETag"),
                last_modified=header(response, b"Last-Modified"),
                size=len(response.body),
            )
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        if isinstance(exception, IgnoreRequest):
            return
        self.crawler.stats.inc_value("crawl/fetch_attempt_errors")
        run = self.crawler.get_extension(ArchiveRun)
        if run is not None:
            run.log_fetch(request.url, error=f"{type(exception).__name__}: {exception}")


def header(response: Response, name: bytes) -> str | None:
    """A response header as text (latin-1, as HTTP defines it), or ``None`` when absent."""
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class RevalidatePolicy(RFC2616Policy):
    """HTTP cache policy for lists, unarchived candidates and attachments: store them, revalidate them.

    Lists are read every night and candidates the extraction rejected (news, work plans) are
    met again on them; an unchanged one should cost a 304, not its bytes, and the cached copy
    goes back to the spider once the server says "not modified". A candidate listed on a list
    that was itself unchanged is not asked for at all. Archived reports are not cached here:
    their validators live in the archive (the request already carries them) and their 304 is
    what the archive records as a sighting.
    """

    def should_cache_request(self, request: Request) -> bool:
        if request.meta.get("role") not in ("list", "report", "attachment"):
            return False
        # Validators from the archive, not from this cache: the answer (a 304 is a sighting) is
        # the archive's to record. A retry of a revalidation carries the cache's own validators
        # and still goes through the cache, so its 304 gets the cached copy back.
        if request.meta.get("archive_validators"):
            return False
        return super().should_cache_request(request)

    def should_cache_response(self, response: Response, request: Request) -> bool:
        # A cached copy the server just confirmed (304) is kept as it is: Scrapy would rewrite
        # all its files to freshen headers this policy never reads (it always revalidates, with
        # validators a 304 leaves unchanged), and that was most of an unchanged list's cost.
        if "cached" in response.flags:
            return False
        return super().should_cache_response(response, request)

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        # A candidate on a list the server just said is unchanged is the candidate seen last
        # time: its copy is used without asking. Anything else is asked for, with the cached
        # copy's validators (the parent policy sets them on its own "stale" path).
        if request.meta.get("list_unchanged"):
            return True
        self._set_conditional_validators(request, cachedresponse)
        return False

    def is_cached_response_valid(self, cachedresponse: Response, response: Response, request: Request) -> bool:
        # Only "not modified" makes the cached copy right. Scrapy's policy also serves it for
        # any 5xx, which would hide a failing server: no retry, no server_errors problem, and
        # a list that looks unchanged. A 5xx goes on to the retry middleware instead.
        return response.status == 304


# Statuses of a portal's last run (crawler.extensions.portal_summary) after which its lists are
# known to have been read completely, so tonight may trust an unchanged first page.
CLEAN_RUN_STATUSES = ("ok", "empty")


def sweeps_lists(portal: str, day: date, cycle: int, last_status: str | None) -> bool:
    """Whether ``portal`` reads its unchanged lists to the end tonight (``day``).

    Portals list newest first, so a list page the server calls unchanged (304) has no new
    entry and nothing below it has shifted: on most nights its further pages are not read
    and its candidates are not asked for again (known reports are re-checked by the
    archive's policy instead, and a rejected page would get the same verdict on the same
    bytes). The whole list is still read

    * once every ``cycle`` nights (``LIST_SWEEP_DAYS``), so an entry inserted deep in a list
      (a back-dated publication) or an extraction that changed since is caught within the
      cycle. The night is spread over the cycle by a stable hash of the portal's name (not
      Python's salted ``hash``), so a fleet's sweeps do not fall on one night and every
      process agrees on them;
    * after a run that was not clean (``last_status``: stopped, killed while ``running``,
      failed fetches, any problem) or when there was none: what that run missed is not
      behind an unchanged first page.
    """
    if cycle <= 1 or last_status not in CLEAN_RUN_STATUSES:
        return True
    offset = int.from_bytes(hashlib.blake2b(portal.encode("utf-8"), digest_size=4).digest(), "big")
    return (day.toordinal() + offset) % cycle == 0
