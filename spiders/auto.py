"""``family = "auto"``: pick the family per list page from what the page itself shows.

The detectors are the fingerprints of :doc:`portal-families` §1 (alltheplaces'
``storefinder_exists`` idea): a Hanweb ``<datastore>`` or ``dataproxy.jsp``, a TRS
``createPageHTML`` with four arguments or ``TRS_Editor``, a six-argument pager of the .shtml
platform. A page matching none is read the generic way.
"""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import TextResponse

from spiders.base import ListLink, PortalSpider, pager_args
from spiders.hanweb import HanwebSpider
from spiders.shtml import ShtmlSpider
from spiders.trs import TrsSpider


def detect_family(response: TextResponse) -> type[PortalSpider]:
    """The family template whose fingerprints ``response`` carries (``PortalSpider`` if none)."""
    if response.xpath("//script[@type='text/xml'][contains(., 'datastore')]") or "dataproxy.jsp" in response.text:
        return HanwebSpider
    for script in response.xpath("//script[not(@src)]/text()").getall():
        for args in pager_args(script):
            if len(args) == 6:
                return ShtmlSpider
            if len(args) == 4:
                return TrsSpider
    if response.xpath("//*[contains(@class, 'TRS_Editor')]"):
        return TrsSpider
    return PortalSpider


class AutoSpider(PortalSpider):
    family = "auto"

    def list_links(self, response: TextResponse) -> Iterator[ListLink]:
        family = detect_family(response)
        self.crawler.stats.inc_value(f"crawl/auto_family/{family.family}")
        return family.list_links(self, response)

    def list_pages(self, response: TextResponse) -> Iterator[scrapy.Request]:
        return detect_family(response).list_pages(self, response)
