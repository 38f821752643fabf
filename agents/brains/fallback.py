"""Falling back to the offline brain when the language-model endpoint fails, so a turn always gets an answer.

Only failures of the endpoint are caught (HTTP errors, timeouts, refused connections): a bug in our code or a broken
test script (agents.testing.ScriptError) still raises. Once a turn has fallen back, its remaining model calls go
straight to the offline brain: the user does not wait through a second timeout, and the offline brain, which planned
the tool call, also renders its result.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
import openai
from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

log = logging.getLogger(__name__)

ENDPOINT_ERRORS: tuple[type[BaseException], ...] = (openai.APIError, httpx.HTTPError, ConnectionError, TimeoutError)
OFFLINE_BRAIN = "offline"
Handler = Callable[[ModelRequest[Any]], ModelResponse[Any]]
AsyncHandler = Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]]


class BrainFallbackMiddleware(AgentMiddleware[AgentState[Any], Any, Any]):
    """On an endpoint failure, answer the model request with `offline` instead (see the module docstring).

    Answers of the fallback carry response_metadata {"brain": "offline", "fallback_from": primary,
    "fallback_reason": "<kind>: <Chinese reason>"}; answers of the primary model are tagged {"brain": primary}
    unless already tagged.
    """

    def __init__(self, offline: BaseChatModel, *, primary: str = "openai") -> None:
        super().__init__()
        self.offline = offline
        self.primary = primary

    def wrap_model_call(self, request: ModelRequest[Any], handler: Handler) -> ModelResponse[Any]:
        earlier = fallen_back_this_turn(request.messages)
        if earlier is not None:
            return self._tagged(handler(request.override(model=self.offline)), earlier)
        try:
            response = handler(request)
        except ENDPOINT_ERRORS as exc:
            reason = self._failed(exc)
            return self._tagged(handler(request.override(model=self.offline)), reason)
        return _with_brain(response, self.primary)

    async def awrap_model_call(self, request: ModelRequest[Any], handler: AsyncHandler) -> ModelResponse[Any]:
        earlier = fallen_back_this_turn(request.messages)
        if earlier is not None:
            return self._tagged(await handler(request.override(model=self.offline)), earlier)
        try:
            response = await handler(request)
        except ENDPOINT_ERRORS as exc:
            reason = self._failed(exc)
            return self._tagged(await handler(request.override(model=self.offline)), reason)
        return _with_brain(response, self.primary)

    def _failed(self, exc: BaseException) -> str:
        """Log the failure (its kind only: never the request, the headers or the key) and return the reason."""
        reason = failure_reason(exc)
        log.warning("LLM brain %r failed (%s); the offline brain answers instead", self.primary, reason)
        return reason

    def _tagged(self, response: ModelResponse[Any], reason: str) -> ModelResponse[Any]:
        metadata = {"brain": OFFLINE_BRAIN, "fallback_from": self.primary, "fallback_reason": reason}
        return _with_metadata(response, metadata, overwrite=True)


def failure_reason(exc: BaseException) -> str:
    """A short reason without secrets: the failure's kind and, for an HTTP error, its status code."""
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
        return "timeout: 大模型服务响应超时"
    if isinstance(exc, openai.APIStatusError):
        return f"http_{exc.status_code}: 大模型服务返回错误（HTTP {exc.status_code}）"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"http_{exc.response.status_code}: 大模型服务返回错误（HTTP {exc.response.status_code}）"
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError | ConnectionError):
        return "connection: 无法连接大模型服务"
    return f"error: 大模型服务调用失败（{type(exc).__name__}）"


def fallen_back_this_turn(messages: Sequence[BaseMessage]) -> str | None:
    """The fallback reason of an earlier model message of this turn (after the last user message), if any."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return None
        if isinstance(message, AIMessage) and message.response_metadata.get("fallback_from"):
            return str(message.response_metadata.get("fallback_reason") or "")
    return None


def _with_brain(response: ModelResponse[Any], brain: str) -> ModelResponse[Any]:
    return _with_metadata(response, {"brain": brain}, overwrite=False)


def _with_metadata(response: ModelResponse[Any], metadata: dict[str, Any], *, overwrite: bool) -> ModelResponse[Any]:
    """`response` with `metadata` merged into each AI message (existing keys win unless `overwrite`)."""
    result: list[BaseMessage] = []
    for message in response.result:
        if isinstance(message, AIMessage):
            own = message.response_metadata
            merged = {**own, **metadata} if overwrite else {**metadata, **own}
            message = message.model_copy(update={"response_metadata": merged})
        result.append(message)
    return ModelResponse(result=result, structured_response=response.structured_response)
