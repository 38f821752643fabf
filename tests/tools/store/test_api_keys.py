"""Staff and admin API keys on SQLite and PostgreSQL: shown once, stored hashed, verified, revoked."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from minfu.errors import InvalidInputError
from tools.store.api_keys import ApiKeyStore, key_hash
from tools.store.db import SessionFactory
from tools.store.errors import NotFoundError
from tools.store.models import ApiKeyRow

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def store(sessions: SessionFactory) -> ApiKeyStore:
    return ApiKeyStore(sessions, clock=lambda: T0)


def test_create_returns_the_key_once_and_stores_only_its_hash(store: ApiKeyStore, sessions: SessionFactory) -> None:
    record, key = store.create(" 帮办张三 ", "staff")
    assert key.startswith("mk_") and len(key) > 40
    assert record.key_prefix == key[:8] and record.name == "帮办张三" and record.role == "staff"
    assert record.created_at == T0 and not record.revoked
    with sessions() as session:
        row = session.scalars(select(ApiKeyRow)).one()
    assert row.key_hash == key_hash(key) and key not in (row.key_hash, row.key_prefix, row.name)


def test_verify_accepts_the_key_and_nothing_close_to_it(store: ApiKeyStore) -> None:
    record, key = store.create("管理员", "admin")
    assert store.verify(key) == record
    assert store.verify(key[:-1]) is None
    assert store.verify(key + "x") is None
    assert store.verify(key[:8] + "A" * (len(key) - 8)) is None
    assert store.verify("") is None
    assert store.verify("mk_" + "x" * 500) is None
    assert store.verify(key.replace("mk_", "xx_", 1)) is None


def test_revoked_keys_no_longer_verify(store: ApiKeyStore) -> None:
    record, key = store.create("帮办", "staff")
    other, other_key = store.create("帮办二", "staff")
    revoked = store.revoke(record.key_prefix)
    assert revoked.revoked_at == T0 and revoked.revoked
    assert store.verify(key) is None
    assert store.verify(other_key) == other
    assert store.revoke(record.key_prefix).revoked_at == T0
    assert [k.revoked for k in store.list_all()] == [True, False]


def test_revoking_an_unknown_prefix_is_not_found(store: ApiKeyStore) -> None:
    with pytest.raises(NotFoundError):
        store.revoke("mk_nope0")


def test_admin_grants_staff_but_not_the_reverse(store: ApiKeyStore) -> None:
    admin, _ = store.create("管理员", "admin")
    staff, _ = store.create("帮办", "staff")
    assert admin.grants("staff") and admin.grants("admin")
    assert staff.grants("staff") and not staff.grants("admin")


@pytest.mark.parametrize(("name", "role", "field"), [("帮办", "root", "role"), (" ", "staff", "name"),
                                                     ("x" * 101, "admin", "name")])  # fmt: skip
def test_bad_input_is_refused(store: ApiKeyStore, name: str, role: str, field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        store.create(name, role)
    assert caught.value.field == field
    assert store.list_all() == []


def test_many_keys_have_distinct_prefixes(store: ApiKeyStore) -> None:
    keys = [store.create(f"k{i}", "staff")[1] for i in range(30)]
    assert len({k[:8] for k in keys}) == 30
    assert all(store.verify(k) is not None for k in keys)
