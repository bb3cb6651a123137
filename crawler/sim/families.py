"""The CMS families the farm imitates: their URL shapes, list pages, pagers and detail pages.

Each family follows ``/work/shared/docs/portal-families.md`` (the evidence, with sources):

* ``trs`` — TRS WCM static publishing: ``{column}/index.html``, ``index_1.html`` … announced
  only by ``createPageHTML(count, cur, "index", "html")``; articles
  ``./YYYYMM/tYYYYMMDD_DOCID.html``; body ``div.TRS_Editor > div.Custom_UnionStyle``.
* ``hanweb`` — Hanweb (大汉) JCMS classic: ``/col/col{ID}/index.html`` embedding the first
  records in ``<script type="text/xml"><datastore>``, the rest from
  ``/module/web/jpage/dataproxy.jsp``; articles ``/art/YYYY/M/D/art_{COL}_{ID}.html``; body
  ``div#zoom`` between ``<!--<$[信息内容]>begin-->`` markers.
* ``shtml`` — the ".shtml + c-column + 32-hex id" platform: ``/{site}/c{COL}/xxgk_list.shtml``,
  ``xxgk_list_2.shtml`` via a six-argument ``createPageHTML('page_div', …)``; articles
  ``/{site}/c{COL}/YYYYMM/{32hex}.shtml``; body ``div.article-content#zoomcon``.
* ``gkmlpt`` (optional, ``--families``) — Guangdong's catalog platform: ``/gkmlpt/index`` with
  its ``SID`` in a script, ``GET /gkmlpt/api/all/{cat}?page=N&sid=SID`` JSON (100 a page),
  articles ``/gkmlpt/content/{id//1e6}/{id//1e3}/post_{id}.html``; body ``div.article-content``.

Families only render; which article goes where and when is the farm's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import json
from datetime import date, datetime, time, timedelta, timezone
from html import escape

from crawler.sim import chrome
from crawler.sim.model import Article, SiteInfo

_CST = timezone(timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class Column:
    """A list column of a portal: its name, the family-specific base (directory or id), the
    stem of its list pages' file names where the family lets sites choose it, and which
    template variant its list pages use (real sites of one family differ; see docs/simulator.md)."""

    name: str
    base: str
    list_name: str = ""
    variant: int = 0
    aggregates: tuple[int, ...] = ()  # an aggregated column lists these sibling columns' articles


@dataclass(frozen=True, slots=True)
class ListItem:
    url: str
    title: str
    published: date


@dataclass(frozen=True, slots=True)
class PageContext:
    """Where a detail page sits: its column, the site's columns, its pages and neighbours."""

    column: Column
    columns: tuple[Column, ...]
    page: int = 1
    page_paths: tuple[str, ...] = ()
    prev: tuple[str, str] | None = None
    next: tuple[str, str] | None = None
    offsite: str = "http://zwfw.example.gov.cn/"
    variant: int = 0


def _article_metas(site: SiteInfo, article: Article) -> list[tuple[str, str]]:
    return [
        ("SiteName", site.name),
        ("SiteDomain", site.base_url.split("//", 1)[-1]),
        ("SiteIDCode", site.site_code),
        ("ColumnName", article.column),
        ("ColumnType", "信息公开"),
        ("ArticleTitle", article.title),
        ("PubDate", f"{article.published.isoformat()} 09:18"),
        ("ContentSource", article.issuer),
        ("Keywords", article.title[:12]),
    ]


def _disclosure(article: Article) -> list[tuple[str, str]]:
    """The 信息公开 metadata pairs, in the order most portals show them."""
    return [
        ("索引号", article.index_no),
        ("主题分类", article.subject),
        ("发文机关", article.issuer),
        ("发文字号", article.doc_no),
        ("成文日期", article.published.isoformat()),
        ("发布日期", article.published.isoformat()),
    ]


def _body_pages(article: Article, pages: int) -> list[tuple[str, ...]]:
    """The paragraphs split into ``pages`` near-equal runs (never inside a table)."""
    paragraphs = article.paragraphs
    if pages <= 1:
        return [paragraphs]
    size = -(-len(paragraphs) // pages)
    cuts = [0]
    for k in range(1, pages):
        cut = k * size
        while 0 < cut < len(paragraphs) and "\t" in paragraphs[cut]:
            cut += 1
        cuts.append(min(cut, len(paragraphs)))
    cuts.append(len(paragraphs))
    return [paragraphs[a:b] for a, b in zip(cuts, cuts[1:])]


def _attachments(article: Article) -> str:
    if not article.attachments:
        return ""
    links = "".join(
        f'<li><a href="{escape(a.url)}" title="{escape(a.name)}">{escape(a.name)}</a></li>' for a in article.attachments
    )
    return f'<div class="attachments"><span>附件：</span><ul>{links}</ul></div>'


def _article_pager(ctx: PageContext) -> str:
    if len(ctx.page_paths) <= 1:
        return ""
    links = [
        f'<a href="{escape(path)}">{n}</a>' if n != ctx.page else f"<span>{n}</span>"
        for n, path in enumerate(ctx.page_paths, start=1)
    ]
    if ctx.page < len(ctx.page_paths):
        links.append(f'<a href="{escape(ctx.page_paths[ctx.page])}">下一页</a>')
    return '<div class="page-article">' + " ".join(links) + "</div>"


class Family:
    """A CMS family: subclasses give URL shapes and markup; shared chrome comes from :mod:`chrome`."""

    name = ""
    per_page = 10

    def column_base(self, index: int, ident: int) -> str:
        raise NotImplementedError

    def list_path(self, column: Column, page: int) -> str:
        """Path of list page ``page`` (0-based) of ``column``."""
        raise NotImplementedError

    def list_pages(self, column: Column, total: int) -> int:
        """How many static list pages ``column`` has for ``total`` items."""
        return max(1, -(-total // self.per_page))

    def announced(self, site: SiteInfo, column: Column, page: int, pages: int, total: int) -> list[str]:
        """Paths (with query) of the further list pages list page ``page`` announces: by default
        its pager's other pages. The manifest's ``lists[].next`` is made of these."""
        return [self.list_page_path(column, p, pages) for p in range(pages) if p != page]

    def fingerprinted(self, column: Column) -> bool:
        """Whether ``column``'s list pages carry the family's fingerprints (``auto`` can tell the family)."""
        return True

    def list_page_path(self, column: Column, page: int, pages: int) -> str:
        """Path of list page ``page`` of ``pages``: :meth:`list_path`, unless pages are numbered from the end."""
        return self.list_path(column, page)

    def article_path(self, column: Column, published: date, docid: int, hexid: str) -> str:
        raise NotImplementedError

    def page_path(self, path: str, page: int) -> str:
        """Path of page ``page`` (1-based) of a split article: page 1 is the article itself."""
        if page == 1:
            return path
        stem, dot, ext = path.rpartition(".")
        return f"{stem}_{page}{dot}{ext}"

    def attachment_path(self, column: Column, published: date, docid: int, hexid: str, ext: str) -> str:
        raise NotImplementedError

    def menu_items(self, columns: Sequence[Column]) -> list[tuple[str, str]]:
        return [(self.list_path(c, 0), c.name) for c in columns]

    def page(self, site: SiteInfo, title: str, metas: Sequence[tuple[str, str]], body: str, offsite: str,
             columns: Sequence[Column], variant: int) -> str:
        """A whole page: head with metadata, top bar, menu, ``body``, footer."""
        return (
            "<!DOCTYPE html>\n<html>\n"
            + chrome.head(site, title, metas, variant=variant)
            + f'\n<body class="{self.name}">\n'
            + chrome.top_bar(site)
            + "\n"
            + chrome.menu(self.menu_items(columns), offsite=offsite)
            + "\n"
            + body
            + "\n"
            + chrome.footer(site, variant=variant)
            + "\n</body>\n</html>\n"
        )

    def render_home(self, site: SiteInfo, columns: Sequence[Column], latest: Sequence[ListItem], offsite: str) -> str:
        items = "".join(
            f'<li><a href="{escape(i.url)}" title="{escape(i.title)}">{escape(i.title)}</a>'
            f"<span>{i.published.isoformat()}</span></li>"
            for i in latest
        )
        body = f'<div class="home"><h2>政务公开</h2><ul class="news">{items}</ul></div>'
        metas = [("SiteName", site.name), ("SiteDomain", site.base_url.split("//", 1)[-1]), ("SiteIDCode", site.site_code)]
        return self.page(site, site.name, metas, body, offsite, columns, 0)

    def render_list(self, site: SiteInfo, column: Column, columns: Sequence[Column], items: Sequence[ListItem],
                    page: int, pages: int, total: int, offsite: str, side: str = "") -> str:
        raise NotImplementedError

    def render_article(self, site: SiteInfo, article: Article, ctx: PageContext) -> str:
        raise NotImplementedError

    def _list_metas(self, site: SiteInfo, column: Column) -> list[tuple[str, str]]:
        return [("SiteName", site.name), ("SiteIDCode", site.site_code), ("ColumnName", column.name),
                ("ColumnType", "信息公开")]


class TRS(Family):
    name = "trs"
    per_page = 10

    def column_base(self, index: int, ident: int) -> str:
        return ("/zwgk/zfxxgk/fdzdgknr/fzzfjs/", f"/zwgk/bmxxgk/bm_{ident % 90000}/", "/zwgk/qxdt/")[index % 3]

    def list_path(self, column: Column, page: int) -> str:
        stem = column.list_name or "index"
        return f"{column.base}{stem}.html" if page == 0 else f"{column.base}{stem}_{page}.html"

    def article_path(self, column: Column, published: date, docid: int, hexid: str) -> str:
        return f"{column.base}{published:%Y%m}/t{published:%Y%m%d}_{docid}.html"

    def attachment_path(self, column: Column, published: date, docid: int, hexid: str, ext: str) -> str:
        return f"{column.base}{published:%Y%m}/P0{published:%Y%m%d}{docid:09d}.{ext}"

    # "动静结合" lists: the first groups of items sit in one page as hidden groups of this size.
    static_group = 15

    def list_pages(self, column: Column, total: int) -> int:
        if column.variant == 4:
            return 1
        return super().list_pages(column, total)

    def announced(self, site, column, page, pages, total):
        return [] if column.variant == 4 else super().announced(site, column, page, pages, total)

    def _static_groups(self, column: Column, items: Sequence[ListItem], size: int = 0, total: int = 0,
                       search: str = "") -> str:
        """Newer TRS templates: the items in one file, in hidden groups of ``size``, links in ``ms-attr-href``;
        ``listConfig`` gives the total and the search endpoint that serves what the file does not hold."""
        size = size or self.static_group
        groups = []
        for g in range(0, len(items), size):
            lis = "".join(
                f'<li ms-if-loop="$index<{size}"><a ms-attr-href="./{escape(i.url.removeprefix(column.base))}"'
                f' title="{escape(i.title)}">{escape(i.title)}</a><span>{i.published.isoformat()}</span></li>'
                if i.url.startswith(column.base) else
                f'<li><a ms-attr-href="{escape(i.url)}" title="{escape(i.title)}">{escape(i.title)}</a>'
                f"<span>{i.published.isoformat()}</span></li>"
                for i in items[g:g + size]
            )
            hidden = "" if g == 0 else ' style="display:none"'
            groups.append(f'<div ms-visible="$showStatic({g // size + 1})"{hidden}><ul>{lis}</ul></div>')
        config = (f"<script>var listConfig = {{recordCount:'{total or len(items)}', prepage:{size}, "
                  f"searchUrl:'/was5/web/search'{search}}};</script>")
        return f'<div class="list" ms-controller="list">{config}{"".join(groups)}</div>'

    def render_list(self, site, column, columns, items, page, pages, total, offsite, side=""):
        if column.variant == 4:
            body = (
                '<div class="main">'
                + chrome.breadcrumb([(self.list_path(column, 0), column.name)], label="当前位置：")
                + side
                + self._static_groups(column, items)
                + "</div>"
            )
            return self.page(site, f"{column.name}_{site.name}", self._list_metas(site, column), body, offsite,
                             columns, 0)
        rows = []
        for n, item in enumerate(items, start=1):
            rel = "./" + item.url.removeprefix(column.base) if item.url.startswith(column.base) else item.url
            if column.variant == 3:  # older template: href on the next line, no title, MM-DD dates
                anchor = f'<A\nhref="{escape(rel)}" target=_blank>{escape(item.title)}</A>'
                shown = f"{item.published:%m-%d}"
            else:
                anchor = f'<A href="{escape(rel)}" target="_blank" title="{escape(item.title)}">{escape(item.title)}</A>'
                shown = item.published.isoformat()
            rows.append(
                f'<TR><TD height=25 align="left"><IMG src="/images/lb-xtb.gif">&nbsp;{anchor}</TD>'
                f'<TD width="80" align="right">{shown}</TD></TR>'
            )
            if n % 5 == 0:
                rows.append('<TR height=1><TD colspan=2 class="GroupBlankLine"></TD></TR>')
        pager = '<div class="page">' + self._pager(column, page, pages, total) + "</div>"
        body = (
            '<div class="main">'
            + chrome.breadcrumb([(self.list_path(column, 0), column.name)], label="您的当前位置", sep="&nbsp;&gt;&gt;&nbsp;")
            + side
            + f'<div class="list"><TABLE width="100%" border=0><TBODY>{"".join(rows)}</TBODY></TABLE>{pager}</div></div>'
        )
        return self.page(site, f"{column.name}_{site.name}", self._list_metas(site, column), body, offsite, columns, 0)

    def _pager(self, column: Column, page: int, pages: int, total: int) -> str:
        """The JS-only pager, in one of the forms TRS templates use (function, renamed function, variables)."""
        stem = column.list_name or "index"
        if column.variant == 2:
            return (
                f"<script>var countnum={total}; var currentPage={page}; var countPage={pages};"
                "for(var i=0;i<countPage;i++){var name=i==0?'" + stem + ".html':'" + stem + "_'+i+'.html';"
                "if(i==currentPage){document.write('<span>'+(i+1)+'</span> ');}"
                "else{document.write('<a href=\"'+name+'\">'+(i+1)+'</a> ');}}</script>"
            )
        name = "createPage" if column.variant == 1 else "createPageHTML"
        return (
            f"<script>function {name}(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){{"
            "if(_nPageCount == null || _nPageCount<=1){return;}"
            "var nCurrIndex = _nCurrIndex || 0;"
            "for(var i=0;i<_nPageCount;i++){var sName = i==0 ? _sPageName : (_sPageName + '_' + i);"
            "if(i==nCurrIndex){document.write('<span>'+(i+1)+'</span> ');}"
            "else{document.write('<a href=\"' + sName + '.' + _sPageExt + '\">'+(i+1)+'</a> ');}}"
            "document.write('总共' + _nPageCount + '页 当前第' + (nCurrIndex+1) + '页');} //WCM置标</script>\n"
            f'<script>{name}({pages}, {page}, "{stem}", "html");</script>'
        )

    def render_article(self, site, article, ctx):
        pages = _body_pages(article, max(1, len(ctx.page_paths)))
        shown = pages[ctx.page - 1]
        table = chrome.metadata_rows(_disclosure(article)) if article.index_no else ""
        body = (
            '<div class="main">'
            + chrome.breadcrumb([(self.list_path(ctx.column, 0), ctx.column.name)], label="您的当前位置",
                                sep="&nbsp;&gt;&gt;&nbsp;")
            + (f'<div class="xxgk_table"><table class="table_key">{table}</table></div>' if table else "")
            + f'<div class="article"><h2 class="title">{escape(article.title)}</h2>'
            + f'<div class="info">来源：{escape(article.issuer)} 发布时间：{article.published.isoformat()} 09:18 '
            + chrome.counter()
            + "</div>"
            + chrome.tools(ctx.variant)
            + '<div class="text" id="content-fontsize"><div class="TRS_Editor"><div class="Custom_UnionStyle">\n'
            + chrome.paragraphs_html(shown, indent=ctx.variant % 2 == 0)
            + "\n</div></div></div>"
            + _article_pager(ctx)
            + _attachments(article)
            + '<div class="download"><a href="javascript:void(0)">下载Word</a> <a href="javascript:void(0)">下载PDF</a></div>'
            + chrome.prev_next(ctx.prev, ctx.next)
            + chrome.related()
            + "</div></div>"
        )
        return self.page(site, article.title, _article_metas(site, article), body, ctx.offsite, ctx.columns, ctx.variant)


class Hanweb(Family):
    name = "hanweb"
    per_page = 8  # records embedded in the column page; the rest come from the data proxy

    def column_base(self, index: int, ident: int) -> str:
        return str(1229000000 + ident % 900000 + index)

    def list_path(self, column: Column, page: int) -> str:
        return f"/col/col{column.base}/index.html"

    def list_pages(self, column: Column, total: int) -> int:
        return 1

    def unit_id(self, column: Column, unit: int = 0) -> str:
        return str(int(column.base) % 1000000 + 100000 + unit * 1000000)

    def units(self, column: Column, items: Sequence[ListItem]) -> list[Sequence[ListItem]]:
        """The column's items by unit (data store) of its page: one unit, or in variant 4 two —
        the newest third and the rest, each with its own proxy query and its own total."""
        if column.variant != 4:
            return [items]
        cut = -(-len(items) // 3)
        return [items[:cut], items[cut:]]

    def article_path(self, column: Column, published: date, docid: int, hexid: str) -> str:
        return f"/art/{published.year}/{published.month}/{published.day}/art_{column.base}_{docid}.html"

    def attachment_path(self, column: Column, published: date, docid: int, hexid: str, ext: str) -> str:
        return f"/jcms_files/jcms1/web{column.base[-4:]}/site/attach/0/{hexid[:16]}.{ext}"

    def record(self, item: ListItem, column: Column, site: SiteInfo) -> str:
        """One list record; variant 1 dates it in ``<b>``, variant 2 links absolutely."""
        url = site.base_url + item.url if column.variant == 2 and item.url.startswith("/") else item.url
        tag = "b" if column.variant == 1 else "span"
        return (
            f"<record><![CDATA[<li><a href=\"{escape(url)}\" title=\"{escape(item.title)}\" target=\"_blank\">"
            f"{escape(item.title)}</a><{tag}>{item.published.isoformat()}</{tag}></li>]]></record>"
        )

    proxy = "/module/web/jpage/dataproxy.jsp"

    def proxy_page(self, column: Column, site: SiteInfo, page: int, unit: int = 0) -> str:
        """Proxy page ``page`` (1-based) of ``column``'s ``unit`` as a spider asks for it from ``<nextgroup>``."""
        return f"{self.proxy}?page={page}&{self.proxy_query(column, site, unit)}"

    def announced(self, site, column, page, pages, total):
        """The proxy pages of each unit the column page announces: all of them (``<nextgroup>`` and the
        unit's total in its script), or without a total on the page only the first, whose answer
        announces the rest (:meth:`totals_on_page`)."""
        first = 1 if not self.totals_on_page(column) else None
        return [url for unit, size in enumerate(self.unit_sizes(column, total))
                for url in self.unit_pages(column, site, unit, size)[:first]]

    def totals_on_page(self, column: Column) -> bool:
        """Variant 2's column pages state no total: only the proxy's answers (``<totalpage>``) tell the pages."""
        return column.variant != 2

    def unit_sizes(self, column: Column, total: int) -> list[int]:
        """How many of ``total`` items each unit of the column's page holds (see :meth:`units`)."""
        return [len(part) for part in self.units(column, range(total))]

    def unit_pages(self, column: Column, site: SiteInfo, unit: int, size: int) -> list[str]:
        """The proxy pages of a unit of ``size`` items."""
        return [self.proxy_page(column, site, k, unit) for k in range(1, -(-size // self.per_page) + 1)]

    def proxy_query(self, column: Column, site: SiteInfo, unit: int = 0) -> str:
        return (
            f"col=1&appid=1&webid={column.base[-4:]}&path=%2F&columnid={column.base}&sourceContentType=1"
            f"&unitid={self.unit_id(column, unit)}&permissiontype=0"
        )

    def render_list(self, site, column, columns, items, page, pages, total, offsite, side=""):
        datastore = "".join(self._datastore(site, column, unit, part) for unit, part in enumerate(self.units(column, items)))
        body = (
            '<div class="main">'
            + chrome.breadcrumb([(self.list_path(column, 0), column.name)], label="您所在的位置：")
            + side
            + f'<div class="list-right"><div class="bt-title">{escape(column.name)}</div>{datastore}</div></div>'
        )
        metas = [*self._list_metas(site, column), ("Generator", "大汉版通")]
        return self.page(site, f"{column.name} {site.name}", metas, body, offsite, columns, 1)

    def _datastore(self, site: SiteInfo, column: Column, unit: int, items: Sequence[ListItem]) -> str:
        """One unit of a column page: its first records, its ``<nextgroup>`` and (but in variant 2) its own total in its script."""
        ident, total = self.unit_id(column, unit), len(items)
        counts = (f"var totalRecord={total}; ", f" totalRecord: {total},") if self.totals_on_page(column) else ("", "")
        return (
            f'<div id="{ident}"><script type="text/xml"><datastore>'
            f'<nextgroup><![CDATA[<a href="{self.proxy_page(column, site, 1, unit)}"></a>]]>'
            f"</nextgroup><recordset>{''.join(self.record(i, column, site) for i in items[:self.per_page])}</recordset>"
            f"</datastore></script>"
            f"<script>{counts[0]}var perPage={self.per_page};"
            f" $.jpage({{dataStore: '{ident}', proxyUrl: '/module/web/jpage/dataproxy.jsp', perPage: {self.per_page},"
            f"{counts[1]} groupSize: 3}});</script></div>"
        )

    def render_proxy(self, site: SiteInfo, column: Column, items: Sequence[ListItem], total: int, per_page: int) -> str:
        """The data proxy's answer: records start..end of the column as XML."""
        pages = max(1, -(-total // max(per_page, 1)))
        records = "".join(self.record(i, column, site) for i in items)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<datastore><totalrecord>{total}</totalrecord><totalpage>{pages}</totalpage>"
            f"<recordset>{records}</recordset></datastore>"
        )

    def render_article(self, site, article, ctx):
        pages = _body_pages(article, max(1, len(ctx.page_paths)))
        shown = pages[ctx.page - 1]
        meta = chrome.metadata_rows(_disclosure(article)) if article.index_no else ""
        body = (
            '<div class="main-txt">'
            + chrome.breadcrumb([(self.list_path(ctx.column, 0), ctx.column.name)], label="您所在的位置：", sep=" &gt;&gt; ")
            + (f'<table class="xxgk_table" width="100%">{meta}</table>' if meta else "")
            + f'<div class="con-title">{escape(article.title)}</div>'
            + f'<div class="con-info"><span>发布日期：{article.published.isoformat()}</span>'
            + f"<span>信息来源：{escape(article.issuer)}</span>"
            + chrome.counter()
            + "</div>"
            + chrome.tools(ctx.variant + 1)
            + '<div id="zoom"><!--<$[信息内容]>begin--><!--ZJEG_RSS.content.begin--><meta name="ContentStart">\n'
            + chrome.paragraphs_html(shown, indent=True)
            + '\n<meta name="ContentEnd"><!--ZJEG_RSS.content.end--><!--<$[信息内容]>end--></div>'
            + _article_pager(ctx)
            + _attachments(article)
            + chrome.prev_next(ctx.prev, ctx.next)
            + chrome.related()
            + "</div>"
        )
        metas = [*_article_metas(site, article), ("Generator", "大汉版通")]
        return self.page(site, article.title, metas, body, ctx.offsite, ctx.columns, ctx.variant + 1)


class Shtml(Family):
    name = "shtml"
    per_page = 12
    site_dir = "xzf"

    def column_base(self, index: int, ident: int) -> str:
        return f"/{self.site_dir}/c{100100 + (ident % 800) * 3 + index}/"

    def list_path(self, column: Column, page: int) -> str:
        if column.variant == 4:  # pages named like news-list-N.html, linked only by their numbers
            return f"{column.base}list-{page + 1}.html"
        stem = column.list_name or "xxgk_list"
        return f"{column.base}{stem}.shtml" if page == 0 else f"{column.base}{stem}_{page + 1}.shtml"

    def fingerprinted(self, column: Column) -> bool:
        """Variant 4's lists have no pager call, so nothing on them names the platform."""
        return column.variant != 4

    def article_path(self, column: Column, published: date, docid: int, hexid: str) -> str:
        return f"{column.base}{published:%Y%m}/{hexid}.shtml"

    def attachment_path(self, column: Column, published: date, docid: int, hexid: str, ext: str) -> str:
        return f"{column.base}{published:%Y%m}/{hexid}/files/{hexid[::-1][:20]}.{ext}"

    def render_list(self, site, column, columns, items, page, pages, total, offsite, side=""):
        lis = "".join(
            f'<li><a href="{escape(i.url)}" target="_blank" title="{escape(i.title)}">{escape(i.title)}</a>'
            f'<span class="time">{i.published:%m-%d}</span></li>' if column.variant == 3 else
            f'<li><a href="{escape(i.url)}" target="_blank" title="{escape(i.title)}">{escape(i.title)}</a>'
            f'<span class="time">{i.published.isoformat()}</span></li>'
            for i in items
        )
        stem = column.list_name or "xxgk_list"
        pager = self._numbered_pager(column, page, pages) if column.variant == 4 else (
            '<div id="page_div"></div><script>'
            f"createPageHTML('page_div', {pages}, {page + 1}, '{stem}', 'shtml', {total});</script>"
        )
        body = (
            '<div class="container">'
            + chrome.breadcrumb([(self.list_path(column, 0), column.name)])
            + side
            + f'<div class="pageList"><ul class="pageList newsList">{lis}</ul>{pager}</div></div>'
        )
        return self.page(site, f"{column.name}-{site.name}", self._list_metas(site, column), body, offsite, columns, 2)

    def _numbered_pager(self, column: Column, page: int, pages: int) -> str:
        """Variant 4's pager: the page numbers, the current one unlinked; no next link, no script."""
        if pages <= 1:
            return ""
        links = [f"<span>{n + 1}</span>" if n == page else
                 f'<a href="{escape(self.list_path(column, n).rsplit("/", 1)[-1])}">{n + 1}</a>' for n in range(pages)]
        return '<div class="pagination">' + " ".join(links) + "</div>"

    def render_article(self, site, article, ctx):
        pages = _body_pages(article, max(1, len(ctx.page_paths)))
        shown = pages[ctx.page - 1]
        meta = ""
        if article.index_no:
            labels = [*_disclosure(article), ("有效性", "有效")]
            meta = '<div class="xxgk-meta"><ul>' + "".join(
                f"<li><b>{escape(label)}：</b><span>{escape(value)}</span></li>" for label, value in labels
            ) + "</ul></div>"
        body = (
            '<div class="container">'
            + chrome.breadcrumb([(self.list_path(ctx.column, 0), ctx.column.name)])
            + '<div class="article">'
            + meta
            + f'<h1 class="article-title">{escape(article.title)}</h1>'
            + f'<div class="article-info"><span>发布日期：{article.published.isoformat()}</span>'
            + f"<span>来源：{escape(article.issuer)}</span>"
            + chrome.counter()
            + chrome.tools(ctx.variant + 2)
            + "</div>"
            + '<div class="article-content" id="zoomcon">\n'
            + chrome.paragraphs_html(shown, indent=False)
            + "\n</div>"
            + _article_pager(ctx)
            + _attachments(article)
            + chrome.prev_next(ctx.prev, ctx.next)
            + chrome.related()
            + '<a href="#top" class="backtop">返回顶部</a></div></div>'
        )
        metas = [*_article_metas(site, article), ("pubdate", f"{article.published.isoformat()} 09:18")]
        return self.page(site, article.title, metas, body, ctx.offsite, ctx.columns, ctx.variant + 2)


class Gkmlpt(Family):
    """Guangdong's 政府信息公开目录平台: a catalog page that lists nothing by itself (its ``SID``
    is in a script), a JSON API of 100 articles a page, and ``post_{id}.html`` details."""

    name = "gkmlpt"
    per_page = 100

    def column_base(self, index: int, ident: int) -> str:
        return str(2000 + (ident % 900) * 3 + index)

    def sid(self, site: SiteInfo) -> str:
        return site.site_code[:6]

    def list_path(self, column: Column, page: int) -> str:
        # One catalog page for every category; the fragment names the category as on real sites.
        return f"/gkmlpt/index#{column.base}"

    def list_pages(self, column: Column, total: int) -> int:
        return 1

    def api_path(self, column: Column) -> str:
        return f"/gkmlpt/api/all/{column.base}"

    def announced(self, site, column, page, pages, total):
        """The catalog page names the API by its ``SID``: 100 articles an API page."""
        return [f"{self.api_path(column)}?page={k}&sid={self.sid(site)}" for k in range(1, -(-total // self.per_page) + 1)]

    def article_path(self, column: Column, published: date, docid: int, hexid: str) -> str:
        return f"/gkmlpt/content/{docid // 1_000_000}/{docid // 1000}/post_{docid}.html"

    def attachment_path(self, column: Column, published: date, docid: int, hexid: str, ext: str) -> str:
        return f"/attachment/{docid // 1_000_000}/{docid // 1000}/{docid}/{hexid[:16]}.{ext}"

    def render_list(self, site, column, columns, items, page, pages, total, offsite, side=""):
        cats = "".join(f'<li><a href="{escape(self.list_path(c, 0))}" data-id="{c.base}">{escape(c.name)}</a></li>'
                       for c in columns)
        body = (
            '<div class="gkmlpt">'
            + chrome.breadcrumb([("/gkmlpt/index", "政府信息公开目录")])
            + f'<div class="catalog"><ul>{cats}</ul></div><div id="app"></div>'
            + f"<script>window.gkmlpt = {{SID: '{self.sid(site)}', API: '/gkmlpt/api/all/', PAGE_SIZE: {self.per_page}}};"
            "</script><script src=\"/gkmlpt/static/js/app.js\"></script></div>"
        )
        return self.page(site, f"政府信息公开目录_{site.name}", self._list_metas(site, column), body, offsite, columns, 0)

    def render_api(self, site: SiteInfo, items: Sequence[ListItem], total: int) -> str:
        """The catalog API's JSON for one page of a category."""
        articles = []
        for item in items:
            post_id = int(item.url.rsplit("post_", 1)[-1].split(".")[0]) if "post_" in item.url else 0
            stamp = int(datetime.combine(item.published, time(9, 18), tzinfo=_CST).timestamp())
            articles.append({
                "id": post_id, "title": item.title, "url": site.base_url + item.url, "publisher": site.name,
                "display_publish_time": stamp, "create_time": stamp, "created_at": f"{item.published.isoformat()} 09:18:00",
            })
        return json.dumps({"total": total, "articles": articles}, ensure_ascii=False)

    def render_article(self, site, article, ctx):
        pages = _body_pages(article, max(1, len(ctx.page_paths)))
        shown = pages[ctx.page - 1]
        meta = chrome.metadata_rows(_disclosure(article)) if article.index_no else ""
        body = (
            '<div class="content">'
            + chrome.breadcrumb([("/gkmlpt/index", "政府信息公开目录"), (self.list_path(ctx.column, 0), ctx.column.name)])
            + (f'<div class="classify"><table>{meta}</table></div>' if meta else "")
            + f'<h1 class="title">{escape(article.title)}</h1>'
            + f'<div class="date-row"><span>{article.published.isoformat()}</span> {chrome.counter()}</div>'
            + chrome.tools(ctx.variant)
            + '<div class="article-content">\n'
            + chrome.paragraphs_html(shown, indent=True)
            + "\n</div>"
            + _article_pager(ctx)
            + _attachments(article)
            + chrome.prev_next(ctx.prev, ctx.next)
            + chrome.related()
            + "</div>"
        )
        return self.page(site, article.title, _article_metas(site, article), body, ctx.offsite, ctx.columns, ctx.variant)


# The families every farm serves, and those a farm serves only when asked (``--families``).
FAMILIES: dict[str, Family] = {f.name: f for f in (TRS(), Hanweb(), Shtml())}
OPTIONAL_FAMILIES: dict[str, Family] = {f.name: f for f in (Gkmlpt(),)}


def family(name: str) -> Family:
    """The family called ``name``; a clear error for any other name."""
    known = {**FAMILIES, **OPTIONAL_FAMILIES}
    try:
        return known[name]
    except KeyError:
        raise ValueError(f"unknown farm family {name!r}; known: {', '.join(known)}") from None
