"""`minfu keys`, `minfu sites` and `minfu token issue` in-process, on a SQLite file in a temporary directory."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from api.identity import DEV_SITE_KEY, open_identity, verify_token
from minfu.cli import app
from minfu.settings import get_settings

USCC = "91110108551385082Q"
runner = CliRunner()


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'minfu.sqlite'}"
    monkeypatch.setenv("MINFU_DATABASE_URL", url)
    monkeypatch.delenv("MINFU_PORTAL_SECRET", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINFU_ENVIRONMENT", "development")
    get_settings.cache_clear()


def test_keys_create_shows_the_key_once_and_list_shows_only_its_prefix() -> None:
    created = runner.invoke(app, ["keys", "create", "--role", "staff", "--name", "帮办张三"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert key.startswith("mk_") and "不会再次显示" in created.stderr
    listed = json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)
    assert [(k["key_prefix"], k["name"], k["role"], k["revoked_at"]) for k in listed] == [
        (key[:8], "帮办张三", "staff", None)
    ]
    assert key not in runner.invoke(app, ["keys", "list"]).output
    assert open_identity(get_settings()).api_keys.verify(key) is not None


def test_keys_revoke_stops_the_key() -> None:
    key = runner.invoke(app, ["keys", "create", "--role", "admin", "--name", "管理员"]).stdout.strip()
    result = runner.invoke(app, ["keys", "revoke", key[:8]])
    assert result.exit_code == 0 and "已吊销" in result.output
    assert open_identity(get_settings()).api_keys.verify(key) is None
    assert json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)[0]["revoked_at"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["keys", "create", "--role", "root", "--name", "x"], "角色"),
        (["keys", "revoke", "mk_none0"], "未找到"),
        (["sites", "create", "--name", "门户", "--origin", "portal.example"], "来源"),
        (["sites", "disable", "site_none"], "未找到"),
    ],
)
def test_bad_input_is_a_chinese_error(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_sites_create_list_and_disable() -> None:
    args = ["sites", "create", "--name", "闵行企业服务网", "--origin", "https://qyfw.example.gov.cn", "--origin",
            "http://127.0.0.1:9000"]  # fmt: skip
    created = runner.invoke(app, args)
    assert created.exit_code == 0, created.output
    lines = dict(line.split("=", 1) for line in created.stdout.strip().splitlines())
    site_key, secret = lines["site_key"], lines["portal_secret"]
    assert site_key.startswith("site_") and len(secret) >= 32 and "不会再次显示" in created.stderr
    listed = json.loads(runner.invoke(app, ["sites", "list", "--json"]).stdout)
    assert listed[0]["site_key"] == site_key and listed[0]["allowed_origins"][1] == "http://127.0.0.1:9000"
    assert secret not in runner.invoke(app, ["sites", "list"]).output
    assert runner.invoke(app, ["sites", "disable", site_key]).exit_code == 0
    assert json.loads(runner.invoke(app, ["sites", "list", "--json"]).stdout)[0]["disabled"] is True


def test_token_issue_dev_signs_for_the_dev_site(monkeypatch: pytest.MonkeyPatch) -> None:
    _development(monkeypatch)
    args = ["token", "issue", "--dev", "--uscc", USCC, "--name", "某公司", "--hours", "1", "--contact", "张三"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    site = open_identity(get_settings()).sites.get_by_key(DEV_SITE_KEY)
    assert site is not None
    who = verify_token(result.stdout.strip(), site)
    assert (who.uscc, who.name, who.contact_name, who.contact_phone) == (USCC, "某公司", "张三", None)
    claims = jwt.decode(result.stdout.strip(), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 3600 and claims["exp"] > datetime.now(UTC).timestamp()


def test_token_issue_dev_is_refused_outside_development() -> None:
    result = runner.invoke(app, ["token", "issue", "--dev", "--uscc", USCC, "--name", "某公司"])
    assert result.exit_code == 2 and "开发环境" in result.output and result.stdout.strip() == ""


def test_token_issue_without_dev_needs_the_portal_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    _development(monkeypatch)
    refused = runner.invoke(app, ["token", "issue", "--site", "site_x", "--uscc", USCC, "--name", "某公司"])
    assert refused.exit_code == 2 and "MINFU_PORTAL_SECRET" in refused.output


def test_token_issue_with_the_portal_secret_works_in_any_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    site, secret = open_identity(get_settings()).sites.create("门户", ["https://portal.example"])
    monkeypatch.setenv("MINFU_PORTAL_SECRET", secret)
    args = ["token", "issue", "--site", site.site_key, "--uscc", USCC, "--name", "某公司"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert verify_token(result.stdout.strip(), site).uscc == USCC


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--hours", "13"], "12 小时"), (["--hours", "0"], "12 小时"), (["--site", "site_none"], "未找到站点")],
)
def test_token_issue_refuses_bad_input(monkeypatch: pytest.MonkeyPatch, args: list[str], message: str) -> None:
    _development(monkeypatch)
    result = runner.invoke(app, ["token", "issue", "--dev", "--uscc", USCC, "--name", "某公司", *args])
    assert result.exit_code == 2 and message in result.output


def test_token_issue_refuses_a_bad_code(monkeypatch: pytest.MonkeyPatch) -> None:
    _development(monkeypatch)
    result = runner.invoke(app, ["token", "issue", "--dev", "--uscc", "123", "--name", "某公司"])
    assert result.exit_code == 2 and "18 位" in result.output


def test_serve_refuses_to_start_in_production_without_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINFU_ENVIRONMENT", "production")
    monkeypatch.delenv("MINFU_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2 and "MINFU_SECRET_KEY" in result.output and "Traceback" not in result.output
