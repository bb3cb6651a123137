"""``crawler db upgrade | current | downgrade REV``: the archive's schema, by Alembic migrations only."""

from __future__ import annotations

import click

from crawler.cli.options import db_option
from storage import migrate
from storage.db import describe, make_engine
from storage.errors import ArchiveError


@click.group("db")
def db() -> None:
    """Create, inspect and migrate the archive database's schema."""


@db.command("upgrade")
@db_option
@click.option("--revision", default="head", show_default=True, help="Revision to migrate to.")
def upgrade(db_url: str | None, revision: str) -> None:
    """Create the archive or migrate it to the newest schema this code knows.

    Example: crawler db upgrade --db postgresql+psycopg://root@127.0.0.1:5432/archive
    """
    try:
        engine = make_engine(db_url)
        before = migrate.current_revision(engine)
        migrate.upgrade(engine, revision)
        after = migrate.current_revision(engine)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{describe(engine.url)}: {before or 'empty'} -> {after}")


@db.command("current")
@db_option
def current(db_url: str | None) -> None:
    """Print the database's schema revision and this code's newest one."""
    try:
        engine = make_engine(db_url)
        revision = migrate.check_revision(engine)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    head = migrate.head_revision()
    state = "up to date" if revision == head else f"behind: run `crawler db upgrade` to reach {head}"
    click.echo(f"{describe(engine.url)}: {revision or 'empty'} ({state})")


@db.command("downgrade")
@db_option
@click.argument("revision")
def downgrade(db_url: str | None, revision: str) -> None:
    """Migrate the database down to REVISION (`base` drops every table: the archive is lost).

    Example: crawler db downgrade base --db sqlite:///scratch.db
    """
    try:
        engine = make_engine(db_url)
        migrate.downgrade(engine, revision)
        after = migrate.current_revision(engine)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{describe(engine.url)}: now at {after or 'base (empty)'}")
