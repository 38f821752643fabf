"""Alembic environment: run from code with `tools.store.db.upgrade(engine)`; the engine comes in attributes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from tools.store.models import Base

config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        raise RuntimeError("run migrations through tools.store.db.upgrade(engine)")
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        context.run_migrations()


run_migrations_online()
