"""Helpers for the crawl tests: run the real ``crawler crawl`` command against a farm over HTTP.

Every crawl is a child process, as in production (one reactor per process, and a process can
be killed), writing a SQLite archive in the test's temporary directory.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine, create_engine

from crawler.portals import Portal, load_portal
from crawler.sim.farm import night_date
from crawler.spiderloader import spider_class
from spiders.base import PortalSpider
from tests.farm import RunningFarm

CRAWLER = str(Path(sys.executable).with_name("crawler"))
CRAWL_TIMEOUT = 240
FAMILY_LINE = re.compile(r'^family = "\w+"$', re.MULTILINE)


def as_of(night: int) -> str:
    """The crawl clock of a farm night: 02:00 Beijing time on that night's date."""
    return f"{night_date(night).isoformat()}T02:00:00+08:00"


@dataclass
class Workspace:
    """A crawl's files: portal configs, archive, HTTP cache."""

    root: Path

    @property
    def portals_dir(self) -> Path:
        return self.root / "portals"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'archive.db'}"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    def engine(self) -> Engine:
        return create_engine(self.db_url)

    def crawl_command(self, *args: str, night: int | None = 0) -> list[str]:
        command = [CRAWLER, "crawl", "--portals-dir", str(self.portals_dir), "--db", self.db_url,
                   "--cache-dir", str(self.cache_dir), "--json", *args]
        if night is not None:
            command += ["--as-of", as_of(night)]
        return command

    def crawl(self, *args: str, night: int | None = 0) -> dict:
        """Run ``crawler crawl --json`` (``--all`` unless names are given) and return its summary."""
        args = args or ("--all",)
        result = subprocess.run(self.crawl_command(*args, night=night), capture_output=True, text=True,
                                timeout=CRAWL_TIMEOUT)
        assert result.returncode == 0, result.stderr[-4000:]
        return json.loads(result.stdout)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


def with_family(config: str, family: str | None) -> str:
    """A portal config's TOML text with its ``family`` replaced (left as written when ``family`` is None)."""
    return FAMILY_LINE.sub(f'family = "{family}"', config) if family else config


def crawl_farm(farm: RunningFarm, root: Path, family: str | None, *names: str) -> tuple[Workspace, dict]:
    """Crawl the farm's portals ``names`` (all without) into a workspace at ``root``, each with its
    family as written or replaced by ``family``; the workspace and the crawl's summary."""
    workspace = Workspace(root)
    for path in farm.write_portals(workspace.portals_dir):
        path.write_text(with_family(path.read_text(encoding="utf-8"), family), encoding="utf-8")
    return workspace, workspace.crawl(*names)


HANTAI_PORTAL = """
name = "{name}"
title = "汉中市汉台区人民政府"
family = "trs"
allowed_domains = ["{host}"]
start_urls = ["http://{host}/zwgk/index.html"]
[region]
province = "陕西省"
city = "汉中市"
county = "汉台区"
code = "610702"
[limits]
max_pages = {max_pages}
"""


def hantai_spider(directory: Path, *, name: str, host: str, max_pages: int,
                  settings: dict[str, Any] | None = None) -> PortalSpider:
    """A TRS spider of a made-up 汉台区 portal at ``host``, on a crawler that is not started
    (its callbacks are fed crafted responses)."""
    path = directory / f"{name}.toml"
    path.write_text(HANTAI_PORTAL.format(name=name, host=host, max_pages=max_pages), encoding="utf-8")
    cls = PortalSpider.for_portal(load_portal(path))
    crawler = get_crawler(cls, settings)
    crawler.spider = cls.from_crawler(crawler)
    return crawler.spider


def idle_spider(portal: Portal) -> scrapy.Spider:
    """``portal``'s spider on a crawler that is not started: its list readers need the crawler's settings."""
    cls = spider_class(portal)
    crawler = get_crawler(cls)
    crawler.spider = cls.from_crawler(crawler)
    return crawler.spider
