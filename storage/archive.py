"""The archive's write side: the one call that records a fetched report, and its helpers.

Several crawl processes write at once while analysts read, so no decision here is
read-then-write across transactions:

* SQLite: every write transaction starts with ``BEGIN IMMEDIATE`` (see
  :func:`storage.db.write_transaction`), so writers are serialized by the database itself.
* PostgreSQL: a record takes transaction-scoped advisory locks on its URL and on its content
  hash (always in that order, so they cannot deadlock), and locks the document row it adds
  a version to. Two processes recording the same URL, the same text at two URLs, or two
  mirrors of one document therefore decide one after the other.

Unique constraints (``contents.hash``, ``document_urls.url``, ``versions (document_id, seq)``)
back this up, and each record is one transaction (or each batch, with
:meth:`Archive.record_many`): a process killed mid-write leaves nothing.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, func, select, text, union_all, update
from sqlalchemy.dialects import postgresql, sqlite

from storage import migrate, search, similarity
from storage.db import describe, is_deadlock, translate_errors, write_transaction
from storage.errors import ArchiveError
from storage.models import Attachment, Content, Document, DocumentUrl, Fetch, MinhashBucket, Portal, Run, Version
from storage.records import FetchRecord, Outcome, RecordResult, ReportRecord


logger = logging.getLogger(__name__)

# How often a batch aborted by PostgreSQL's deadlock detector is tried again.
_DEADLOCK_RETRIES = 5


def utc(value: dt.datetime) -> dt.datetime:
    """``value`` as an aware UTC datetime (naive values, as SQLite returns them, are taken as UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Archive:
    """Records what the crawl fetched and answers what it changed.

    Build it on an engine from :func:`storage.db.make_engine`; call :meth:`upgrade` once
    before writing (it migrates an empty or older database and refuses one newer than the
    code).
    """

    def __init__(self, engine: Engine, *, near_duplicate_threshold: float = similarity.DEFAULT_THRESHOLD) -> None:
        self.engine = engine
        self.near_duplicate_threshold = near_duplicate_threshold
        self._portal_ids: dict[str, int] = {}

    # -- schema -------------------------------------------------------------------------

    def upgrade(self) -> None:
        """Bring the schema to this code's revision; :class:`ArchiveError` if the database is newer."""
        migrate.upgrade(self.engine)

    def check_schema(self) -> None:
        """Refuse to work on a database not at this code's revision, saying what to run."""
        revision = migrate.check_revision(self.engine)
        head = migrate.head_revision()
        if revision != head:
            raise ArchiveError(
                f"the database {describe(self.engine.url)} is at revision "
                f"{revision or 'none (empty)'}, this code needs {head}: run `crawler db upgrade`"
            )

    # -- portals and runs -----------------------------------------------------------------

    def upsert_portal(
        self,
        name: str,
        *,
        title: str | None = None,
        family: str | None = None,
        region_code: str | None = None,
        config: Mapping[str, Any] | None = None,
        when: dt.datetime | None = None,
    ) -> int:
        """Insert or update the portal called ``name``; returns its id."""
        with write_transaction(self.engine) as connection:
            portal_id = self._upsert_portal(connection, name, title, family, region_code, config, when)
        self._portal_ids[name] = portal_id
        return portal_id

    @staticmethod
    def _upsert_portal(connection: Connection, name: str, title: str | None, family: str | None,
                       region_code: str | None, config: Mapping[str, Any] | None, when: dt.datetime | None) -> int:
        when = utc(when or utcnow())
        values = {"title": title, "family": family, "region_code": region_code, "config": dict(config or {})}
        statement = _insert(connection, Portal).values(name=name, created_at=when, updated_at=when, **values)
        statement = statement.on_conflict_do_update(
            index_elements=[Portal.name], set_={**values, "updated_at": when}
        ).returning(Portal.id)
        return connection.execute(statement).scalar_one()

    def start_run(self, portal: str | None = None, *, command: str | None = None, started_at: dt.datetime | None = None) -> int:
        """Open a crawl run (of one portal, or of several when ``portal`` is None); returns its id."""
        with write_transaction(self.engine) as connection:
            return self._start_run(connection, portal, command, started_at)

    @staticmethod
    def _start_run(connection: Connection, portal: str | None, command: str | None, started_at: dt.datetime | None) -> int:
        statement = _insert(connection, Run).values(
            portal=portal, command=command, started_at=utc(started_at or utcnow()), status="running", stats={}
        )
        return connection.execute(statement.returning(Run.id)).scalar_one()

    def open_portal_run(
        self,
        name: str,
        *,
        title: str | None = None,
        family: str | None = None,
        region_code: str | None = None,
        config: Mapping[str, Any] | None = None,
        command: str | None = None,
        started_at: dt.datetime | None = None,
    ) -> tuple[int, str | None]:
        """:meth:`upsert_portal` and :meth:`start_run` of one portal crawl, in one transaction.

        Returns the new run's id and the status of the portal's latest run before it
        (``running`` if that one never finished; ``None`` for a portal never crawled). A crawl opens
        one per portal, so one transaction instead of three is a fixed cost less per portal: on
        an unchanged night, where each portal makes few requests, such costs weigh most.
        """
        with write_transaction(self.engine) as connection:
            portal_id = self._upsert_portal(connection, name, title, family, region_code, config, started_at)
            previous = connection.execute(
                select(Run.status).where(Run.portal == name).order_by(Run.id.desc()).limit(1)
            ).scalar()
            run_id = self._start_run(connection, name, command, started_at)
        self._portal_ids[name] = portal_id
        return run_id, previous

    def finish_run(self, run_id: int, stats: Mapping[str, Any], status: str = "finished", *, finished_at: dt.datetime | None = None) -> None:
        """Close a run with its stats (JSON-serialisable values) and final status (finished, failed, ...)."""
        with write_transaction(self.engine) as connection:
            result = connection.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(stats=_jsonable(stats), status=status, finished_at=utc(finished_at or utcnow()))
            )
            if result.rowcount != 1:
                raise ArchiveError(f"no run {run_id} in {describe(self.engine.url)}")

    # -- fetches --------------------------------------------------------------------------

    def validators(self, url: str) -> tuple[str | None, str | None] | None:
        """``(etag, last_modified)`` of the last successful fetch of an archived report URL, for a conditional request.

        ``None`` when the URL is not an archived report or never sent validators: a 304 would
        then leave the archive without the text.
        """
        statement = (
            select(Fetch.etag, Fetch.last_modified)
            .where(Fetch.url == url, Fetch.http_status == 200)
            .where((Fetch.etag.is_not(None)) | (Fetch.last_modified.is_not(None)))
            .where(select(DocumentUrl.url).where(DocumentUrl.url == url).exists())
            .order_by(Fetch.fetched_at.desc())
            .limit(1)
        )
        with translate_errors(self.engine), self.engine.connect() as connection:
            row = connection.execute(statement).first()
        return (row.etag, row.last_modified) if row else None

    def portal_validators(self, portal: str) -> dict[str, tuple[str | None, str | None] | None]:
        """:meth:`validators` of every URL of the portal's archived reports (``None`` if it has none), in one query.

        A crawl asks for a portal's known reports together (the re-checks): one query per
        portal instead of one per report.
        """
        fetch = (Fetch.url == DocumentUrl.url) & (Fetch.http_status == 200) & (
            Fetch.etag.is_not(None) | Fetch.last_modified.is_not(None))
        statement = (
            select(DocumentUrl.url, Fetch.etag, Fetch.last_modified)
            .join(Document, Document.id == DocumentUrl.document_id)
            .join(Portal, Portal.id == Document.portal_id)
            .outerjoin(Fetch, fetch)
            .where(Portal.name == portal)
            .order_by(Fetch.fetched_at)
        )
        with translate_errors(self.engine), self.engine.connect() as connection:
            rows = connection.execute(statement).all()
        return {row.url: (row.etag, row.last_modified) if row.etag or row.last_modified else None for row in rows}

    def record_fetch(self, fetch: FetchRecord) -> None:
        """Log a fetch that is not a report to record (an error, a list page, or a 304).

        A 304 Not Modified is the document seen again: its latest version's ``last_seen`` is
        bumped and a removed document becomes present again, exactly as an unchanged 200 would.
        """
        self.record_fetches([fetch])

    def record_fetches(self, fetches: Sequence[FetchRecord]) -> None:
        """:meth:`record_fetch` for several fetches, in one transaction."""
        with write_transaction(self.engine) as connection:
            for fetch in fetches:
                self._insert_fetch(connection, fetch)
                if fetch.http_status == 304:
                    current = self._current(connection, fetch.url)
                    if current is not None:
                        self._seen_again(connection, current, utc(fetch.fetched_at))

    def record(self, report: ReportRecord) -> RecordResult:
        """Record one fetched report and say what it changed. Idempotent; safe from many processes.

        * UNCHANGED: the URL's document already has this ``content_hash`` as its latest
          version; only ``last_seen`` and the fetch log are written.
        * NEW_VERSION: the URL's document had another text; a version numbered one higher is added.
        * DUPLICATE: the URL is new but its exact text already belongs to a document: the URL is
          attached to that document (``duplicate_of``) and no text is stored again.
        * NEW_DOCUMENT: a new URL with a new text. If its MinHash similarity to an archived text
          reaches the threshold, it is linked (``near_duplicate_of``), not merged.
        """
        return self.record_many([report])[0]

    def record_many(self, reports: Sequence[ReportRecord]) -> list[RecordResult]:
        """Record several fetched reports in one transaction; their results, in order.

        Each report gets exactly the outcome :meth:`record` would give it, one after the
        other (a later report sees what an earlier one in the batch wrote), with the same
        guarantees against concurrent writers. What a batch saves is the per-page commit: the
        durable flush on PostgreSQL, the search index's segment write on SQLite.
        The batch is atomic: if any report fails, none is recorded.

        On PostgreSQL a batch holds the locks of all its pages until it commits, so two
        writers can wait on each other; the database then aborts one of them, and that
        one's batch is retried from the start (nothing of it was written).
        """
        portal_ids = [self._portal_id(report.portal, utc(report.fetched_at)) for report in reports]
        retries = 0
        while True:
            try:
                with write_transaction(self.engine) as connection:
                    return [self._record(connection, report, portal_id) for report, portal_id in zip(reports, portal_ids)]
            except ArchiveError as exc:
                if retries == _DEADLOCK_RETRIES or not is_deadlock(exc):
                    raise
                retries += 1
                logger.info("deadlock with another writer on %s, retrying a batch of %d", describe(self.engine.url), len(reports))

    def mark_removed(self, url: str, when: dt.datetime, reason: str) -> bool:
        """Mark the document at ``url`` as removed since ``when``; ``True`` if it was present until now."""
        document_id = select(DocumentUrl.document_id).where(DocumentUrl.url == url).scalar_subquery()
        with write_transaction(self.engine) as connection:
            result = connection.execute(
                update(Document)
                .where(Document.id == document_id, Document.status == "present")
                .values(status="removed", removed_since=utc(when), removed_reason=reason)
            )
        return result.rowcount == 1

    def recheck_due(self, portal: str, now: dt.datetime) -> list[str]:
        """URLs of the portal's archived reports due for a re-fetch at ``now``, the longest unseen first.

        Policy (how soon an edit or a removal is caught, against load on small county servers):
        a report first seen in the last 60 days daily; one for the current or previous report
        year every 3 days; a removed one weekly (to notice its return); any other every 14 days.
        """
        now = utc(now)
        statement = (
            select(Document.canonical_url, Document.first_seen, Document.report_year, Document.status, Version.last_seen)
            .join(Portal, Portal.id == Document.portal_id)
            .join(Version, (Version.document_id == Document.id) & (Version.seq == Document.latest_seq))
            .where(Portal.name == portal)
        )
        with translate_errors(self.engine), self.engine.connect() as connection:
            rows = connection.execute(statement).all()
        due = [(utc(row.last_seen), row.canonical_url) for row in rows if utc(row.last_seen) + _recheck_interval(row, now) <= now]
        return [url for _, url in sorted(due)]

    # -- the record transaction -------------------------------------------------------------

    def _record(self, connection: Connection, report: ReportRecord, portal_id: int | None) -> RecordResult:
        seen = utc(report.fetched_at)
        statements = _statements(connection)
        if connection.dialect.name == "postgresql":
            # One round trip; the URL's lock is always taken before the text's.
            connection.execute(_PG_LOCKS, {"url": "url:" + report.url, "content": "content:" + report.content_hash})
        self._insert_fetch(connection, _fetch_of(report))
        current = self._current(connection, report.url)
        if current is not None and current.content_hash == report.content_hash:
            self._seen_again(connection, current, seen)
            return RecordResult(Outcome.UNCHANGED, current.document_id, current.version_id)

        stored, sig = self._store_content(connection, report, seen)
        if current is not None:
            version_id = self._add_version(connection, current.document_id, current.latest_seq + 1, report, seen)
            connection.execute(_NEW_LATEST, {"document_id": current.document_id, "seq": current.latest_seq + 1, **_describe(report, "new_")})
            search.index_document(connection, current.document_id, report.text)
            return RecordResult(Outcome.NEW_VERSION, current.document_id, version_id)

        # A text stored by this very transaction belongs to no version yet: no owner to look for.
        owner = None if stored else _first_owner(connection, report.content_hash)
        if owner is not None:
            connection.execute(statements.insert_url, {"url": report.url, "document_id": owner.document_id, "first_seen": seen})
            connection.execute(_BUMP_LAST_SEEN, {"version_id": owner.id, "seen": seen})
            return RecordResult(Outcome.DUPLICATE, owner.document_id, owner.id, duplicate_of=owner.document_id)

        near = self._near_duplicate(connection, report.content_hash, sig)
        document_id = connection.execute(
            statements.insert_document,
            {
                "portal_id": portal_id,
                "canonical_url": report.url,
                "status": "present",
                "latest_seq": 1,
                "first_seen": seen,
                "near_duplicate_of": near[0] if near else None,
                "similarity": near[1] if near else None,
                **_describe(report),
            },
        ).scalar_one()
        connection.execute(statements.insert_url, {"url": report.url, "document_id": document_id, "first_seen": seen})
        version_id = self._add_version(connection, document_id, 1, report, seen)
        search.index_document(connection, document_id, report.text, new=True)
        return RecordResult(Outcome.NEW_DOCUMENT, document_id, version_id, near_duplicate_of=near[0] if near else None)

    def _current(self, connection: Connection, url: str) -> Row | None:
        """The document at ``url`` with its latest version, row-locked on PostgreSQL."""
        locked = connection.dialect.name == "postgresql"
        return connection.execute(_CURRENT_LOCKED if locked else _CURRENT, {"url": url}).first()

    def _seen_again(self, connection: Connection, current: Row, seen: dt.datetime) -> None:
        connection.execute(_BUMP_LAST_SEEN, {"version_id": current.version_id, "seen": seen})
        if current.status != "present":
            connection.execute(
                update(Document)
                .where(Document.id == current.document_id)
                .values(status="present", removed_since=None, removed_reason=None)
            )

    def _store_content(self, connection: Connection, report: ReportRecord, seen: dt.datetime) -> tuple[bool, bytes | None]:
        """Store the text once per hash: ``(stored by this call, its MinHash signature if so)``."""
        exists = connection.execute(_CONTENT_EXISTS, {"hash": report.content_hash}).first()
        if exists is not None:
            return False, None
        sig = similarity.signature(report.text)
        inserted = connection.execute(
            _statements(connection).insert_content,
            {"hash": report.content_hash, "text": report.text, "length": len(report.text), "minhash": sig, "created_at": seen},
        ).first()
        if inserted is not None and sig is not None:
            connection.execute(_statements(connection).insert_buckets, {"hash": report.content_hash, **_band_params(sig)})
        return inserted is not None, sig if inserted is not None else None

    def _near_duplicate(self, connection: Connection, content_hash: str, sig: bytes | None) -> tuple[int, float] | None:
        """The archived document most similar to ``sig`` at or above the threshold, with its similarity."""
        if sig is None:
            return None
        mates = connection.execute(_BUCKET_MATES, _band_params(sig))
        shared = collections.Counter(hash_ for (hash_,) in mates if hash_ != content_hash)
        hashes = [hash_ for hash_, count in shared.items() if count >= similarity.MIN_SHARED_BUCKETS]
        if not hashes:
            return None
        candidates = connection.execute(_SIGNATURES, {"hashes": hashes}).all()
        match = similarity.best_match(sig, [(row.hash, row.minhash) for row in candidates], self.near_duplicate_threshold)
        if match is None:
            return None
        best, score = match
        owner = _first_owner(connection, best)
        return (owner.document_id, score) if owner is not None else None

    def _add_version(self, connection: Connection, document_id: int, seq: int, report: ReportRecord, seen: dt.datetime) -> int:
        metadata = {
            key: value
            for key, value in {"index_no": report.index_no, "doc_no": report.doc_no, "subject": report.subject, **report.metadata}.items()
            if value is not None
        }
        version_id = connection.execute(
            _statements(connection).insert_version,
            {
                "document_id": document_id,
                "seq": seq,
                "content_hash": report.content_hash,
                "url": report.url,
                "title": report.title,
                "published": report.published,
                "metadata": _jsonable(metadata),
                "run_id": report.run_id,
                "first_seen": seen,
                "last_seen": seen,
            },
        ).scalar_one()
        if report.attachments:
            connection.execute(
                _insert(connection, Attachment).on_conflict_do_nothing(),
                [
                    {
                        "version_id": version_id,
                        "url": a.url,
                        "name": a.name,
                        "type": a.type,
                        "content_hash": a.content_hash,
                        "text": a.text,
                        "status": a.status,
                    }
                    for a in report.attachments
                ],
            )
        return version_id

    def _portal_id(self, name: str | None, seen: dt.datetime) -> int | None:
        """The id of the portal called ``name``, created (committed on its own) if the crawl never announced it.

        Committed apart from the record so that a cached id never points at a rolled-back row.
        """
        if name is None:
            return None
        if name not in self._portal_ids:
            with write_transaction(self.engine) as connection:
                connection.execute(
                    _insert(connection, Portal)
                    .values(name=name, config={}, created_at=seen, updated_at=seen)
                    .on_conflict_do_nothing(index_elements=[Portal.name])
                )
                self._portal_ids[name] = connection.execute(select(Portal.id).where(Portal.name == name)).scalar_one()
        return self._portal_ids[name]

    @staticmethod
    def _insert_fetch(connection: Connection, fetch: FetchRecord) -> None:
        connection.execute(
            _statements(connection).insert_fetch,
            {
                "url": fetch.url,
                "fetched_at": utc(fetch.fetched_at),
                "run_id": fetch.run_id,
                "http_status": fetch.http_status,
                "not_modified": fetch.http_status == 304,
                "etag": fetch.etag,
                "last_modified": fetch.last_modified,
                "bytes": fetch.bytes,
                "content_hash": fetch.content_hash,
                "error": fetch.error,
            },
        )


def _insert(connection: Connection, model: type) -> Any:
    """The dialect's INSERT (with ``on_conflict_*`` and ``returning``) for ``model``."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


# Statements of the record path, built once: building a statement per call costs more than
# executing it on SQLite. Parameters are bound by name at execution.
_CURRENT = (
    select(
        Document.id.label("document_id"),
        Document.latest_seq,
        Document.status,
        Version.id.label("version_id"),
        Version.content_hash,
    )
    .join(DocumentUrl, DocumentUrl.document_id == Document.id)
    .join(Version, (Version.document_id == Document.id) & (Version.seq == Document.latest_seq))
    .where(DocumentUrl.url == bindparam("url"))
)
_CURRENT_LOCKED = _CURRENT.with_for_update(of=Document, key_share=True)
_PG_LOCKS = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(:url, 0)), pg_advisory_xact_lock(hashtextextended(:content, 0))"
)
# A new latest version: what it does not say (a NULL), the document keeps from the earlier ones.
_NEW_LATEST = (
    update(Document)
    .where(Document.id == bindparam("document_id"))
    .values(
        latest_seq=bindparam("seq"),
        status="present",
        removed_since=None,
        removed_reason=None,
        **{
            column: func.coalesce(bindparam(f"new_{column}", type_=Document.__table__.c[column].type), Document.__table__.c[column])
            for column in ("issuer", "region", "region_code", "report_year", "kind")
        },
    )
)

_CONTENT_EXISTS = select(Content.hash).where(Content.hash == bindparam("hash"))
# One equality lookup per band, not `bucket IN (...)`: each branch uses the primary key
# whatever the planner's statistics say (with none, PostgreSQL priced the IN list as a scan).
_BUCKET_MATES = union_all(
    *(select(MinhashBucket.content_hash).where(MinhashBucket.bucket == bindparam(f"b{band}")) for band in range(similarity.BANDS))
)
_SIGNATURES = select(Content.hash, Content.minhash).where(
    Content.hash.in_(bindparam("hashes", expanding=True)), Content.minhash.is_not(None)
)
# No ORDER BY or min(): without statistics (autovacuum off, a fresh database) PostgreSQL would
# walk the (document_id, seq) index hoping to meet the hash early. A text has few versions.
_VERSIONS_OF = select(Version.document_id, Version.id, Version.seq).where(Version.content_hash == bindparam("hash"))


def _band_params(sig: bytes) -> dict[str, int]:
    return {f"b{band}": bucket for band, bucket in enumerate(similarity.buckets(sig))}


def _first_owner(connection: Connection, content_hash: str) -> Row | None:
    """The version of the oldest document that has this text (its latest such version), if any."""
    rows = connection.execute(_VERSIONS_OF, {"hash": content_hash}).all()
    return min(rows, key=lambda row: (row.document_id, -row.seq), default=None)
_BUMP_LAST_SEEN = update(Version).where(Version.id == bindparam("version_id")).values(last_seen=bindparam("seen"))


_BAND_ROWS = union_all(
    *(
        select(bindparam(f"b{band}", type_=MinhashBucket.bucket.type).label("bucket"), bindparam("hash", type_=Content.hash.type))
        for band in range(similarity.BANDS)
    )
)


@dataclasses.dataclass(frozen=True)
class _DialectStatements:
    insert_content: Any
    insert_version: Any
    insert_fetch: Any
    insert_document: Any
    insert_url: Any
    insert_buckets: Any


@functools.cache
def _dialect_statements(dialect: str) -> _DialectStatements:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return _DialectStatements(
        insert_content=insert(Content).on_conflict_do_nothing(index_elements=[Content.hash]).returning(Content.hash),
        insert_version=insert(Version).returning(Version.id),
        insert_fetch=insert(Fetch),
        insert_document=insert(Document).returning(Document.id),
        insert_url=insert(DocumentUrl),
        # All bands of a signature in one statement, not an executemany of one row per band (a
        # round trip each on PostgreSQL). INSERT ... SELECT, because a multi-row VALUES cannot be
        # cached and was compiled anew on every call.
        insert_buckets=insert(MinhashBucket)
        .from_select(["bucket", "content_hash"], _BAND_ROWS)
        .on_conflict_do_nothing(),
    )


def _statements(connection: Connection) -> _DialectStatements:
    return _dialect_statements(connection.dialect.name)


def _fetch_of(report: ReportRecord) -> FetchRecord:
    return FetchRecord(
        url=report.url,
        fetched_at=report.fetched_at,
        run_id=report.run_id,
        http_status=report.http_status,
        etag=report.etag,
        last_modified=report.last_modified,
        bytes=report.bytes,
        content_hash=report.content_hash,
    )


def _describe(report: ReportRecord, prefix: str = "") -> dict[str, Any]:
    """What a document is, as its latest version says (keys prefixed with ``prefix``)."""
    return {
        prefix + "issuer": report.issuer,
        prefix + "region": report.region,
        prefix + "region_code": report.region_code,
        prefix + "report_year": report.report_year,
        prefix + "kind": report.kind,
    }


def _recheck_interval(row: Row, now: dt.datetime) -> dt.timedelta:
    if row.status != "present":
        return dt.timedelta(days=7)
    if now - utc(row.first_seen) < dt.timedelta(days=60):
        return dt.timedelta(days=1)
    if row.report_year is not None and row.report_year >= now.year - 1:
        return dt.timedelta(days=3)
    return dt.timedelta(days=14)


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with dates and other non-JSON scalars as strings, so any stats dict can be stored."""
    return {
        str(key): value if isinstance(value, (str, int, float, bool, type(None), list, dict)) else str(value)
        for key, value in values.items()
    }
