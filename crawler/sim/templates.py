"""List templates that stray from their family's textbook form (portal-families.md §13).

A county that rebuilt its front end often kept its archive: the article pages stay the
family's, the list pages are another program's. Each template here is a mixin put in front of
a family (:func:`templated`), so the family's articles, chrome and URLs stay as they are and
only the lists change:

* ``aspnet_script_pages`` — ``/Category_N/Index.aspx``, ``Index_2.aspx`` …: the pager links
  only the first pages; the others exist only in a script's ``switch``, the rest of the pager
  calls ``javascript:goPage(n)``; link texts are cut with "…" at 30 characters, and the dates
  shown are the entry dates, a month before the articles' own (``list_dates_disagree``).
* ``reverse_hidden_pager`` — ``index.htm``, then ``index_{N-1}.htm`` … ``index_1.htm`` (page
  numbers count from the oldest page, so old pages keep their URL); every visible pager link is
  ``javascript:``, the only crawlable page links sit in a ``display:none`` div.
* ``trs_dongjing_post_search`` — the TRS "动静结合" list: the first groups of items are hidden
  groups in one file (links in ``ms-attr-href``), the total is in inline JS, and later pages come
  from a POST search endpoint (``/was5/web/search``) answering an HTML fragment.
"""

from __future__ import annotations

import functools
import zlib
from datetime import timedelta
from collections.abc import Sequence
from html import escape

from crawler.sim import chrome
from crawler.sim.families import Column, Family, ListItem
from crawler.sim.model import SiteInfo

SEARCH_PATH = "/was5/web/search"
# How long before an article's own date the ASP.NET lists' entry date lies.
ENTERED_BEFORE = timedelta(days=30)


class AspNetLists:
    """``Index.aspx`` lists whose later pages only a script's ``switch`` names."""

    foreign = True  # its list pages carry no family fingerprint
    per_page = 4
    linked_pages = 2
    title_cut = 30

    def column_base(self, index: int, ident: int) -> str:
        return f"/Category_{ident % 900 + 3 * index + 11}/"

    def list_path(self, column: Column, page: int) -> str:
        return f"{column.base}Index.aspx" if page == 0 else f"{column.base}Index_{page + 1}.aspx"

    def list_pages(self, column: Column, total: int) -> int:
        return Family.list_pages(self, column, total)  # paged, whatever the family's own lists do

    def render_list(self, site, column, columns, items, page, pages, total, offsite, side=""):
        rows = "".join(
            f'<li><span class="date">[{(i.published - ENTERED_BEFORE).isoformat()}]</span>'
            f'<a href="{escape(i.url)}" target="_blank">{escape(_cut(i.title, self.title_cut))}</a></li>'
            for i in items
        )

        def link(n: int, label: str) -> str:  # n is 1-based
            href = self.list_path(column, n - 1) if n <= self.linked_pages else f"javascript:goPage({n})"
            return f'<a href="{escape(href)}">{label}</a>'

        numbers = " ".join(f"<b>{n}</b>" if n == page + 1 else link(n, str(n)) for n in range(1, pages + 1))
        controls = link(1, "首页") + " " + numbers
        if page + 1 < pages:
            controls += " " + link(page + 2, "下一页") + " " + link(pages, "尾页")
        cases = "".join(f"case {n}:location.href='{self.list_path(column, n - 1).rsplit('/', 1)[-1]}';break;"
                        for n in range(1, pages + 1))
        pager = (f'<div class="pager">共{total}条 第{page + 1}/{pages}页 {controls}</div>'
                 f"<script>function goPage(n){{switch(n){{{cases}default:break;}}}}</script>")
        body = (
            '<div class="main">'
            + chrome.breadcrumb([(self.list_path(column, 0), column.name)])
            + side
            + f'<div class="right_list"><div class="list_title">{escape(column.name)}</div>'
            + f'<ul class="list_ul">{rows}</ul>{pager}</div></div>'
        )
        return self.page(site, f"{column.name}-{site.name}", self._list_metas(site, column), body, offsite, columns, 0)


class ReverseLists:
    """``index.htm`` lists numbered from the oldest page, whose only real page links are hidden."""

    foreign = True
    per_page = 4

    def list_path(self, column: Column, page: int) -> str:
        return f"{column.base}index.htm"

    def list_page_path(self, column: Column, page: int, pages: int) -> str:
        return f"{column.base}index.htm" if page == 0 else f"{column.base}index_{pages - page}.htm"

    def list_pages(self, column: Column, total: int) -> int:
        return Family.list_pages(self, column, total)  # paged, whatever the family's own lists do

    def render_list(self, site, column, columns, items, page, pages, total, offsite, side=""):
        rows = "".join(
            f'<li><a href="{escape(i.url)}" title="{escape(i.title)}" target="_blank">{escape(i.title)}</a>'
            f'<span class="time">{i.published.isoformat()}</span></li>'
            for i in items
        )
        visible = " ".join(
            f"<span>{n}</span>" if n == page + 1 else f'<a href="javascript:void(0);" onclick="toPage({n})">{n}</a>'
            for n in range(1, pages + 1)
        )
        hidden = "".join(
            f'<a href="{escape(self.list_page_path(column, n - 1, pages).rsplit("/", 1)[-1])}">{n}</a>'
            for n in range(1, pages + 1)
        )
        pager = (f'<div class="pagination"><a href="javascript:void(0);" onclick="toPage({min(page + 2, pages)})">'
                 f"下一页</a> {visible}</div>"
                 f'<div id="pagelinks" style="display:none">{hidden}</div>')
        body = (
            '<div class="main">'
            + chrome.breadcrumb([(self.list_path(column, 0), column.name)])
            + side
            + f'<div class="news_list"><ul>{rows}</ul>{pager}</div></div>'
        )
        return self.page(site, f"{column.name}_{site.name}", self._list_metas(site, column), body, offsite, columns, 0)


class TrsSearchLists:
    """The "动静结合" TRS list whose file holds only the first groups; a POST search serves the rest."""

    search_size = 5
    static_groups = 2

    def list_pages(self, column: Column, total: int) -> int:
        return 1

    def channel(self, column: Column) -> str:
        return str(zlib.crc32(column.base.encode()) % 90000 + 10000)

    def search_path(self, column: Column, page: int) -> str:
        """A search page as a spider asks for it: the form fields in the URL too, so each page has its own URL."""
        return f"{SEARCH_PATH}?channelid={self.channel(column)}&page={page}&prepage={self.search_size}"

    def announced(self, site, column, page, pages, total):
        last = -(-total // self.search_size)
        return [self.search_path(column, k) for k in range(self.static_groups + 1, last + 1)]

    def render_list(self, site, column, columns, items, page, pages, total, offsite, side=""):
        held = items[: self.search_size * self.static_groups]
        search = f", channelid:'{self.channel(column)}', staticPages:{self.static_groups}, method:'post'"
        body = (
            '<div class="main">'
            + chrome.breadcrumb([(self.list_path(column, 0), column.name)], label="当前位置：")
            + side
            + self._static_groups(column, held, self.search_size, total, search)
            + "</div>"
        )
        return self.page(site, f"{column.name}_{site.name}", self._list_metas(site, column), body, offsite, columns, 0)

    def render_search(self, site: SiteInfo, items: Sequence[ListItem], total: int) -> str:
        """The search endpoint's answer: an HTML fragment of one page of records."""
        lis = "".join(
            f'<li><a href="{escape(i.url)}" title="{escape(i.title)}" target="_blank">{escape(i.title)}</a>'
            f"<span>{i.published.isoformat()}</span></li>"
            for i in items
        )
        return f'<div class="search-result" data-total="{total}"><ul>{lis}</ul></div>'


# template name -> (mixin, the families it is put on, the further variants its pages carry).
TEMPLATES: dict[str, tuple[type, tuple[str, ...], tuple[str, ...]]] = {
    "trs_dongjing_post_search": (TrsSearchLists, ("trs",), ()),
    "aspnet_script_pages": (AspNetLists, ("trs", "shtml"), ("list_dates_disagree",)),
    "reverse_hidden_pager": (ReverseLists, ("trs", "shtml"), ()),
}


@functools.cache
def templated(fam: Family, template: str) -> Family:
    """``fam`` with its list pages rendered by ``template`` (one shared instance per pair)."""
    mixin, families, _ = TEMPLATES[template]
    if fam.name not in families:
        raise ValueError(f"list template {template!r} is not made for family {fam.name!r}")
    return type(f"{mixin.__name__}{type(fam).__name__}", (mixin, type(fam)), {})()


def _cut(title: str, length: int) -> str:
    return title if len(title) <= length else title[:length] + "…"


def is_search(fam: Family) -> bool:
    """Whether ``fam`` serves the TRS POST search (``/was5/web/search``)."""
    return isinstance(fam, TrsSearchLists)

