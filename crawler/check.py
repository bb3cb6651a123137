"""What a dry-run crawl of one portal finds: the model and the runner behind ``crawler portal check``.

A check runs the portal's real spider — the same settings, middlewares, list readers and
extraction as a nightly crawl — with the archive and the HTTP cache switched off, so nothing
is written and every page is fetched live. What it reports is what a crawl would see: each
list page read with its items and the further list pages derived from it, the report
candidates the extraction accepted, the pages rejected (by their list title, or by the
extraction's kind) and the problems that would make a crawl harvest nothing.

A portal with no config yet is checked from a URL (:func:`portal_for_urls`): an in-memory
portal whose only allowed domain is the URL's host, so an operator can read a site before
writing its TOML file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from scrapy.settings import Settings
from w3lib.url import canonicalize_url

from crawler.items import ReportGone, ReportPage
from crawler.portals import Portal, RegionConfig
from crawler.run import Progress, crawl_settings, run_portals, select_portals
from crawler.spiderloader import PortalSpiderLoader
from spiders.base import ListLink, PortalSpider

PREVIEW_CHARS = 300

# A check of a bare URL does not know the portal's region, and a Portal must have one; this
# one is never written anywhere (a check has no archive) and names itself as unknown.
UNKNOWN_REGION = RegionConfig(province="unknown", county="unknown", code="000000")


class CheckInputError(ValueError):
    """A check that cannot start: an unusable URL or portal config (the message names it)."""


@dataclass(frozen=True, slots=True)
class ListPage:
    """One list page the spider read: its main list's items in page order and its further pages."""

    url: str
    family: str
    items: list[ListLink]
    next: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "family": self.family,
                "items": [{"url": i.url, "title": i.title, "date": i.date} for i in self.items],
                "next": self.next}


@dataclass
class CheckResult:
    """What a dry-run crawl of one portal found (``crawler portal check --json`` prints :meth:`to_dict`)."""

    portal: str
    family: str
    status: str | None = None
    pages_fetched: int = 0
    lists: list[ListPage] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    gone: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        """Whether a crawl would harvest something: candidates found on a portal neither blocked nor broken."""
        return bool(self.candidates) and self.status not in ("blocked", "broken")

    def to_dict(self) -> dict[str, Any]:
        return {
            "portal": self.portal,
            "family": self.family,
            "status": self.status,
            "pages_fetched": self.pages_fetched,
            "lists": [page.to_dict() for page in self.lists],
            "candidates": self.candidates,
            "rejected": self.rejected,
            "gone": self.gone,
            "problems": self.problems,
        }


def portal_for_urls(urls: Sequence[str], family: str = "auto") -> Portal:
    """A check-only portal starting from ``urls``: their hosts are its only allowed domains, its region unknown.

    The name is the first host spelled as a spider name (``www.htq.gov.cn`` -> ``www_htq_gov_cn``),
    a fair first guess for the config file the operator writes next.
    """
    hosts = list(dict.fromkeys(_host(url) for url in urls))
    if not hosts:
        raise CheckInputError("no URL to check")
    name = re.sub(r"[^a-z0-9]+", "_", hosts[0].lower()).strip("_") or "portal"
    try:
        return Portal(name=name, title=hosts[0], family=family, allowed_domains=hosts, start_urls=list(urls),
                      region=UNKNOWN_REGION)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise CheckInputError(f"cannot check {' '.join(urls)}: {details}") from None


def _host(url: str) -> str:
    """The host of an http(s) URL, or :class:`CheckInputError` naming the URL."""
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # .port raises on a port that is not a number
    except ValueError as exc:
        raise CheckInputError(f"{url!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise CheckInputError(f"{url!r} is not an http(s) URL")
    return host


def check_settings(*, portals_dir: Path | None = None, max_pages: int) -> Settings:
    """The crawl's settings with no archive, no HTTP cache and at most ``max_pages`` responses."""
    return crawl_settings(portals_dir=portals_dir, archive=False, log_level="ERROR",
                          overrides={"HTTPCACHE_ENABLED": False, "CLOSESPIDER_PAGECOUNT": max_pages})


def check_portal(portal: Portal, settings: Settings, *, loader: PortalSpiderLoader | None = None) -> CheckResult:
    """Crawl ``portal`` once without writing anything (blocking) and say what was found.

    With the spider ``loader``, a portal that has a spider subclass of its own is checked
    with that spider, as a crawl would.
    """
    collector = _Collector(portal)
    run_portals([portal], settings, loader=loader, progress=collector)
    return collector.result()


def check_named(name: str, settings: Settings) -> CheckResult:
    """Check the portal config ``NAME.toml`` of the settings' portals directory, through the spider loader."""
    try:
        chosen, _, loader = select_portals(settings, [name])
    except KeyError as exc:
        raise CheckInputError(exc.args[0]) from None
    return check_portal(chosen[0], settings, loader=loader)


class _Collector(Progress):
    """Gathers one portal's check from the crawl's progress hooks."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.lists: list[ListPage] = []
        # The list pages read and the URLs they were redirected from, canonical: a start URL's
        # fragment (``/gkmlpt/index#4277``) never reaches the server.
        self.read: set[str] = set()
        self.candidates: list[dict[str, Any]] = []
        self.rejected: dict[str, dict[str, Any]] = {}  # by URL: an item listed twice is rejected once
        self.gone: list[dict[str, Any]] = []
        self.summary: dict[str, Any] = {}

    def list_parsed(self, name: str, spider: PortalSpider, response: Any, items: list[ListLink], next: list[str],
                    family: str) -> None:
        # A page's own URL among its "further" pages (a side-bar link to the column it is) is no news.
        self.lists.append(ListPage(response.url, family, list(items), [u for u in next if u != response.url]))
        self.read.update(canonicalize_url(u) for u in [response.url, *response.meta.get("redirect_urls", [])])
        for link in items:
            if not spider.is_candidate(link.title):
                self.rejected.setdefault(link.url, {"url": link.url, "title": link.title, "reason": "title"})

    def item_scraped(self, name: str, item: Any) -> None:
        if isinstance(item, ReportPage):
            extraction = item.extraction
            self.candidates.append({
                "url": item.url,
                "title": extraction.title or item.list_title,
                "report_year": extraction.report_year,
                "kind": extraction.kind,
                "published": extraction.published,
                "issuer": extraction.issuer,
                "region": extraction.region,
                "parts": len(item.urls),
                "attachments": [a.url for a in item.attachments],
                "text_from": item.text_from or "page",
                "encoding": extraction.encoding,
                "problems": extraction.problems,
                "preview": extraction.text[:PREVIEW_CHARS],
            })
        elif isinstance(item, ReportGone):
            self.gone.append({"url": item.url, "reason": item.reason})

    def item_dropped(self, name: str, item: Any, reason: str) -> None:
        if isinstance(item, ReportPage) and item.extraction is not None:
            extraction = item.extraction
            self.rejected[item.url] = {"url": item.url, "title": extraction.title or item.list_title,
                                       "kind": extraction.kind, "problems": extraction.problems}

    def portal_finished(self, name: str, summary: dict[str, Any]) -> None:
        self.summary = summary

    def result(self) -> CheckResult:
        summary = self.summary
        problems = [f"unread: {url} gave no list page (no answer, an error status, or not text)"
                    for url in self.portal.start_urls if canonicalize_url(url) not in self.read]
        problems += summary.get("problems", [])
        if summary.get("list_encoding"):
            problems.append(f"encoding: list pages decoded as {summary['list_encoding']}")
        if not self.candidates and not any(p.startswith("nothing_") for p in problems):
            problems.append("nothing_found: no page the extraction classifies as an annual rule-of-law report")
        return CheckResult(
            portal=self.portal.name,
            family=self.family(),
            status=summary.get("status"),
            pages_fetched=summary.get("pages_fetched", 0),
            lists=self.lists,
            candidates=self.candidates,
            rejected=list(self.rejected.values()),
            gone=self.gone,
            problems=problems,
        )

    def family(self) -> str:
        """The configured family; for ``auto``, the one detected on the first start URL read."""
        if self.portal.family != "auto" or not self.lists:
            return self.portal.family
        starts = [page.family for page in self.lists if page.url in self.portal.start_urls]
        return (starts or [self.lists[0].family])[0]
