"""Alembic, configured from inside the package so an installed archive migrates without an alembic.ini.

Only migrations create or change the schema. Code refuses to write to a database whose
revision it does not know (a newer release migrated it): silently writing rows that a newer
schema interprets differently is how archives rot.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine

from storage.db import describe, translate_errors
from storage.errors import ArchiveError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Tables and views the migrations create per dialect that have no model: autogenerate must not
# propose to drop them.
UNMODELLED = frozenset({"search_index", "alembic_version", "latest_versions", "coverage"})


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to ``engine`` (passed to ``env.py`` through ``attributes``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave the dialect-specific search index, its SQLite shadow tables and the views out of autogenerate."""
    if type_ == "table" and name is not None:
        return name not in UNMODELLED and not name.startswith("search_index_")
    return True


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    """The newest revision this code knows."""
    head = _scripts().get_current_head()
    if head is None:
        raise ArchiveError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, ``None`` when it was never migrated."""
    with translate_errors(engine), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_revision(engine: Engine) -> str | None:
    """The database's revision; :class:`ArchiveError` when it is one this code does not know (newer)."""
    revision = current_revision(engine)
    if revision is None:
        return None
    try:
        _scripts().get_revision(revision)
    except CommandError as exc:
        raise ArchiveError(
            f"the database {describe(engine.url)} is at revision {revision}, newer than this code's "
            f"{head_revision()}: upgrade the code"
        ) from exc
    return revision


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (default: the newest)."""
    check_revision(engine)
    with translate_errors(engine):
        command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to ``revision`` (``base`` removes every table)."""
    check_revision(engine)
    with translate_errors(engine):
        command.downgrade(alembic_config(engine), revision)
