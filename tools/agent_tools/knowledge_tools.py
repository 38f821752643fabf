"""Tools that answer from what is written: the knowledge base and the service dictionary."""

from __future__ import annotations

from typing import Literal

from langchain.tools import ToolRuntime, tool

from minfu.domain import DocumentKind, SearchFilters
from minfu.errors import InvalidInputError
from tools.agent_tools.context import ToolContext
from tools.agent_tools.results import Result, error, guarded, ok, require_range
from tools.agent_tools.views import citation, guide_card, suggestion
from tools.dictionary import Match, ServiceDictionary, ServiceMatter
from tools.store.common import require_text

Kind = Literal["policy", "law", "service_matter", "compliance_guide", "faq", "curated_answer"]
CONFIDENT_HOW = frozenset({"exact", "alias"})
CONFIDENT_SCORE, CONFIDENT_GAP, SUGGEST_SCORE = 0.84, 0.05, 0.3


@tool(parse_docstring=True)
@guarded
def search_knowledge(query: str, runtime: ToolRuntime[ToolContext], kind: Kind | None = None, k: int = 5) -> Result:
    """检索政策、法规、办事指南等知识库原文，返回可引用的依据（标题、文号、条款、生效日期、来源、原文、效力状态）。

    回答政策或法规问题前先调用本工具，只依据返回的原文作答并注明出处；已失效或被替代的文本会标明效力状态。

    Args:
        query: 要检索的问题或关键词，例如“小微企业房租补贴条件”
        kind: 只检索某类文本：policy 政策、law 法规、service_matter 办事指南、compliance_guide 合规指引、
            faq 常见问题、curated_answer 标准答复；不填则检索全部
        k: 返回条数，1 到 10，默认 5
    """
    text = require_text(query, "query", "检索内容", max_len=500)
    count = require_range(k, 1, 10, "k", "返回条数")
    services = runtime.context.services
    kinds = frozenset({DocumentKind(kind)}) if kind else frozenset()
    retriever = services.knowledge.retriever
    hits = retriever.retrieve(text, k=count, filters=SearchFilters(kinds=kinds, on=services.today()))
    result = ok(query=text, citations=[citation(hit) for hit in hits])
    if not hits:
        result["note"] = "知识库中未找到相关依据，请勿凭空作答，可建议转人工服务"
    if retriever.last_degraded:
        result["degraded"] = retriever.last_degraded
    return result


@tool(parse_docstring=True)
@guarded
def get_service_guide(name_or_code: str, runtime: ToolRuntime[ToolContext]) -> Result:
    """查询办事事项的办事指南：受理条件、申请材料、办理流程、办理时限、办理地点、网上办理链接、“一件事”包含的事项。

    可用事项名称、俗称（如“开奶茶店”“租房补贴”）或事项编码查询；若有多个可能的事项，会返回候选列表，请让用户确认后再查询。

    Args:
        name_or_code: 事项名称、俗称或事项编码
    """
    query = require_text(name_or_code, "name_or_code", "事项名称", max_len=100)
    dictionary = runtime.context.services.dictionary
    exact = dictionary.get(query)
    if exact is not None:
        return ok(guide=guide_card(exact, dictionary))
    return _guide_or_suggestions(query, dictionary)


def _guide_or_suggestions(query: str, dictionary: ServiceDictionary) -> Result:
    matches = dictionary.find(query, k=5)
    if matches and _confident(matches):
        return ok(guide=guide_card(matches[0].matter, dictionary))
    candidates = [suggestion(m) for m in matches if m.score >= SUGGEST_SCORE]
    if not candidates:
        return error("not_found", f"未找到与“{query}”相关的办事事项，请换个说法或转人工服务", field="name_or_code")
    return ok(ambiguous=True, message="找到多个可能的事项，请确认要办理哪一项", suggestions=candidates)


def _confident(matches: list[Match]) -> bool:
    top = matches[0]
    if top.how in CONFIDENT_HOW:
        return True
    runner_up = matches[1].score if len(matches) > 1 else 0.0
    return top.score >= CONFIDENT_SCORE and top.score - runner_up >= CONFIDENT_GAP


def resolve_matter(dictionary: ServiceDictionary, matter_code: str) -> ServiceMatter:
    """The dictionary record of `matter_code`, else InvalidInputError suggesting the closest names."""
    code = require_text(matter_code, "matter_code", "事项编码", max_len=64)
    record = dictionary.get(code)
    if record is not None:
        return record
    near = "、".join(f"{m.matter.name}（{m.matter.code}）" for m in dictionary.find(code, k=3))
    hint = f"，可能是：{near}" if near else "，请先用办事指南查询事项编码"
    raise InvalidInputError(f"没有编码为 {code} 的事项{hint}", field="matter_code")
