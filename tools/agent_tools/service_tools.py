"""Tools for 预约, 诉求 (收集-分派-处置-反馈-评价) and handing the conversation to a person."""

from __future__ import annotations

import logging

from langchain.tools import ToolRuntime, tool

from minfu.errors import InvalidInputError
from tools.agent_tools.context import EnterpriseIdentity, ToolContext, ToolServices
from tools.agent_tools.results import Result, guarded, ok, require_enterprise, require_range
from tools.agent_tools.views import booking_view, slot_view, ticket_view
from tools.store.appointments import Slot
from tools.store.common import Contact, require_text
from tools.store.routing import route_ticket

log = logging.getLogger(__name__)

MAX_SLOTS = 10
ROUTE_SCORE = 0.6  # a dictionary match at least this good links the user's words to a window's service
HANDOFF_CATEGORY = "人工服务"


@tool(parse_docstring=True)
@guarded
def book_appointment(
    service_name: str,
    runtime: ToolRuntime[ToolContext],
    slot_id: int | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
) -> Result:
    """预约线下窗口办事。不带 slot_id 时列出该服务可预约的时段；带 slot_id 时为当前登录企业预约该时段。

    预约需要企业已登录；联系人默认为登录时的企业联系人。

    Args:
        service_name: 要办理的服务或事项名称，例如“企业开办”
        slot_id: 要预约的时段编号（从可预约时段列表中选择）
        contact_name: 到场联系人姓名（不填则用企业登记的联系人）
        contact_phone: 到场联系人电话（不填则用企业登记的联系电话）
    """
    context = runtime.context
    service = require_text(service_name, "service_name", "服务名称", max_len=200)
    if slot_id is None:
        return _open_slots(context.services, service)
    enterprise = require_enterprise(context)
    contact = _contact(enterprise, contact_name, contact_phone)
    booking = context.services.appointments.book(slot_id, enterprise.uscc, contact)
    return ok(booking=booking_view(booking), message="预约成功，请按时携带材料到场办理")


def _open_slots(services: ToolServices, service: str) -> Result:
    slots = services.appointments.open_slots(service)
    if not slots:
        slots = _slots_by_meaning(services, service)
    if slots:
        return ok(service_name=service, open_slots=[slot_view(s) for s in slots[:MAX_SLOTS]])
    offered = sorted({slot.service_name for slot in services.appointments.open_slots()})
    return ok(service_name=service, open_slots=[], bookable_services=offered, message="该服务暂无可预约时段")


def _slots_by_meaning(services: ToolServices, service: str) -> list[Slot]:
    """Slots of services whose window name names the same dictionary matter as the user's words.

    Each distinct service name is looked up once: a published schedule has thousands of slots but a dozen names.
    """
    wanted = {m.matter.code for m in services.dictionary.find(service, k=2) if m.score >= ROUTE_SCORE}
    if not wanted:
        return []
    slots = services.appointments.open_slots()
    names = {slot.service_name for slot in slots}
    same = {name for name in names if any(m.matter.code in wanted for m in services.dictionary.find(name, k=1))}
    return [slot for slot in slots if slot.service_name in same]


def _contact(enterprise: EnterpriseIdentity, name: str | None, phone: str | None) -> Contact:
    name = name or enterprise.contact_name
    phone = phone or enterprise.contact_phone
    if not name or not phone:
        raise InvalidInputError(
            "请提供到场联系人的姓名和联系电话", field="contact_name" if not name else "contact_phone"
        )
    return Contact(name, phone)


@tool(parse_docstring=True)
@guarded
def submit_request(category: str, text: str, runtime: ToolRuntime[ToolContext]) -> Result:
    """以当前登录企业的名义提交诉求（意见建议、投诉、求助等），返回诉求编号；诉求会分派给承办部门并答复。

    Args:
        category: 诉求类别，例如“政策咨询”“投诉”“建议”“求助”
        text: 诉求的具体内容（至少 5 个字），写清事情经过和希望解决的问题
    """
    context = runtime.context
    enterprise = require_enterprise(context)
    body = require_text(text, "text", "诉求内容", max_len=2000, min_len=5)
    routing = route_ticket(body, context.services.dictionary)
    ticket = context.services.tickets.submit(enterprise.uscc, category, body, routing.department)
    message = f"诉求已登记，建议由{routing.department}承办；答复后可对处理结果进行评价"
    return ok(request=ticket_view(ticket), routing_reason=routing.reason, message=message)


@tool(parse_docstring=True)
@guarded
def rate_request(ticket_number: str, score: int, runtime: ToolRuntime[ToolContext], comment: str = "") -> Result:
    """当前登录企业对已答复的诉求进行评价（好差评），1 到 5 分，每件诉求只能评价一次。

    Args:
        ticket_number: 诉求编号，例如 SQ20260101-000001
        score: 评分，1（很不满意）到 5（非常满意）的整数
        comment: 评价意见（可选，不超过 500 字）
    """
    context = runtime.context
    enterprise = require_enterprise(context)
    number = require_text(ticket_number, "ticket_number", "诉求编号", max_len=40)
    require_range(score, 1, 5, "score", "评分")
    ticket = context.services.tickets.rate(number, enterprise.uscc, score, comment)
    return ok(request=ticket_view(ticket), message="感谢您的评价")


@tool(parse_docstring=True)
@guarded
def handoff_to_human(reason: str, runtime: ToolRuntime[ToolContext]) -> Result:
    """转人工服务：用户要求人工、问题超出知识范围或多次未能解决时调用。已登录企业会登记一条“人工服务”诉求并由专员跟进。

    Args:
        reason: 转人工的原因和用户的问题摘要
    """
    context = runtime.context
    summary = require_text(reason, "reason", "转人工原因", max_len=1000)
    hotline = context.services.hotline
    if context.enterprise is None:
        message = f"已为您转接人工服务；您也可拨打服务热线 {hotline}，登录企业账号后可在线登记由专员跟进"
        return ok(handoff=True, recorded=False, hotline=hotline, message=message)
    return _record_handoff(context, context.enterprise, summary)


def _record_handoff(context: ToolContext, enterprise: EnterpriseIdentity, summary: str) -> Result:
    hotline = context.services.hotline
    text = f"企业在对话中请求人工服务：{summary}"
    if context.conversation_id:
        text += f"（会话 {context.conversation_id}）"
    try:
        ticket = context.services.tickets.submit(enterprise.uscc, HANDOFF_CATEGORY, text[:2000])
    except Exception:
        log.exception("handoff ticket could not be recorded")
        message = f"人工服务登记暂时失败，请直接拨打服务热线 {hotline}，我们会尽快处理"
        return ok(handoff=True, recorded=False, hotline=hotline, message=message)
    message = f"已转人工服务并登记为诉求 {ticket.number}，专员将尽快联系您；紧急情况可拨打 {hotline}"
    return ok(handoff=True, recorded=True, request=ticket_view(ticket), hotline=hotline, message=message)
