"""Alembic environment: runs migrations on the engine handed over by :mod:`storage.migrate`."""

from __future__ import annotations

from alembic import context

from storage.migrate import include_object
from storage.models import Base


def run_migrations() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            include_object=include_object,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
