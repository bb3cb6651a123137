"""Scrapy's spider loader for a project whose spiders are TOML files.

``scrapy list`` lists every valid portal in ``PORTALS_DIR`` and ``scrapy crawl NAME`` runs
the family template bound to that portal. A portal that needs code is a small subclass in
``SPIDER_MODULES`` whose ``name`` is the portal's name: the loader binds it instead of the
family template. Invalid portal files are logged with file and key, and skipped.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Self

from scrapy import Request, Spider
from scrapy.settings import BaseSettings
from scrapy.utils.misc import walk_modules_iter
from scrapy.utils.spider import iter_spider_classes

from crawler import settings as project_settings
from crawler.portals import Portal, load_portals
from spiders.auto import AutoSpider
from spiders.base import PortalSpider
from spiders.generic import GenericSpider
from spiders.gkmlpt import GkmlptSpider
from spiders.hanweb import HanwebSpider
from spiders.shtml import ShtmlSpider
from spiders.trs import TrsSpider

logger = logging.getLogger(__name__)

# family name -> template.
FAMILY_SPIDERS: dict[str, type[PortalSpider]] = {
    "trs": TrsSpider,
    "hanweb": HanwebSpider,
    "shtml": ShtmlSpider,
    "generic": GenericSpider,
    "gkmlpt": GkmlptSpider,
    "auto": AutoSpider,
}


def spider_class(portal: Portal, custom: dict[str, type[PortalSpider]] | None = None) -> type[PortalSpider]:
    """The spider class for ``portal``: its own subclass if one exists, else its family's template."""
    template = (custom or {}).get(portal.name) or FAMILY_SPIDERS[portal.family]
    return template.for_portal(portal)


class PortalSpiderLoader:
    """Implements Scrapy's ``SpiderLoaderProtocol`` over the portals directory."""

    def __init__(self, portals_dir: Path, spider_modules: list[str]) -> None:
        self.portals_dir = portals_dir
        portals, self.errors = load_portals(portals_dir)
        for error in self.errors:
            logger.error("portal config skipped: %s", error)
        self.portals: dict[str, Portal] = {p.name: p for p in portals}
        self.custom = _custom_spiders(spider_modules)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        portals_dir = settings.get("PORTALS_DIR") or project_settings.PORTALS_DIR
        return cls(Path(portals_dir), settings.getlist("SPIDER_MODULES"))

    def load(self, spider_name: str) -> type[Spider]:
        try:
            portal = self.portals[spider_name]
        except KeyError:
            raise KeyError(f"Spider not found: {spider_name} (no valid {spider_name}.toml in {self.portals_dir})") from None
        return spider_class(portal, self.custom)

    def list(self) -> list[str]:
        return sorted(self.portals)

    def find_by_request(self, request: Request) -> list[str]:
        return [name for name in self.list() if self.load(name).handles_request(request)]


def _custom_spiders(modules: list[str]) -> dict[str, type[PortalSpider]]:
    """Portal subclasses (``name`` set) found in the spider modules, by name."""
    found: dict[str, type[PortalSpider]] = {}
    for module_name in modules:
        for module in walk_modules_iter(module_name):
            for cls in iter_spider_classes(module):
                if issubclass(cls, PortalSpider):
                    found[cls.name] = cls
    return found

