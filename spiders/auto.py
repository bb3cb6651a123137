"""``family = "auto"``: pick the family per list page from what the page itself shows.

The detectors are the fingerprints of :doc:`portal-families` §1 (alltheplaces'
``storefinder_exists`` idea): a Hanweb ``<datastore>`` or ``dataproxy.jsp`` (and the proxy's
own answers), a TRS ``createPageHTML`` with four arguments, a ``countPage`` variable,
``ms-attr-href`` links, ``TRS_Editor`` (and the TRS search's own answers), a six-argument pager
of the .shtml platform, a gkmlpt catalog's ``SID`` setting (and its API's answers). A page
matching none is read the generic way. The family readers are plain functions of
``(spider, response)``, so this spider applies them without being any family's class.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import scrapy
from scrapy.http import TextResponse

from spiders.base import ListLink, PortalSpider, generic_links, generic_pages, pager_args
from spiders.generic import generic_list_pages
from spiders.gkmlpt import gkmlpt_links, gkmlpt_pages, is_gkmlpt
from spiders.hanweb import hanweb_links, hanweb_pages
from spiders.trs import trs_pages

LinkReader = Callable[[PortalSpider, TextResponse], Iterator[ListLink]]
PageReader = Callable[[PortalSpider, TextResponse], Iterator[scrapy.Request]]

# family -> how its list pages are read: (article links, further list pages).
READERS: dict[str, tuple[LinkReader, PageReader]] = {
    "hanweb": (hanweb_links, hanweb_pages),
    "gkmlpt": (gkmlpt_links, gkmlpt_pages),
    "trs": (generic_links, trs_pages),
    "shtml": (generic_links, generic_pages),
    "generic": (generic_links, generic_list_pages),
}
_COUNT_PAGE = re.compile(r"\bcountPage\s*=\s*\d+")


def detect_family(response: TextResponse) -> str:
    """The family whose fingerprints ``response`` carries: a key of :data:`READERS`."""
    if response.meta.get("dataproxy"):
        return "hanweb"
    if response.meta.get("trs_search"):
        return "trs"
    if is_gkmlpt(response):
        return "gkmlpt"
    if response.xpath("//script[@type='text/xml'][contains(., 'datastore')]") or "dataproxy.jsp" in response.text:
        return "hanweb"
    for script in response.xpath("//script[not(@src)]/text()").getall():
        for args in pager_args(script):
            if len(args) == 6:
                return "shtml"
            if len(args) == 4:
                return "trs"
        if _COUNT_PAGE.search(script):
            return "trs"
    if response.xpath("//a[@ms-attr-href] | //*[contains(@class, 'TRS_Editor')]"):
        return "trs"
    return "generic"


class AutoSpider(PortalSpider):
    family = "auto"

    def list_links(self, response: TextResponse) -> Iterator[ListLink]:
        family = detect_family(response)
        self.crawler.stats.inc_value(f"crawl/auto_family/{family}")
        return READERS[family][0](self, response)

    def list_pages(self, response: TextResponse) -> Iterator[scrapy.Request]:
        return READERS[detect_family(response)][1](self, response)

    def page_family(self, response: TextResponse) -> str:
        return detect_family(response)
