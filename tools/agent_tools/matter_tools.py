"""Tools that act on the enterprise's matters (办件): start, supplement, track, list. Identity comes from context."""

from __future__ import annotations

import hashlib

from langchain.tools import ToolRuntime, tool

from minfu.errors import InvalidInputError
from tools.agent_tools.context import ToolContext
from tools.agent_tools.knowledge_tools import resolve_matter
from tools.agent_tools.results import Result, guarded, ok, require_enterprise
from tools.agent_tools.views import local_time, matter_view, next_step, ticket_view
from tools.dictionary import ServiceDictionary
from tools.store.common import Contact, require_text
from tools.store.errors import NotFoundError
from tools.store.matters import STATE_LABELS, Matter, MatterState, MatterStore

MAX_MATERIALS = 50
RECENT_EVENTS = 5


@tool(parse_docstring=True)
@guarded
def start_matter(
    matter_code: str,
    contact_name: str,
    contact_phone: str,
    idempotency_key: str,
    runtime: ToolRuntime[ToolContext],
) -> Result:
    """为当前登录的企业发起办件（申报一个办事事项），按办事指南生成材料清单，返回办件编号和需补充的材料。

    需要企业已登录；办件只能以当前登录企业的名义发起。同一次申请重试时请使用相同的 idempotency_key，不会重复创建。
    材料齐全时自动提交预审。

    Args:
        matter_code: 事项编码（先用办事指南查询获得，例如 MH-SJ-SHIPIN）
        contact_name: 办件联系人姓名
        contact_phone: 联系人手机号或带区号的固定电话
        idempotency_key: 本次申请的唯一标识（任意 1 到 64 个字符），重试同一申请时保持不变
    """
    context = runtime.context
    enterprise = require_enterprise(context)
    services = context.services
    record = resolve_matter(services.dictionary, matter_code)
    code = record.code
    key = scoped_key(context.conversation_id, idempotency_key)
    materials = [(item.name, item.required) for item in record.materials]
    contact = Contact(contact_name, contact_phone)
    matter = services.matters.create(enterprise.uscc, code, record.name, materials, contact, key)
    if matter.matter_code != code:
        message = f"该 idempotency_key 已用于办件 {matter.number}（{matter.matter_name}），新的申请请换一个标识"
        raise InvalidInputError(message, field="idempotency_key")
    matter = submit_if_complete(services.matters, matter, enterprise.uscc)
    return ok(matter=matter_view(matter), next_step=_next(matter, services.dictionary), online_url=record.online_url)


@tool(parse_docstring=True)
@guarded
def supplement_materials(matter_number: str, provided: list[str], runtime: ToolRuntime[ToolContext]) -> Result:
    """为当前登录企业的办件登记已提供的材料（材料名称须与材料清单一致）；材料齐全后自动提交预审。

    Args:
        matter_number: 办件编号，例如 MH20260101-000001
        provided: 已提供的材料名称列表
    """
    context = runtime.context
    enterprise = require_enterprise(context)
    number = require_text(matter_number, "matter_number", "办件编号", max_len=40)
    if not provided or len(provided) > MAX_MATERIALS:
        raise InvalidInputError(f"请提供 1 到 {MAX_MATERIALS} 项材料名称", field="provided")
    store = context.services.matters
    before = _owned(store, number, enterprise.uscc)
    matter = store.supplement(number, enterprise.uscc, provided)
    matter = submit_if_complete(store, matter, enterprise.uscc)
    submitted = before.state != MatterState.SUBMITTED and matter.state == MatterState.SUBMITTED
    return ok(matter=matter_view(matter), submitted=submitted, next_step=_next(matter, context.services.dictionary))


@tool(parse_docstring=True)
@guarded
def track_matter(matter_number: str, runtime: ToolRuntime[ToolContext]) -> Result:
    """查询当前登录企业某件办件的办理进度：当前状态、下一步要做什么、还缺哪些材料、最近的办理记录。

    只能查询本企业的办件。

    Args:
        matter_number: 办件编号，例如 MH20260101-000001
    """
    context = runtime.context
    enterprise = require_enterprise(context)
    number = require_text(matter_number, "matter_number", "办件编号", max_len=40)
    matter = _owned(context.services.matters, number, enterprise.uscc)
    events = [
        {"at": local_time(e.at), "state_label": STATE_LABELS[e.to_state], "note": e.note}
        for e in matter.events[-RECENT_EVENTS:]
    ]
    return ok(matter=matter_view(matter), next_step=_next(matter, context.services.dictionary), events=events)


@tool(parse_docstring=True)
@guarded
def list_my_matters(runtime: ToolRuntime[ToolContext]) -> Result:
    """列出当前登录企业的全部办件和诉求（最新的在前），含编号、事项、状态和缺少的材料。"""
    context = runtime.context
    enterprise = require_enterprise(context)
    services = context.services
    matters = [matter_view(m) for m in services.matters.list_for(enterprise.uscc)]
    tickets = [ticket_view(t) for t in services.tickets.list_for(enterprise.uscc)]
    return ok(enterprise_name=enterprise.name, matters=matters, requests=tickets)


def scoped_key(conversation_id: str, idempotency_key: str) -> str:
    """The model's key, scoped to the conversation so that keys from different conversations never collide."""
    key = require_text(idempotency_key, "idempotency_key", "幂等键", max_len=64)
    conversation = hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()[:16]
    return f"{conversation}:{key}"


def submit_if_complete(store: MatterStore, matter: Matter, uscc: str) -> Matter:
    """A draft with nothing required missing goes to 预审; anything else comes back unchanged."""
    if matter.state != MatterState.DRAFT or matter.missing_materials:
        return matter
    return store.submit(matter.number, uscc, "材料齐全，企业在对话中提交预审")


def _owned(store: MatterStore, number: str, uscc: str) -> Matter:
    matter = store.get(number, uscc)
    if matter is None:
        raise NotFoundError(f"未找到本企业编号为 {number} 的办件，请核对编号")
    return matter


def _next(matter: Matter, dictionary: ServiceDictionary) -> str:
    record = dictionary.get(matter.matter_code)
    return next_step(matter, record.committed_time_limit_days if record else None)
