import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from minfu.errors import ConfigurationError
from tools.store import make_engine, upgrade
from tools.store.db import current_revision
from tools.store.models import Base

TABLES = {
    "matters", "matter_materials", "matter_events", "tickets", "ticket_replies",
    "places", "service_windows", "slots", "bookings", "investment_leads",
    "conversation_checkpoints", "conversation_writes", "sites", "api_keys", "audit_events", "conversations", "feedback",
    "handoffs", "curated_answers", "chat_turns",
}  # fmt: skip


def test_upgrade_from_empty_creates_all_tables_and_is_idempotent(engine: Engine) -> None:
    assert current_revision(engine) is None
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == "0008"
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_migration_matches_the_models(engine: Engine) -> None:
    upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_sqlite_engine_has_foreign_keys_and_wal(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.sqlite'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    engine.dispose()


@pytest.mark.parametrize("url", ["postgresql+psycopg2://u@h/db", "mysql+pymysql://u@h/db"])
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        make_engine(url)
