"""TRS WCM static publishing (family A): ``index.html``, ``index_1.html`` … and ``t{date}_{id}.html`` articles.

Pagination is a JS call, ``createPageHTML(count, current, "index", "html")`` (zero-based:
``index_1.html`` is page 2), sometimes renamed (``createPage``) or given as ``var countPage``;
the shared pager reading in :mod:`spiders.base` understands all three. Newer templates put
the link in ``ms-attr-href`` instead of ``href`` ("动静结合" pages), so both are read.
"""

from __future__ import annotations

from collections.abc import Iterator

from scrapy.http import TextResponse

from spiders.base import ListLink, PortalSpider, generic_links, select, text_of


def trs_links(spider: PortalSpider, response: TextResponse) -> Iterator[ListLink]:
    """The generic links plus the ``ms-attr-href`` ones of "动静结合" templates."""
    yield from generic_links(spider, response)
    if spider.portal.selectors.list_items:
        return
    for anchor in select(response, "//a[@ms-attr-href and not(@href)]"):
        href = anchor.attrib["ms-attr-href"].strip()
        if href and "{" not in href:
            title = (anchor.attrib.get("title") or "").strip() or text_of(anchor)
            yield ListLink(response.urljoin(href), title)


class TrsSpider(PortalSpider):
    family = "trs"

    def list_links(self, response: TextResponse) -> Iterator[ListLink]:
        return trs_links(self, response)
