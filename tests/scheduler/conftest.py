"""Fixtures of the scheduler tests: a small private farm, its portal configs, migrated archives.

The farm is private (1 county portal and its city portal) so a harvest takes seconds and the
session farm's other users are not disturbed; archives are copies of one migrated template.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.archive import Archive
from storage.db import make_engine
from tests.farm import RunningFarm, running_farm
from tests.storage.conftest import PostgresServer


@pytest.fixture(scope="package")
def small_farm() -> Iterator[RunningFarm]:
    with running_farm(portals=1, seed=3, night=0) as farm:
        yield farm


@pytest.fixture
def portals_dir(small_farm: RunningFarm, tmp_path: Path) -> Path:
    """The small farm's portal configs, in a directory the test may edit."""
    directory = tmp_path / "portals"
    small_farm.write_portals(directory)
    return directory


@pytest.fixture(scope="package")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scheduler-template") / "archive.db"
    engine = make_engine(f"sqlite:///{path}")
    Archive(engine).upgrade()
    engine.dispose()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated, empty SQLite archive of this test."""
    target = tmp_path / "data" / "archive.db"
    target.parent.mkdir()
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="package")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.drop_all()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """A fresh PostgreSQL database of this test (the daemon migrates it)."""
    return pg_server.url(pg_server.create())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated-or-empty archive on each backend."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")



@pytest.fixture
def county(portals_dir: Path) -> Path:
    """The config of the farm's county portal (the one that lists reports; its city portal lists none)."""
    (path,) = [p for p in portals_dir.glob("*.toml") if not p.stem.startswith("sim_city_")]
    return path
