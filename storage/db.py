"""Engines for the archive: the SQLite default under a data directory, or PostgreSQL by URL.

A crawl, the scheduler and an analyst's reader use the same SQLite file at once, so every
SQLite connection gets WAL journaling (readers never block the writer), a busy timeout
(writers queue instead of failing at once) and foreign keys. Writers open their transactions
with ``BEGIN IMMEDIATE`` (see :func:`write_transaction`) so two crawls serialize on the
write lock up front instead of deadlocking on a lock upgrade halfway through a record.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from storage.errors import ArchiveError

logger = logging.getLogger(__name__)

DEFAULT_DATA_DIR = "data"
DEFAULT_FILE_NAME = "archive.db"
DEFAULT_BUSY_TIMEOUT = 30.0  # seconds a SQLite writer waits for the lock before giving up


def default_url() -> str:
    """``$CRAWLER_DB_URL``, else ``sqlite:///$CRAWLER_DATA_DIR/archive.db`` (data dir default ``./data``)."""
    if url := os.environ.get("CRAWLER_DB_URL"):
        return url
    data_dir = Path(os.environ.get("CRAWLER_DATA_DIR", DEFAULT_DATA_DIR))
    return f"sqlite:///{data_dir / DEFAULT_FILE_NAME}"


def describe(url: URL | str) -> str:
    """The URL as shown in messages: password hidden."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except ArgumentError:
            return url
    return url.render_as_string(hide_password=True)


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ArchiveError(f"malformed database URL {url!r}: expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB") from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ArchiveError(f"unsupported database URL {describe(parsed)}: use sqlite:///PATH or postgresql+psycopg://...")
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # psycopg 3 is the driver the project ships; plain postgresql:// would ask for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str | None = None, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Engine:
    """Create the archive's engine for ``url`` (``None``: :func:`default_url`).

    For a SQLite file the parent directory is created, and each connection is set up for
    concurrent use (WAL, busy timeout, foreign keys, ``synchronous=NORMAL``). A malformed or
    unsupported URL raises :class:`ArchiveError` naming it. ``busy_timeout`` is how long a
    SQLite writer waits for another writer's lock.
    """
    parsed = _parse(url or default_url())
    if parsed.get_backend_name() == "sqlite":
        if (path := _sqlite_file(parsed)) is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ArchiveError(f"cannot create the data directory {path.parent} for {describe(parsed)}: {exc.strerror}") from exc
        engine = create_engine(parsed, connect_args={"timeout": busy_timeout})
        event.listen(engine, "connect", functools.partial(_configure_sqlite, busy_timeout_ms=int(busy_timeout * 1000)))
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    try:
        # psycopg prepares a statement run five times; PostgreSQL may then reuse a generic plan
        # that cannot see the values (`:region IS NULL OR ...`, a list of LSH buckets) and
        # scans whole tables. Our statements are cheap to plan, so always plan with the values.
        connect_args = {"connect_timeout": 10, "options": "-c plan_cache_mode=force_custom_plan"}
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except NoSuchModuleError as exc:
        raise ArchiveError(f"no driver for database URL {describe(parsed)}") from exc


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _record: object, *, busy_timeout_ms: int) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _begin_sqlite) instead of pysqlite's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms:d}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            # A read-only file cannot switch journal mode; reads still work, writes fail clearly later.
            logger.warning("could not enable WAL: %s", exc)
    finally:
        cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    mode = connection.info.get("begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: ``BEGIN IMMEDIATE`` on SQLite, an ordinary one on PostgreSQL.

    On SQLite the write lock is taken at the start, so concurrent writers wait in the busy
    timeout rather than both reading and then one failing to upgrade its lock. Database
    errors leave as :class:`ArchiveError` naming the database.
    """
    with translate_errors(engine):
        with engine.connect() as connection:
            connection.info["begin"] = "IMMEDIATE"
            try:
                with connection.begin():
                    if connection.dialect.name == "postgresql":
                        connection.execute(_SERIAL_PLANS)
                    yield connection
            finally:
                connection.info.pop("begin", None)


# Writes look up a handful of rows by key. Without fresh statistics (a new or fast-growing
# table, autovacuum behind) PostgreSQL may plan such a lookup as a parallel scan, and starting
# the workers costs several milliseconds per statement: the LSH bucket lookup went from 0.1 to
# 5 ms on a 3,000-document archive. Write transactions therefore plan serially.
_SERIAL_PLANS = text("SET LOCAL max_parallel_workers_per_gather = 0")


@contextlib.contextmanager
def translate_errors(engine: Engine) -> Iterator[None]:
    """Turn driver errors an operator must fix (locked, read-only, unreachable) into :class:`ArchiveError`."""
    try:
        yield
    except OperationalError as exc:
        raise ArchiveError(_explain(engine, exc)) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise ArchiveError(f"lost the connection to {describe(engine.url)}: {exc.orig}") from exc
        raise


def is_deadlock(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) is PostgreSQL aborting a transaction to break a deadlock.

    Such a transaction was rolled back whole, so it can simply be run again.
    """
    while exc is not None:
        if getattr(getattr(exc, "orig", None), "sqlstate", None) == _PG_DEADLOCK_DETECTED:
            return True
        exc = exc.__cause__
    return False


_PG_DEADLOCK_DETECTED = "40P01"


def _explain(engine: Engine, exc: OperationalError) -> str:
    where = describe(engine.url)
    message = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    if engine.dialect.name == "sqlite":
        if "readonly" in message or "read-only" in message:
            return f"the archive {where} is read-only ({message}): check the file's and directory's permissions"
        if "locked" in message or "busy" in message:
            return f"the archive {where} is locked by another process ({message}): another writer held it longer than the busy timeout"
        if "unable to open" in message:
            return f"cannot open the archive {where} ({message}): check the path and permissions"
    elif "connect" in message or "connection" in message:
        return f"cannot reach the database {where}: {message}"
    return f"database error on {where}: {message}"
