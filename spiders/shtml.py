"""The ".shtml + c-column + 32-hex id" platform (family C): ``xxgk_list.shtml``, ``xxgk_list_2.shtml`` ….

Pagination is the six-argument ``createPageHTML('page_div', pages, current, 'xxgk_list',
'shtml', records)`` (one-based: page 1 has no suffix), read by :mod:`spiders.base`; rows are
``li > a[title] + span.time``. Articles are ``/{site}/{col}/YYYYMM/{32hex}.shtml``.
"""

from __future__ import annotations

from spiders.base import PortalSpider


class ShtmlSpider(PortalSpider):
    family = "shtml"
