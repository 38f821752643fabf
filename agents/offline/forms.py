"""Multi-turn forms: the offline brain gathers a tool's required items one at a time, confirms, then calls it.

The form in progress travels in the conversation: every message that asks for an item carries it in
`response_metadata["form"]`, so the brain stays a pure function of the messages and a conversation restored from the
checkpointer resumes where it stopped. A form is dropped when the user cancels or clearly turns to something else.
Items with offered options (time slots, missing materials) are filled from a tool result first (`Item.options_from`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from agents.offline import replies
from agents.offline.intents import looks_like_question
from agents.offline.turns import Step, Turn
from agents.session import SessionInfo
from tools.agent_tools.investment_tools import CONSENT_TEXT

CONFIRM = "confirm"
CANCELLED = "好的，已取消，没有提交任何信息。还有什么可以帮您？"
LOGIN_TO_CONTINUE = (
    "办理该事项需要先登录企业账号（只能以登录企业的名义办理）。请点击“登录”，登录后回复“继续”即可接着办理。"
)
SWITCH_INTENT_CONFIDENCE = 0.7  # a message this sure of another intent leaves the form instead of answering it
SHORT_REPLY = 4  # characters: "好的", "2", "张三" answer the question, whatever they resemble

Reader = Callable[[Turn, bool], Any]  # (turn, asked for this item) -> value, or None when the turn holds none


@dataclass(frozen=True)
class Form:
    kind: str
    values: Mapping[str, Any] = field(default_factory=dict)
    asking: str = ""
    options: tuple[Mapping[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "values": dict(self.values), "asking": self.asking, "options": list(self.options)}

    @classmethod
    def from_json(cls, data: Any) -> Form | None:
        if not isinstance(data, dict) or data.get("kind") not in SPECS:
            return None
        options = tuple(o for o in data.get("options") or () if isinstance(o, dict))
        return cls(str(data["kind"]), dict(data.get("values") or {}), str(data.get("asking") or ""), options)

    def filled(self, **values: Any) -> Form:
        return replace(self, values={**self.values, **{k: v for k, v in values.items() if v is not None}})


@dataclass(frozen=True)
class Item:
    name: str
    question: str
    read: Reader
    options_from: str | None = None  # a tool whose result offers the choices (answered by `replies.choice`)


@dataclass(frozen=True)
class Spec:
    tool: str
    items: tuple[Item, ...]
    arguments: Callable[[Form], dict[str, Any]]
    confirm: Callable[[Form, SessionInfo], str] | None = None
    login: str | None = None  # the item before which a signed-in enterprise is needed ("" = from the start)


# reading items --------------------------------------------------------------------------------------------------
def _matter_code(turn: Turn, _asked: bool) -> Any:
    return turn.matter.code if turn.matter else None


def _contact_name(turn: Turn, asked: bool) -> Any:
    return replies.person_name(turn.text, asked=asked)


def _phone(turn: Turn, _asked: bool) -> Any:
    return turn.slots.phone


def _service_name(turn: Turn, asked: bool) -> Any:
    if turn.matter:
        return turn.matter.name
    text = replies.clean(turn.text)
    return text if asked and 2 <= len(text) <= 50 and not looks_like_question(text) else None


def _chosen(turn: Turn, _asked: bool) -> Any:
    return None  # filled from the offered options in `_answer_options`


def _matter_number(turn: Turn, _asked: bool) -> Any:
    return turn.slots.matter_number


def _ticket_number(turn: Turn, _asked: bool) -> Any:
    return turn.slots.ticket_number


def _score(turn: Turn, _asked: bool) -> Any:
    return replies.score(turn.text)


def _investor(turn: Turn, asked: bool) -> Any:
    return replies.organisation_name(turn.text, asked=asked)


def _industry(turn: Turn, asked: bool) -> Any:
    text = replies.clean(turn.text)
    free = asked and 2 <= len(text) <= 20 and not looks_like_question(text)
    return turn.slots.industry or turn.slots.sector or (text if free else None)


def _consent(turn: Turn, _asked: bool) -> Any:
    return None  # only an explicit yes to the consent question gives consent (see `_confirmed`)


# the forms --------------------------------------------------------------------------------------------------------
CONTACT_NAME = Item("contact_name", "请问办件联系人的姓名是？", _contact_name)
CONTACT_PHONE = Item("contact_phone", "请提供联系人的手机号码（或带区号的固定电话）。", _phone)


def _start_args(form: Form) -> dict[str, Any]:
    values = form.values
    args = {key: values[key] for key in ("matter_code", "contact_name", "contact_phone")}
    return args | {"idempotency_key": idempotency_key(form)}


def _start_confirm(form: Form, session: SessionInfo) -> str:
    v = form.values
    return (
        f"请确认办件信息：\n事项：{v.get('matter_name', v['matter_code'])}（{v['matter_code']}）\n"
        f"申请企业：{session.enterprise_name}\n联系人：{v['contact_name']}，电话：{v['contact_phone']}\n"
        "确认提交请回复“确认”；需要修改请直接告诉我，不办了请回复“取消”。"
    )


def _booking_args(form: Form) -> dict[str, Any]:
    keys = ("service_name", "slot_id", "contact_name", "contact_phone")
    return {key: form.values[key] for key in keys if key in form.values}


def _booking_confirm(form: Form, _session: SessionInfo) -> str:
    v = form.values
    return (
        f"请确认预约：{v['service_name']}，{v.get('slot_id_label', '')}。\n到场联系人：{v['contact_name']}，"
        f"电话：{v['contact_phone']}\n确认预约请回复“确认”。"
    )


def _lead_args(form: Form) -> dict[str, Any]:
    keys = ("investor_name", "contact_phone", "industry", "area_sqm", "budget_yuan_per_month")
    return {key: form.values[key] for key in keys if key in form.values} | {"consent": True}


def _lead_confirm(form: Form, _session: SessionInfo) -> str:
    v = form.values
    return (
        f"登记投资意向前需征得您的同意：{CONSENT_TEXT}\n将登记：{v['investor_name']}，电话 {v['contact_phone']}，"
        f"产业方向 {v['industry']}。您是否同意？（回复“同意”登记，回复“不同意”则不登记任何信息）"
    )


def _handoff_confirm(_form: Form, _session: SessionInfo) -> str:
    return "需要我为您转接人工服务吗？回复“是”即可转接。"


SPECS: dict[str, Spec] = {
    "start_matter": Spec(
        "start_matter",
        (
            Item("matter_code", "请问您要办理哪个事项？（例如“食品经营许可”“开店一件事”）", _matter_code),
            CONTACT_NAME,
            CONTACT_PHONE,
        ),
        _start_args,
        _start_confirm,
        login="",
    ),
    "book_appointment": Spec(
        "book_appointment",
        (
            Item("service_name", "请问您要预约办理哪项业务？", _service_name),
            Item("slot_id", "请从上面的时段中选择一个（回复序号即可，例如“1”）。", _chosen, "book_appointment"),
            Item("contact_name", "请问到场联系人的姓名是？", _contact_name),
            CONTACT_PHONE,
        ),
        _booking_args,
        _booking_confirm,
        login="contact_name",
    ),
    "supplement_materials": Spec(
        "supplement_materials",
        (
            Item("matter_number", "请提供要补充材料的办件编号（例如 MH20260101-000001）。", _matter_number),
            Item("provided", "请告诉我已准备好哪些材料（可回复材料名称，或“都已准备好”）。", _chosen, "track_matter"),
        ),
        lambda form: {"matter_number": form.values["matter_number"], "provided": list(form.values["provided"])},
        login="",
    ),
    "rate_request": Spec(
        "rate_request",
        (
            Item("ticket_number", "请提供要评价的诉求编号（例如 SQ20260101-000001）。", _ticket_number),
            Item("score", "请问您对处理结果打几分？（1 分很不满意，5 分非常满意）", _score),
        ),
        lambda form: {"ticket_number": form.values["ticket_number"], "score": int(form.values["score"])},
        login="",
    ),
    "register_lead": Spec(
        "register_investment_lead",
        (
            Item("investor_name", "好的，为您登记投资意向，由招商专员联系您。请问投资者（或企业）名称是？", _investor),
            Item("contact_phone", "请提供联系电话。", _phone),
            Item("industry", "请问项目的产业方向是？（例如“人工智能”“生物医药”）", _industry),
        ),
        _lead_args,
        _lead_confirm,
    ),
    "handoff": Spec("handoff_to_human", (), lambda form: {"reason": form.values["reason"]}, _handoff_confirm),
    # asked for the enterprise's facts once; the planner puts every fact gathered so far into `values`
    "match_policies": Spec("match_policies", (), lambda form: dict(form.values)),
    # a request refused for want of a login, repeated when the user says they have logged in
    "retry": Spec("", (), lambda form: dict(form.values.get("args") or {})),
}
OFFER = "offer"  # `asking` of a start_matter form opened by a guide card's "需要我帮您开始办理吗？"


# driving a form ---------------------------------------------------------------------------------------------------
def start_form(kind: str, turn: Turn, session: SessionInfo, **known: Any) -> Step:
    """Open a form of `kind` with what the first message and the session already tell."""
    return _next(_read(Form(kind).filled(**known), turn, asked=None), session)


def advance(form: Form, turn: Turn, session: SessionInfo) -> Step | None:
    """The next step of a form in progress, or None when the user turned to something else (plan afresh)."""
    if form.kind == "retry":
        return _retried(form, turn)
    if replies.is_cancel(turn.text):
        return Step(text=CANCELLED)
    if form.asking == OFFER:
        return _offer_answered(form, turn, session)
    elsewhere = _elsewhere(turn, form)
    if elsewhere and looks_like_question(turn.text):
        return None  # "人才安居补贴的标准是多少" asks something else; it answers no item
    # a confident other request ("帮我查一下MH…的进度") is never taken as free text for the item asked
    updated = _answer_options(_read(form, turn, asked=None if elsewhere else form.asking), turn)
    if updated.values != form.values:
        return _next(updated, session)
    if form.asking == CONFIRM:
        return _confirmed(form, turn, session)
    if elsewhere:
        return None
    return _next(form, session, again=not replies.is_resume(turn.text))


def offered_start(matter_code: str, matter_name: str) -> Form:
    return Form("start_matter", {"matter_code": matter_code, "matter_name": matter_name}, OFFER)


def retry_after_login(tool: str, args: dict[str, Any]) -> Form:
    return Form("retry", {"tool": tool, "args": args}, "login")


def _retried(form: Form, turn: Turn) -> Step | None:
    if replies.is_resume(turn.text) or replies.decision(turn.text) == "yes" or turn.guess.intent == "track_matter":
        return Step(tool=str(form.values["tool"]), args=dict(form.values.get("args") or {}))
    return None


def _offer_answered(form: Form, turn: Turn, session: SessionInfo) -> Step | None:
    decision = replies.decision(turn.text)
    same_matter = turn.matter is None or turn.matter.code == form.values["matter_code"]
    if decision == "yes" or (turn.guess.intent == "start_matter" and same_matter):
        return _next(replace(form, asking=""), session)
    if decision == "no":
        return Step(text="好的，有需要随时告诉我。")
    return None


def idempotency_key(form: Form) -> str:
    """The same application (same values) gets the same key, so a repeated confirmation never creates twice."""
    values = {k: v for k, v in form.values.items() if not k.endswith("_label")}
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"{form.kind}-{digest[:16]}"


def with_options(form: Form, options: tuple[Mapping[str, Any], ...]) -> Form | None:
    """The form after its options arrived from a tool result; None when there is nothing to choose from."""
    return replace(form, options=options) if options else None


def _read(form: Form, turn: Turn, *, asked: str | None) -> Form:
    if replies.is_control(turn.text):
        asked = None  # "继续", "好的", "确认" steer the form; they are never a name or an industry
    found = {item.name: item.read(turn, item.name == asked) for item in SPECS[form.kind].items}
    if found.get("matter_code") and turn.matter:
        found["matter_name"] = turn.matter.name
    return form.filled(**found)


def _answer_options(form: Form, turn: Turn) -> Form:
    if not form.options or form.asking in form.values:
        return form
    labels = [str(option["label"]) for option in form.options]
    if form.asking == "provided":
        chosen = replies.chosen_many(turn.text, labels)
        return form.filled(provided=chosen or None)
    index = replies.choice(turn.text, labels)
    if index is None:
        return form
    option = form.options[index]
    return form.filled(**{form.asking: option["value"], f"{form.asking}_label": option["label"]})


def _confirmed(form: Form, turn: Turn, session: SessionInfo) -> Step | None:
    decision = replies.decision(turn.text)
    if decision == "yes":
        spec = SPECS[form.kind]
        return Step(tool=spec.tool, args=spec.arguments(form))
    if decision == "no":
        return Step(text="好的，不登记任何信息。" if form.kind == "register_lead" else CANCELLED)
    return None if _elsewhere(turn, form) else _next(form, session, again=True)


def _elsewhere(turn: Turn, form: Form) -> bool:
    guess = turn.guess
    if len(replies.clean(turn.text)) <= SHORT_REPLY:
        return False
    return guess.intent not in ("out_of_scope", "greeting", form.kind) and guess.confidence >= SWITCH_INTENT_CONFIDENCE


def _next(form: Form, session: SessionInfo, *, again: bool = False) -> Step:
    spec = SPECS[form.kind]
    form = _with_session_contact(form, session)
    if spec.login == "" and not session.logged_in:
        first_missing = next((item.name for item in spec.items if item.name not in form.values), CONFIRM)
        return Step(text=LOGIN_TO_CONTINUE, form=replace(form, asking=first_missing))
    for item in spec.items:
        if spec.login == item.name and not session.logged_in:
            return Step(text=LOGIN_TO_CONTINUE, form=replace(form, asking=item.name))
        if item.name in form.values:
            continue
        asking = replace(form, asking=item.name)
        if item.options_from and not form.options:
            return Step(tool=item.options_from, args=_option_args(form), form=asking)
        prefix = "抱歉，我没有读懂。" if again else ""
        return Step(text=prefix + item.question, form=asking)
    if spec.login == CONFIRM and not session.logged_in:
        return Step(text=LOGIN_TO_CONTINUE, form=replace(form, asking=CONFIRM))
    if spec.confirm is None:
        return Step(tool=spec.tool, args=spec.arguments(form))
    return Step(text=spec.confirm(form, session), form=replace(form, asking=CONFIRM))


def _with_session_contact(form: Form, session: SessionInfo) -> Form:
    """The signed-in enterprise's registered contact, unless the user named another one."""
    if form.kind not in ("start_matter", "book_appointment"):
        return form
    named = form.values.get("contact_name")
    if named and named != session.contact_name:
        return form  # another contact than the registered one: their phone is asked, never the registered one's
    defaults = {"contact_name": session.contact_name, "contact_phone": session.contact_phone}
    return replace(form, values={**{k: v for k, v in defaults.items() if v}, **form.values})


def _option_args(form: Form) -> dict[str, Any]:
    if form.kind == "book_appointment":
        return {"service_name": form.values["service_name"]}
    return {"matter_number": form.values["matter_number"]}
