"""Fixtures that run every archive test on SQLite and on the real PostgreSQL at 127.0.0.1:5432.

PostgreSQL: the server trusts local connections; the role is ``root`` where it exists, else
``postgres`` (both are tried in that order). Each test gets its own database, cloned from a
migrated template created once per session, and every database made here is dropped at the end.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql
import pytest
from sqlalchemy import Engine

from storage.archive import Archive
from storage.db import make_engine

PG_ROLES = ("root", "postgres")
PG_HOST = "127.0.0.1:5432"


class PostgresServer:
    """Creates and drops scratch databases through the ``test`` database."""

    def __init__(self) -> None:
        self.role = self._find_role()
        self.prefix = f"fz_{os.getpid()}_{secrets.token_hex(3)}"
        self.counter = itertools.count()
        self.created: list[str] = []

    @staticmethod
    def _find_role() -> str:
        errors = []
        for role in PG_ROLES:
            try:
                with psycopg.connect(f"host=127.0.0.1 port=5432 dbname=test user={role}", connect_timeout=5):
                    return role
            except psycopg.OperationalError as exc:
                errors.append(f"{role}: {exc}")
        raise RuntimeError("no PostgreSQL role works on 127.0.0.1:5432: " + "; ".join(errors))

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://{self.role}@{PG_HOST}/{name}"

    def _admin(self, statement: sql.Composable) -> None:
        with psycopg.connect(f"host=127.0.0.1 port=5432 dbname=test user={self.role}", autocommit=True) as conn:
            conn.execute(statement)

    def create(self, template: str | None = None) -> str:
        name = f"{self.prefix}_{next(self.counter)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        self._admin(statement)
        self.created.append(name)
        return name

    def drop_all(self) -> None:
        for name in reversed(self.created):
            self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def templates(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated database per backend, to copy for each test (migrating per test would dominate the run)."""
    sqlite_file = tmp_path_factory.mktemp("template") / "archive.db"
    pg_name = postgres.create()
    for url in (f"sqlite:///{sqlite_file}", postgres.url(pg_name)):
        engine = make_engine(url)
        Archive(engine).upgrade()
        engine.dispose()
    return {"sqlite": str(sqlite_file), "postgresql": pg_name}


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty (never migrated) database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'archive.db'}"
    postgres: PostgresServer = request.getfixturevalue("postgres")
    return postgres.url(postgres.create())


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, templates: dict[str, str]) -> str:
    """The URL of a migrated, empty archive on each backend."""
    if request.param == "sqlite":
        target = tmp_path / "archive.db"
        shutil.copy(templates["sqlite"], target)
        return f"sqlite:///{target}"
    postgres: PostgresServer = request.getfixturevalue("postgres")
    return postgres.url(postgres.create(template=templates["postgresql"]))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def archive(engine: Engine) -> Archive:
    return Archive(engine)
