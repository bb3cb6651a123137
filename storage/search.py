"""Full-text search over the latest text of each document, on SQLite FTS5 and PostgreSQL.

Chinese has no spaces and its search terms are often two characters (复议, 普法). Trigram
indexes (FTS5 ``trigram``, ``pg_trgm``) cannot find those, so both backends index character
*bigrams* as words: ``行政复议`` is indexed as ``行政 政复 复议``; a two-character query is
one token and a longer one is a phrase of consecutive bigrams, which matches exactly the
texts containing the query as a substring. A one-character query is a prefix match.

The index is keyed by document id and holds only the latest version's text, so results are
ranked documents (BM25 on SQLite, ``ts_rank`` on PostgreSQL), not a pile of old versions.

Ranking reads every match, and 复议 is in nearly every report: a term found in more than
:data:`RANK_WINDOW` documents is ranked among its :data:`RANK_WINDOW` most recently archived
matches (highest document ids). Ranking costs grow with the window, not the archive (on
PostgreSQL each ranked row's tsvector is read from TOAST), so this keeps a search far under
100 ms on a large archive, and it favours the newer reports a user of a common term most
likely wants; a region or year filter narrows the matches before the window is taken.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.sql.elements import TextClause


_RUN = re.compile(r"[^\W_]+")


def runs(text_: str) -> list[str]:
    """Maximal runs of letters and digits, lower-cased: the units that bigrams are taken from."""
    return _RUN.findall(text_.lower())


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] if len(run) > 1 else [run]


def terms(text_: str) -> str:
    """The indexed form of ``text_``: its bigrams, space-separated, in order.

    Built with ``map(operator.add, run, run[1:])`` (pairs joined in C): a report has a few
    thousand bigrams and this runs once per new text on the record path.
    """
    return " ".join(" ".join(map(operator.add, run, run[1:])) if len(run) > 1 else run for run in runs(text_))


@dataclass(frozen=True, slots=True)
class Match:
    """A document that matches, and its rank score (higher is better)."""

    document_id: int
    score: float


def fts5_query(query: str) -> str | None:
    """The FTS5 MATCH expression for ``query`` (every run must appear), ``None`` when it has no letters."""
    parts = []
    for run in runs(query):
        parts.append(f'"{run}"*' if len(run) == 1 else '"' + " ".join(_bigrams(run)) + '"')
    return " AND ".join(parts) or None


def tsquery(query: str) -> str | None:
    """The ``to_tsquery('simple', ...)`` input for ``query``, ``None`` when it has no letters."""
    parts = []
    for run in runs(query):
        parts.append(f"'{run}':*" if len(run) == 1 else " <-> ".join(f"'{b}'" for b in _bigrams(run)))
    return " & ".join(f"({part})" for part in parts) or None


def index_document(connection: Connection, document_id: int, text_: str, *, new: bool = False) -> None:
    """Make ``text_`` the searchable text of the document (replacing any earlier version's).

    ``new``: the document was created in this transaction, so it has no entry to replace.
    """
    params = {"id": document_id, "terms": terms(text_)}
    if connection.dialect.name == "postgresql":
        connection.execute(_PG_UPSERT, params)
    else:
        if not new:
            connection.execute(_FTS5_DELETE, params)
        connection.execute(_FTS5_INSERT, params)


_FTS5_DELETE = text("DELETE FROM search_index WHERE rowid = :id")
_FTS5_INSERT = text("INSERT INTO search_index (rowid, terms) VALUES (:id, :terms)")
_PG_UPSERT = text(
    "INSERT INTO search_index (document_id, terms) VALUES (:id, to_tsvector('simple', :terms)) "
    "ON CONFLICT (document_id) DO UPDATE SET terms = excluded.terms"
)

RANK_WINDOW = 500

_FILTERS = """
  AND (CAST(:region AS TEXT) IS NULL OR d.region_code = :region OR d.region LIKE :region_like)
  AND (CAST(:year AS INTEGER) IS NULL OR d.report_year = :year)
"""

_FTS5_MATCHES = (
    "FROM search_index JOIN documents d ON d.id = search_index.rowid WHERE search_index MATCH :match" + _FILTERS
)
_FTS5_FLOOR = text("SELECT d.id " + _FTS5_MATCHES + "ORDER BY search_index.rowid DESC LIMIT 1 OFFSET :window")
_FTS5_SEARCH = text(
    "SELECT d.id AS document_id, -bm25(search_index) AS score "
    + _FTS5_MATCHES
    + "AND search_index.rowid >= :floor ORDER BY bm25(search_index) LIMIT :limit"
)
_PG_MATCHES = (
    "FROM search_index s JOIN documents d ON d.id = s.document_id, to_tsquery('simple', :match) AS q(query) "
    "WHERE s.terms @@ q.query" + _FILTERS
)
_PG_FLOOR = text("SELECT d.id " + _PG_MATCHES + "ORDER BY s.document_id DESC OFFSET :window LIMIT 1")
_PG_SEARCH = text(
    "SELECT d.id AS document_id, ts_rank(s.terms, q.query) AS score "
    + _PG_MATCHES
    + "AND s.document_id >= :floor ORDER BY score DESC, d.id LIMIT :limit"
)


def _statements(dialect: str) -> tuple[TextClause, TextClause]:
    floor, ranked = (_PG_FLOOR, _PG_SEARCH) if dialect == "postgresql" else (_FTS5_FLOOR, _FTS5_SEARCH)
    nullable = (bindparam("region"), bindparam("region_like"), bindparam("year"))
    return floor.bindparams(*nullable), ranked.bindparams(*nullable)


def search(
    connection: Connection, query: str, *, region: str | None = None, year: int | None = None, limit: int = 20
) -> list[Match]:
    """The best ``limit`` documents for ``query``, optionally in a region (code or name) and report year.

    Two statements: the id below which matches fall outside the ranking window (none when
    there are fewer matches than the window), then the ranked matches above it.
    """
    dialect = connection.dialect.name
    match = tsquery(query) if dialect == "postgresql" else fts5_query(query)
    if match is None:
        return []
    params = {"match": match, "region": region, "region_like": f"%{region}%" if region else None, "year": year}
    floor_statement, ranked_statement = _statements(dialect)
    floor = connection.execute(floor_statement, {**params, "window": RANK_WINDOW - 1}).scalar_one_or_none()
    rows = connection.execute(ranked_statement, {**params, "floor": floor or 0, "limit": limit})
    return [Match(row.document_id, float(row.score)) for row in rows]
