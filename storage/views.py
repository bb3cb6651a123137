"""The SQL views as SQLAlchemy table objects, for querying them with typed results.

The views themselves are created by the migrations (their SQL differs per dialect and must
stay frozen with each revision); these descriptions only tell SQLAlchemy their columns and
types, so dates come back as dates on SQLite too.
"""

from __future__ import annotations

from sqlalchemy import JSON, Date, DateTime, Float, Integer, String, Text, column, table

latest_versions = table(
    "latest_versions",
    column("document_id", Integer),
    column("url", Text),
    column("portal_id", Integer),
    column("issuer", String),
    column("region", String),
    column("region_code", String),
    column("report_year", Integer),
    column("kind", String),
    column("status", String),
    column("removed_since", DateTime(timezone=True)),
    column("near_duplicate_of", Integer),
    column("similarity", Float),
    column("version_id", Integer),
    column("version", Integer),
    column("title", Text),
    column("published", Date),
    column("fetched_url", Text),
    column("content_hash", String),
    column("metadata", JSON),
    column("first_seen", DateTime(timezone=True)),
    column("last_seen", DateTime(timezone=True)),
    column("text", Text),
)

coverage = table(
    "coverage",
    column("region_code", String),
    column("province", String),
    column("city", String),
    column("county", String),
    column("report_year", Integer),
    column("documents", Integer),
    column("present_documents", Integer),
    column("first_published", Date),
    column("deadline", Date),
    column("state", String),
)
