"""The OpenAPI document: every operation names the errors it can answer, in the shape they are really sent in."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import ErrorBody
from api.openapi import platform_errors
from minfu.settings import Settings

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    root = tmp_path_factory.mktemp("openapi")
    settings = Settings(environment="development", data_dir=root, database_url=f"sqlite:///{root / 'db.sqlite'}")
    return create_app(settings, fill_dense=False)


def _responses(app: FastAPI, method: str, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = app.openapi()["paths"][path][method]["responses"]
    return responses


def test_an_operation_gets_the_errors_of_what_it_takes() -> None:
    assert platform_errors({"responses": {}}) == {504}
    body = {"requestBody": {}, "parameters": [{"in": "query", "name": "q"}]}
    assert platform_errors(body) == {400, 413, 422, 504}
    headers = [{"in": "header", "name": name} for name in ("X-Site-Key", "authorization")]
    assert platform_errors({"parameters": headers}) == {401, 403, 422, 504}
    assert platform_errors({"parameters": [{"in": "header", "name": "X-API-Key"}]}) == {401, 403, 422, 504}


def test_chat_documents_its_own_errors_and_the_platforms(app: FastAPI) -> None:
    for path in ("/v1/chat", "/v1/chat/stream"):
        responses = _responses(app, "post", path)
        assert set(responses) == {"200", "400", "401", "403", "404", "413", "422", "429", "503", "504"}
        for status in set(responses) - {"200"}:
            assert responses[status]["content"]["application/json"]["schema"] == ERROR_REF, status
            assert responses[status]["description"], status
    stream = _responses(app, "post", "/v1/chat/stream")["200"]["content"]
    assert stream["text/event-stream"]["schema"]["properties"]["event"]["enum"][0] == "conversation"


def test_fastapis_own_validation_shape_is_gone(app: FastAPI) -> None:
    document = app.openapi()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["ErrorBody"]["required"] == ["error", "message"] and "FieldProblem" in schemas
    assert app.openapi() is document  # completed once, then served from FastAPI's cache


def test_parameters_carry_their_constraints(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    conversation = paths["/v1/conversations/{conversation_id}"]["get"]["parameters"][0]
    assert conversation["schema"]["pattern"] == "^[A-Za-z0-9_-]{8,64}$"
    handoff = paths["/v1/staff/handoffs/{handoff_id}"]["get"]["parameters"][0]
    assert handoff["schema"]["minimum"] == 1 and handoff["schema"]["maximum"] == 2**31 - 1
    site_key = next(p for p in paths["/v1/chat"]["post"]["parameters"] if p["name"] == "X-Site-Key")
    assert site_key["in"] == "header" and site_key["description"]


def test_a_documented_error_is_what_the_api_sends(app: FastAPI) -> None:
    with TestClient(app) as client:
        _, key = app.state.identity.api_keys.create("文档测试", "staff")
        invalid = client.get("/v1/search", params={"q": ""})
        not_utf8 = b'{"uscc": "\xc3\x28"}'
        unparsable = client.post("/v1/dev/token", content=not_utf8, headers={"Content-Type": "application/json"})
        beyond_the_database = client.get("/v1/staff/handoffs/2147483648", headers={"X-API-Key": key})
    assert invalid.status_code == 422 and ErrorBody.model_validate(invalid.json()).fields
    assert unparsable.status_code == 400 and unparsable.json()["message"] == "请求体无法解析，请发送 UTF-8 编码的 JSON"
    assert beyond_the_database.status_code == 422  # an input error, not the database's (a 500)
    assert ErrorBody.model_validate(beyond_the_database.json()).fields
