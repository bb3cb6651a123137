"""One active scheduler per archive: a lock held by the daemon for its whole life.

Two daemons on one archive would start every harvest twice, so the second one started by
mistake must notice. The lock lives where the archive lives, so it holds across machines
that share a PostgreSQL database:

* PostgreSQL: a session-level advisory lock on a dedicated connection. The server drops it
  when the connection ends, so a crashed daemon never leaves a stale lock behind.
* SQLite: an exclusive ``flock`` on a lock file next to the database file. The kernel drops
  it when the process ends, for the same reason.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, Row, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from storage.db import describe
from storage.errors import ArchiveError

logger = logging.getLogger(__name__)

# The advisory lock's key, hashed to 64 bits by the server; the archive's own transaction
# locks use "url:..." and "content:..." keys, so they cannot collide with it.
ADVISORY_KEY = "fazhi-archive:scheduler-leader"
APPLICATION_NAME = "crawler schedule run"  # how the lock's connection shows in pg_stat_activity
LOCK_FILE_SUFFIX = ".scheduler.lock"


class SchedulerActive(Exception):
    """Another scheduler holds the archive's lock; the message names the database and the holder."""


class LeaderLock(Protocol):
    """What the daemon needs from a lock, whatever the backend."""

    def acquire(self) -> bool:
        """Take the lock if it is free; ``False`` (at once) when another process holds it."""

    def is_held(self) -> bool:
        """Whether this process still holds the lock (a PostgreSQL connection can drop)."""

    def release(self) -> None:
        """Let the lock go (idempotent)."""

    def holder(self) -> str:
        """Who holds the lock, for messages ("pid 123 on host h since ...")."""

    def probe(self) -> str | None:
        """Who holds the lock if another process does, else None; never takes it for long.

        For ``crawler schedule list`` and ``run-now``, which only want to tell the operator
        whether a daemon is there to run the job.
        """


def leader_lock(engine: Engine) -> LeaderLock:
    """The lock for the archive behind ``engine``: advisory on PostgreSQL, a lock file on SQLite."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise ArchiveError(f"the scheduler needs an archive in a database file, not {describe(engine.url)}")
    return FileLock(Path(database).with_name(Path(database).name + LOCK_FILE_SUFFIX))


def acquire_or_wait(lock: LeaderLock, *, standby: bool, stop: threading.Event, poll: float, database: str) -> bool:
    """Take ``lock``; without ``standby`` raise :class:`SchedulerActive` if it is held.

    With ``standby``, poll every ``poll`` seconds until the lock is free (the active daemon
    stopped or died) and return ``True``, or return ``False`` when ``stop`` is set first.
    """
    if lock.acquire():
        return True
    if not standby:
        raise SchedulerActive(
            f"another scheduler is already active on {database} ({lock.holder()}); "
            "stop it first, or start this one with --standby to take over when it stops"
        )
    logger.info("standby: another scheduler is active on %s (%s); waiting for its lock", database, lock.holder())
    while not stop.wait(poll):
        if lock.acquire():
            logger.info("standby over: took the scheduler lock on %s", database)
            return True
    return False


class FileLock:
    """An exclusive ``flock`` on a file; the file also says who holds it, for the second daemon's message."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        self._fd = fd
        return True

    def is_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def probe(self) -> str | None:
        if self._fd is not None:
            return None
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            # A shared lock conflicts only with the daemon's exclusive one, and is dropped at once.
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return self.holder()
        finally:
            os.close(fd)
        return None

    def holder(self) -> str:
        try:
            owner = self.path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            return f"lock file {self.path}: {exc.strerror}"
        return f"{owner or 'unknown process'}, lock file {self.path}"


class AdvisoryLock:
    """``pg_try_advisory_lock`` held on a dedicated connection for the daemon's life."""

    def __init__(self, engine: Engine) -> None:
        # A pool of its own, without pre-ping or recycling: this one connection *is* the lock.
        self._engine = create_engine(
            engine.url, poolclass=NullPool, connect_args={"application_name": APPLICATION_NAME, "connect_timeout": 10}
        )
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        if self._connection is not None:
            return True
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = connection.execute(text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))"), {"key": ADVISORY_KEY}).scalar_one()
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def is_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
        except DBAPIError as exc:
            logger.error("lost the scheduler lock's connection to %s: %s", describe(self._engine.url), exc.orig)
            self._connection = None
            return False
        return True

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))"), {"key": ADVISORY_KEY})
        except DBAPIError as exc:
            # The server drops a session lock with its connection anyway; nothing is left to undo.
            logger.warning("could not unlock the scheduler lock cleanly (%s); closing its connection", exc.orig)
        finally:
            self._connection.close()
            self._connection = None
            self._engine.dispose()

    def probe(self) -> str | None:
        if self._connection is not None:
            return None
        return self._describe(self._holder_row())

    def holder(self) -> str:
        try:
            return self._describe(self._holder_row()) or "holder unknown"
        except DBAPIError as exc:
            return f"holder unknown: {exc.orig}"

    def _holder_row(self) -> Row | None:
        # Advisory locks are per database; the lock's connection names itself APPLICATION_NAME.
        statement = text(
            "SELECT a.pid, a.client_addr, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = :name "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1"
        )
        with self._engine.connect() as connection:
            return connection.execute(statement, {"name": APPLICATION_NAME}).first()

    @staticmethod
    def _describe(row: Row | None) -> str | None:
        if row is None:
            return None
        return f"server backend pid {row.pid} for client {row.client_addr or 'local socket'} since {row.backend_start:%Y-%m-%d %H:%M:%S %Z}"
