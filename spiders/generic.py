"""The fallback for portals of an unknown or odd CMS: the main list's links, wherever the list is.

Items are the links of the page's main list (:func:`spiders.base.main_list`: the block of dated
rows, never menus, footers or side bars), in ``href`` or in the attributes templates fill in;
links to list pages anywhere are followed when their names suggest reports. Further pages come
from every form the shared code knows: JS pager calls, ``countPage`` variables, next/last-page
links, numbered page links (hidden ones too), page files named in scripts. Lists held as data
are read too, whatever the CMS around them: XML data islands and the data proxy they name
(:mod:`spiders.hanweb`), and a search endpoint a ``listConfig`` names (:mod:`spiders.trs`).
A portal whose lists this still misses gets ``[selectors]`` in its TOML file, or a small subclass.
"""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import TextResponse

from spiders.base import ListLink, PortalSpider
from spiders.hanweb import hanweb_links, hanweb_pages
from spiders.trs import trs_search_pages


class GenericSpider(PortalSpider):
    family = "generic"

    def list_links(self, response: TextResponse) -> Iterator[ListLink]:
        return hanweb_links(self, response)

    def list_pages(self, response: TextResponse) -> Iterator[scrapy.Request]:
        yield from hanweb_pages(self, response)
        if not response.meta.get("trs_search"):
            yield from trs_search_pages(self, response)
