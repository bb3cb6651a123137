"""TRS WCM static publishing (family A): ``index.html``, ``index_1.html`` … and ``t{date}_{id}.html`` articles.

Pagination is a JS call, ``createPageHTML(count, current, "index", "html")`` (zero-based:
``index_1.html`` is page 2), sometimes renamed (``createPage``) or given as ``var countPage``;
the shared pager reading in :mod:`spiders.base` understands all three. Newer "动静结合"
templates put every link in ``ms-attr-href`` (read by :func:`spiders.base.link_of`) and the
first pages as hidden groups in one file; the pages after those come from a search endpoint
that ``var listConfig = {recordCount:…, prepage:…, staticPages:…, searchUrl:…}`` names, asked
by POST (:func:`trs_search_pages`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlencode

import scrapy
from scrapy.http import TextResponse

from spiders.base import PortalSpider, generic_pages

# The fields of a "动静结合" page's listConfig, read from the script's text (JS, not markup).
_CONFIG_FIELD = re.compile(r"""\b(recordCount|prepage|staticPages|searchUrl|channelid)\s*:\s*['"]?([\w/.:-]+)""")


def list_config(response: TextResponse) -> dict[str, str]:
    """The ``listConfig`` fields of a "动静结合" page (empty when the page has none)."""
    for script in response.xpath("//script[not(@src)]/text()").getall():
        if "listConfig" in script:
            return dict(_CONFIG_FIELD.findall(script))
    return {}


def trs_search_pages(spider: PortalSpider, response: TextResponse) -> Iterator[scrapy.Request]:
    """POST requests for the search pages after a "动静结合" file's static groups.

    Page ``N`` of ``prepage`` records is asked as ``POST searchUrl?channelid=…&page=N&prepage=…``
    with the same fields as the form body: the fields in the URL give every page its own URL
    (the manifest's, and the HTTP cache's key), the body is what the site's script sends.
    """
    config = list_config(response)
    if "searchUrl" not in config or not config.get("recordCount", "").isdigit():
        return
    size = int(config.get("prepage") or 15)
    last = -(-int(config["recordCount"]) // max(size, 1))
    static = int(config.get("staticPages") or last)
    hops = response.meta.get("hops", 0)
    for page in range(static + 1, min(last, static + spider.portal.limits.max_pages) + 1):
        fields = {"channelid": config.get("channelid", ""), "page": str(page), "prepage": str(size)}
        body = urlencode(fields)
        yield spider.list_request(
            f"{response.urljoin(config['searchUrl'])}?{body}", hops=hops, pages=1, method="POST", body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"}, meta={"trs_search": True},
        )


def trs_pages(spider: PortalSpider, response: TextResponse) -> Iterator[scrapy.Request]:
    """Pager pages, and the search pages of a "动静结合" list."""
    yield from generic_pages(spider, response)
    if not response.meta.get("trs_search"):
        yield from trs_search_pages(spider, response)


class TrsSpider(PortalSpider):
    family = "trs"

    def list_pages(self, response: TextResponse) -> Iterator[scrapy.Request]:
        return trs_pages(self, response)
