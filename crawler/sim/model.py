"""The farm's vocabulary: what a simulated site is, what a page shows, and where it lives.

These dataclasses are also the input of :func:`crawler.sim.render_article`, so extraction
tests can render a page of any family for a title and paragraphs of their own choosing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from crawler.regions import Region

# Report kinds, as the extraction names them.
REPORT = "annual_rule_of_law_report"
NEGATIVE_KINDS = ("info_disclosure_annual_report", "news", "policy_interpretation", "work_plan", "notice")


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """One simulated portal as its pages present it: names, address and declared encoding.

    ``encoding`` is what the bytes are in; ``declared`` is the charset the page names in its
    ``<meta>`` (``None``: no meta charset) and ``header_charset`` whether the HTTP
    Content-Type repeats it. The two disagree on purpose on some portals.
    """

    name: str
    base_url: str
    site_code: str
    province: str
    region: Region | None = None
    encoding: str = "utf-8"
    declared: str | None = "utf-8"
    header_charset: bool = True
    icp: str = "陕ICP备05001234号-1"
    police: str = "陕公网安备61070202000123号"

    @property
    def content_type(self) -> str:
        """The Content-Type header of this site's HTML pages."""
        if self.header_charset and self.declared:
            return f"text/html; charset={self.declared}"
        return "text/html"


@dataclass(frozen=True, slots=True)
class AttachmentLink:
    """A link to a file under an article (``type`` is ``pdf`` or ``docx``)."""

    url: str
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class Article:
    """What a detail page shows. A paragraph holding tabs is a table row (cells tab-separated),
    as in :func:`crawler.textnorm.canonical_text`; consecutive rows render as one ``<table>``."""

    title: str
    paragraphs: tuple[str, ...]
    published: date
    issuer: str
    column: str = "法治政府建设"
    index_no: str = ""
    doc_no: str = ""
    subject: str = "综合政务"
    attachments: tuple[AttachmentLink, ...] = ()


@dataclass(slots=True)
class Entry:
    """One article of one portal over its whole life: where it is listed and what it is.

    The farm decides everything about an entry from the seed; the night only decides which
    version is served and whether it is served at all.
    """

    key: str
    kind: str
    column: int
    path: str
    article: Article
    body_mode: str = "html"  # html | pages | pdf | docx
    page_paths: tuple[str, ...] = ()
    attachment_path: str = ""
    report_year: int | None = None
    issuer_kind: str = ""  # government | bureau for reports
    versions: list[tuple[str, ...]] = field(default_factory=list)
    version_dates: list[date] = field(default_factory=list)
    removed: str = ""  # "" | "404" | "redirect"
    removed_on: date | None = None
    mirrored_on: date | None = None

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The current version's paragraphs."""
        return self.versions[-1] if self.versions else self.article.paragraphs

    @property
    def modified(self) -> date:
        """When the served content last changed: publication or the last edit."""
        return self.version_dates[-1] if self.version_dates else self.article.published
