"""The fallback for portals of an unknown or odd CMS: every link whose text names a report.

Pagination comes from next/last-page links and any JS pager call the shared code knows; a
portal whose lists this misses gets ``[selectors]`` in its TOML file, or a small subclass.
"""

from __future__ import annotations

from spiders.base import PortalSpider


class GenericSpider(PortalSpider):
    family = "generic"
