"""match_policies, book_appointment, submit_request, rate_request, handoff_to_human."""

from datetime import timedelta

from tests.tools.agent_tools.helpers import ENTERPRISE_A, ENTERPRISE_B, Caller, assert_error
from tools.agent_tools import EnterpriseIdentity

TECH = {
    "industry": "软件和信息技术服务业",
    "employees": 50,
    "revenue_wan": 3000,
    "registered_town": "莘庄镇",
    "registered_on": "2020-03-01",
    "rd_ratio": 0.08,
    "certifications": ["高新技术企业"],
}


def test_match_policies_sorts_into_three_groups_with_citations(call: Caller) -> None:
    result = call("match_policies", TECH, ENTERPRISE_A)
    assert result["ok"] is True
    total = len(result["eligible"]) + len(result["possibly_eligible"]) + len(result["not_eligible"])
    assert total == len(call.services.policies)
    assert result["eligible"]
    first = result["eligible"][0]
    assert first["citation"] and first["reason"] and first["benefit"]


def test_match_policies_with_nothing_known_names_missing_facts(call: Caller) -> None:
    result = call("match_policies", {}, None)
    assert result["ok"] is True
    assert any(p["missing_facts"] for p in result["possibly_eligible"])


def test_match_policies_rejects_bad_facts(call: Caller) -> None:
    assert_error(call("match_policies", {"rd_ratio": 5}), "invalid_input", field="rd_ratio")
    assert_error(call("match_policies", {"employees": -3}), "invalid_input", field="employees")
    assert_error(call("match_policies", {"registered_on": "去年"}), "invalid_input", field="registered_on")


def test_book_appointment_lists_then_books(call: Caller, slot_ids: list[int]) -> None:
    listed = call("book_appointment", {"service_name": "企业开办"}, None)
    assert listed["ok"] is True
    assert [s["slot_id"] for s in listed["open_slots"]] == slot_ids
    booked = call("book_appointment", {"service_name": "企业开办", "slot_id": slot_ids[0]}, ENTERPRISE_A)
    assert booked["ok"] is True and booked["booking"]["booking_number"].startswith("YY")
    assert call.services.appointments.list_for(ENTERPRISE_A.uscc)[0].contact.phone == ENTERPRISE_A.contact_phone
    full = call("book_appointment", {"service_name": "企业开办", "slot_id": slot_ids[0]}, ENTERPRISE_B)
    assert_error(full, "slot_full")
    relisted = call("book_appointment", {"service_name": "企业开办"}, None)
    assert [s["slot_id"] for s in relisted["open_slots"]] == slot_ids[1:]


def test_book_appointment_needs_login_and_a_contact(call: Caller, slot_ids: list[int]) -> None:
    assert_error(call("book_appointment", {"service_name": "企业开办", "slot_id": slot_ids[1]}, None), "login_required")
    anonymous_contact = EnterpriseIdentity(ENTERPRISE_A.uscc, ENTERPRISE_A.name)
    result = call("book_appointment", {"service_name": "企业开办", "slot_id": slot_ids[1]}, anonymous_contact)
    assert_error(result, "invalid_input", field="contact_name")
    missing = call("book_appointment", {"service_name": "企业开办", "slot_id": 9999}, ENTERPRISE_A)
    assert_error(missing, "not_found")


def test_book_appointment_for_an_unknown_service_offers_the_bookable_ones(call: Caller, slot_ids: list[int]) -> None:
    result = call("book_appointment", {"service_name": "户外广告设置"}, None)
    assert result["ok"] is True and result["open_slots"] == []
    assert result["bookable_services"] == ["企业开办"]


def test_submit_and_rate_a_request(call: Caller) -> None:
    submitted = call("submit_request", {"category": "求助", "text": "我们想办理食品经营许可，窗口说材料不全"},
                     ENTERPRISE_A)  # fmt: skip
    assert submitted["ok"] is True
    request = submitted["request"]
    assert request["ticket_number"].startswith("SQ") and request["suggested_department"]
    number = request["ticket_number"]
    too_early = call("rate_request", {"ticket_number": number, "score": 5}, ENTERPRISE_A)
    assert_error(too_early, "illegal_transition")
    tickets = call.services.tickets
    tickets.assign(number, "区市场监管局", call.services.today() + timedelta(days=400), "staff-1")
    tickets.reply(number, "已联系窗口补充说明", "staff-1")
    assert_error(call("rate_request", {"ticket_number": number, "score": 4}, ENTERPRISE_B), "not_found")
    assert_error(call("rate_request", {"ticket_number": number, "score": 9}, ENTERPRISE_A), "invalid_input", "score")
    rated = call("rate_request", {"ticket_number": number, "score": 4, "comment": "及时"}, ENTERPRISE_A)
    assert rated["ok"] is True and rated["request"]["rating"] == 4
    assert_error(call("rate_request", {"ticket_number": number, "score": 5}, ENTERPRISE_A), "illegal_transition")


def test_submit_request_validates_and_needs_login(call: Caller) -> None:
    assert_error(call("submit_request", {"category": "投诉", "text": "太慢"}, ENTERPRISE_A), "invalid_input", "text")
    assert_error(call("submit_request", {"category": "投诉", "text": "审批太慢了请尽快处理"}, None), "login_required")


def test_handoff_records_a_ticket_for_a_known_enterprise(call: Caller) -> None:
    result = call("handoff_to_human", {"reason": "政策条款看不懂，需要人工解释"}, ENTERPRISE_A, conversation="conv-9")
    assert result["ok"] is True and result["recorded"] is True
    tickets = call.services.tickets.list_for(ENTERPRISE_A.uscc)
    assert len(tickets) == 1 and tickets[0].category == "人工服务"
    assert "conv-9" in tickets[0].text and result["request"]["ticket_number"] == tickets[0].number


def test_handoff_without_identity_gives_the_hotline(call: Caller) -> None:
    result = call("handoff_to_human", {"reason": "要人工"}, None)
    assert result == result | {"ok": True, "handoff": True, "recorded": False, "hotline": "12345"}
    assert "12345" in result["message"]
