"""Alembic environment: runs migrations against the URL that store.migrate() configured."""
from alembic import context
from sqlalchemy import create_engine

from store.models import Base

url = context.config.get_main_option("sqlalchemy.url")
engine = create_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # web and worker may start together on an empty database: migrate one at a time
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(740553101)")
        context.run_migrations()
engine.dispose()
