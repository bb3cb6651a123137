"""What the crawl hands to the archive and what the archive answers: plain dataclasses.

They carry no ORM state, so the crawl pipeline (or a benchmark, or a test) builds them from
an extraction without knowing the schema.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class AttachmentRecord:
    """A file linked from a report, with its extracted text (``status``: ok | unsupported | error)."""

    url: str
    name: str | None = None
    type: str | None = None
    content_hash: str | None = None
    text: str | None = None
    status: str = "ok"


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """One fetched report page after extraction.

    ``content_hash`` must be :func:`crawler.textnorm.content_hash` of ``text``: the archive
    compares hashes, never texts, so chrome that the extraction removed cannot make a version.
    """

    portal: str | None
    url: str
    fetched_at: dt.datetime
    text: str
    content_hash: str
    run_id: int | None = None
    title: str | None = None
    published: dt.date | None = None
    report_year: int | None = None
    region: str | None = None
    region_code: str | None = None
    issuer: str | None = None
    index_no: str | None = None
    doc_no: str | None = None
    subject: str | None = None
    kind: str = "other"
    metadata: dict[str, Any] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    http_status: int | None = 200
    bytes: int | None = None
    attachments: tuple[AttachmentRecord, ...] | list[AttachmentRecord] = ()


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """One fetch of a URL that is not recorded as a report: an error, a list page, or a 304.

    A 304 (``http_status=304``) also counts as seeing the document at that URL again.
    """

    url: str
    fetched_at: dt.datetime
    run_id: int | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    bytes: int | None = None
    content_hash: str | None = None
    error: str | None = None


class Outcome(enum.StrEnum):
    """What recording a report did to the archive."""

    NEW_DOCUMENT = "new_document"
    NEW_VERSION = "new_version"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class RecordResult:
    """The answer of :meth:`storage.archive.Archive.record`.

    ``duplicate_of`` is the document whose text this URL served (DUPLICATE only);
    ``near_duplicate_of`` the most similar earlier document when a NEW_DOCUMENT is a
    near-duplicate (MinHash similarity ≥ the threshold) of it.
    """

    outcome: Outcome
    document_id: int
    version_id: int
    duplicate_of: int | None = None
    near_duplicate_of: int | None = None
