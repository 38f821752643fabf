"""The one shape every tool returns, and the guard that keeps raw exceptions away from the agent.

Success: {"ok": true, ...}. Failure: {"ok": false, "error": {"code", "message" (Chinese), "field"?}}. A MinfuError
(the model erred, or the record is not there) becomes its code and message; anything else is our bug: it is logged
with its traceback and the agent gets "internal_error" without details.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any, ParamSpec

from pydantic import ValidationError

from minfu.errors import InvalidInputError, MinfuError
from tools.agent_tools.context import EnterpriseIdentity, ToolContext

Result = dict[str, Any]
P = ParamSpec("P")

log = logging.getLogger(__name__)

LOGIN_REQUIRED = "请先登录企业账号后再办理"
INTERNAL_ERROR = "系统暂时无法完成该操作，请稍后再试或转人工服务"


class LoginRequiredError(MinfuError):
    code = "login_required"

    def __init__(self) -> None:
        super().__init__(LOGIN_REQUIRED)


def ok(**fields: Any) -> Result:
    return {"ok": True, **fields}


def error(code: str, message: str, *, field: str | None = None) -> Result:
    detail: dict[str, str] = {"code": code, "message": message}
    if field:
        detail["field"] = field
    return {"ok": False, "error": detail}


def from_exception(exc: MinfuError) -> Result:
    return error(exc.code, exc.message, field=getattr(exc, "field", None))


def guarded(func: Callable[P, Result]) -> Callable[P, Result]:
    """Run a tool body; translate every exception into the error shape."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> Result:
        try:
            return func(*args, **kwargs)
        except MinfuError as exc:
            return from_exception(exc)
        except ValidationError as exc:
            return validation_result(exc)
        except Exception:
            log.exception("tool %s failed", func.__name__)
            return error("internal_error", INTERNAL_ERROR)

    return run


def require_enterprise(context: ToolContext) -> EnterpriseIdentity:
    """The verified enterprise of the conversation, or LoginRequiredError."""
    if context.enterprise is None:
        raise LoginRequiredError()
    return context.enterprise


def require_range(value: int, low: int, high: int, field: str, label: str) -> int:
    if isinstance(value, bool) or not low <= value <= high:
        raise InvalidInputError(f"{label}应为 {low} 到 {high} 之间的整数", field=field)
    return value


_TYPE_HINTS = {
    "missing": "缺少必填参数",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
}


def validation_result(exc: ValidationError) -> Result:
    """A Chinese, structured error for arguments that do not fit the tool's schema."""
    problems = [item for item in exc.errors() if item["loc"][:1] != ("runtime",)] or exc.errors()
    first = problems[0]
    field = ".".join(str(part) for part in first["loc"])
    hint = _TYPE_HINTS.get(first["type"], "格式不正确")
    if first["type"] == "literal_error" and "expected" in (first.get("ctx") or {}):
        hint += f"，可选：{first['ctx']['expected']}"
    return error("invalid_input", f"参数 {field} {hint}", field=field or None)


def validation_message(exc: Any) -> str:
    """For BaseTool.handle_validation_error: the same error shape, as the JSON text a ToolMessage carries."""
    if not isinstance(exc, ValidationError):
        return json.dumps(error("invalid_input", "参数格式不正确"), ensure_ascii=False)
    return json.dumps(validation_result(exc), ensure_ascii=False)
