"""The archive: SQLAlchemy models, Alembic migrations, the record call and the query tools."""
