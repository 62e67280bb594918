"""Alembic environment: runs the migrations against the URL the caller configured."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from services.models import Base

config = context.config

connectable = engine_from_config(
    config.get_section(config.config_ini_section) or {},
    prefix="sqlalchemy.",
    poolclass=pool.NullPool,
    future=True,
    hide_parameters=True,  # a failed migration must not print personal data
)
with connectable.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
