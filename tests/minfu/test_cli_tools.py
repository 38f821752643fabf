"""`minfu db`, `minfu matters` and `minfu policies` in-process, on a SQLite file in a temporary directory."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minfu.cli import app
from minfu.settings import get_settings
from tools.store.common import Contact
from tools.store.db import make_engine, session_factory, upgrade
from tools.store.matters import MatterStore

USCC = "91110108551385082Q"
runner = CliRunner()


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'minfu.sqlite'}"
    monkeypatch.setenv("MINFU_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _submitted_matter(url: str) -> str:
    engine = make_engine(url)
    upgrade(engine)
    store = MatterStore(session_factory(engine))
    matter = store.create(USCC, "SP-001", "食品经营许可", [("营业执照", True)], Contact("张三", "13800138000"), "k1")
    store.supplement(matter.number, USCC, ["营业执照"])
    return store.submit(matter.number, USCC).number


def test_db_upgrade_is_repeatable() -> None:
    for _ in range(2):
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0 and "最新版本" in result.output


def test_matters_find_show_and_advance(database: str) -> None:
    number = _submitted_matter(database)
    listed = json.loads(runner.invoke(app, ["matters", "find", "--enterprise", USCC, "--json"]).stdout)
    assert [m["number"] for m in listed] == [number]
    result = runner.invoke(
        app, ["matters", "advance", number, "--to", "accepted", "--note", "材料齐全", "--staff", "S1"]
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(runner.invoke(app, ["matters", "show", number, "--json"]).stdout)
    assert shown["state"] == "accepted" and shown["events"][-1]["note"] == "材料齐全"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["matters", "show", "MH00000000-000000"], "找不到办件"),
        (["matters", "find", "--enterprise", "123"], "18 位"),
        (["policies", "match", "--profile", "/nonexistent.json"], "无法读取企业画像"),
        (["policies", "match", "--profile", "/dev/null", "--today", "2026-02-30"], "日期格式"),
    ],
)
def test_bad_input_exits_2_with_a_chinese_message(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_illegal_advance_is_refused(database: str) -> None:
    number = _submitted_matter(database)
    result = runner.invoke(app, ["matters", "advance", number, "--to", "completed", "--note", "x", "--staff", "S1"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_policies_match_sorts_and_cites(tmp_path: Path) -> None:
    profile = tmp_path / "p.json"
    profile.write_text(
        json.dumps(
            {
                "industry": "软件和信息技术服务业",
                "employees": 45,
                "revenue_wan": 3000,
                "registered_town": "莘庄",
                "registered_on": "2021-05-10",
                "certifications": ["高新技术企业"],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["policies", "match", "--profile", str(profile), "--today", "2026-11-27", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["eligible"] and body["possibly_eligible"] and body["not_eligible"]
    assert all(m["policy"]["expires_on"] is None or m["policy"]["expires_on"] >= "2026-11-27" for m in body["eligible"])
