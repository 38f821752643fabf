"""The citation check for a language model's answers: only texts retrieved in this turn may be cited.

The search tool gives every hit a short `ref` (tools.agent_tools.views.citation_ref) and the prompts ask the model to
cite it as 【ref】 after each factual sentence. `check_citations` keeps the refs that were retrieved, renumbers them
[1], [2]… by first appearance (the numbers the API and the offline brain show), drops invented refs and notes a
text no longer (or not yet) in force when the answer presents it without saying so where it first cites it (in that
sentence or the one before).

`CitationCheckMiddleware` applies the check to every final answer that did not come from the offline brain: an answer
to a search (the turn's latest tool result) that cites nothing valid is replaced by the offline brain's extractive
answer from the same results, so a user never sees an uncited claim presented as policy. An answer reporting another
tool's later result (a matter started after a search) keeps its text, with invented markers dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agents.offline.answer import HISTORY_NOTE, GroundedAnswer
from agents.offline.render import knowledge_answer
from knowledge.bundled import display_source
from minfu.domain import Validity

SEARCH_TOOL = "search_knowledge"
LLM_BRAIN = "openai"
OFFLINE_BRAIN = "offline"
REPAIR = "offline_compose"
EXCERPT_CHARS = 200

_REF = re.compile(r"K[0-9A-Fa-f]{3,12}")
_SEPARATOR = r"\s*[,，、;；/]?\s*"
# 【K3f2a1c】, [K3f2a1c], 【K3f2a1c，K1b2c3d】 (and the blanks before them)
_REF_MARKER = re.compile(rf"[ \t]*[【\[]\s*({_REF.pattern}(?:{_SEPARATOR}{_REF.pattern})*)\s*[】\]]")
_NUMBERED_MARKER = re.compile(r"[ \t]*[【\[]\s*\d{1,3}\s*[】\]]")  # the model's own numbering: never trusted
_REPEATED = re.compile(r"(\[\d+\])(?:\1)+")
_SENTENCE_END = re.compile(r"[。！？!?\n]")
_HISTORY_WORDS = ("失效", "替代", "废止", "旧版", "不再适用", "不再执行", "尚未施行", "尚未生效", "未生效", "未施行")

Citation = dict[str, Any]


@dataclass(frozen=True)
class CheckedAnswer:
    """An answer after the check.

    `citations` have the offline brain's shape (agents.offline.answer.Citation.to_json()); `invented` lists the
    markers dropped because nothing retrieved this turn carries them; `unnoted_history` lists the refs of texts not in
    force that the answer first cited without saying so (a note was added after that marker). `grounded` means at
    least one current text is cited and nothing was invented or presented as current when it is not.
    """

    text: str
    citations: list[Citation]
    invented: list[str] = field(default_factory=list)
    unnoted_history: list[str] = field(default_factory=list)
    grounded: bool = False


def normalize_ref(ref: str) -> str:
    """Refs compare case-insensitively on their hex part: `k3F2A1C` is `K3f2a1c`."""
    return "K" + ref[1:].lower()


def check_citations(answer: str, retrieved: Sequence[Citation]) -> CheckedAnswer:
    """Check the citation markers of `answer` against `retrieved`, this turn's search-result citation dicts."""
    known = _by_ref(retrieved)
    numbers: dict[str, int] = {}
    invented: list[str] = []
    unnoted: list[str] = []

    def numbered(match: re.Match[str]) -> str:
        invented.append(match.group(0).strip())
        return ""

    def renumbered(match: re.Match[str]) -> str:
        out = []
        for raw in dict.fromkeys(normalize_ref(r) for r in _REF.findall(match.group(1))):
            if raw not in known:
                invented.append(raw)
                continue
            first = raw not in numbers
            out.append(f"[{numbers.setdefault(raw, len(numbers) + 1)}]")
            if first and _needs_history_note(known[raw], match.string, match.start()):
                unnoted.append(raw)
                out.append(HISTORY_NOTE[Validity(known[raw]["validity"])])
        return "".join(out)

    text = _REF_MARKER.sub(renumbered, _NUMBERED_MARKER.sub(numbered, answer))
    citations = [_citation(number, known[ref]) for ref, number in numbers.items()]
    grounded = any(c["validity"] == Validity.CURRENT.value for c in citations) and not invented and not unnoted
    return CheckedAnswer(
        _REPEATED.sub(r"\1", text), citations, list(dict.fromkeys(invented)), list(dict.fromkeys(unnoted)), grounded
    )


def strip_citation_markers(text: str) -> str:
    """The text without 【ref】/[ref] markers (an answer that searched nothing has nothing to cite)."""
    return _REF_MARKER.sub("", text)


def _by_ref(retrieved: Sequence[Citation]) -> dict[str, Citation]:
    known: dict[str, Citation] = {}
    for item in retrieved:
        ref = item.get("ref")
        if isinstance(ref, str) and _REF.fullmatch(ref):
            known.setdefault(normalize_ref(ref), item)
    return known


def _needs_history_note(item: Citation, text: str, position: int) -> bool:
    """A text not in force, cited where neither this sentence nor the one before says it is no longer current."""
    validity = item.get("validity") or Validity.CURRENT.value
    if validity == Validity.CURRENT.value or validity not in {v.value for v in Validity}:
        return False
    return not any(word in _sentence_window(text, position) for word in _HISTORY_WORDS)


def _sentence_window(text: str, position: int) -> str:
    """The sentence holding `position` and the sentence before it."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, position)]
    start = ends[-2] if len(ends) >= 2 else 0
    after = _SENTENCE_END.search(text, position)
    return text[start : after.end() if after else len(text)]


def _citation(number: int, item: Citation) -> Citation:
    """The offline brain's citation shape, from a search-result citation dict."""
    text = str(item.get("text") or "")
    excerpt = text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
    return {
        "number": number,
        "chunk_id": item.get("chunk_id") or item.get("ref"),  # the same identity the offline brain gives
        "title": str(item.get("title") or "未命名文件"),
        "doc_number": item.get("doc_number"),
        "article": item.get("article"),
        "section": list(item.get("section_path") or ()),
        "effective_from": item.get("effective_from"),
        "source": display_source(str(item.get("source") or "")),
        "excerpt": excerpt,
        "validity": str(item.get("validity") or Validity.CURRENT.value),
    }


# the middleware ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Searches:
    """This turn's successful knowledge searches: their queries and every citation they returned; `last` tells
    whether a search gave the turn's latest tool result (else the answer reports another tool's result)."""

    queries: list[str]
    citations: list[Citation]
    last: bool


class CitationCheckMiddleware(AgentMiddleware[AgentState[Any], Any, Any]):
    """Checks the citations of every final answer that did not come from the offline brain (see the module docstring).

    Answers it passes are tagged response_metadata["brain"] = "openai" (tool-call turns too) unless already tagged.
    Put it outside `BrainFallbackMiddleware` so that an answer of the offline brain reaches it tagged "offline".
    """

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> ModelResponse[Any]:
        return checked_response(request.messages, handler(request))

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        return checked_response(request.messages, await handler(request))


def checked_response(messages: Sequence[BaseMessage], response: ModelResponse[Any]) -> ModelResponse[Any]:
    """`response` with its final answer checked against the searches made since the last user message."""
    index = _last_ai_index(response.result)
    if index is None:
        return response
    replaced = list(response.result)
    replaced[index] = checked_message(messages, cast(AIMessage, replaced[index]))
    return ModelResponse(result=replaced, structured_response=response.structured_response)


def checked_message(messages: Sequence[BaseMessage], message: AIMessage) -> AIMessage:
    """One model message after the check (unchanged when it calls tools or came from the offline brain)."""
    brain = message.response_metadata.get("brain")
    if brain == OFFLINE_BRAIN:
        return message
    if message.tool_calls:
        return _with(message, brain=brain or LLM_BRAIN)
    searches = turn_searches(messages)
    if searches is None and message.text != strip_citation_markers(message.text):
        searches = _searches_in(messages, last_matters=False)  # a follow-up citing what an earlier turn retrieved
    if searches is None:
        return _with(message, content=strip_citation_markers(message.text), brain=brain or LLM_BRAIN)
    checked = check_citations(message.text, searches.citations)
    if not checked.citations and searches.last:
        return _repaired(message, _last_human(messages), searches, checked.invented)
    extra: dict[str, Any] = {"citations": checked.citations, "grounded": checked.grounded} if checked.citations else {}
    if checked.invented:
        extra["invented_citations"] = checked.invented
    if checked.unnoted_history:
        extra["unnoted_history"] = checked.unnoted_history
    return _with(message, content=checked.text, brain=brain or LLM_BRAIN, **extra)


def turn_searches(messages: Sequence[BaseMessage]) -> _Searches | None:
    """The successful search_knowledge results after the last user message, or None when there was none."""
    return _searches_in(messages[_last_human_index(messages) + 1 :], last_matters=True)


def _searches_in(turn: Sequence[BaseMessage], *, last_matters: bool) -> _Searches | None:
    """Successful searches among `turn`; `last` tells whether a search gave the latest tool result (repairable)."""
    queries: list[str] = []
    citations: list[Citation] = []
    found = last = False
    calls = {call["id"]: call for m in turn if isinstance(m, AIMessage) for call in m.tool_calls}
    for message in (m for m in turn if isinstance(m, ToolMessage)):
        result = _search_result(message, calls)
        last = result is not None
        if result is not None:
            found = True
            queries.append(str(result.get("query") or ""))
            citations += [item for item in result.get("citations") or [] if isinstance(item, dict)]
    return _Searches(queries, citations, last and last_matters) if found else None


def _search_result(message: ToolMessage, calls: dict[str | None, Any]) -> dict[str, Any] | None:
    call = calls.get(message.tool_call_id)
    if (call["name"] if call else message.name) != SEARCH_TOOL:
        return None
    try:
        result = json.loads(message.text)
    except json.JSONDecodeError:
        return None
    return result if isinstance(result, dict) and result.get("ok") else None


def _repaired(message: AIMessage, question: str, searches: _Searches, invented: list[str]) -> AIMessage:
    """The offline brain's extractive answer from the same results: the model cited nothing it was given."""
    answer = compose_from_searches(question, searches)
    return _with(
        message,
        content=answer.text,
        brain=message.response_metadata.get("brain") or LLM_BRAIN,
        citations=[c.to_json() for c in answer.citations],
        grounded=answer.grounded,
        citation_repair=REPAIR,
        invented_citations=invented,
    )


def compose_from_searches(question: str, searches: _Searches) -> GroundedAnswer:
    """The extractive answer to the user's question, else to one of the model's search queries (it may have
    completed a follow-up question such as "那条件呢？"), else the honest "not sure" for the question."""
    unique = list({str(item.get("ref") or id(item)): item for item in searches.citations}.values())
    result = {"citations": unique}
    first = knowledge_answer(question, result)
    if first.grounded:
        return first
    for query in searches.queries:
        answer = knowledge_answer(query, result) if query and query != question else first
        if answer.grounded:
            return answer
    return first


def _with(message: AIMessage, *, content: str | None = None, **metadata: Any) -> AIMessage:
    update: dict[str, Any] = {"response_metadata": {**message.response_metadata, **metadata}}
    if content is not None:
        update["content"] = content
    return message.model_copy(update=update)


def _last_ai_index(result: Sequence[BaseMessage]) -> int | None:
    for index in range(len(result) - 1, -1, -1):
        if isinstance(result[index], AIMessage):
            return index
    return None


def _last_human_index(messages: Sequence[BaseMessage]) -> int:
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], HumanMessage):
            return index
    return -1


def _last_human(messages: Sequence[BaseMessage]) -> str:
    index = _last_human_index(messages)
    return messages[index].text if index >= 0 else ""
