"""Conditions an operator must fix give one clear ArchiveError naming the database."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from storage.archive import Archive
from storage.db import make_engine
from storage.errors import ArchiveError
from tests.storage.builders import report, report_text


@pytest.mark.parametrize("url", ["not a database url", "sqlite:/relative-with-one-slash", "mysql://root@127.0.0.1/test"])
def test_malformed_or_unsupported_url_names_the_url(url: str) -> None:
    with pytest.raises(ArchiveError, match="database URL") as caught:
        engine = make_engine(url)
        Archive(engine).upgrade()
    assert url.split("//")[-1].split("@")[-1] in str(caught.value) or url in str(caught.value)


@pytest.mark.postgres
def test_unreachable_server_names_the_server() -> None:
    engine = make_engine("postgresql+psycopg://root:secret@127.0.0.1:1/test")
    with pytest.raises(ArchiveError, match=r"cannot reach the database postgresql\+psycopg://root:\*\*\*@127.0.0.1:1/test"):
        Archive(engine).upgrade()


def test_database_newer_than_the_code_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed9999'"))
    with pytest.raises(ArchiveError, match="at revision f00dfeed9999, newer than this code's .*: upgrade the code"):
        Archive(engine).upgrade()
    with pytest.raises(ArchiveError, match="newer than this code"):
        Archive(engine).check_schema()


def test_unmigrated_database_is_refused_by_readers(empty_url: str) -> None:
    engine = make_engine(empty_url)
    with pytest.raises(ArchiveError, match=r"revision none \(empty\).*run `crawler db upgrade`"):
        Archive(engine).check_schema()
    engine.dispose()


def test_locked_sqlite_file_gives_a_clear_error(tmp_path: Path, templates: dict[str, str]) -> None:
    path = tmp_path / "archive.db"
    shutil.copy(templates["sqlite"], path)
    db_url = f"sqlite:///{path}"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        archive = Archive(make_engine(db_url, busy_timeout=0.2))
        with pytest.raises(ArchiveError, match=f"the archive sqlite:///{path} is locked by another process"):
            archive.record(report("http://127.1.0.1/a.html", report_text("汉台区")))
    finally:
        holder.rollback()
        holder.close()


def test_read_only_sqlite_file_gives_a_clear_error(tmp_path: Path, templates: dict[str, str]) -> None:
    path = tmp_path / "archive.db"
    shutil.copy(templates["sqlite"], path)
    # Opened read-only through a URI: root (the CI user) can write any file, so chmod proves nothing.
    archive = Archive(make_engine(f"sqlite:///file:{path}?mode=ro&uri=true"))
    with pytest.raises(ArchiveError, match=f"the archive .*{path}.* is read-only"):
        archive.record(report("http://127.1.0.1/a.html", report_text("汉台区")))
