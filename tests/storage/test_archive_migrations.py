"""The schema is made by migrations alone, and the models agree with them on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from storage import migrate
from storage.db import make_engine
from storage.models import Base


def test_models_and_migrations_agree(empty_url: str) -> None:
    engine = make_engine(empty_url)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": migrate.include_object, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_upgrade_downgrade_and_upgrade_again(empty_url: str) -> None:
    engine = make_engine(empty_url)
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as connection:
        names = set(inspect(connection).get_table_names()) | set(inspect(connection).get_view_names())
        regions = connection.execute(text("SELECT COUNT(*) FROM regions")).scalar_one()
    assert {"documents", "versions", "contents", "fetches", "runs", "attachments", "search_index",
            "latest_versions", "coverage"} <= names
    assert regions > 2800  # every county-level division, not only the configured portals
    migrate.downgrade(engine, "base")
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        assert inspect(connection).get_view_names() == []
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()
