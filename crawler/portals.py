"""Portal configs: one TOML file per county portal, validated by a typed model.

A portal is data, not code: the family spider (``spiders/``) is a template and the TOML file
gives it its parameters. Validation happens when the file is read, so a typo fails at start
with the file and the key named (``spiders/portals/x.toml: limits.max_pages: ...``) instead
of half-way through a night's crawl, and one bad file never stops the other portals.
"""

from __future__ import annotations

import ipaddress
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Family = Literal["trs", "hanweb", "shtml", "gkmlpt", "generic", "auto"]
FAMILIES: tuple[str, ...] = ("trs", "hanweb", "shtml", "gkmlpt", "generic", "auto")

# Titles of the reports this project archives; a portal's ``title_keywords`` extend these.
DEFAULT_TITLE_KEYWORDS: tuple[str, ...] = ("法治政府建设", "法治建设", "依法行政", "法治政府")

_NAME = re.compile(r"^[a-z0-9_]+$")
_CRON_FIELDS = 5


class _Section(BaseModel):
    """Base of every table in a portal file: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RegionConfig(_Section):
    province: str = Field(min_length=2, description="Province name, e.g. 陕西省.")
    city: str | None = Field(default=None, description="Prefecture name; absent for municipalities' districts.")
    county: str = Field(min_length=2, description="County-level division name, e.g. 汉台区.")
    code: str = Field(pattern=r"^\d{6}$", description="6-digit division code.")


class Limits(_Section):
    max_pages: int = Field(default=500, ge=1, description="Responses per crawl before the spider stops (trap guard).")
    max_depth: int = Field(default=8, ge=0, description="Link hops from a start URL; list pagination is not a hop.")


class Politeness(_Section):
    download_delay: float = Field(default=0.0, ge=0, description="Seconds between requests to the portal.")
    concurrency: int = Field(default=4, ge=1, le=64, description="Concurrent requests per domain.")


class Selectors(_Section):
    """Overrides of a family's default selectors; CSS, or XPath when the value starts with ``/`` or ``(``."""

    list_items: str | None = Field(default=None, description="Links to articles on a list page.")
    next_page: str | None = Field(default=None, description="Links to further list pages.")
    body: str | None = Field(default=None, description="The article body on a detail page.")


class ExtractConfig(_Section):
    chrome_text: list[str] = Field(default_factory=list, description="Regexes: a block whose whole text matches is chrome.")
    chrome_xpath: list[str] = Field(default_factory=list, description="Elements removed before text extraction.")
    body_xpath: str | None = Field(default=None, description="Where the body is when default detection misses.")

    @field_validator("chrome_text")
    @classmethod
    def _regexes_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {pattern!r} ({exc})") from None
        return patterns


class Portal(_Section):
    """One county portal (or one bureau's site) and how to harvest it."""

    name: str = Field(description="Spider name: [a-z0-9_]+, unique across the portals directory.")
    title: str = Field(min_length=1, description="The portal's own name.")
    family: Family = Field(description="CMS family, chooses the template spider.")
    verified: bool = Field(default=False, description="Whether the URLs were checked against the live portal.")
    issuers: list[str] = Field(default_factory=list, description="Bodies whose reports this portal publishes.")
    allowed_domains: list[str] = Field(min_length=1, description="Host names or IPs; anything else is never requested.")
    start_urls: list[str] = Field(min_length=1, description="Column, list or site-search pages to start from.")
    encoding: str | None = Field(default=None, description="Overrides a lying or missing charset.")
    title_keywords: list[str] = Field(default_factory=list, description="Extra title keywords of report candidates.")
    schedule: str | None = Field(default=None, description="Cron expression (Asia/Shanghai) for the nightly crawl.")
    region: RegionConfig
    limits: Limits = Field(default_factory=Limits)
    politeness: Politeness = Field(default_factory=Politeness)
    selectors: Selectors = Field(default_factory=Selectors)
    extract: ExtractConfig = Field(default_factory=ExtractConfig)

    @field_validator("name")
    @classmethod
    def _name_is_spider_name(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a spider name (lower-case letters, digits and _ only)")
        return name

    @field_validator("allowed_domains")
    @classmethod
    def _domains_are_hosts(cls, domains: list[str]) -> list[str]:
        for domain in domains:
            has_port = ":" in domain and not _is_ip(domain)
            if "/" in domain or has_port:
                raise ValueError(f"{domain!r} is not a host name or IP address (no scheme, port or path)")
        return [domain.lower() for domain in domains]

    @field_validator("start_urls")
    @classmethod
    def _urls_are_http(cls, urls: list[str]) -> list[str]:
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{url!r} is not an http(s) URL")
        return urls

    @field_validator("encoding")
    @classmethod
    def _encoding_known(cls, encoding: str | None) -> str | None:
        if encoding is not None:
            try:
                "".encode(encoding)
            except LookupError:
                raise ValueError(f"unknown encoding {encoding!r}") from None
        return encoding

    @field_validator("schedule")
    @classmethod
    def _schedule_is_cron(cls, schedule: str | None) -> str | None:
        if schedule is not None and len(schedule.split()) != _CRON_FIELDS:
            raise ValueError(f"{schedule!r} is not a 5-field cron expression")
        return schedule

    @model_validator(mode="after")
    def _start_urls_inside_domains(self) -> Portal:
        for url in self.start_urls:
            if not host_allowed(urlsplit(url).hostname or "", self.allowed_domains):
                raise ValueError(f"start URL {url} is outside allowed_domains {self.allowed_domains}")
        return self

    @property
    def keywords(self) -> tuple[str, ...]:
        """Title keywords of report candidates: the defaults plus this portal's own."""
        return (*DEFAULT_TITLE_KEYWORDS, *(k for k in self.title_keywords if k not in DEFAULT_TITLE_KEYWORDS))


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def host_allowed(host: str, domains: list[str]) -> bool:
    """Whether ``host`` is one of ``domains`` or a subdomain of a named domain (never of an IP)."""
    host = host.lower().rstrip(".")
    for domain in domains:
        if host == domain or (not _is_ip(domain) and host.endswith("." + domain)):
            return True
    return False


@dataclass(frozen=True, slots=True)
class PortalError:
    """Why one portal file was not loaded: the file, the key (dotted path) and the message."""

    path: Path
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.key}: {self.message}" if self.key else f"{self.path}: {self.message}"


class PortalConfigError(ValueError):
    """A portal file that cannot be used; ``errors`` lists every problem found in it."""

    def __init__(self, errors: list[PortalError]) -> None:
        super().__init__("; ".join(map(str, errors)))
        self.errors = errors


def load_portal(path: Path) -> Portal:
    """Read and validate one portal file; raise :class:`PortalConfigError` naming the file and keys."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PortalConfigError([PortalError(path, "", f"cannot read: {exc}")]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise PortalConfigError([PortalError(path, "", f"not valid TOML: {exc}")]) from exc
    try:
        portal = Portal.model_validate(data)
    except ValidationError as exc:
        raise PortalConfigError(
            [PortalError(path, ".".join(map(str, err["loc"])), err["msg"]) for err in exc.errors()]
        ) from exc
    if portal.name != path.stem:
        raise PortalConfigError([PortalError(path, "name", f"{portal.name!r} differs from the file name {path.stem!r}")])
    return portal


def load_portals(directory: Path) -> tuple[list[Portal], list[PortalError]]:
    """Every valid portal in ``directory`` (sorted by name) and the errors of the invalid files.

    Invalid files are reported and skipped, so one broken config never stops the others.
    """
    if not directory.is_dir():
        return [], [PortalError(directory, "", "portals directory does not exist")]
    portals: list[Portal] = []
    errors: list[PortalError] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            portals.append(load_portal(path))
        except PortalConfigError as exc:
            errors.extend(exc.errors)
    return portals, errors


def _toml_str(value: str) -> str:
    """A TOML basic string (JSON's string syntax is a subset of it)."""
    return json.dumps(value, ensure_ascii=False)


def skeleton(name: str, url: str, family: str, *, title: str = "") -> str:
    """A portal file for ``url``, written by ``crawler portal new``; it validates once [region] is filled in."""
    host = urlsplit(url).hostname or ""
    return f"""\
# Written by `crawler portal new`; see docs/adding-a-portal.md.
# Not yet verified live: run `crawler portal check {name}`, then set verified = true.
name = {_toml_str(name)}
title = {_toml_str(title or host)}
family = {_toml_str(family)}
verified = false
issuers = []
allowed_domains = [{_toml_str(host)}]
start_urls = [{_toml_str(url)}]
# title_keywords = ["法治政府建设"]
# schedule = "30 2 * * *"

[region]  # fill in: province, city, county and the 6-digit division code
province = ""
city = ""
county = ""
code = ""

[limits]
max_pages = 500
max_depth = 8

[politeness]
download_delay = 1.0
concurrency = 2

# [selectors]
# list_items = "ul.list li a"
# body = "div.TRS_Editor"

# [extract]
# chrome_text = ["^本站由.*维护$"]
# chrome_xpath = ["//div[@class='share']"]
"""
