"""What the spiders hand to the pipelines: a fetched report page, or news that a known one changed state.

Spiders decide what to fetch and never touch the database; these items carry everything the
pipelines need (bytes, headers, where the link was found) so extraction and archiving can run
without going back to the response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ReportPage:
    """A candidate report page as fetched: one or more parts of a multi-page article, in order.

    ``bodies`` holds every part's bytes (``urls`` their addresses), so the pipeline stitches the
    text of an article split over ``t…_1.html``, ``t…_2.html`` into one report. ``extraction``
    and ``attachments`` are filled in by the pipelines.
    """

    portal: str
    url: str
    status: int
    fetched_at: datetime
    bodies: list[bytes] = field(repr=False)
    urls: list[str]
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    list_title: str | None = None
    list_date: str | None = None
    referer: str | None = None
    extraction: Any = field(default=None, repr=False)
    attachments: list[Any] = field(default_factory=list, repr=False)
    text_from: str | None = None

    @property
    def self_contained(self) -> bool:
        """Whether the whole report is on this one page (not split, not in an attachment)."""
        return len(self.urls) == 1 and self.text_from is None


@dataclass
class ReportNotModified:
    """A known report answered 304 to a conditional request: nothing to extract, only a sighting."""

    portal: str
    url: str
    fetched_at: datetime
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class ReportGone:
    """A report URL that now answers 404/410 or redirects to another page; the archive keeps its text."""

    portal: str
    url: str
    fetched_at: datetime
    status: int
    reason: str
