"""One portal as an HTTP site: its routes, conditional requests, per-request chrome and faults.

This module knows HTTP semantics but not Twisted: :meth:`PortalSite.handle` turns a method,
path, arguments and headers into a :class:`Reply`, and ``server.py`` writes it to the wire
(including the faults that need the transport: delays, resets, truncation).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from urllib.parse import parse_qs, quote, urljoin, urlsplit
from typing import TYPE_CHECKING

from crawler.sim import chrome, documents
from crawler.sim.faults import BURST, HUGE_BYTES, PAGE_FAULTS, SLOW_SECONDS
from crawler.sim.families import Column, Gkmlpt, Hanweb, ListItem, PageContext
from crawler.sim.model import REPORT, Entry
from crawler.sim.templates import SEARCH_PATH, is_search

if TYPE_CHECKING:
    from crawler.sim.farm import Farm, PortalPlan

_CST = timezone(timedelta(hours=8))
_WEEKDAYS = "一二三四五六日"

# Extra links the farm lists only when the fault is switched on: path and the title they are listed under.
_EXTRA_FAULTS = {
    "redirect_loop": ("/redirect/a.html", "法治政府建设专栏"),
    "calendar_trap": ("/calendar/index.html?month=2025-06", "法治宣传活动日历"),
    "huge_page": ("/special/huibian.html", "法治政府建设资料汇编"),
    "binary_as_html": ("/special/tupian.html", "法治政府建设情况报告（图片版）"),
    "offsite_redirect": ("/special/goto.html", "市级法治政府建设情况报告"),
    "soft_404": ("/special/shuoming.html", "关于法治政府建设情况报告的说明"),
}


def extra_fault_paths() -> dict[str, str]:
    """Path (with query) of each extra-link fault; the same on every portal that carries it."""
    return {kind: path for kind, (path, _) in _EXTRA_FAULTS.items()}


@dataclass(slots=True)
class Reply:
    """What to answer: status, headers and a body (bytes, or a template filled per request).

    ``action`` asks the server for a transport-level fault: ``reset`` (abort the connection)
    or ``truncate`` (send half the body under the full Content-Length); ``delay`` in seconds.
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | chrome.Template = b""
    action: str = ""
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class ListPage:
    """A list page the portal serves, as the manifest's ``lists`` shows it.

    ``url`` is the path (and query) a spider requests; ``items`` the article links of the page's
    main list in page order (hrefs as written, relative ones resolved against ``url``);
    ``next`` the further list pages its markup or scripts announce; ``family`` the family whose
    fingerprints the page carries (what ``family = "auto"`` must detect there).
    """

    url: str
    items: tuple[str, ...]
    next: tuple[str, ...]
    family: str
    method: str = "GET"


@dataclass(slots=True)
class _Route:
    kind: str  # page | file | redirect | robots | proxy | api | fault
    render: Callable[[], chrome.Template] | None = None
    modified: date | None = None
    target: str = ""
    file: Callable[[], bytes] | None = None
    content_type: str = ""


def _http_date(day: date) -> str:
    return format_datetime(datetime.combine(day, time(1, 18), tzinfo=timezone.utc), usegmt=True)


class PortalSite:
    """A planned portal answering HTTP requests for night ``farm.night``."""

    def __init__(self, farm: Farm, plan: PortalPlan, hits: dict[str, int] | None = None) -> None:
        """``hits`` counts requests per faulty URL; the server passes one that outlives this object,
        so a burst fault does not start over when the site is evicted from its cache."""
        self.farm = farm
        self.plan = plan
        self.site = plan.site
        self.family = plan.family
        self.today = farm.today
        self.faults = set(farm.faults_of(plan.spec.index))
        self._page_faults = {farm.page_fault_path(k, plan): k for k in self.faults & PAGE_FAULTS}
        self._hits = {} if hits is None else hits
        self._counter = itertools.count(10_000 + plan.spec.index * 37)
        self._cache: dict[str, chrome.Template | bytes] = {}
        self.visible = plan.visible(self.today)
        self.routes: dict[str, _Route] = {}
        self.lists: list[ListPage] = []
        self._build_routes()

    # --- routes ------------------------------------------------------------------------------

    def _column_items(self, column: int) -> list[ListItem]:
        """What column ``column`` lists, newest first: its own articles (an aggregated column: its
        siblings', linked ``../../…``), the report an ``overlapping_columns`` portal lists twice, and
        the extra-fault links on the first column."""
        own = self.plan.columns[column]
        if own.aggregates:
            up = "../" * (own.base.count("/") - 1)
            return [ListItem(up + e.path.lstrip("/"), e.article.title, e.article.published)
                    for e in self.visible if e.column in own.aggregates]
        shared = self._shared_report() if column == 1 else None
        items = [ListItem(e.path, e.article.title, e.article.published) for e in self.visible
                 if e.column == column or e is shared]
        if column == 0:
            extras = [ListItem(_EXTRA_FAULTS[k][0], _EXTRA_FAULTS[k][1], self.today) for k in sorted(self.faults)
                      if k in _EXTRA_FAULTS and k != "calendar_trap"]
            items = extras + items
        return items

    def _shared_report(self) -> Entry | None:
        """The report an ``overlapping_columns`` portal lists in both columns and in every side bar."""
        if "overlapping_columns" not in self.plan.spec.extras:
            return None
        return next((e for e in self.visible if e.kind == REPORT and e.column == 0), None)

    def _build_routes(self) -> None:
        plan, fam = self.plan, self.family
        latest_change = max([e.modified for e in plan.entries if e.article.published <= self.today] or [self.today])
        self.routes["/robots.txt"] = _Route("robots")
        home = _Route("page", self._home, latest_change)
        self.routes["/"] = self.routes["/index.html"] = home
        self.routes["/search/index.html"] = _Route("page", self._search, latest_change)
        for n, column in enumerate(plan.columns):
            items = self._column_items(n)
            listed = column.aggregates or (n,)
            changed = max([i.published for i in items] + [e.removed_on for e in plan.entries
                           if e.column in listed and e.removed_on and e.removed_on <= self.today] or [self.today])
            pages = fam.list_pages(column, len(items))
            for page in range(pages):
                chunk = items[page * fam.per_page:(page + 1) * fam.per_page] if pages > 1 else items
                path = fam.list_page_path(column, page, pages).split("#")[0]
                self.routes[path] = _Route("page", self._list_renderer(n, chunk, page, pages, len(items)), changed)
                shown = ([i for part in fam.units(column, chunk) for i in part[:fam.per_page]] if isinstance(fam, Hanweb)
                         else [] if isinstance(fam, Gkmlpt) else chunk)
                if is_search(fam):
                    shown = chunk[:fam.search_size * fam.static_groups]
                siblings = [self.plan.columns[k] for k in column.aggregates]
                self._add_list(path, shown, fam.announced(self.site, column, page, pages, len(items))
                               + [fam.list_path(c, 0) for c in siblings], family=self._list_family(column))
            if isinstance(fam, Hanweb):
                # Proxy pages: the k-th of a unit holds the unit's k-th slice; the first announces the
                # others when the column page does not (no total on it).
                for unit, part in enumerate(fam.units(column, items)):
                    urls = fam.unit_pages(column, self.site, unit, len(part))
                    for k, url in enumerate(urls, start=1):
                        further = urls[1:] if k == 1 and not fam.totals_on_page(column) else []
                        self._add_list(url, part[(k - 1) * fam.per_page:k * fam.per_page], further)
            elif isinstance(fam, Gkmlpt) or is_search(fam):
                # Data pages (API, POST search), one per announced URL: the k-th holds the k-th slice.
                size = fam.search_size if is_search(fam) else fam.per_page
                for url in fam.announced(self.site, column, 0, pages, len(items)):
                    k = int(parse_qs(urlsplit(url).query)["page"][0])
                    self._add_list(url, items[(k - 1) * size:k * size], [], "POST" if is_search(fam) else "GET")
            if isinstance(fam, Gkmlpt):
                self.routes[fam.api_path(column)] = _Route("api", modified=changed, target=str(n))
        if isinstance(fam, Hanweb):
            self.routes["/module/web/jpage/dataproxy.jsp"] = _Route("proxy", modified=latest_change)
        if is_search(fam):
            self.routes[SEARCH_PATH] = _Route("search", modified=latest_change)
        by_column: dict[int, list[Entry]] = {}
        for entry in self.visible:
            by_column.setdefault(entry.column, []).append(entry)
        for entries in by_column.values():
            for pos, entry in enumerate(entries):
                newer = entries[pos - 1] if pos > 0 else None
                older = entries[pos + 1] if pos + 1 < len(entries) else None
                for k, path in enumerate(entry.page_paths, start=1):
                    self.routes[path] = _Route("page", self._article_renderer(entry, k, newer, older), entry.modified)
                if entry.attachment_path:
                    self.routes[entry.attachment_path] = _Route(
                        "file", modified=entry.modified, file=self._attachment(entry),
                        content_type="application/pdf" if entry.body_mode == "pdf"
                        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        for entry in plan.entries:
            if entry.removed == "redirect" and entry.removed_on <= self.today:
                for path in entry.page_paths:
                    self.routes[path] = _Route("redirect", target="/")
        for kind in self.faults:
            if kind in _EXTRA_FAULTS:
                path = _EXTRA_FAULTS[kind][0].split("?")[0]
                self.routes[path] = _Route("fault", target=kind)
        if "redirect_loop" in self.faults:
            self.routes["/redirect/b.html"] = _Route("fault", target="redirect_loop")

    def _list_family(self, column: Column) -> str:
        """The family a list page's fingerprints show: a foreign list template's pages show none,
        nor do the family's own lists in a variant without its markers."""
        if getattr(self.family, "foreign", False) or not self.family.fingerprinted(column):
            return "generic"
        return self.plan.spec.family

    def _add_list(self, url: str, items: list[ListItem], announced: list[str], method: str = "GET",
                  family: str = "") -> None:
        """Record a list page for the manifest (several columns may share one page, as gkmlpt's do)."""
        base = self.site.base_url + url
        page = ListPage(url, tuple(urljoin(base, i.url) for i in items), tuple(urljoin(base, a) for a in announced),
                        family or self.plan.spec.family, method)
        for k, known in enumerate(self.lists):
            if known.url == url:
                self.lists[k] = replace(known, items=known.items + page.items, next=known.next + page.next)
                return
        self.lists.append(page)

    # --- renderers ----------------------------------------------------------------------------

    def _side(self, column: int) -> str:
        """Side bar: other columns' latest articles (columns overlap on real portals) and a calendar."""
        shared = self._shared_report()
        others = [e for e in self.visible if e.column != column and e is not shared][: 2 if shared else 3]
        if shared:
            others.insert(0, shared)
        links = "".join(f'<li><a href="{escape(e.path)}">{escape(e.article.title)}</a></li>' for e in others)
        calendar = ""
        if "calendar_trap" in self.faults:
            path, title = _EXTRA_FAULTS["calendar_trap"]
            calendar = f'<p><a href="{escape(path)}">{escape(title)}</a></p>'
        return f'<div class="side"><h3>最新信息</h3><ul>{links}</ul>{calendar}</div>'

    def _home(self) -> chrome.Template:
        latest = [ListItem(e.path, e.article.title, e.article.published) for e in self.visible[:8]]
        html = self.family.render_home(self.site, self.plan.columns, latest, self.plan.offsite)
        return chrome.Template.from_html(html, self.site.encoding)

    def _search(self) -> chrome.Template:
        html = self.family.page(self.site, f"站内搜索_{self.site.name}", [("SiteName", self.site.name)],
                                '<div class="search"><form action="/search/index.html"><input name="q"></form>'
                                "<p>请输入关键词进行搜索。</p></div>", self.plan.offsite, self.plan.columns, 0)
        return chrome.Template.from_html(html, self.site.encoding)

    def _site_search(self, query: str, page: int) -> Reply:
        """站内搜索: the articles whose title holds ``query``, newest first, 10 a page, with a 下一页 link."""
        hits = [e for e in self.visible if query in e.article.title]
        shown = hits[(page - 1) * 10:page * 10]
        rows = "".join(f'<li><a href="{escape(e.path)}" target="_blank">{escape(e.article.title)}</a>'
                       f"<span>{e.article.published.isoformat()}</span></li>" for e in shown)
        more = (f'<a href="/search/index.html?q={quote(query)}&amp;page={page + 1}">下一页</a>'
                if page * 10 < len(hits) else "")
        body = (f'<div class="search"><form action="/search/index.html"><input name="q" value="{escape(query)}"></form>'
                f'<p>共找到{len(hits)}条结果</p><ul class="search-list">{rows}</ul><div class="page">{more}</div></div>')
        html = self.family.page(self.site, f"站内搜索_{self.site.name}", [("SiteName", self.site.name)], body,
                                self.plan.offsite, self.plan.columns, 0)
        filled = chrome.Template.from_html(html, self.site.encoding).fill(self._filler(next(self._counter)))
        return Reply(200, {"Content-Type": self.site.content_type}, filled)

    def _sub_columns(self, column: int) -> str:
        """An aggregated column's bar of links into the columns it aggregates (named for what they hold)."""
        links = "".join(
            f'<li><a href="{escape(self.family.list_path(c, 0))}">'
            f'{escape(c.name if k == 0 else c.name + "法治建设")}</a></li>'
            for k, c in enumerate(self.plan.columns[i] for i in self.plan.columns[column].aggregates)
        )
        return f'<div class="sub-columns"><ul>{links}</ul></div>' if links else ""

    def _list_renderer(self, n, items, page, pages, total) -> Callable[[], chrome.Template]:
        def render() -> chrome.Template:
            column = self.plan.columns[n]
            html = self.family.render_list(self.site, column, self.plan.columns, items, page, pages, total,
                                           self.plan.offsite, self._sub_columns(n) + self._side(n))
            return chrome.Template.from_html(html, self.site.encoding)

        return render

    def _article_renderer(self, entry: Entry, page: int, newer, older) -> Callable[[], chrome.Template]:
        def render() -> chrome.Template:
            article = entry.article
            if entry.body_mode in ("pdf", "docx"):
                shown = (f"{article.title}全文详见附件。",)
            else:
                shown = entry.paragraphs
            ctx = PageContext(
                column=self.plan.columns[entry.column], columns=self.plan.columns, page=page,
                page_paths=entry.page_paths if len(entry.page_paths) > 1 else (),
                prev=(newer.path, newer.article.title) if newer else None,
                next=(older.path, older.article.title) if older else None,
                offsite=self.plan.offsite, variant=self.plan.spec.index,
            )
            html = self.family.render_article(self.site, replace(article, paragraphs=shown), ctx)
            return chrome.Template.from_html(html, self.site.encoding)

        return render

    def _attachment(self, entry: Entry) -> Callable[[], bytes]:
        def build() -> bytes:
            make = documents.make_pdf if entry.body_mode == "pdf" else documents.make_docx
            return make(entry.article.title, entry.paragraphs)

        return build

    # --- per-request chrome -----------------------------------------------------------------------

    def _filler(self, hit: int) -> Callable[[str], bytes]:
        now = datetime.now(_CST)
        encoding = self.site.encoding

        def fill(slot: str) -> bytes:
            if slot == "date":
                text = f"{now:%Y年%m月%d日} 星期{_WEEKDAYS[now.weekday()]}"
            elif slot == "counter":
                text = str(hit)
            elif slot == "token":
                text = f"{hit * 7919 % 1000003}"
            else:  # related: three other articles, rotating, with a throw-away parameter
                pool = self.visible or []
                picks = [pool[(hit + k * 5) % len(pool)] for k in range(min(3, len(pool)))]
                text = "".join(f'<li><a href="{escape(e.path)}?t={hit}">{escape(e.article.title)}</a></li>'
                               for e in picks)
            return text.encode(encoding, errors="xmlcharrefreplace")

        return fill

    # --- requests ------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, args: Mapping[str, str], headers: Mapping[str, str]) -> Reply:
        """Answer one request. ``headers`` has lower-case names."""
        if "antibot_412" in self.faults:
            return self._challenge()
        fault = self._page_faults.get(path)
        truncate = False
        if fault:
            hits = self._hits[path] = self._hits.get(path, 0) + 1
            if fault != "slow" and hits <= BURST:
                if fault != "truncated_body":
                    return self._burst(fault)
                truncate = True
        if path == "/search/index.html" and args.get("q"):
            return self._site_search(args["q"], max(1, _int(args.get("page"), 1)))
        route = self.routes.get(path)
        if route is None:
            return self._not_found(404)
        if route.kind == "robots":
            disallow = "".join(f"Disallow: {p}\n" for p in self.plan.robots_disallow) or "Disallow:\n"
            return Reply(200, {"Content-Type": "text/plain"}, f"User-agent: *\n{disallow}".encode())
        if route.kind == "redirect":
            return Reply(302, {"Location": self.site.base_url + route.target, "Content-Type": "text/html"}, b"")
        if route.kind == "fault":
            return self._extra_fault(route.target, path, args)
        if route.kind == "proxy":
            return self._proxy(args)
        if route.kind == "search":
            return self._search_answer(method, args)
        if route.kind == "api":
            return self._api(int(route.target), args)
        body = self._cache.get(path)
        if body is None:
            body = route.file() if route.kind == "file" else route.render()
            self._cache[path] = body
        if isinstance(body, bytes):
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            content_type = route.content_type
        else:
            etag = body.etag
            content_type = self.site.content_type
        last_modified = _http_date(route.modified or self.today)
        common = {"ETag": etag, "Last-Modified": last_modified}
        if self._not_modified(headers, etag, route.modified or self.today):
            return Reply(304, common)
        if isinstance(body, chrome.Template):
            body = body.fill(self._filler(next(self._counter)))
        return Reply(200, {"Content-Type": content_type, **common}, body,
                     action="truncate" if truncate else "", delay=SLOW_SECONDS if fault == "slow" else 0)

    @staticmethod
    def _not_modified(headers: Mapping[str, str], etag: str, modified: date) -> bool:
        match = headers.get("if-none-match")
        if match is not None:
            return etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*"
        since = headers.get("if-modified-since")
        if since:
            try:
                when = parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            return when >= datetime.combine(modified, time(1, 18), tzinfo=timezone.utc)
        return False

    @staticmethod
    def _burst(kind: str) -> Reply:
        """The failing answer of a transient page fault."""
        if kind == "http_500_burst":
            return Reply(500, {"Content-Type": "text/html"}, b"<html><body><h1>500 Internal Server Error</h1></body></html>")
        if kind == "http_503_burst":
            return Reply(503, {"Content-Type": "text/html", "Retry-After": "1"},
                         b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
        return Reply(200, action="reset")

    def _extra_fault(self, kind: str, path: str, args: Mapping[str, str]) -> Reply:
        html_type = {"Content-Type": self.site.content_type}
        if kind == "redirect_loop":
            target = "/redirect/b.html" if path.endswith("a.html") else "/redirect/a.html"
            return Reply(302, {"Location": self.site.base_url + target})
        if kind == "offsite_redirect":
            return Reply(302, {"Location": self.farm.city_of(self.plan.spec).base_url + "/"})
        if kind == "soft_404":
            return self._not_found(200)
        if kind == "binary_as_html":
            data = random.Random(f"{self.farm.seed}/binary").randbytes(64 * 1024)
            return Reply(200, {"Content-Type": "text/html"}, b"\x89PNG\r\n\x1a\n" + data)
        if kind == "huge_page":
            body = self._cache.get(path)
            if body is None:
                body = self._cache[path] = self._huge()
            return Reply(200, html_type, body)
        return self._calendar(args.get("month", "2025-06"))

    def _huge(self) -> bytes:
        paragraph = f"<p>{escape(self.site.name)}法治政府建设资料汇编（第{{}}部分）。</p>\n"
        head = f"<html><head><title>法治政府建设资料汇编</title></head><body><div id=\"zoom\">".encode(self.site.encoding)
        parts, size, n = [head], len(head), 0
        while size < HUGE_BYTES:
            n += 1
            chunk = paragraph.replace("{}", str(n)).encode(self.site.encoding, errors="xmlcharrefreplace")
            parts.append(chunk)
            size += len(chunk)
        parts.append(b"</div></body></html>")
        return b"".join(parts)

    def _calendar(self, month: str) -> Reply:
        """An endless calendar: every month links the previous and the next one, and its days."""
        try:
            year, mon = (int(x) for x in month.split("-"))
            first = date(year, mon, 1)
        except ValueError:
            return self._not_found(404)
        prev_month = (first - timedelta(days=1)).replace(day=1)
        next_month = (first + timedelta(days=32)).replace(day=1)
        days = "".join(f'<a href="/calendar/index.html?month={month}&amp;day={d}">{d}</a> ' for d in range(1, 29))
        html = (
            f"<html><head><meta charset=\"utf-8\"><title>活动日历 {month}</title></head><body>"
            f'<div class="calendar"><a href="/calendar/index.html?month={prev_month:%Y-%m}">上个月</a> '
            f"<b>{first:%Y年%m月}</b> "
            f'<a href="/calendar/index.html?month={next_month:%Y-%m}">下个月</a><div>{days}</div></div></body></html>'
        )
        return Reply(200, {"Content-Type": "text/html; charset=utf-8"}, html.encode())

    def _proxy(self, args: Mapping[str, str]) -> Reply:
        """Hanweb's data proxy: records by startrecord/endrecord (1-based, inclusive) or by page."""
        column = next((n for n, c in enumerate(self.plan.columns) if c.base == args.get("columnid")), None)
        if column is None:
            return Reply(200, {"Content-Type": "text/xml;charset=UTF-8"},
                         b'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>0</totalrecord></datastore>')
        own = self.plan.columns[column]
        units = self.family.units(own, self._column_items(column))
        items = next((part for k, part in enumerate(units) if self.family.unit_id(own, k) == args.get("unitid")), units[0])
        per_page = _int(args.get("perpage"), self.family.per_page)
        if "startrecord" in args:
            start = max(1, _int(args.get("startrecord"), 1))
            end = _int(args.get("endrecord"), start + per_page - 1)
        else:
            page = max(1, _int(args.get("page"), 1))
            start, end = (page - 1) * per_page + 1, page * per_page
        xml = self.family.render_proxy(self.site, self.plan.columns[column], items[start - 1:end], len(items), per_page)
        if self.plan.columns[column].variant == 3:  # some sites wrap the answer in JSONP
            wrapped = "raw(" + json.dumps({"result": xml.split("?>", 1)[1].strip()}, ensure_ascii=False) + ");"
            return Reply(200, {"Content-Type": "text/javascript;charset=UTF-8"}, wrapped.encode("utf-8"))
        return Reply(200, {"Content-Type": "text/xml;charset=UTF-8"}, xml.encode("utf-8"))

    def _search_answer(self, method: str, args: Mapping[str, str]) -> Reply:
        """The TRS search endpoint of a "动静结合" list: POST only, ``page`` (1-based) of ``prepage`` records."""
        if method != "POST":
            return Reply(405, {"Allow": "POST", "Content-Type": "text/html"}, b"<html><body>405</body></html>")
        column = next((n for n, c in enumerate(self.plan.columns) if self.family.channel(c) == args.get("channelid")),
                      None)
        items = self._column_items(column) if column is not None else []
        size = max(1, _int(args.get("prepage"), self.family.search_size))
        page = max(1, _int(args.get("page"), 1))
        charset = f'<meta charset="{self.site.declared}">' if self.site.declared else ""
        html = charset + self.family.render_search(self.site, items[(page - 1) * size:page * size], len(items))
        return Reply(200, {"Content-Type": self.site.content_type},
                     html.encode(self.site.encoding, errors="xmlcharrefreplace"))

    def _api(self, column: int, args: Mapping[str, str]) -> Reply:
        """gkmlpt's catalog API: 100 articles a page (``page`` 0 and 1 are both the first); a wrong ``sid`` lists nothing."""
        json_type = {"Content-Type": "application/json;charset=UTF-8"}
        if args.get("sid") != self.family.sid(self.site):
            return Reply(200, json_type, b'{"total": 0, "articles": []}')
        items = self._column_items(column)
        page = max(1, _int(args.get("page"), 1))
        chunk = items[(page - 1) * self.family.per_page:page * self.family.per_page]
        return Reply(200, json_type, self.family.render_api(self.site, chunk, len(items)).encode("utf-8"))

    def _not_found(self, status: int) -> Reply:
        html = (
            f"<!DOCTYPE html><html><head><meta charset=\"{self.site.declared or 'utf-8'}\"><title>页面不存在</title></head>"
            f"<body><div class=\"error\"><h1>页面不存在</h1><p>抱歉，您访问的页面不存在或已被删除！</p>"
            f'<p><a href="/">返回首页</a></p></div></body></html>'
        )
        return Reply(status, {"Content-Type": self.site.content_type},
                     html.encode(self.site.encoding, errors="xmlcharrefreplace"))

    def _challenge(self) -> Reply:
        """A 瑞数-style 412: an inline ``$_ts`` bootstrap and a script that would set the cookie."""
        token = hashlib.sha256(f"{self.farm.seed}/{self.plan.spec.index}".encode()).hexdigest()
        html = (
            '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            f'<meta id="{token[:10]}" content="{token}">'
            f"<script>$_ts=window['$_ts'];if(!$_ts)$_ts={{}};$_ts.nsd=38426;$_ts.cd=\"{token}\";</script>"
            f'<script type="text/javascript" charset="utf-8" src="/{token[:8]}/{token[8:16]}.js" r="m"></script>'
            "</head><body></body></html>"
        )
        cookie = f"FSSBBIl1UgzbN7N80S={token[:40]}; Path=/; HttpOnly"
        return Reply(412, {"Content-Type": "text/html; charset=utf-8", "Set-Cookie": cookie}, html.encode())


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
