"""The template every portal spider is built from: lists in, report pages out.

A portal's spider is this class (or a CMS family's subclass) with the portal's TOML config as
its parameters; :meth:`PortalSpider.for_portal` makes the class, so no portal needs its own
file unless it needs code. What the families share lives here:

* candidates are picked by their list title (the portal's keywords), then the pipelines keep
  only what the extraction classifies as a report — news, work plans and 解读 are rejected;
* articles split over several pages (``t…_1.html`` …) are fetched part by part and handed on
  as one item, so the archive stores one report;
* known report URLs the archive wants re-checked are fetched even when no list links them any
  more — that is how deletions are found (404, or a redirect to another page);
* link hops are limited by ``[limits].max_depth`` (pagination is not a hop) and the number of
  responses by ``max_pages``, against crawler traps.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.settings import BaseSettings

from crawler.extract.encoding import decode_body
from crawler.items import ReportGone, ReportNotModified, ReportPage
from crawler.memo import cache_subdir
from crawler.middlewares import header, sweeps_lists
from crawler.portals import Portal, host_allowed
from crawler.signals import list_parsed
from spiders.readings import ListReading, Readings, reader_meta

if TYPE_CHECKING:
    from lxml import etree

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = (301, 302, 303, 307, 308)
GONE_STATUSES = (404, 410)
# The meta keys of a report request that carry over to its further parts and redirects
# (``parts``: the pages of a split article fetched so far, so a redirected part stays a part).
_REPORT_META = ("role", "hops", "list_title", "list_date", "list_referer", "dont_redirect",
                "handle_httpstatus_list", "first_etag", "first_last_modified", "download_maxsize", "parts")

# Dates as lists print them (2024-03-28, 2024/3/28, 2024年3月28日); read from text, not markup.
_DATE = re.compile(r"(20\d{2}|19\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
# A JS pager call: createPageHTML(...), createPage(...), with its argument list.
# A JS call and its argument list: pagers are recognised by their arguments' shape, not their
# name (createPageHTML, createPage, and the names other templates give the same function).
_PAGER_CALL = re.compile(r"(?<![\w$])(?!function\b)[A-Za-z_$][\w$]*\s*\(([^()]*)\)")
_PAGE_NAME = re.compile(r"[\w\-]+")
_PAGE_EXT = re.compile(r"s?html?|jsp|aspx?|php")
_COUNT_PAGE_VAR = re.compile(r"\bcountPage\s*=\s*(\d+)")
_CURRENT_PAGE_VAR = re.compile(r"\bcurrentPage\s*=\s*(\d+)")
_ARG = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)'|([^,]+?))\s*(?:,|$)""")
# The row of a list entry: the nearest li, tr, dd or p around its link.
_ROW_XPATH = "ancestor::*[self::li or self::tr or self::dd or self::p][1]"
# Link texts of "next page" and "last page" controls.
_NEXT_TEXTS = ("下一页", "下页", "后一页", "末页", "尾页", "最后一页")
# Pages that are lists, not articles, whatever their link text says: index/Index_N, *list_N and
# news-list-{col}-{N} in any page extension, Hanweb columns, directories.
_LIST_PATH = re.compile(
    r"(?:^|/)(?:(?:index|[a-z_-]*list)(?:[_-]\d+)*\.(?:s?html?|aspx?|jsp|php)|col/col\d+/?.*)$|/$", re.IGNORECASE)
# A list row's date as lists print it, short forms included (2024-03-28, [2024-03-28], 03-28, 2024年3月28日).
_ROW_DATE = re.compile(r"(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}"
                       r"|(?<![\d-])(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])(?![\d-])")
# Quoted file names in inline scripts (a pager's ``switch``, a page array): ``'Index_3.aspx'``.
_SCRIPT_PAGE = re.compile(r"""["']([\w./-]+\.(?:s?html?|aspx?|jsp|php)(?:\?[\w=&%.-]*)?)["']""")
# Attributes other than ``href`` that templates keep a link in (filled in by their scripts).
LINK_ATTRIBUTES = ("href", "ms-attr-href", "data-href", "_href", "data-url")
# Classes and ids of page parts that are not a column's list: navigation, header, footer, side bars.
_CHROME_PARTS = ("nav", "menu", "head", "foot", "side", "crumb", "position", "banner", "top", "copyright")


@dataclass(frozen=True, slots=True)
class ListLink:
    """A link found on a list page: where it points, the title shown and the date shown (if any)."""

    url: str
    title: str
    date: str | None = None


def select(response: TextResponse | scrapy.Selector, query: str) -> scrapy.selector.SelectorList:
    """Run a selector from a portal config: XPath when it starts with ``/`` or ``(``, else CSS."""
    if query.startswith(("/", "(")):
        return response.xpath(query)
    return response.css(query)


def text_of(node: scrapy.Selector) -> str:
    """The visible text of a node, whitespace collapsed."""
    return element_text(node.root)


def element_text(element: etree._Element) -> str:
    """:func:`text_of` an lxml element.

    List pages ask this of every row and anchor, so the XPath runs on the element itself:
    through a selector, every text node would become a ``Selector`` of its own first.
    """
    return " ".join(" ".join(element.xpath(".//text()")).split())


def row_of(element: etree._Element) -> etree._Element | None:
    """The list row (``li``, ``tr``, ``dd`` or ``p``) holding ``element``, if any."""
    rows = element.xpath(_ROW_XPATH)
    return rows[0] if rows else None


def date_in(text: str) -> str | None:
    """The first date in ``text`` as ISO ``YYYY-MM-DD``, or ``None``."""
    match = _DATE.search(text)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def pager_args(script: str) -> Iterator[list[str]]:
    """Arguments of every pager call in a script's text, whatever the function's name.

    A pager call is ``(count, current, "name", "ext")`` (TRS) or ``('div', count, current,
    'name', 'ext', records)`` (the .shtml platform) with literal numbers, a file stem and a
    page extension: a definition or a call with variables is none.
    """
    for call in _PAGER_CALL.finditer(script):
        args = [next(g for g in m.groups() if g is not None).strip()
                for m in _ARG.finditer(call.group(1)) if m.group(0)]
        if len(args) not in (4, 6):
            continue
        first = 0 if len(args) == 4 else 1
        count, current, name, ext = args[first:first + 4]
        if count.isdigit() and current.isdigit() and _PAGE_NAME.fullmatch(name) and _PAGE_EXT.fullmatch(ext):
            yield args


def pager_count(args: list[str]) -> int | None:
    """The page count a pager call announces, or ``None`` when it is not a call :func:`pager_urls` reads."""
    if len(args) == 4 and args[0].isdigit():
        return int(args[0])
    if len(args) == 6 and args[1].isdigit():
        return int(args[1])
    return None


def pager_urls(base_url: str, args: list[str], limit: int) -> list[str]:
    """The first ``limit`` pages a pager call stands for, the one it is on included.

    Four arguments ``(count, current, name, ext)`` are TRS's zero-based pages (``index.html``,
    ``index_1.html`` … ``index_{count-1}.html``); six ``(div, count, current, name, ext, records)``
    are the .shtml platform's one-based pages (``xxgk_list.shtml``, ``xxgk_list_2.shtml`` …).
    Anything else (a function definition, a call with variables) yields nothing. The count is
    the page's word: ``limit`` (the portal's ``max_pages``) keeps a page that announces a
    hundred million pages from becoming a hundred million requests.
    """
    count = pager_count(args)
    if count is None:
        return []
    count = min(count, limit)
    if len(args) == 4:
        name, ext = args[2], args[3]
        pages = [f"{name}.{ext}"] + [f"{name}_{i}.{ext}" for i in range(1, count)]
    else:
        name, ext = args[3], args[4]
        pages = [f"{name}.{ext}"] + [f"{name}_{i}.{ext}" for i in range(2, count + 1)]
    if not _PAGE_NAME.fullmatch(name) or not _PAGE_EXT.fullmatch(ext):
        return []
    return [urljoin(base_url, page) for page in pages]


def generic_links(spider: PortalSpider, response: TextResponse) -> Iterator[ListLink]:
    """The links of a list page's main list, then the page's other links to list pages.

    The portal's ``[selectors].list_items`` wins; without it the main list is found by its
    shape (:func:`main_list`), so navigation, footers and other columns' side bars never pass
    for items. Links to list pages anywhere (menus, column bars) are yielded too: the spider
    follows those whose names suggest reports, and never counts them as items.
    The families' readers are functions of ``(spider, response)``, not methods, so the
    ``auto`` spider can apply whichever family a page shows without being that family's class.
    """
    if query := spider.portal.selectors.list_items:
        anchors = []
        for anchor in select(response, query):
            if anchor.root.tag != "a":
                anchor = anchor.xpath("descendant-or-self::a[@href][1]")
                if not anchor:
                    continue
                anchor = anchor[0]
            anchors.append(anchor)
    else:
        anchors = main_list(response)
        seen = {anchor.root for anchor in anchors}
        anchors += [a for a in response.xpath("//a[@href]")
                    if a.root not in seen and spider.is_list_url(response.urljoin(a.attrib["href"].strip()))]
    for anchor in anchors:
        if link := link_of(anchor, response.url):
            yield link


def main_list(response: TextResponse | scrapy.Selector) -> list[scrapy.Selector]:
    """The anchors of a page's main list, in page order.

    Links are grouped by the element holding their rows (``li``, ``tr``, ``dd``, ``p``); the
    group with most dated rows is the list, together with every group of the same shape (a
    "动静结合" page's hidden groups, a list split into several ``<ul>``); groups inside navigation,
    header, footer or side bars (``_CHROME_PARTS``) count only when no other group is dated.
    Without dated rows, the group with most rows outside those parts is, if it has three rows
    or more. Real lists date their rows; menus do not, and side bars are marked as such.
    """
    pairs = []  # (anchor, the element holding its row)
    groups: dict[object, int] = {}
    dated: dict[object, int] = {}
    for anchor in response.xpath("//a[" + " or ".join(f"@{name}" for name in LINK_ATTRIBUTES) + "]"):
        row = row_of(anchor.root)
        container = (anchor.root if row is None else row).getparent()
        if container is None:
            continue
        pairs.append((anchor, container))
        groups[container] = groups.get(container, 0) + 1
        if row is not None and _ROW_DATE.search(element_text(row)):
            dated[container] = dated.get(container, 0) + 1
    if not groups:
        return []
    lists = [c for c in dated if not _in_chrome(c)] or list(dated)  # a dated side bar is still a side bar
    if lists:
        shape = _shape(max(lists, key=lambda c: (dated[c], groups[c])))
        keep = {c for c in lists if _shape(c) == shape}
    else:
        plain = [c for c in groups if groups[c] >= 3 and not _in_chrome(c)]
        keep = {max(plain, key=groups.__getitem__)} if plain else set()
    return [anchor for anchor, container in pairs if container in keep]


def _shape(node) -> tuple[tuple[str, str], ...]:
    """Tags and classes from the root down to ``node``: groups of one list share it."""
    path = []
    while node is not None:
        path.append((str(node.tag), node.get("class") or ""))
        node = node.getparent()
    return tuple(reversed(path))


def _in_chrome(node) -> bool:
    """Whether ``node`` sits in navigation, a header, a footer or a side bar (by tag, class or id)."""
    while node is not None:
        tag = str(node.tag).lower()
        names = f"{node.get('class') or ''} {node.get('id') or ''}".lower()
        if tag in ("nav", "header", "footer", "aside") or any(part in names for part in _CHROME_PARTS):
            return True
        node = node.getparent()
    return False


def generic_pages(spider: PortalSpider, response: TextResponse) -> Iterator[scrapy.Request]:
    """Further list pages: JS pager calls, ``countPage`` variables and next/last-page links."""
    pages = response.meta.get("list_pages", 0)
    if pages >= spider.portal.limits.max_pages:
        return
    hops = response.meta.get("hops", 0)
    for url in spider.pager_targets(response):
        yield spider.list_request(url, hops=hops, pages=pages + 1)


class PortalSpider(scrapy.Spider):
    """Harvest one portal's report candidates; subclasses add a CMS family's list and pager shapes.

    Subclasses override :meth:`list_links` and :meth:`list_pages` (both get the list response
    and return what they found), by calling their family's reader functions (:func:`generic_links`,
    ``spiders.trs.trs_links``, ``spiders.hanweb.hanweb_pages`` …) rather than ``super()``;
    everything else — candidate choice, hop and page limits, re-checks, 304/404/redirect
    handling, multi-page stitching — is shared.
    """

    family: ClassVar[str] = "generic"
    portal: ClassVar[Portal]

    @classmethod
    def for_portal(cls, portal: Portal) -> type[PortalSpider]:
        """This template bound to one portal: the class ``scrapy crawl NAME`` runs."""
        return type(
            f"{cls.__name__}_{portal.name}",
            (cls,),
            {"name": portal.name, "portal": portal, "allowed_domains": list(portal.allowed_domains)},
        )

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Apply the portal's politeness, page limit and job directory on top of the project settings."""
        super().update_settings(settings)
        portal = getattr(cls, "portal", None)
        if portal is None:
            return
        settings.set("DOWNLOAD_DELAY", portal.politeness.download_delay, priority="spider")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", portal.politeness.concurrency, priority="spider")
        settings.set("CLOSESPIDER_PAGECOUNT", portal.limits.max_pages, priority="spider")
        if root := settings.get("JOBDIR_ROOT"):
            settings.set("JOBDIR", f"{root}/{portal.name}", priority="spider")

    # -- start ------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """List pages first, then the known reports the archive wants re-checked tonight.

        Whether tonight reads unchanged lists to the end is decided here, once per crawl
        (``LIST_SWEEP_DAYS``; see :func:`crawler.middlewares.sweeps_lists`).
        """
        from crawler.extensions import ArchiveRun

        run = self.crawler.get_extension(ArchiveRun)
        cycle = self.crawler.settings.getint("LIST_SWEEP_DAYS", 7)
        last_status = run.previous_status if run is not None else None
        self.sweep_lists = sweeps_lists(self.portal.name, self.now().date(), cycle, last_status)
        self.crawler.stats.set_value("crawl/list_sweep", int(self.sweep_lists))
        for url in self.portal.start_urls:
            yield self.list_request(url, hops=0, pages=0)
        for url in self.recheck_urls():
            if self.allowed(url):
                self.crawler.stats.inc_value("crawl/rechecks")
                yield self.report_request(url, link=ListLink(url, ""), hops=0)

    def recheck_urls(self) -> list[str]:
        """Known report URLs due for a re-check, from the archive (empty without one).

        Due "by the next crawl": the archive's intervals are whole days and a crawl runs once
        a night, so a report seen at 02:10 yesterday is asked for at 02:05 today rather than
        waiting a whole extra cycle (``RECHECK_HORIZON_HOURS``, default 12).
        """
        from crawler.extensions import ArchiveRun

        run = self.crawler.get_extension(ArchiveRun)
        if run is None or run.archive is None:
            return []
        horizon = timedelta(hours=self.crawler.settings.getfloat("RECHECK_HORIZON_HOURS", 12))
        return run.archive.recheck_due(self.portal.name, self.now() + horizon)

    def now(self) -> datetime:
        """The crawl's clock (``--as-of`` replays a night; see :func:`crawler.extensions.crawl_now`)."""
        from crawler.extensions import crawl_now

        return crawl_now(self.crawler.settings)

    def allowed(self, url: str) -> bool:
        """Whether ``url`` is on the portal (``allowed_domains``): nothing else is ever requested."""
        return host_allowed(urlsplit(url).hostname or "", self.portal.allowed_domains)

    # -- requests ---------------------------------------------------------------------------

    def list_request(self, url: str, *, hops: int, pages: int, **kwargs: Any) -> scrapy.Request:
        meta = {"role": "list", "hops": hops, "list_pages": pages, "download_maxsize": self.page_maxsize}
        meta.update(kwargs.pop("meta", {}))
        return scrapy.Request(url, callback=self.parse_list, errback=self.fetch_failed, meta=meta, **kwargs)

    @property
    def page_maxsize(self) -> int:
        """Largest HTML page fetched (``PAGE_MAXSIZE``); attachments get ``DOWNLOAD_MAXSIZE``."""
        return self.crawler.settings.getint("PAGE_MAXSIZE", 4 * 1024 * 1024)

    def report_request(self, url: str, *, link: ListLink, hops: int, referer: str | None = None) -> scrapy.Request:
        """A report page request: conditional (by the middleware), redirects and 404s seen by the spider."""
        return scrapy.Request(
            url,
            callback=self.parse_report,
            errback=self.fetch_failed,
            meta={
                "role": "report",
                "download_maxsize": self.page_maxsize,
                "hops": hops,
                "list_title": link.title or None,
                "list_date": link.date,
                "list_referer": referer,
                "dont_redirect": True,
                "handle_httpstatus_list": [304, *GONE_STATUSES, *REDIRECT_STATUSES],
            },
        )

    # -- lists ------------------------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        """Report candidates and further list pages of one list page."""
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("crawl/list_not_text")
            return
        hops = response.meta.get("hops", 0)
        # A list the server says is unchanged (the HTTP cache revalidated it) lists the same
        # candidates as last time: their cached copies are used as they are, and known reports
        # among them are re-checked by the archive's policy instead (see start()).
        unchanged = "cached" in response.flags
        self.crawler.stats.inc_value("crawl/list_pages")
        reading = self.read_list(response)
        links = [link for link in reading.links if self.allowed(link.url)]
        requests: list[scrapy.Request] = []
        items: list[ListLink] = []
        for link in links:
            if self.is_list_url(link.url):
                if self.is_candidate(link.title) and hops < self.portal.limits.max_depth:
                    requests.append(self.list_request(link.url, hops=hops + 1, pages=0))
                continue
            items.append(link)
            if not self.is_candidate(link.title):
                self.crawler.stats.inc_value("crawl/rejected_by_title")
                continue
            if hops + 1 > self.portal.limits.max_depth:
                self.crawler.stats.inc_value("crawl/depth_limited")
                continue
            self.crawler.stats.inc_value("crawl/candidates")
            request = self.report_request(link.url, link=link, hops=hops + 1, referer=response.url)
            request.meta["list_unchanged"] = unchanged
            requests.append(request)
        further = [r.url for r in requests if r.meta.get("role") == "list"] + [page["url"] for page in reading.pages]
        self.crawler.signals.send_catch_log(list_parsed, spider=self, response=response, items=items,
                                            next=list(dict.fromkeys(further)), family=reading.family)
        if unchanged and items and not getattr(self, "sweep_lists", True):
            # Unchanged: no new entry, nothing shifted below it (see sweeps_lists). Only its
            # links to other lists are followed; its pages and candidates wait for the sweep.
            # A page listing nothing itself (a gkmlpt catalog, whose entries are in its API's
            # answers) says nothing of its pages: they are asked for, and judged on their own.
            lists = [r for r in requests if r.meta.get("role") == "list"]
            self.crawler.stats.inc_value("crawl/unchanged_lists/candidates_skipped", len(requests) - len(lists))
            self.crawler.stats.inc_value("crawl/unchanged_lists/pages_skipped", len(reading.pages))
            yield from lists
            return
        yield from requests
        yield from reading.requests(self)

    def read_list(self, response: TextResponse) -> ListReading:
        """The page's links, further pages and family, as the family readers read the decoded page.

        Kept for the nights the page is unchanged (:mod:`spiders.readings`).
        """
        def read() -> ListReading:
            decoded = self.decoded(response)
            links = list(self.list_links(decoded))
            pages = [request.to_dict(spider=self) for request in self.list_pages(decoded)]
            return ListReading(links, pages, self.page_family(decoded))

        return self.readings.read("list", response, read, reader_meta(response))

    @functools.cached_property
    def readings(self) -> Readings:
        """The portal's kept page readings, beside the HTTP cache (none kept without one)."""
        return Readings(cache_subdir(self.crawler.settings, "readings"), self)

    def closed(self, reason: str) -> None:
        """Keep what was read for the next crawl (Scrapy calls this when the spider closes)."""
        if "readings" in self.__dict__:
            self.readings.save()

    def page_family(self, response: TextResponse) -> str:
        """The family whose reader reads ``response`` (``auto`` says which it detected)."""
        return self.family

    def decoded(self, response: TextResponse) -> TextResponse:
        """The list page decoded as the extraction would: the portal's encoding, else what the bytes are.

        County portals declare GBK only in a ``<meta>``, declare nothing, or declare the wrong
        charset; list titles decoded wrongly would match no keyword and hide every report.
        The portal's ``encoding`` fixes its HTML pages only: a data endpoint (Hanweb's XML
        proxy, a JSON list) is a different program with its own, usually right, declaration.
        """
        override = self.portal.encoding if isinstance(response, HtmlResponse) else None
        _, encoding = decode_body(response.body, header(response, b"Content-Type"), override)
        if encoding in ("unknown", response.encoding):
            return response
        self.crawler.stats.set_value("crawl/list_encoding", f"{response.encoding} -> {encoding}")
        return response.replace(encoding=encoding)

    def list_links(self, response: TextResponse) -> Iterator[ListLink]:
        """Article links on a list page (a family's hook; see :func:`generic_links`)."""
        return generic_links(self, response)

    def list_pages(self, response: TextResponse) -> Iterator[scrapy.Request]:
        """Further list pages (a family's hook; see :func:`generic_pages`)."""
        return generic_pages(self, response)

    def pager_targets(self, response: TextResponse) -> list[str]:
        """Other list pages ``response`` points to, at most ``[limits].max_pages`` per pager."""
        calls: list[list[str]] = []
        for script in response.xpath("//script[not(@src)]/text()").getall():
            calls.extend(pager_args(script))
            if match := _COUNT_PAGE_VAR.search(script):
                calls.append([match.group(1), "0", _list_stem(response.url, script), "html"])
        urls: list[str] = []
        for args in calls:
            urls.extend(self.capped_pager_urls(response.url, args))
        query = self.portal.selectors.next_page
        anchors = select(response, query) if query else response.xpath("//a[@href]")
        for anchor in anchors:
            href = (anchor.attrib.get("href") or "").strip()
            if not href or href.startswith(("javascript:", "#")):
                continue
            label = text_of(anchor)
            url = response.urljoin(href)
            # Next/last controls anywhere; numbered page links (hidden ones too) to a list page of this directory.
            if query or label in _NEXT_TEXTS or (label.isdigit() and self._sibling_list(response.url, url)):
                urls.append(url)
        for script in response.xpath("//script[not(@src)]/text()").getall():
            for name in _SCRIPT_PAGE.findall(script):
                url = response.urljoin(name)
                if self._sibling_list(response.url, url):
                    urls.append(url)
        return [u for u in dict.fromkeys(urls) if u != response.url and _same_host(response.url, u)]

    def _sibling_list(self, base: str, url: str) -> bool:
        """Whether ``url`` is a list page in ``base``'s directory: another page of the same list."""
        return self.is_list_url(url) and urlsplit(url).path.rsplit("/", 1)[0] == urlsplit(base).path.rsplit("/", 1)[0]

    def capped_pager_urls(self, base_url: str, args: list[str]) -> list[str]:
        """:func:`pager_urls` capped by ``[limits].max_pages``; a cap is counted and logged."""
        limit = self.portal.limits.max_pages
        count = pager_count(args)
        if count is not None and count > limit:
            self.crawler.stats.inc_value("crawl/pager_capped")
            logger.warning("%s announces %d pages: only the first %d are read ([limits].max_pages)",
                           base_url, count, limit)
        return pager_urls(base_url, args, limit)

    def is_candidate(self, title: str) -> bool:
        """Whether a list title names a report worth fetching (the extraction decides in the end)."""
        return any(keyword in title for keyword in self.portal.keywords)

    def is_list_url(self, url: str) -> bool:
        """Whether ``url`` is a list/column page rather than an article (family shapes)."""
        return bool(_LIST_PATH.search(urlsplit(url).path))

    # -- reports ----------------------------------------------------------------------------

    def parse_report(self, response: Response) -> Iterator[Any]:
        """A report page: 304 and 404 become state changes, redirects are judged, 200s are stitched."""
        now = self.now()
        meta = response.meta
        parts: list[tuple[str, bytes]] = meta.get("parts", [])
        first_url = parts[0][0] if parts else response.url
        if response.status == 304:
            yield ReportNotModified(
                self.portal.name,
                response.url,
                now,
                etag=header(response, b"ETag"),
                last_modified=header(response, b"Last-Modified"),
            )
            return
        if response.status in GONE_STATUSES:
            if parts:
                self.part_failed(response.url, first_url, f"HTTP {response.status}")
            else:
                yield ReportGone(self.portal.name, response.url, now, response.status, f"HTTP {response.status}")
            return
        if response.status in REDIRECT_STATUSES:
            yield from self._redirected(response, now)
            return
        meta = {key: meta[key] for key in _REPORT_META if key in meta}
        if not parts:
            meta["first_etag"] = header(response, b"ETag")
            meta["first_last_modified"] = header(response, b"Last-Modified")
        parts = [*parts, (response.url, response.body)]
        fetched = {url for url, _ in parts}
        for url in self.article_parts(response, first_url):
            if url not in fetched:
                # A fresh request: the first part's conditional headers must not travel along.
                yield scrapy.Request(url, callback=self.parse_report, errback=self.fetch_failed,
                                     meta={**meta, "parts": parts})
                return
        yield ReportPage(
            portal=self.portal.name,
            url=first_url,
            status=200,
            fetched_at=now,
            bodies=[body for _, body in parts],
            urls=[url for url, _ in parts],
            content_type=header(response, b"Content-Type"),
            etag=meta.get("first_etag"),
            last_modified=meta.get("first_last_modified"),
            list_title=meta.get("list_title"),
            list_date=meta.get("list_date"),
            referer=meta.get("list_referer"),
        )

    def _redirected(self, response: Response, now: datetime) -> Iterator[Any]:
        """A report that redirects: to the same page elsewhere it is followed, to another page it is gone.

        A later part of a split article that redirects away is a failed part, not a removed
        report: the report's own URL (the first part) is what the archive knows.
        """
        location = header(response, b"Location")
        target = response.urljoin(location) if location else None
        if target is None:
            reason = "redirect without Location"
        elif not self.allowed(target):
            self.crawler.stats.inc_value("crawl/offsite_redirects")
            logger.warning("%s redirects off the portal to %s: not followed", response.url, target)
            reason = f"redirected off-site to {target}"
        elif urlsplit(target).path.rstrip("/") != urlsplit(response.url).path.rstrip("/"):
            reason = f"redirected to {target}"
        elif response.meta.get("redirect_times", 0) >= 3:
            reason = "redirect loop"
        else:
            meta = {key: response.meta[key] for key in _REPORT_META if key in response.meta}
            meta["redirect_times"] = response.meta.get("redirect_times", 0) + 1
            yield scrapy.Request(target, callback=self.parse_report, errback=self.fetch_failed, meta=meta,
                                 dont_filter=True)
            return
        if parts := response.meta.get("parts"):
            self.part_failed(response.url, parts[0][0], reason)
        else:
            yield ReportGone(self.portal.name, response.url, now, response.status, reason)

    def article_parts(self, response: Response, first_url: str) -> list[str]:
        """Further pages of a multi-page article (``t…_1.html`` …), from its in-article pager.

        Only pages whose name extends the first page's (``t2015_67430`` → ``t2015_67430_2``)
        count, so a list pager or a neighbour link is never taken for a part. What a page
        was read as is kept (:mod:`spiders.readings`) for the nights it is unchanged.
        """
        if not isinstance(response, TextResponse):
            return []
        stem = _page_stem(first_url)
        if response.url == first_url and stem not in response.text:
            # A pager call names the stem, and so does a link to a part (its name extends the
            # stem), or the <base> it is resolved against. A first page that never names its
            # own stem has no part to find. Most reports are one page, and an unchanged night
            # reads hundreds of them back from the HTTP cache: no need to parse each.
            return []
        return self.readings.read("parts", response, lambda: self._pager_parts(response, first_url, stem), first_url)

    def _pager_parts(self, response: TextResponse, first_url: str, stem: str) -> list[str]:
        urls = []
        for script in response.xpath("//script[not(@src)]/text()").getall():
            for args in pager_args(script):
                if len(args) == 4 and args[2] == stem:
                    urls.extend(self.capped_pager_urls(first_url, args))
        for anchor in response.xpath("//a[@href]"):
            # The target first: it rules out nearly every link without reading its text.
            url = response.urljoin(anchor.attrib["href"])
            if _page_stem(url).startswith(stem + "_"):
                label = text_of(anchor)
                if label.isdigit() or label in _NEXT_TEXTS[:3]:
                    urls.append(url)
        return sorted((u for u in dict.fromkeys(urls) if u != first_url), key=_part_number)

    def fetch_failed(self, failure: Any) -> None:
        """A request that failed for good (retries spent, too large, connection refused): counted and logged.

        HTTP error answers the spider does not handle (a 412 challenge, a 500 after its
        retries) end here too; the health middleware has already named the portal's problem.
        """
        request = failure.request
        role = request.meta.get("role", "page")
        self.crawler.stats.inc_value("crawl/failed")
        self.crawler.stats.inc_value(f"crawl/failed/{role}")
        logger.warning("%s %s failed: %s", role, request.url, failure.getErrorMessage())
        if parts := request.meta.get("parts"):
            self.crawler.stats.inc_value("crawl/part_failed")
            logger.warning("report %s not archived tonight: part %s failed", parts[0][0], request.url)

    def part_failed(self, url: str, report_url: str, reason: str) -> None:
        """A later part of a split article is missing: the report is left for the next crawl.

        The parts fetched so far are not handed on: archived, they would be a truncated text
        taken for a new version, and the complete text a second new version the night after.
        The failure counts as a fetch error, so the portal's summary shows it.
        """
        self.crawler.stats.inc_value("crawl/failed")
        self.crawler.stats.inc_value("crawl/part_failed")
        logger.warning("report %s not archived tonight: part %s %s", report_url, url, reason)


def _page_stem(url: str) -> str:
    """``…/202401/t20240116_1134.html`` -> ``t20240116_1134``."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def _list_stem(url: str, script: str) -> str:
    """The name of page 0 of a ``countPage`` list: ``list_2.html`` with ``currentPage=2`` -> ``list``."""
    stem = _page_stem(url)
    match = _CURRENT_PAGE_VAR.search(script)
    current = int(match.group(1)) if match else 0
    if current and stem.endswith(f"_{current}"):
        return stem[: -len(f"_{current}")]
    return stem


def _part_number(url: str) -> int:
    """``t2015_67430_3.html`` -> 3 (the order of a split article's parts)."""
    suffix = _page_stem(url).rsplit("_", 1)[-1]
    return int(suffix) if suffix.isdigit() else 0


def _same_host(base: str, url: str) -> bool:
    """Pager targets stay on the list's host (the offsite middleware enforces the portal)."""
    return urlsplit(base).hostname == urlsplit(url).hostname


def link_of(anchor: scrapy.Selector, base_url: str) -> ListLink | None:
    """The list link an ``<a>`` stands for, dated by its own row (``li``/``tr``/``dd``/``p``); ``None`` if no link.

    The target is ``href``, else an attribute a template's script fills in (``ms-attr-href`` …,
    :data:`LINK_ATTRIBUTES`); an unfilled template (``{{url}}``) is no link.
    """
    href = next((value.strip() for name in LINK_ATTRIBUTES if (value := anchor.attrib.get(name, "")).strip()), "")
    if not href or href.startswith(("javascript:", "#", "mailto:")) or "{" in href:
        return None
    title = ((anchor.attrib.get("title") or "").strip() or text_of(anchor)
             or " ".join(anchor.root.xpath(".//img/@alt")).strip())
    row = row_of(anchor.root)
    return ListLink(urljoin(base_url, href), title, None if row is None else date_in(element_text(row)))


def links_in(fragment: str, base_url: str) -> Iterable[ListLink]:
    """Links in an HTML fragment (a Hanweb record, a JSON list's html), with titles and dates.

    Each link is dated by its own row; a fragment that is one bare link and its date
    (``<a …>…</a><b>2024-03-28</b>``) dates that link by the fragment's text.
    """
    selector = scrapy.Selector(text=f"<div>{fragment}</div>", type="html")
    anchors = selector.xpath("//a[@href]")
    for anchor in anchors:
        link = link_of(anchor, base_url)
        if link is None:
            continue
        if link.date is None and len(anchors) == 1:
            link = ListLink(link.url, link.title, date_in(text_of(selector)))
        yield link
