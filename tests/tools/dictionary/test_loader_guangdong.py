import json
import statistics
import time
from pathlib import Path

import pytest

from minfu.errors import DocumentLoadError
from tests.tools.dictionary.colloquial_table import COLLOQUIAL
from tools.dictionary.loader import load_bundled, load_guangdong
from tools.dictionary.lookup import ServiceDictionary

REAL_FILE = Path("/work/shared/corpus/service_matters_guangdong/matters.jsonl")


def _row(code: str, task_name: str, **changes: object) -> dict[str, object]:
    """A record in the real Guangdong shape (fields trimmed to those the loader reads, plus a few it ignores)."""
    row: dict[str, object] = {
        "_id": {"$oid": "60ae6f95e995f7e541f057f3"},
        "TASK_CODE": code,
        "TASK_TYPE_TEXT": "行政许可",
        "DEPT_NAME": "广东省药品监督管理局",
        "TASK_NAME": task_name,
        "matter_name": "执业药师注册",
        "URL": f"https://www.gdzwfw.gov.cn/gaio/apply.html#/{code}",
        "matter_short": "无",
        "matter_daily": "药师注册，执业药师",
        "handle_location": "办理地点：广州市东风东路753号之二13楼1318房",
        "handle_time": "20(工作日)",
        "handle_time_limit": "5(工作日)",
        "matter_type": "行政许可",
        "accept_standard": "取得《执业药师资格证书》后向执业单位所在地注册机构申请。",
        "material_intro": ["《执业药师首次注册申请表》", "身份证明（正反面）", "无"],
        "consult_phone": "020-37886055",
    }
    row.update(changes)
    return row


@pytest.fixture
def fixture_file(tmp_path: Path) -> Path:
    rows = [
        _row("114400001", "执业药师首次注册"),
        _row("114400001", "执业药师首次注册"),  # a repeated record
        _row("114400002", "执业药师首次注册"),  # the same matter of the same department under another code
        _row(
            "114400003",
            "居民身份证办理进度查询",
            DEPT_NAME="广东省公安厅",
            TASK_TYPE_TEXT="公共服务",
            matter_name="居民身份证办理进度查询",
            matter_daily="无",
            handle_location="无线下办理窗口",
            handle_time="无",
            handle_time_limit="无",
            accept_standard="无条件受理",
            material_intro="无",
        ),
    ]
    path = tmp_path / "matters.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n", encoding="utf-8")
    return path


def test_guangdong_records_map_to_service_matters(fixture_file: Path):
    matters = load_guangdong(fixture_file)
    assert [m.code for m in matters] == ["114400001", "114400003"]
    first = matters[0]
    assert first.name == "执业药师首次注册" and not first.sample
    assert first.aliases == ("执业药师注册", "药师注册", "执业药师")
    assert first.department == "广东省药品监督管理局" and first.matter_type == "行政许可"
    assert first.conditions == ("取得《执业药师资格证书》后向执业单位所在地注册机构申请。",)
    assert [m.name for m in first.materials] == ["《执业药师首次注册申请表》", "身份证明（正反面）"]
    assert (first.legal_time_limit_days, first.committed_time_limit_days) == (20, 5)
    assert first.places[0].address == "广州市东风东路753号之二13楼1318房"
    assert first.source == first.online_url == "https://www.gdzwfw.gov.cn/gaio/apply.html#/114400001"


def test_empty_guangdong_fields_become_empty_values(fixture_file: Path):
    query = load_guangdong(fixture_file)[1]
    assert query.places == () and query.conditions == () and query.materials == ()
    assert query.legal_time_limit_days is None and query.aliases == ()


def test_a_broken_line_is_reported_with_its_number(tmp_path: Path):
    path = tmp_path / "broken.jsonl"
    path.write_text(json.dumps(_row("1", "甲")) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(DocumentLoadError, match="第2行"):
        load_guangdong(path)


@pytest.mark.skipif(not REAL_FILE.exists(), reason="the shared Guangdong corpus is not on this machine")
def test_real_guangdong_file_loads_and_lookup_is_fast():
    matters = load_guangdong(REAL_FILE)
    assert 2000 <= len(matters) <= 2262
    dictionary = ServiceDictionary([*matters, *load_bundled()])
    queries = [q for q, _ in COLLOQUIAL] + [m.name for m in matters[::40]]
    for query in queries:  # warm-up
        dictionary.find(query)
    timings = []
    for query in queries * 3:
        start = time.perf_counter()
        dictionary.find(query)
        timings.append((time.perf_counter() - start) * 1000)
    mean, worst = statistics.fmean(timings), max(timings)
    print(f"\n{len(dictionary)} matters, {len(timings)} lookups: mean {mean:.2f} ms, max {worst:.2f} ms")
    assert mean < 5.0
    assert dictionary.find("执业药师首次注册")[0].matter.name == "执业药师首次注册"
