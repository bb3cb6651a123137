"""Fixtures of the scale-out tests: a scratch PostgreSQL archive, a private Redis key prefix, and a
cluster of real ``crawler crawl --redis`` / ``crawler worker`` processes crawling the farm.

Every process is a child, as in production (one reactor per process, and one can be killed with
-9); each worker has its own HTTP cache directory, as each machine of a deployment has.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg import sql
from sqlalchemy import Engine, func, select

from storage.models import Document, Fetch, Version
from tests.crawl.conftest import CRAWL_TIMEOUT, CRAWLER, Workspace, as_of

PG_ROLES = ("root", "postgres")
REDIS_URL = "redis://127.0.0.1:6379"
LEASE_TTL = 10.0  # seconds: a killed worker's portals go to another after this; longer than any reactor stall


def _admin_role() -> str:
    for role in PG_ROLES:
        try:
            with psycopg.connect(f"host=127.0.0.1 port=5432 dbname=test user={role}", connect_timeout=5):
                return role
        except psycopg.OperationalError:
            continue
    raise RuntimeError(f"no PostgreSQL role of {PG_ROLES} can connect to 127.0.0.1:5432/test")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A scratch database on the local PostgreSQL, dropped afterwards."""
    role = _admin_role()
    name = f"fz_crawl_{secrets.token_hex(4)}"
    admin = f"host=127.0.0.1 port=5432 dbname=test user={role}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgresql+psycopg://{role}@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix of this test only; its keys are deleted afterwards."""
    prefix = f"fztest-{secrets.token_hex(4)}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = client.keys(f"{prefix}:*")
    if keys:
        client.delete(*keys)


@dataclass
class Cluster:
    """The processes of one distributed deployment on this machine, and their archive."""

    workspace: Workspace
    db_url: str
    prefix: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(REDIS_URL)

    def _common(self, cache: str) -> list[str]:
        return ["--db", self.db_url, "--redis", REDIS_URL, "--redis-prefix", self.prefix,
                "--portals-dir", str(self.workspace.portals_dir), "--cache-dir", str(self.workspace.root / cache),
                "--json"]

    def seed(self, night: int, *args: str) -> subprocess.Popen:
        """``crawler crawl --all --redis``: seeds the run of ``night`` and works on it."""
        command = [CRAWLER, "crawl", "--all", *self._common("cache-seeder"), "--as-of", as_of(night),
                   "--lease-ttl", str(LEASE_TTL), *args]
        return self._start(command)

    def worker(self, name: str, *args: str) -> subprocess.Popen:
        """``crawler worker``: joins the current run (its cache is its own, as on another machine)."""
        command = [CRAWLER, "worker", *self._common(f"cache-{name}"), "--lease-ttl", str(LEASE_TTL), *args]
        return self._start(command)

    def _start(self, command: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.processes.append(process)
        return process

    def wait_for_run(self, timeout: float = 60) -> int:
        """The id of the run once it is current in Redis (seeded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if run_id := self.redis.get(f"{self.prefix}:current"):
                return int(run_id)
            time.sleep(0.05)
        raise AssertionError(f"no run became current under {self.prefix} in {timeout} s")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def finish(process: subprocess.Popen) -> dict:
    """Wait for a crawl or worker process; its ``--json`` summary."""
    out, err = process.communicate(timeout=CRAWL_TIMEOUT)
    assert process.returncode == 0, err[-4000:]
    return json.loads(out)


@pytest.fixture
def cluster(workspace: Workspace, postgres_url: str, redis_prefix: str) -> Iterator[Cluster]:
    running = Cluster(workspace, postgres_url, redis_prefix)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


def archive_snapshot(engine: Engine) -> dict:
    """What a crawl left in the archive, free of ids and clocks: documents, versions, removals."""
    with engine.connect() as connection:
        documents = {url: (status, seq) for url, status, seq in connection.execute(
            select(Document.canonical_url, Document.status, Document.latest_seq))}
        versions = sorted(connection.execute(
            select(Document.canonical_url, Version.seq, Version.content_hash, Version.url)
            .join(Version, Version.document_id == Document.id)).all())
        removals = {url: reason for url, reason in connection.execute(
            select(Document.canonical_url, Document.removed_reason).where(Document.status == "removed"))}
    return {"documents": documents, "versions": [tuple(v) for v in versions], "removals": removals}


def duplicate_fetches(engine: Engine) -> list[tuple]:
    """Fetch rows recorded twice for one response (same URL, same crawl, same instant)."""
    with engine.connect() as connection:
        return connection.execute(
            select(Fetch.url, Fetch.run_id, Fetch.fetched_at, func.count())
            .group_by(Fetch.url, Fetch.run_id, Fetch.fetched_at).having(func.count() > 1)).all()
