"""Enterprise tokens (issue and verify), the development site and the development login route."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.errors import AccessError
from api.identity import (
    DEV_SITE_KEY,
    dev_portal_secret,
    dev_site_origins,
    issue_token,
    open_identity,
    verify_token,
)
from knowledge.base import KnowledgeBase
from minfu.errors import InvalidInputError
from minfu.settings import Settings
from tools.store.sites import Site
from tools.store.uscc import check_char

USCC = "91310112MA1000001" + check_char("91310112MA1000001")
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
SITE = Site("site_portal", "门户", ("https://portal.example",), T0, False, portal_secret="p" * 43)


def _token(**overrides: object) -> str:
    arguments: dict[str, object] = {"uscc": USCC, "name": " 上海某某科技有限公司 ", "now": T0} | overrides
    return issue_token(SITE.site_key, SITE.portal_secret, **arguments)  # type: ignore[arg-type]


def test_a_token_round_trips_to_the_enterprise() -> None:
    token = _token(uscc=USCC.lower(), contact_name="张三", contact_phone=" 13800138000 ")
    who = verify_token(token, SITE, now=T0 + timedelta(hours=1))
    assert (who.uscc, who.name, who.contact_name, who.contact_phone) == (
        USCC, "上海某某科技有限公司", "张三", "13800138000"
    )  # fmt: skip


def test_the_claims_are_the_documented_ones() -> None:
    token = _token(lifetime=timedelta(hours=3))
    claims = jwt.decode(
        token, SITE.portal_secret, algorithms=["HS256"], options={"verify_iat": False, "verify_exp": False}
    )
    assert set(claims) == {"site", "uscc", "name", "iat", "exp"}
    assert claims["site"] == SITE.site_key and claims["exp"] - claims["iat"] == 3 * 3600
    assert jwt.get_unverified_header(_token())["alg"] == "HS256"


def test_contacts_are_optional() -> None:
    who = verify_token(_token(), SITE, now=T0)
    assert who.contact_name is None and who.contact_phone is None


def test_expiry_allows_a_little_clock_skew_and_no_more() -> None:
    token = _token(lifetime=timedelta(hours=2))
    assert verify_token(token, SITE, now=T0 + timedelta(hours=2, seconds=10)).uscc == USCC
    with pytest.raises(AccessError) as caught:
        verify_token(token, SITE, now=T0 + timedelta(hours=2, minutes=1))
    assert caught.value.status == 401 and caught.value.code == "token_expired"


def test_a_token_from_the_future_is_refused() -> None:
    with pytest.raises(AccessError, match="签发时间"):
        verify_token(_token(), SITE, now=T0 - timedelta(minutes=5))


def test_another_secret_or_site_is_refused() -> None:
    other_secret = Site("site_portal", "门户", (), T0, False, portal_secret="q" * 43)
    other_site = Site("site_other", "门户", (), T0, False, portal_secret=SITE.portal_secret)
    for site, words in ((other_secret, "签名"), (other_site, "本站点")):
        with pytest.raises(AccessError, match=words) as caught:
            verify_token(_token(), site, now=T0)
        assert caught.value.status == 401 and caught.value.field == "Authorization"


def test_an_overlong_token_is_refused_before_decoding() -> None:
    with pytest.raises(AccessError, match="过长"):
        verify_token("a" * 5000, SITE, now=T0)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"uscc": "91310112MA10000010"}, "enterprise_uscc"), ({"name": "  "}, "name"),
     ({"lifetime": timedelta(0)}, "hours"), ({"lifetime": timedelta(hours=12, seconds=1)}, "hours")],
)  # fmt: skip
def test_issue_refuses_bad_input(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        _token(**overrides)
    assert caught.value.field == field


def test_twelve_hours_is_the_longest_lifetime() -> None:
    token = _token(lifetime=timedelta(hours=12))
    assert verify_token(token, SITE, now=T0 + timedelta(hours=11)).uscc == USCC


def test_the_dev_secret_follows_the_secret_key() -> None:
    default, again = Settings(environment="test"), Settings(environment="test")
    custom = Settings(environment="test", secret_key=SecretStr("k" * 40))
    assert dev_portal_secret(default) == dev_portal_secret(again) != dev_portal_secret(custom)
    assert len(dev_portal_secret(default)) == 64


def _settings(tmp_path: Path, environment: str) -> Settings:
    url = f"sqlite:///{tmp_path / 'minfu.sqlite'}"
    return Settings(environment=environment, data_dir=tmp_path / "data", embedder="hashing", database_url=url)  # type: ignore[arg-type]


def test_development_ensures_the_dev_site_and_test_does_not(tmp_path: Path) -> None:
    assert open_identity(_settings(tmp_path, "test")).sites.get_by_key(DEV_SITE_KEY) is None
    settings = _settings(tmp_path, "development")
    site = open_identity(settings).sites.get_by_key(DEV_SITE_KEY)
    assert site is not None and site.allowed_origins == ("http://127.0.0.1:8000", "http://localhost:8000")
    assert site.portal_secret == dev_portal_secret(settings)
    assert len(open_identity(settings).sites.list_all()) == 1


def test_the_dev_site_follows_the_configured_host_and_port() -> None:
    assert dev_site_origins(Settings(environment="test", host="0.0.0.0", port=9000)) == (
        "http://127.0.0.1:9000", "http://localhost:9000"
    )  # fmt: skip
    assert dev_site_origins(Settings(environment="test", host="192.168.1.5"))[-1] == "http://192.168.1.5:8000"
    assert len(dev_site_origins(Settings(environment="test", host="::1"))) == 2


def _client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings, knowledge=KnowledgeBase.open(settings), fill_dense=False))


def test_dev_login_issues_a_token_the_dev_site_accepts(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "development")
    with _client(settings) as client:
        response = client.post("/v1/dev/token")
        custom = client.post("/v1/dev/token", json={"uscc": USCC.lower(), "name": "测试企业", "contact_name": None})
        site = client.app.state.identity.sites.get_by_key(DEV_SITE_KEY)  # type: ignore[attr-defined]
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["site"] == DEV_SITE_KEY and body["enterprise"]["name"]
    who = verify_token(body["token"], site)
    assert who.uscc == body["enterprise"]["uscc"] and who.contact_phone == body["enterprise"]["contact_phone"]
    assert custom.json()["enterprise"] == {"uscc": USCC, "name": "测试企业", "contact_name": None,
                                           "contact_phone": "13800138000"}  # fmt: skip
    assert verify_token(custom.json()["token"], site).uscc == USCC


def test_dev_login_refuses_a_bad_code_in_chinese(tmp_path: Path) -> None:
    with _client(_settings(tmp_path, "development")) as client:
        response = client.post("/v1/dev/token", json={"uscc": "123"})
    assert response.status_code == 400 and "18 位" in response.json()["message"]


def test_dev_login_is_404_outside_development(tmp_path: Path) -> None:
    with _client(_settings(tmp_path, "test")) as client:
        response = client.post("/v1/dev/token")
    assert response.status_code == 404 and response.json()["message"] == "未找到"
