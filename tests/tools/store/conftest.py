"""Every store test runs twice: on a fresh SQLite file and on a fresh PostgreSQL schema.

PostgreSQL comes from MINFU_TEST_PG_URL (default: the local server, database `test`); its tests are skipped, with
the reason, only when the server cannot be reached.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from tools.store import make_engine, session_factory, upgrade
from tools.store.common import Contact
from tools.store.db import SessionFactory
from tools.store.uscc import check_char

PG_URL = os.environ.get("MINFU_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def make_uscc(n: int) -> str:
    """A valid code for a made-up Minhang (310112) enterprise number `n`."""
    first17 = f"91310112MA1{n:06d}"
    return first17 + check_char(first17)


A = make_uscc(1)
B = make_uscc(2)
CONTACT = Contact(name="张三", phone="13800138000")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
        yield engine
        engine.dispose()
    else:
        yield from _postgres_schema()


def _postgres_schema() -> Iterator[Engine]:
    admin = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc.orig}")
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}", pool_size=10, max_overflow=20)
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def sessions(engine: Engine) -> SessionFactory:
    upgrade(engine)
    return session_factory(engine)
