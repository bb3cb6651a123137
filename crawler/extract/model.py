"""What the extraction returns: plain dataclasses that serialise to the documented JSON keys."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = (
    "annual_rule_of_law_report",
    "info_disclosure_annual_report",
    "policy_interpretation",
    "work_plan",
    "news",
    "notice",
    "other",
)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A linked file (PDF, DOCX, ...) found on the page; its text is fetched separately."""

    url: str
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class AttachmentText:
    """The text of one attachment body, or why there is none (``status`` ok | unsupported | error)."""

    text: str
    type: str
    status: str
    content_hash: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Extraction:
    """One page's clean text and metadata.

    ``published`` is an ISO date; when the page only gives a month (a ``/202401/`` URL) it is
    the first of that month and ``published_precision`` says ``"month"`` (else ``"day"``), so
    the archive can store a real date without pretending to know the day. ``signed`` is the
    date of the signature line, which reports carry independently of the publication date, and
    ``written`` the record's 成文日期; ``keywords`` is the record's 主题词 or the ``Keywords`` meta tag.
    """

    url: str
    title: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    text: str = ""
    published: str | None = None
    published_precision: str | None = None
    signed: str | None = None
    written: str | None = None
    report_year: int | None = None
    region: str | None = None
    region_code: str | None = None
    issuer: str | None = None
    index_no: str | None = None
    doc_no: str | None = None
    subject: str | None = None
    keywords: str | None = None
    is_annual_report: bool = False
    kind: str = "other"
    attachments: list[Attachment] = field(default_factory=list)
    content_hash: str | None = None
    chrome_removed: int = 0
    encoding: str | None = None
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object the CLI prints and the pipelines store as metadata."""
        return asdict(self)
