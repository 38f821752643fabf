"""Embedding sites on SQLite and PostgreSQL: keys, origin allowlists, the secret shown once, disabling."""

from datetime import UTC, datetime

import pytest

from minfu.errors import InvalidInputError
from tools.store.db import SessionFactory
from tools.store.errors import NotFoundError
from tools.store.sites import SiteStore, normalize_origin

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def store(sessions: SessionFactory) -> SiteStore:
    return SiteStore(sessions, clock=lambda: T0)


def test_create_gives_a_public_key_and_a_secret_once(store: SiteStore) -> None:
    site, secret = store.create(
        " 闵行区企业服务网 ", ["https://QYFW.minhang.gov.cn/", "https://qyfw.minhang.gov.cn:443"]
    )
    assert site.site_key.startswith("site_") and len(site.site_key) > 12
    assert site.name == "闵行区企业服务网" and site.created_at == T0 and not site.disabled
    assert site.allowed_origins == ("https://qyfw.minhang.gov.cn",)
    assert len(secret) >= 32 and secret not in repr(site)
    loaded = store.get_by_key(site.site_key)
    assert loaded == site and loaded.portal_secret == secret


def test_two_sites_get_different_keys_and_secrets(store: SiteStore) -> None:
    (a, secret_a), (b, secret_b) = store.create("A", ["http://a.example"]), store.create("B", ["http://b.example"])
    assert a.site_key != b.site_key and secret_a != secret_b
    assert [s.site_key for s in store.list_all()] == [a.site_key, b.site_key]


def test_allows_only_the_listed_origins(store: SiteStore) -> None:
    site, _ = store.create("A", ["http://127.0.0.1:8000", "https://portal.example"])
    assert site.allows_origin("http://127.0.0.1:8000")
    assert site.allows_origin("https://PORTAL.example:443")
    assert not site.allows_origin("http://127.0.0.1:8001")
    assert not site.allows_origin("http://portal.example")
    assert not site.allows_origin("https://portal.example.evil.cn")
    assert not site.allows_origin("null")


@pytest.mark.parametrize(
    "origins",
    [[], ["portal.example"], ["ftp://portal.example"], ["https://portal.example/page"], ["https://u:p@portal.example"],
     ["https://portal.example:99999"], "https://portal.example"],
)  # fmt: skip
def test_bad_origins_are_refused(store: SiteStore, origins: list[str]) -> None:
    with pytest.raises(InvalidInputError) as caught:
        store.create("A", origins)
    assert caught.value.field == "allowed_origins"
    assert store.list_all() == []


def test_normalize_origin_keeps_ports_and_ipv6() -> None:
    assert normalize_origin("http://LOCALHOST:8000") == "http://localhost:8000"
    assert normalize_origin("http://[::1]:8000") == "http://[::1]:8000"
    assert normalize_origin("http://example.cn:80") == "http://example.cn"


def test_disable_is_kept_and_repeatable(store: SiteStore) -> None:
    site, _ = store.create("A", ["http://a.example"])
    assert store.disable(site.site_key).disabled
    assert store.disable(site.site_key).disabled
    loaded = store.get_by_key(site.site_key)
    assert loaded is not None and loaded.disabled
    with pytest.raises(NotFoundError):
        store.disable("site_missing")


def test_unknown_key_is_none(store: SiteStore) -> None:
    assert store.get_by_key("site_nope") is None


def test_ensure_creates_then_updates_without_reenabling(store: SiteStore) -> None:
    secret = "s" * 40
    created = store.ensure("site_dev", "开发站点", ["http://127.0.0.1:8000"], secret)
    assert created.site_key == "site_dev" and created.portal_secret == secret
    store.disable("site_dev")
    updated = store.ensure("site_dev", "开发站点", ["http://localhost:8000"], "t" * 40)
    assert updated.allowed_origins == ("http://localhost:8000",) and updated.portal_secret == "t" * 40
    assert updated.disabled
    assert len(store.list_all()) == 1


@pytest.mark.parametrize(("key", "secret"), [("dev", "s" * 40), ("site_", "s" * 40), ("site_a b", "s" * 40),
                                             ("site_dev", "short")])  # fmt: skip
def test_ensure_checks_key_and_secret(store: SiteStore, key: str, secret: str) -> None:
    with pytest.raises(InvalidInputError):
        store.ensure(key, "开发站点", ["http://127.0.0.1:8000"], secret)
