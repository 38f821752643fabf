"""The model-facing schemas: typed, described in Chinese, and never offering identity or the runtime."""

from langchain_core.utils.function_calling import convert_to_openai_tool

from tools.agent_tools import ALL_TOOLS, TOOLS_BY_NAME

EXPECTED = {
    "search_knowledge", "get_service_guide", "start_matter", "supplement_materials", "track_matter",
    "list_my_matters", "match_policies", "book_appointment", "submit_request", "rate_request", "recommend_sites",
    "register_investment_lead", "handoff_to_human",
}  # fmt: skip
FORBIDDEN = {"uscc", "enterprise", "enterprise_uscc", "runtime", "context", "services"}


def _parameters(name: str) -> dict:  # type: ignore[type-arg]
    return convert_to_openai_tool(TOOLS_BY_NAME[name])["function"]["parameters"]  # type: ignore[no-any-return]


def test_all_thirteen_tools_are_there() -> None:
    assert {t.name for t in ALL_TOOLS} == EXPECTED
    assert len(ALL_TOOLS) == 13


def test_start_matter_schema_has_no_identity_and_no_runtime() -> None:
    params = _parameters("start_matter")
    assert set(params["properties"]) == {"matter_code", "contact_name", "contact_phone", "idempotency_key"}
    assert set(params["required"]) == {"matter_code", "contact_name", "contact_phone", "idempotency_key"}


def test_no_tool_offers_identity_or_runtime_to_the_model() -> None:
    for tool in ALL_TOOLS:
        assert not FORBIDDEN & set(_parameters(tool.name)["properties"]), tool.name


def test_descriptions_and_arguments_are_chinese() -> None:
    for tool in ALL_TOOLS:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in tool.description), tool.name
        for field, spec in _parameters(tool.name)["properties"].items():
            assert any("\u4e00" <= ch <= "\u9fff" for ch in spec.get("description", "")), (tool.name, field)


def test_arguments_are_typed() -> None:
    props = _parameters("match_policies")["properties"]
    assert props["employees"]["anyOf"][0]["type"] == "integer"
    assert props["registered_on"]["anyOf"][0]["format"] == "date"
    assert props["certifications"]["anyOf"][0]["type"] == "array"
    assert _parameters("register_investment_lead")["properties"]["consent"]["type"] == "boolean"
    kinds = _parameters("search_knowledge")["properties"]["kind"]["anyOf"][0]["enum"]
    assert "policy" in kinds and "law" in kinds
