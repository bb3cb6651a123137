"""The fallback for portals of an unknown or odd CMS: the main list's links, wherever the list is.

Items are the links of the page's main list (:func:`spiders.base.main_list`: the block of dated
rows, never menus, footers or side bars), in ``href`` or in the attributes templates fill in.
Columns are followed when their names say reports live there (:data:`REPORT_COLUMNS`, one hop
each), wherever the page links them. Further pages come from every form the shared code knows:
JS pager calls, ``countPage`` variables, next/last-page links, numbered page links (hidden ones
too), page files named in scripts. Lists held as data are read too, whatever the CMS around
them: XML data islands and the data proxy they name (:mod:`spiders.hanweb`), a search
endpoint a ``listConfig`` names (:mod:`spiders.trs`), and the JSON API a gkmlpt catalog's
``SID`` opens (:mod:`spiders.gkmlpt`). A 站内搜索 result page is a list like any
other, so a search URL can be a start URL. A portal whose lists this still misses gets
``[selectors]`` in its TOML file, or a small subclass.
"""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import TextResponse

from spiders.base import ListLink, PortalSpider, generic_pages, link_of
from spiders.gkmlpt import gkmlpt_links, gkmlpt_pages, is_gkmlpt
from spiders.hanweb import hanweb_links, hanweb_pages
from spiders.trs import trs_search_pages

# Column names under which county portals file their reports (portal-families.md; issue #8 §1).
REPORT_COLUMNS = ("法治政府建设", "法治建设", "工作报告", "政府信息公开", "法定主动公开内容", "其他法定公开信息")


def report_columns(spider: PortalSpider, response: TextResponse) -> Iterator[scrapy.Request]:
    """Column pages the page links under a name of :data:`REPORT_COLUMNS`: one hop further."""
    hops = response.meta.get("hops", 0)
    if hops >= spider.portal.limits.max_depth or response.meta.get("dataproxy") or response.meta.get("trs_search"):
        return
    for anchor in response.xpath("//a[@href]"):
        link = link_of(anchor, response.url)
        if link and any(name in link.title for name in REPORT_COLUMNS) and spider.is_list_url(link.url) \
                and spider.allowed(link.url) and link.url != response.url:
            yield spider.list_request(link.url, hops=hops + 1, pages=0)


def generic_list_pages(spider: PortalSpider, response: TextResponse) -> Iterator[scrapy.Request]:
    """Further pages of the list in every form known, and the report columns the page links."""
    yield from generic_pages(spider, response)
    yield from report_columns(spider, response)


class GenericSpider(PortalSpider):
    family = "generic"

    def list_links(self, response: TextResponse) -> Iterator[ListLink]:
        return (gkmlpt_links if is_gkmlpt(response) else hanweb_links)(self, response)

    def list_pages(self, response: TextResponse) -> Iterator[scrapy.Request]:
        if is_gkmlpt(response):
            yield from gkmlpt_pages(self, response)
            return
        yield from hanweb_pages(self, response)
        yield from report_columns(self, response)
        if not response.meta.get("trs_search"):
            yield from trs_search_pages(self, response)
