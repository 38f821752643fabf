"""search_knowledge returns citations; get_service_guide returns a guide card or suggestions."""

import re

from tests.tools.agent_tools.helpers import Caller, assert_error


def test_search_knowledge_returns_citations(call: Caller) -> None:
    result = call("search_knowledge", {"query": "大型企业从中小企业采购货物多少日内支付款项"})
    assert result["ok"] is True
    citations = result["citations"]
    assert 1 <= len(citations) <= 5
    top = citations[0]
    assert set(top) >= {"title", "doc_number", "article", "effective_from", "source", "text", "validity", "why"}
    assert "保障中小企业款项支付条例" in top["title"]
    assert top["article"] and top["validity"] == "current"
    assert top["text"]


def test_every_citation_has_a_stable_ref(call: Caller) -> None:
    first = call("search_knowledge", {"query": "大型企业从中小企业采购货物多少日内支付款项"})["citations"]
    refs = [c["ref"] for c in first]
    assert all(re.fullmatch(r"K[0-9a-f]{6}", ref) for ref in refs)
    assert len(set(refs)) == len(refs)  # one chunk, one ref
    again = call("search_knowledge", {"query": "中小企业款项支付期限", "k": 10})["citations"]
    by_text = {c["text"]: c["ref"] for c in again}
    assert any(c["text"] in by_text for c in first)
    assert all(by_text[c["text"]] == c["ref"] for c in first if c["text"] in by_text)


def test_search_knowledge_filters_by_kind(call: Caller) -> None:
    result = call("search_knowledge", {"query": "开店一件事", "kind": "policy", "k": 3})
    assert result["ok"] is True and result["citations"]
    assert {c["kind"] for c in result["citations"]} == {"policy"}
    assert any(c["doc_number"] == "闵府办发〔2026〕1号" for c in result["citations"])
    none = call("search_knowledge", {"query": "开店一件事", "kind": "faq"})
    assert none["ok"] is True and none["citations"] == [] and "未找到" in none["note"]


def test_search_knowledge_rejects_bad_arguments(call: Caller) -> None:
    assert_error(call("search_knowledge", {"query": "  "}), "invalid_input", field="query")
    assert_error(call("search_knowledge", {"query": "补贴", "k": 50}), "invalid_input", field="k")
    assert_error(call("search_knowledge", {"query": "补贴", "kind": "novel"}), "invalid_input", field="kind")
    assert_error(call("search_knowledge", {"query": "补贴", "k": "many"}), "invalid_input", field="k")
    assert_error(call("search_knowledge", {}), "invalid_input", field="query")


def test_guide_by_name_has_the_full_card(call: Caller) -> None:
    result = call("get_service_guide", {"name_or_code": "食品经营许可"})
    assert result["ok"] is True
    guide = result["guide"]
    assert guide["code"] == "MH-SJ-SHIPIN"
    for key in ("conditions", "materials", "steps", "legal_time_limit_days", "committed_time_limit_days", "places",
                "online_url", "department", "sample"):  # fmt: skip
        assert key in guide
    assert guide["materials"] and {"name", "required", "form"} <= set(guide["materials"][0])


def test_guide_of_a_bundle_lists_its_members(call: Caller) -> None:
    guide = call("get_service_guide", {"name_or_code": "MH-YJS-KAIDIAN"})["guide"]
    assert guide["name"] == "开店一件事"
    assert [m["code"] for m in guide["bundle_members"]][:2] == ["MH-SJ-SHELI", "MH-SJ-SHIPIN"]


def test_colloquial_name_with_a_clear_winner_gives_the_guide(call: Caller) -> None:
    result = call("get_service_guide", {"name_or_code": "租房补贴"})
    assert result["guide"]["code"] == "MH-RS-ANJU"


def test_ambiguous_name_gives_suggestions(call: Caller) -> None:
    result = call("get_service_guide", {"name_or_code": "营业执照"})
    assert result["ok"] is True and result["ambiguous"] is True
    codes = [s["code"] for s in result["suggestions"]]
    assert "MH-SJ-SHELI" in codes and "MH-SJ-BIANGENG" in codes
    assert "guide" not in result


def test_unknown_name_is_not_found(call: Caller) -> None:
    assert_error(call("get_service_guide", {"name_or_code": "xyz火星"}), "not_found", field="name_or_code")
