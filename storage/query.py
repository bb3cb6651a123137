"""The read side of the archive: what ``crawler search/show/versions/diff/export/coverage`` print.

Functions take an engine and return plain dataclasses or dicts, so the CLI only formats and
other tools (a notebook, a web view) can call the same queries. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Select, or_, select

from storage import search as fulltext
from storage.archive import Archive, utc
from storage.db import describe, make_engine, translate_errors
from storage.errors import ArchiveError
from storage.models import Attachment, Content, Document, DocumentUrl, Region, Version
from storage.views import coverage as coverage_view
from storage.views import latest_versions

SNIPPET_CONTEXT = 40  # characters shown either side of the first hit
EXPORT_BATCH = 500
COVERAGE_STATES = ("present", "late", "removed", "missing")


def open_reader(url: str | None) -> Engine:
    """An engine on an existing archive at this code's schema revision, or a clear :class:`ArchiveError`.

    Reading never creates a database: a missing SQLite file is an error naming the path.
    """
    engine = make_engine(url)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and not database.startswith("file:") and not Path(database).exists():
        raise ArchiveError(f"no archive at {database}: run `crawler crawl` (or `crawler db upgrade`) first, or pass --db")
    Archive(engine).check_schema()
    return engine


# -- search -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snippet:
    """A piece of a text around the first hit, with the character spans to highlight."""

    text: str
    highlights: list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked document: where it is, what it is, and the passage that matched."""

    document_id: int
    version: int
    url: str
    title: str | None
    region: str | None
    region_code: str | None
    issuer: str | None
    report_year: int | None
    score: float
    snippet: Snippet


def snippet(text: str, query: str, context: int = SNIPPET_CONTEXT) -> Snippet:
    """The window of ``text`` around the first occurrence of any query term, with every term in it marked."""
    needles = fulltext.runs(query)
    lowered = text.lower()
    found = [at for needle in needles if (at := lowered.find(needle)) >= 0]
    first = min(found, default=0)
    start, end = max(0, first - context), min(len(text), first + 2 * context)
    prefix, suffix = ("…" if start > 0 else ""), ("…" if end < len(text) else "")
    window = text[start:end].replace("\n", " ").replace("\t", " ")
    lowered_window = window.lower()
    spans = []
    for needle in needles:
        at = lowered_window.find(needle)
        while at >= 0:
            spans.append((len(prefix) + at, len(prefix) + at + len(needle)))
            at = lowered_window.find(needle, at + len(needle))
    return Snippet(prefix + window + suffix, sorted(spans))


def search(engine: Engine, query: str, *, region: str | None = None, year: int | None = None, limit: int = 20) -> list[SearchHit]:
    """Ranked documents whose latest text contains every term of ``query`` (two-character terms included).

    ``region`` is a 6-digit code or part of a region name (汉台区, 汉中市).
    """
    with translate_errors(engine), engine.connect() as connection:
        matches = fulltext.search(connection, query, region=region, year=year, limit=limit)
        ids = [match.document_id for match in matches]
        rows = {row.document_id: row for row in connection.execute(select(latest_versions).where(latest_versions.c.document_id.in_(ids)))}
    return [
        SearchHit(
            document_id=match.document_id,
            version=row.version,
            url=row.url,
            title=row.title,
            region=row.region,
            region_code=row.region_code,
            issuer=row.issuer,
            report_year=row.report_year,
            score=match.score,
            snippet=snippet(row.text, query),
        )
        for match in matches
        if (row := rows.get(match.document_id)) is not None
    ]


# -- one document -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One version of a document, without its text."""

    version: int
    content_hash: str
    title: str | None
    published: dt.date | None
    url: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    length: int


@dataclass(frozen=True, slots=True)
class DocumentVersion:
    """A document with one of its versions in full."""

    document_id: int
    url: str
    urls: list[str]
    status: str
    removed_since: dt.datetime | None
    issuer: str | None
    region: str | None
    region_code: str | None
    report_year: int | None
    kind: str
    near_duplicate_of: int | None
    latest_version: int
    version: VersionInfo
    metadata: dict[str, Any]
    text: str
    attachments: list[dict[str, Any]]

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n") if self.text else []


def resolve_document(engine: Engine, doc: str) -> int:
    """The id of the document named by ``doc``: its numeric id or any URL that served it."""
    with translate_errors(engine), engine.connect() as connection:
        if doc.isdigit():
            found = connection.execute(select(Document.id).where(Document.id == int(doc))).scalar_one_or_none()
        else:
            found = connection.execute(select(DocumentUrl.document_id).where(DocumentUrl.url == doc)).scalar_one_or_none()
    if found is None:
        raise ArchiveError(f"no document {doc!r} in {describe(engine.url)}: give a document id or one of its URLs")
    return found


def _version_columns() -> Select:
    return select(
        Version.seq.label("version"), Version.content_hash, Version.title, Version.published, Version.url,
        Version.first_seen, Version.last_seen, Content.length,
    ).join(Content, Content.hash == Version.content_hash)


def _version_info(row: Any) -> VersionInfo:
    values = {key: row[key] for key in VersionInfo.__dataclass_fields__}
    return VersionInfo(**{**values, "first_seen": utc(values["first_seen"]), "last_seen": utc(values["last_seen"])})


def versions(engine: Engine, doc: str) -> list[VersionInfo]:
    """Every version of the document, oldest first."""
    document_id = resolve_document(engine, doc)
    with translate_errors(engine), engine.connect() as connection:
        rows = connection.execute(_version_columns().where(Version.document_id == document_id).order_by(Version.seq))
        return [_version_info(row._mapping) for row in rows]


def show(engine: Engine, doc: str, version: int | None = None) -> DocumentVersion:
    """The document with its latest version, or version number ``version``, in full."""
    document_id = resolve_document(engine, doc)
    with translate_errors(engine), engine.connect() as connection:
        document = connection.execute(select(Document.__table__).where(Document.id == document_id)).one()
        seq = version or document.latest_seq
        row = connection.execute(
            _version_columns().add_columns(Version.id, Version.meta.label("meta"), Content.text)
            .where(Version.document_id == document_id, Version.seq == seq)
        ).first()
        if row is None:
            raise ArchiveError(f"document {document_id} has no version {seq} (it has 1 to {document.latest_seq})")
        urls = connection.execute(
            select(DocumentUrl.url).where(DocumentUrl.document_id == document_id).order_by(DocumentUrl.first_seen, DocumentUrl.url)
        ).scalars().all()
        attachments = connection.execute(
            select(Attachment.url, Attachment.name, Attachment.type, Attachment.status, Attachment.content_hash)
            .where(Attachment.version_id == row.id)
        ).mappings().all()
    info = _version_info(row._mapping)
    return DocumentVersion(
        document_id=document_id, url=document.canonical_url, urls=list(urls), status=document.status,
        removed_since=utc(document.removed_since) if document.removed_since else None, issuer=document.issuer, region=document.region,
        region_code=document.region_code, report_year=document.report_year, kind=document.kind,
        near_duplicate_of=document.near_duplicate_of, latest_version=document.latest_seq, version=info,
        metadata=dict(row.meta or {}), text=row.text, attachments=[dict(a) for a in attachments],
    )


def diff(engine: Engine, doc: str, a: int, b: int, *, context: int = 1) -> list[str]:
    """Paragraph-level unified diff from version ``a`` to version ``b`` (lines start with ``-``, ``+``, `` `` or ``@@``)."""
    old, new = show(engine, doc, a), show(engine, doc, b)
    lines = difflib.unified_diff(
        old.paragraphs, new.paragraphs, fromfile=f"version {a}", tofile=f"version {b}", lineterm="", n=context
    )
    return list(lines)


# -- export -------------------------------------------------------------------------------

EXPORT_FIELDS = (
    "document_id", "url", "urls", "region", "region_code", "issuer", "report_year", "kind", "status", "version",
    "title", "content_hash", "published", "first_seen", "last_seen", "text",
)


def export_rows(
    engine: Engine,
    *,
    since: dt.date | None = None,
    region: str | None = None,
    year: int | None = None,
    all_versions: bool = False,
) -> Iterator[dict[str, Any]]:
    """Stream one dict per latest version (or per version with ``all_versions``), keys :data:`EXPORT_FIELDS`.

    ``since`` keeps versions first seen on or after that day; ``region`` is a code or part
    of a name. Rows are read in batches from a server-side cursor, never all at once.
    """
    seq = Version.seq if all_versions else Document.latest_seq
    statement = (
        select(
            Document.id.label("document_id"), Document.canonical_url.label("url"), Document.region, Document.region_code,
            Document.issuer, Document.report_year, Document.kind, Document.status, Version.seq.label("version"),
            Version.title, Version.content_hash, Version.published, Version.first_seen, Version.last_seen, Content.text,
        )
        .join(Version, (Version.document_id == Document.id) & (Version.seq == seq))
        .join(Content, Content.hash == Version.content_hash)
        .order_by(Document.id, Version.seq)
    )
    if since is not None:
        statement = statement.where(Version.first_seen >= dt.datetime.combine(since, dt.time(), dt.UTC))
    if region:
        statement = statement.where(or_(Document.region_code == region, Document.region.contains(region, autoescape=True)))
    if year is not None:
        statement = statement.where(Document.report_year == year)
    with translate_errors(engine), engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=EXPORT_BATCH).execute(statement)
        for batch in result.partitions():
            ids = sorted({row.document_id for row in batch})
            urls: dict[int, list[str]] = {}
            with engine.connect() as lookup:
                for document_id, url in lookup.execute(
                    select(DocumentUrl.document_id, DocumentUrl.url)
                    .where(DocumentUrl.document_id.in_(ids))
                    .order_by(DocumentUrl.document_id, DocumentUrl.first_seen, DocumentUrl.url)
                ):
                    urls.setdefault(document_id, []).append(url)
            for row in batch:
                yield {
                    **row._mapping,
                    "first_seen": utc(row.first_seen),
                    "last_seen": utc(row.last_seen),
                    "urls": urls.get(row.document_id, [row.url]),
                }


# -- coverage -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """One county and its state in each report year (present, late, removed or missing)."""

    region_code: str
    province: str
    city: str | None
    county: str
    states: dict[int, str]


@dataclass(frozen=True, slots=True)
class Coverage:
    """The county × report-year matrix over all of China's county-level divisions."""

    years: list[int]
    rows: list[CoverageRow]

    def totals(self) -> dict[int, dict[str, int]]:
        """How many counties are in each state, per year."""
        totals = {year: dict.fromkeys(COVERAGE_STATES, 0) for year in self.years}
        for row in self.rows:
            for year, state in row.states.items():
                totals[year][state] += 1
        return totals


def coverage(engine: Engine, *, years: Sequence[int] | None = None, region: str | None = None) -> Coverage:
    """The coverage matrix from the ``coverage`` view, for ``years`` (default: every report year archived).

    ``region`` narrows the counties to a code prefix (61, 6107) or part of a province, city or
    county name. A year with no report anywhere is all *missing*.
    """
    with translate_errors(engine), engine.connect() as connection:
        if years is None:
            years = connection.execute(select(coverage_view.c.report_year).distinct()).scalars().all()
        years = sorted(set(years))
        counties = select(Region).order_by(Region.code)
        if region:
            counties = counties.where(
                or_(
                    Region.code.startswith(region, autoescape=True),
                    *(column.contains(region, autoescape=True) for column in (Region.province, Region.city, Region.county)),
                )
            )
        rows = {
            r.code: CoverageRow(r.code, r.province, r.city, r.county, dict.fromkeys(years, "missing"))
            for r in connection.execute(counties)
        }
        cells = connection.execute(
            select(coverage_view.c.region_code, coverage_view.c.report_year, coverage_view.c.state)
            .where(coverage_view.c.report_year.in_(years), coverage_view.c.state != "missing")
        )
        for code, year, state in cells:
            if code in rows:
                rows[code].states[year] = state
    return Coverage(years=list(years), rows=list(rows.values()))


def batched(rows: Iterator[dict[str, Any]], size: int = EXPORT_BATCH) -> Iterator[list[dict[str, Any]]]:
    """Group a row stream into lists of ``size`` (the Parquet writer takes record batches)."""
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch

