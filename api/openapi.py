"""The OpenAPI document names every error an operation can answer, in the ErrorBody shape it is sent in.

A route documents its own errors (`responses=error_responses(400, 404)` from api/errors.py). The errors the platform
adds around every route are documented here, read off the operation itself, so a new route gets them without
repeating them:

- parameters or a body: 422, in api/errors.py's shape (FastAPI would document its own `detail` list);
- a request body: 400 when it cannot be parsed, 413 when too large (api/limits.py);
- the identity headers of api/deps.py: X-Site-Key 401, and 403 for an Origin the site does not allow;
  Authorization 401; X-API-Key 401, and 403 for a staff key on an administrators' route;
- every operation: 504, the request timeout (api/limits.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from api.errors import ERROR_DESCRIPTIONS, ErrorBody

COMPONENT_REF = "#/components/schemas/{model}"
ERROR_BODY_REF = COMPONENT_REF.format(model=ErrorBody.__name__)
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
HEADER_ERRORS = {"x-site-key": (401, 403), "authorization": (401,), "x-api-key": (401, 403)}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def install_openapi(app: FastAPI) -> None:
    """`app.openapi()` (and /openapi.json) with the platform's errors documented on every operation."""
    generate: Callable[[], dict[str, Any]] = app.openapi
    completed: list[dict[str, Any]] = []  # the document last completed; FastAPI makes a new one when routes change

    def openapi() -> dict[str, Any]:
        document = generate()
        if not completed or completed[0] is not document:
            document_platform_errors(document)
            completed[:] = [document]
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def document_platform_errors(document: dict[str, Any]) -> None:
    """Add the platform's error responses (module docstring) to every operation of `document`, in place."""
    for path_item in document.get("paths", {}).values():
        for method in HTTP_METHODS:
            if (operation := path_item.get(method)) is not None:
                _add_errors(operation.setdefault("responses", {}), platform_errors(operation))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)  # no operation refers to them any more
    error_schema = ErrorBody.model_json_schema(ref_template=COMPONENT_REF)
    schemas.update(error_schema.pop("$defs", {}))
    schemas.setdefault(ErrorBody.__name__, error_schema)


def platform_errors(operation: dict[str, Any]) -> set[int]:
    """The error statuses the platform may answer around an OpenAPI `operation` (module docstring)."""
    statuses = {504}
    parameters = operation.get("parameters", [])
    if "requestBody" in operation:
        statuses |= {400, 413, 422}
    if parameters:
        statuses.add(422)
    for parameter in parameters:
        if parameter.get("in") == "header":
            statuses.update(HEADER_ERRORS.get(str(parameter.get("name", "")).lower(), ()))
    return statuses


def _add_errors(responses: dict[str, Any], statuses: set[int]) -> None:
    for status in sorted(statuses):
        if status == 422 or str(status) not in responses:  # 422: ours replaces FastAPI's
            responses[str(status)] = {
                "description": ERROR_DESCRIPTIONS[status],
                "content": {"application/json": {"schema": {"$ref": ERROR_BODY_REF}}},
            }
