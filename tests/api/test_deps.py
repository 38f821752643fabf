"""The identity dependencies behind probe routes: site keys and origins, enterprise tokens, staff and admin keys."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.deps import AdminDep, EnterpriseDep, EnterpriseRequiredDep, SiteDep, StaffDep
from api.errors import install_error_handlers
from api.identity import IdentityStores, issue_token, open_identity
from minfu.settings import Settings
from tools.store import make_engine, session_factory, upgrade
from tools.store.common import Contact
from tools.store.matters import MatterStore
from tools.store.uscc import check_char

A = "91310112MA1000001" + check_char("91310112MA1000001")
B = "91310112MA1000002" + check_char("91310112MA1000002")
ORIGIN = "https://qyfw.example.gov.cn"


def _probe_app(stores: IdentityStores, matters: MatterStore) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.state.identity = stores

    @app.get("/site")
    def site_probe(site: SiteDep) -> dict[str, str]:
        return {"site": site.site_key}

    @app.get("/me")
    def me(enterprise: EnterpriseDep) -> dict[str, Any]:
        return {"enterprise": None if enterprise is None else enterprise.__dict__}

    @app.post("/matters/{number}/submit")
    def submit(number: str, enterprise: EnterpriseRequiredDep) -> dict[str, str]:
        return {"state": matters.submit(number, enterprise.uscc).state.value}

    @app.get("/staff")
    def staff(key: StaffDep) -> dict[str, str]:
        return {"name": key.name, "role": key.role}

    @app.get("/admin")
    def admin(key: AdminDep) -> dict[str, str]:
        return {"name": key.name}

    return app


class World:
    def __init__(self, tmp_path: Path) -> None:
        engine = make_engine(f"sqlite:///{tmp_path / 'minfu.sqlite'}")
        upgrade(engine)
        sessions = session_factory(engine)
        self.stores = open_identity(Settings(environment="test"), sessions)
        self.site, self.secret = self.stores.sites.create("闵行企业服务网", [ORIGIN])
        self.other_site, self.other_secret = self.stores.sites.create("另一门户", ["https://other.example"])
        self.matters = MatterStore(sessions)
        self.client = TestClient(_probe_app(self.stores, self.matters))

    def token(self, uscc: str = A, **overrides: Any) -> str:
        return issue_token(self.site.site_key, self.secret, uscc=uscc, name="上海某某科技有限公司", **overrides)

    def get(self, path: str, token: str | None = None, **headers: str) -> Any:
        sent = {"X-Site-Key": self.site.site_key, "Origin": ORIGIN} | headers
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return self.client.get(path, headers=sent)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield World(tmp_path)


def _refused(response: Any, status: int, code: str, field: str) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.status_code == status, body
    assert body["error"] == code and body["fields"][0]["field"] == field
    assert any("\u4e00" <= char <= "\u9fff" for char in body["message"])  # Chinese
    assert "Traceback" not in response.text
    return body


def test_a_known_site_from_an_allowed_origin_passes(world: World) -> None:
    assert world.get("/site").json() == {"site": world.site.site_key}
    assert world.client.get("/site", headers={"X-Site-Key": world.site.site_key}).status_code == 200  # no Origin


def test_missing_unknown_and_disabled_site_keys_are_401(world: World) -> None:
    _refused(world.client.get("/site"), 401, "site_key_required", "X-Site-Key")
    _refused(world.get("/site", **{"X-Site-Key": "site_unknown"}), 401, "unknown_site", "X-Site-Key")
    world.stores.sites.disable(world.site.site_key)
    _refused(world.get("/site"), 401, "unknown_site", "X-Site-Key")


@pytest.mark.parametrize("origin", ["https://evil.example", "http://qyfw.example.gov.cn", "null"])
def test_a_disallowed_origin_is_403(world: World, origin: str) -> None:
    _refused(world.get("/site", Origin=origin), 403, "origin_not_allowed", "Origin")


def test_no_token_is_anonymous_and_a_valid_token_is_the_enterprise(world: World) -> None:
    assert world.get("/me").json() == {"enterprise": None}
    token = world.token(uscc=A.lower(), contact_name="张三", contact_phone="13800138000")
    assert world.get("/me", token).json()["enterprise"] == {
        "uscc": A, "name": "上海某某科技有限公司", "contact_name": "张三", "contact_phone": "13800138000"
    }  # fmt: skip


def test_expired_token_is_401_asking_to_log_in_again(world: World) -> None:
    old = world.token(now=datetime.now(UTC) - timedelta(hours=3), lifetime=timedelta(hours=2))
    body = _refused(world.get("/me", old), 401, "token_expired", "Authorization")
    assert "过期" in body["message"]


def _signed(world: World, secret: str, **claims: Any) -> str:
    now = int(datetime.now(UTC).timestamp())
    payload = {"site": world.site.site_key, "uscc": A, "name": "某公司", "iat": now, "exp": now + 600} | claims
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm="HS256")


@pytest.mark.parametrize(
    ("make_token", "words"),
    [
        (lambda w: _signed(w, "x" * 43), "签名"),  # forged: signed with a guessed secret
        (lambda w: _signed(w, w.other_secret, site=w.other_site.site_key), "签名"),  # another site's token
        (lambda w: _signed(w, w.secret, site=w.other_site.site_key), "本站点"),  # our secret, another site named
        (lambda w: _signed(w, w.secret, uscc=None), "uscc"),
        (lambda w: _signed(w, w.secret, exp=None), "exp"),
        (lambda w: _signed(w, w.secret, uscc="91310112MA10000010"), "统一社会信用代码"),
        (lambda w: _signed(w, w.secret, name=""), "name"),
        (lambda w: _signed(w, w.secret, exp=int(datetime.now(UTC).timestamp()) + 13 * 3600), "12 小时"),
        (lambda w: _signed(w, w.secret, iat=int(datetime.now(UTC).timestamp()) + 3600), "签发时间"),
        (lambda w: _signed(w, w.secret, exp="tomorrow"), "无效"),
        (lambda w: w.token()[:-3], "签名"),
        (lambda w: "not.a.token", "无效"),
        (lambda w: jwt.encode({"site": w.site.site_key, "uscc": A, "name": "x"}, None, algorithm="none"), "无效"),
    ],
)
def test_bad_tokens_are_401_in_chinese(world: World, make_token: Any, words: str) -> None:
    body = _refused(world.get("/me", make_token(world)), 401, "invalid_token", "Authorization")
    assert words in body["message"]


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "token"])
def test_a_malformed_authorization_header_is_401(world: World, authorization: str) -> None:
    _refused(world.get("/me", Authorization=authorization), 401, "invalid_token", "Authorization")


def test_a_token_is_checked_against_the_request_site(world: World) -> None:
    token = issue_token(world.other_site.site_key, world.other_secret, uscc=A, name="某公司")
    headers = {"X-Site-Key": world.other_site.site_key, "Origin": "https://other.example"}
    assert world.get("/me", token, **headers).json()["enterprise"]["uscc"] == A
    _refused(world.get("/me", token), 401, "invalid_token", "Authorization")


def test_someone_elses_matter_answers_404_like_a_missing_one(world: World) -> None:
    matter = world.matters.create(
        A, "SP-001", "食品经营许可", [("营业执照", False)], Contact("张三", "13800138000"), "k"
    )
    headers = {"X-Site-Key": world.site.site_key, "Authorization": f"Bearer {world.token(uscc=B)}"}
    others = world.client.post(f"/matters/{matter.number}/submit", headers=headers)
    missing = world.client.post("/matters/MH20260101-999999/submit", headers=headers)
    assert others.status_code == missing.status_code == 404
    assert others.json()["error"] == missing.json()["error"] == "not_found"
    headers["Authorization"] = f"Bearer {world.token(uscc=A)}"
    assert world.client.post(f"/matters/{matter.number}/submit", headers=headers).status_code == 200


def test_a_route_that_needs_an_enterprise_refuses_anonymous_callers(world: World) -> None:
    response = world.client.post("/matters/MH20260101-000001/submit", headers={"X-Site-Key": world.site.site_key})
    _refused(response, 401, "login_required", "Authorization")


def test_staff_and_admin_keys(world: World) -> None:
    _, staff_key = world.stores.api_keys.create("帮办张三", "staff")
    _, admin_key = world.stores.api_keys.create("管理员", "admin")
    assert world.client.get("/staff", headers={"X-API-Key": staff_key}).json() == {"name": "帮办张三", "role": "staff"}
    assert world.client.get("/staff", headers={"X-API-Key": admin_key}).json()["role"] == "admin"
    assert world.client.get("/admin", headers={"X-API-Key": admin_key}).json() == {"name": "管理员"}
    _refused(world.client.get("/admin", headers={"X-API-Key": staff_key}), 403, "admin_required", "X-API-Key")


def test_missing_wrong_and_revoked_keys_are_401(world: World) -> None:
    record, key = world.stores.api_keys.create("帮办", "staff")
    _refused(world.client.get("/staff"), 401, "api_key_required", "X-API-Key")
    _refused(world.client.get("/staff", headers={"X-API-Key": key[:-1] + "?"}), 401, "invalid_api_key", "X-API-Key")
    world.stores.api_keys.revoke(record.key_prefix)
    _refused(world.client.get("/staff", headers={"X-API-Key": key}), 401, "invalid_api_key", "X-API-Key")
    _refused(world.client.get("/admin", headers={"X-API-Key": key}), 401, "invalid_api_key", "X-API-Key")
