"""Final Chinese answers rendered from a tool's JSON result. Every number, status and clause is quoted from the result.

Knowledge hits come back as citation dicts; they are rebuilt into `Hit`s so that the grounded composer
(`compose_answer`) chooses the sentences and numbers the citations, exactly as for a direct retrieval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from agents.offline.answer import HUMAN_OFFER, GroundedAnswer, compose_answer
from minfu.domain import Chunk, Document, DocumentKind, Hit, Validity

Result = dict[str, Any]
LOGIN_PROMPT = "请先登录企业账号，登录后我才能为您查询或办理本企业的事项（只能查看本企业的信息）。"
OFFER_START = "需要我帮您开始办理吗？"
MAX_LISTED = 5


def render_result(tool: str, args: dict[str, Any], result: Result) -> tuple[str, Result]:
    """The answer text for one tool result, and extra metadata (citations, grounded) for the answer message."""
    if not result.get("ok"):
        code = (result.get("error") or {}).get("code")
        extra: Result = {"answered": code not in ("internal_error", "not_found")}
        if code == "login_required":
            extra["retry"] = {"tool": tool, "args": args}  # after logging in, "继续" repeats the request
        return render_error(result), extra
    if tool == "search_knowledge":
        answer = knowledge_answer(str(args.get("query", result.get("query", ""))), result)
        citations = [c.to_json() for c in answer.citations]
        return answer.text, {"citations": citations, "grounded": answer.grounded, "answered": answer.grounded}
    renderer = _RENDERERS.get(tool, render_message)
    guide = result.get("guide") if tool == "get_service_guide" else None
    offer = {"offer_start": {"matter_code": guide["code"], "matter_name": guide["name"]}} if guide else {}
    return renderer(result), offer


def options_of(tool: str, result: Result) -> tuple[Result, ...]:
    """The choices a tool result offers a form in progress: open time slots, or a matter's missing materials."""
    if tool == "book_appointment":
        return tuple({"value": slot["slot_id"], "label": slot_label(slot)} for slot in result.get("open_slots") or ())
    if tool == "track_matter":
        missing = (result.get("matter") or {}).get("missing_materials") or ()
        return tuple({"value": name, "label": name} for name in missing)
    return ()


def render_error(result: Result) -> str:
    detail = result.get("error") or {}
    if detail.get("code") == "login_required":
        return LOGIN_PROMPT
    message = str(detail.get("message") or "系统暂时无法完成该操作")
    return f"{message}。{HUMAN_OFFER}" if detail.get("code") == "internal_error" else message


# knowledge ------------------------------------------------------------------------------------------------------
def knowledge_answer(question: str, result: Result) -> GroundedAnswer:
    hits = [hit_from_citation(i, item) for i, item in enumerate(result.get("citations") or [])]
    return compose_answer(question, hits)


def hit_from_citation(index: int, item: Result) -> Hit:
    """A `Hit` rebuilt from the search tool's citation view (enough for composing and citing)."""
    title = str(item.get("title") or "未命名文件")
    effective = item.get("effective_from")
    document = Document(
        id=f"doc-{index}-{title}",
        kind=DocumentKind(item.get("kind") or "policy"),
        title=title,
        source=str(item.get("source") or ""),
        doc_number=item.get("doc_number"),
        effective_from=date.fromisoformat(effective) if effective else None,
    )
    chunk = Chunk(
        id=str(item.get("ref") or f"chunk-{index}"),
        document_id=document.id,
        ordinal=index,
        text=str(item.get("text") or ""),
        section_path=tuple(item.get("section_path") or ()),
        article=item.get("article"),
    )
    validity = Validity(item.get("validity") or Validity.CURRENT.value)
    why = tuple(str(w) for w in item.get("why") or ())
    return Hit(chunk=chunk, document=document, fused_score=float(item.get("score") or 0.0), why=why, validity=validity)


# service guide --------------------------------------------------------------------------------------------------
def render_guide(result: Result) -> str:
    if result.get("ambiguous"):
        names = "、".join(f"{s['name']}（{s['code']}）" for s in result.get("suggestions") or [])
        return f"{result.get('message', '找到多个可能的事项')}：{names}。请告诉我您要办理哪一项。"
    card: Result = result.get("guide") or {}
    lines = [f"【{card.get('name')}】办事指南（{card.get('department')}）"]
    lines += _guide_lines(card)
    if card.get("sample"):
        lines.append("（注：以上为示例数据，请以官方办事指南为准）")
    lines.append(OFFER_START)
    return "\n".join(lines)


def _guide_lines(card: Result) -> list[str]:
    lines: list[str] = []
    if members := card.get("bundle_members"):
        lines.append("包含事项：" + "、".join(m["name"] for m in members))
    if conditions := card.get("conditions"):
        lines.append("受理条件：" + "；".join(conditions))
    if materials := card.get("materials"):
        lines.append("申请材料：" + "；".join(m["name"] + ("" if m.get("required") else "（选交）") for m in materials))
    days = card.get("committed_time_limit_days") or card.get("legal_time_limit_days")
    if days is not None:
        lines.append(f"办理时限：{days}个工作日")
    if places := card.get("places"):
        lines.append("办理地点：" + "；".join(f"{p['name']}{p.get('address') or ''}" for p in places))
    if url := card.get("online_url"):
        lines.append(f"网上办理：{url}")
    return lines


# matters --------------------------------------------------------------------------------------------------------
def matter_line(view: Result) -> str:
    line = f"办件 {view['matter_number']}（{view['matter_name']}）：{view['state_label']}"
    missing = view.get("missing_materials") or []
    return line + (f"，缺少材料：{'、'.join(missing)}" if missing else "")


def render_track(result: Result) -> str:
    lines = [matter_line(result["matter"])]
    if step := result.get("next_step"):
        lines.append(f"下一步：{step}")
    return "\n".join(lines)


def render_matters(result: Result) -> str:
    matters: Sequence[Result] = result.get("matters") or []
    requests: Sequence[Result] = result.get("requests") or []
    if not matters and not requests:
        return f"{result.get('enterprise_name', '本企业')}暂无办件或诉求记录。"
    lines = [f"{result.get('enterprise_name', '本企业')}的办件和诉求："]
    lines += [matter_line(view) for view in matters]
    lines += [f"诉求 {r['ticket_number']}（{r['category']}）：{r['state_label']}" for r in requests]
    return "\n".join(lines)


# policies and sites ---------------------------------------------------------------------------------------------
def render_policies(result: Result) -> str:
    lines = []
    for key, label in (("eligible", "符合"), ("possibly_eligible", "可能符合"), ("not_eligible", "不符合")):
        for view in (result.get(key) or [])[:MAX_LISTED]:
            line = f"【{label}】{view['title']}：{view['reason']}"
            if missing := view.get("missing_facts"):
                line += f"（还需确认：{'、'.join(missing)}）"
            lines.append(line)
    if not lines:
        return "暂未匹配到相关政策。" + HUMAN_OFFER
    return "\n".join([*lines, str(result.get("note", ""))]).strip()


def render_sites(result: Result) -> str:
    recommendations: Sequence[Result] = result.get("recommendations") or []
    if not recommendations:
        return str(result.get("message") or "暂无满足条件的载体。")
    lines = ["为您推荐以下载体（按匹配程度排序）："]
    for rank, site in enumerate(recommendations, start=1):
        low, high = site["monthly_rent_range_yuan"]
        reasons = "；".join(site.get("reasons") or [])
        lines.append(f"{rank}. {site['name']}（{site['town']}，月租约{low}–{high}元）：{reasons}")
    if package := result.get("industry_package"):
        lines.append(f"产业政策包：{package['title']}")
    lines.append(str(result.get("note", "")))
    return "\n".join(line for line in lines if line)


# matters started, bookings, ratings, leads ------------------------------------------------------------------------
def render_started(result: Result) -> str:
    view: Result = result["matter"]
    number, name, state = view["matter_number"], view["matter_name"], view["state_label"]
    lines = [f"已为您创建办件，办件编号：{number}（{name}），当前状态：{state}。"]
    if step := result.get("next_step"):
        lines.append(f"下一步：{step}")
    if url := result.get("online_url"):
        lines.append(f"也可在网上办理或查看：{url}")
    return "\n".join(lines)


def render_supplemented(result: Result) -> str:
    lines = [matter_line(result["matter"])]
    if result.get("submitted"):
        lines.append("材料已齐全，已自动提交预审。")
    if step := result.get("next_step"):
        lines.append(f"下一步：{step}")
    return "\n".join(lines)


def slot_label(slot: Result) -> str:
    starts, ends = str(slot["starts_at"]), str(slot["ends_at"])
    day = f"{int(starts[5:7])}月{int(starts[8:10])}日"
    return f"{day} {starts[11:16]}-{ends[11:16]}，{slot['place']}{slot.get('window') or ''}（余{slot['remaining']}个）"


def render_booking(result: Result) -> str:
    if booking := result.get("booking"):
        slot = booking["slot"]
        number = booking["booking_number"]
        return f"{result.get('message', '预约成功')}。预约编号：{number}，时间地点：{slot_label(slot)}。"
    slots: Sequence[Result] = result.get("open_slots") or []
    if not slots:
        offered = "、".join(result.get("bookable_services") or [])
        message = str(result.get("message") or "该服务暂无可预约时段")
        return message + (f"。可预约的服务有：{offered}" if offered else "。")
    lines = [f"「{result.get('service_name')}」可预约的时段："]
    lines += [f"{rank}. {slot_label(slot)}" for rank, slot in enumerate(slots, start=1)]
    return "\n".join(lines)


def render_rated(result: Result) -> str:
    request: Result = result.get("request") or {}
    number, rating = request.get("ticket_number"), request.get("rating")
    return f"{result.get('message', '感谢您的评价')}。诉求 {number} 评分：{rating} 分。"


def render_request(result: Result) -> str:
    number = (result.get("request") or {}).get("ticket_number")
    return render_message(result) + (f"。诉求编号：{number}" if number else "")


def render_message(result: Result) -> str:
    """Tools whose result carries its own Chinese message (诉求, 转人工, 预约, 线索)."""
    return str(result.get("message") or "已处理完成。")


_RENDERERS: dict[str, Callable[[Result], str]] = {
    "get_service_guide": render_guide,
    "track_matter": render_track,
    "list_my_matters": render_matters,
    "match_policies": render_policies,
    "recommend_sites": render_sites,
    "submit_request": render_request,
    "start_matter": render_started,
    "supplement_materials": render_supplemented,
    "book_appointment": render_booking,
    "rate_request": render_rated,
}
