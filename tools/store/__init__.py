"""The relational store: matters (办件), 诉求 tickets and appointments, on SQLite or PostgreSQL.

Build an engine with `make_engine(url)`, run `upgrade(engine)` once, then hand `session_factory(engine)` to the
stores. Every store method is one transaction and returns plain frozen dataclasses, never live ORM rows.
"""

from tools.store.db import make_engine, session_factory, upgrade

__all__ = ["make_engine", "session_factory", "upgrade"]
