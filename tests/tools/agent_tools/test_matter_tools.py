"""start_matter, supplement_materials, track_matter, list_my_matters: identity only from the verified context."""

from tests.tools.agent_tools.helpers import ENTERPRISE_A, ENTERPRISE_B, Caller, assert_error
from tools.store.matters import MatterState

FOOD = "MH-SJ-SHIPIN"  # 食品经营许可 in the bundled dictionary


def _start(call: Caller, key: str = "k1", code: str = FOOD, **extra: object) -> dict:  # type: ignore[type-arg]
    args = {"matter_code": code, "contact_name": "张三", "contact_phone": "13800138000", "idempotency_key": key}
    return call("start_matter", args | extra, ENTERPRISE_A)


def test_start_matter_without_identity_is_login_required(call: Caller) -> None:
    args = {"matter_code": FOOD, "contact_name": "张三", "contact_phone": "13800138000", "idempotency_key": "k"}
    result = call("start_matter", args, None)
    assert result == {"ok": False, "error": {"code": "login_required", "message": "请先登录企业账号后再办理"}}
    assert call.services.matters.count() == 0


def test_start_matter_creates_a_matter_for_the_context_enterprise(call: Caller) -> None:
    result = _start(call)
    assert result["ok"] is True
    matter = result["matter"]
    assert matter["matter_number"].startswith("MH")
    assert matter["matter_name"] == "食品经营许可"
    record = call.services.dictionary.get(FOOD)
    assert record is not None
    assert [m["name"] for m in matter["materials"]] == [m.name for m in record.materials]
    assert matter["missing_materials"] and "请补充" in result["next_step"]
    stored = call.services.matters.get(matter["matter_number"], ENTERPRISE_A.uscc)
    assert stored is not None and stored.enterprise_uscc == ENTERPRISE_A.uscc


def test_forged_identity_arguments_are_ignored(call: Caller) -> None:
    result = _start(call, uscc=ENTERPRISE_B.uscc, enterprise_uscc=ENTERPRISE_B.uscc, runtime="forged")
    assert result["ok"] is True
    number = result["matter"]["matter_number"]
    assert call.services.matters.get(number, ENTERPRISE_B.uscc) is None
    assert call.services.matters.get(number, ENTERPRISE_A.uscc) is not None


def test_same_idempotency_key_twice_gives_the_same_matter(call: Caller) -> None:
    first = _start(call, key="retry-1")
    second = _start(call, key="retry-1")
    assert first["matter"]["matter_number"] == second["matter"]["matter_number"]
    assert call.services.matters.count() == 1
    third = _start(call, key="retry-2")
    assert third["matter"]["matter_number"] != first["matter"]["matter_number"]


def test_reusing_a_key_for_another_matter_is_refused(call: Caller) -> None:
    _start(call, key="same")
    result = _start(call, key="same", code="MH-SJ-SHELI")
    assert_error(result, "invalid_input", field="idempotency_key")
    assert call.services.matters.count() == 1


def test_unknown_matter_code_suggests_close_matters(call: Caller) -> None:
    result = _start(call, code="食品经营许可证")
    assert_error(result, "invalid_input", field="matter_code")
    assert FOOD in result["error"]["message"]


def test_bad_phone_is_a_structured_chinese_error(call: Caller) -> None:
    result = _start(call, contact_phone="12345")
    assert_error(result, "invalid_input", field="contact_phone")
    assert call.services.matters.count() == 0


def test_supplementing_everything_submits_for_review(call: Caller) -> None:
    matter = _start(call)["matter"]
    required = matter["missing_materials"]
    partial = call("supplement_materials", {"matter_number": matter["matter_number"], "provided": required[:1]},
                   ENTERPRISE_A)  # fmt: skip
    assert partial["ok"] is True and partial["submitted"] is (len(required) == 1)
    done = call("supplement_materials", {"matter_number": matter["matter_number"], "provided": required},
                ENTERPRISE_A)  # fmt: skip
    assert done["ok"] is True
    assert done["matter"]["state"] == MatterState.SUBMITTED.value
    assert done["matter"]["missing_materials"] == []


def test_supplementing_an_unknown_material_is_refused(call: Caller) -> None:
    number = _start(call)["matter"]["matter_number"]
    result = call("supplement_materials", {"matter_number": number, "provided": ["火星护照"]}, ENTERPRISE_A)
    assert_error(result, "invalid_input", field="provided")
    empty = call("supplement_materials", {"matter_number": number, "provided": []}, ENTERPRISE_A)
    assert_error(empty, "invalid_input", field="provided")


def test_track_own_matter_gives_status_next_step_and_missing(call: Caller) -> None:
    matter = _start(call)["matter"]
    call.services.matters.supplement(matter["matter_number"], ENTERPRISE_A.uscc, matter["missing_materials"])
    call.services.matters.submit(matter["matter_number"], ENTERPRISE_A.uscc)
    call.services.matters.advance(matter["matter_number"], "needs_supplement", "营业场所平面图不清晰", "staff-1")
    result = call("track_matter", {"matter_number": matter["matter_number"]}, ENTERPRISE_A)
    assert result["ok"] is True
    assert result["matter"]["state_label"] == "待补正"
    assert "营业场所平面图不清晰" in result["next_step"]
    assert result["events"][-1]["note"] == "营业场所平面图不清晰"


def test_another_enterprise_cannot_track_or_supplement_the_matter(call: Caller) -> None:
    number = _start(call)["matter"]["matter_number"]
    tracked = call("track_matter", {"matter_number": number}, ENTERPRISE_B)
    assert_error(tracked, "not_found")
    supplemented = call("supplement_materials", {"matter_number": number, "provided": ["x"]}, ENTERPRISE_B)
    assert_error(supplemented, "not_found")
    assert call("track_matter", {"matter_number": "MH20990101-999999"}, ENTERPRISE_A)["error"]["code"] == "not_found"


def test_track_without_identity_is_login_required(call: Caller) -> None:
    assert_error(call("track_matter", {"matter_number": "MH20260101-000001"}, None), "login_required")
    assert_error(call("list_my_matters", {}, None), "login_required")


def test_list_my_matters_lists_only_own(call: Caller) -> None:
    _start(call, key="a1")
    _start(call, key="a2", code="MH-SJ-SHELI")
    args = {"matter_code": FOOD, "contact_name": "李四", "contact_phone": "13900139000", "idempotency_key": "b1"}
    call("start_matter", args, ENTERPRISE_B)
    mine = call("list_my_matters", {}, ENTERPRISE_A)
    assert mine["ok"] is True
    assert len(mine["matters"]) == 2
    assert {m["matter_code"] for m in mine["matters"]} == {FOOD, "MH-SJ-SHELI"}
    assert len(call("list_my_matters", {}, ENTERPRISE_B)["matters"]) == 1
