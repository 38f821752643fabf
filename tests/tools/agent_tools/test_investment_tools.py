"""recommend_sites gives reasons; register_investment_lead stores nothing without consent."""

from tests.tools.agent_tools.helpers import ENTERPRISE_A, Caller, assert_error

LEAD = {"investor_name": "王五", "contact_phone": "13700137000", "industry": "人工智能"}


def test_recommend_sites_ranks_with_reasons_and_the_industry_package(call: Caller) -> None:
    result = call("recommend_sites", {"industry": "AI", "area_sqm": 500, "needs": ["共享实验室"]})
    assert result["ok"] is True
    recs = result["recommendations"]
    assert recs and all(r["reasons"] for r in recs)
    assert recs[0]["score"] >= recs[-1]["score"]
    assert "人工智能" in recs[0]["industries"]
    assert result["industry_package"]["industry"] == "人工智能"


def test_recommend_sites_rejects_unknown_words(call: Caller) -> None:
    assert_error(call("recommend_sites", {"industry": "挖矿"}), "invalid_input", field="industry")
    assert_error(call("recommend_sites", {"area_sqm": -5}), "invalid_input", field="area_sqm")


def test_lead_without_consent_stores_nothing(call: Caller) -> None:
    result = call("register_investment_lead", LEAD | {"consent": False})
    assert_error(result, "consent_required", field="consent")
    assert call.services.leads.list_recent() == []


def test_lead_with_consent_is_recorded_with_the_consent_text(call: Caller) -> None:
    site_id = call.services.sites[0].id
    result = call("register_investment_lead", LEAD | {"consent": True, "area_sqm": 800, "site_ids": [site_id]},
                  ENTERPRISE_A)  # fmt: skip
    assert result["ok"] is True and result["lead_number"].startswith("ZS")
    lead = call.services.leads.get(result["lead_number"])
    assert lead is not None and lead.contact is not None
    assert lead.site_ids == (site_id,) and lead.enterprise_uscc == ENTERPRISE_A.uscc
    assert "同意" in lead.consent_text and lead.contact.phone == "13700137000"


def test_lead_with_an_unknown_site_or_bad_phone_is_refused(call: Caller) -> None:
    assert_error(call("register_investment_lead", LEAD | {"consent": True, "site_ids": ["nope"]}), "invalid_input",
                 field="site_ids")  # fmt: skip
    assert_error(call("register_investment_lead", LEAD | {"consent": True, "contact_phone": "1"}), "invalid_input",
                 field="contact_phone")  # fmt: skip
    assert call.services.leads.list_recent() == []
