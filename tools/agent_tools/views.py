"""Plain-JSON views of records for tool results: what the model reads and quotes."""

from __future__ import annotations

import hashlib
from typing import Any

from knowledge.serialization import hit_to_json
from minfu.domain import Hit
from tools.dictionary import Match, ServiceDictionary, ServiceMatter
from tools.investment import IndustryPackage, Recommendation
from tools.policies import PolicyMatch
from tools.store.appointments import Booking, Slot
from tools.store.common import LOCAL_TZ
from tools.store.matters import Matter, MatterState
from tools.store.tickets import Ticket


def citation_ref(chunk_id: str) -> str:
    """A short handle the model cites as 【ref】: derived from the chunk id, so the same chunk has the same ref in
    every search call and the answer checker can tell a retrieved text from an invented one."""
    return "K" + hashlib.sha1(chunk_id.encode("utf-8"), usedforsecurity=False).hexdigest()[:6]


def citation(hit: Hit) -> dict[str, Any]:
    data = hit_to_json(hit)
    keys = ("title", "doc_number", "article", "section_path", "effective_from", "source", "text", "validity", "kind")
    # `why` tells which retrievers agreed: the answer composer trusts agreed evidence more
    extra = {"score": data["fused_score"], "why": data["why"], "ref": citation_ref(hit.chunk.id)}
    return {key: data[key] for key in keys} | extra


def guide_card(matter: ServiceMatter, dictionary: ServiceDictionary) -> dict[str, Any]:
    members = dictionary.bundle_members(matter.code) if matter.is_bundle else []
    return {
        "code": matter.code,
        "name": matter.name,
        "department": matter.department,
        "matter_type": matter.matter_type,
        "conditions": list(matter.conditions),
        "materials": [m.model_dump() for m in matter.materials],
        "steps": list(matter.steps),
        "legal_time_limit_days": matter.legal_time_limit_days,
        "committed_time_limit_days": matter.committed_time_limit_days,
        "fees": matter.fees,
        "places": [p.model_dump() for p in matter.places],
        "online_url": matter.online_url,
        "mian_shen_ji_xiang": matter.mian_shen_ji_xiang,
        "bundle_members": [{"code": m.code, "name": m.name, "department": m.department} for m in members],
        "source": matter.source,
        "sample": matter.sample,
        "sample_note": matter.sample_note,
    }


def suggestion(match: Match) -> dict[str, Any]:
    matter = match.matter
    return {"code": matter.code, "name": matter.name, "department": matter.department, "score": match.score}


def local_time(value: Any) -> str:
    return str(value.astimezone(LOCAL_TZ).isoformat(timespec="minutes"))


def matter_view(matter: Matter) -> dict[str, Any]:
    return {
        "matter_number": matter.number,
        "matter_code": matter.matter_code,
        "matter_name": matter.matter_name,
        "state": matter.state.value,
        "state_label": matter.state_label,
        "materials": [{"name": m.name, "required": m.required, "provided": m.provided} for m in matter.materials],
        "missing_materials": list(matter.missing_materials),
        "created_at": local_time(matter.created_at),
        "updated_at": local_time(matter.updated_at),
    }


def latest_note(matter: Matter) -> str:
    """The latest note written by staff, or ''."""
    for event in reversed(matter.events):
        if event.actor.startswith("staff:") and event.note:
            return event.note
    return ""


def next_step(matter: Matter, committed_days: int | None) -> str:
    missing = "、".join(matter.missing_materials)
    note = latest_note(matter)
    steps = {
        MatterState.DRAFT: f"请补充以下材料：{missing}" if missing else "材料已齐全，可提交预审",
        MatterState.SUBMITTED: "已提交预审，请等待窗口审核"
        + (f"（承诺时限 {committed_days} 个工作日）" if committed_days else ""),
        MatterState.NEEDS_SUPPLEMENT: f"请按补正要求补充材料：{missing or '见审核意见'}",
        MatterState.ACCEPTED: "已受理，等待承办部门办理",
        MatterState.PROCESSING: "承办部门正在办理，办结后会通知您",
        MatterState.COMPLETED: "已办结，可按通知领取结果",
        MatterState.REJECTED: "不予受理；如有疑问可提出诉求或转人工服务",
    }
    return steps[matter.state] + (f"。审核意见：{note}" if note else "")


def ticket_view(ticket: Ticket) -> dict[str, Any]:
    return {
        "ticket_number": ticket.number,
        "category": ticket.category,
        "state": ticket.state.value,
        "state_label": ticket.state_label,
        "suggested_department": ticket.suggested_department,
        "department": ticket.department,
        "due_date": ticket.due_date.isoformat() if ticket.due_date else None,
        "rating": ticket.rating,
        "replies": [{"at": local_time(r.at), "text": r.text} for r in ticket.replies],
        "created_at": local_time(ticket.created_at),
    }


def slot_view(slot: Slot) -> dict[str, Any]:
    return {
        "slot_id": slot.id,
        "service_name": slot.service_name,
        "place": slot.place,
        "window": slot.window,
        "starts_at": local_time(slot.starts_at),
        "ends_at": local_time(slot.ends_at),
        "remaining": slot.remaining,
    }


def booking_view(booking: Booking) -> dict[str, Any]:
    return {"booking_number": booking.number, "status": booking.status, "slot": slot_view(booking.slot)}


def policy_view(match: PolicyMatch, *, brief: bool = False) -> dict[str, Any]:
    policy = match.policy
    view: dict[str, Any] = {"policy_id": policy.id, "title": policy.title, "reason": match.reason}
    if brief:
        return view
    return view | {
        "benefit": policy.benefit,
        "mian_shen_ji_xiang": policy.mian_shen_ji_xiang,
        "citation": match.citation.text(),
        "department": policy.department,
        "expires_on": policy.expires_on.isoformat() if policy.expires_on else None,
        "missing_facts": [fact.label for fact in match.missing_facts],
        "sample": policy.sample,
    }


def recommendation_view(rec: Recommendation) -> dict[str, Any]:
    site = rec.site
    low, high = rec.monthly_rent_range_yuan
    return {
        "site_id": site.id,
        "name": site.name,
        "kind": site.kind,
        "town": site.town,
        "address": site.address,
        "industries": list(site.industries),
        "free_area_sqm": site.free_area_sqm,
        "facilities": list(site.facilities),
        "score": round(rec.score, 3),
        "reasons": list(rec.reasons),
        "monthly_rent_range_yuan": [round(low), round(high)],
        "contact": site.contact,
        "sample": site.sample,
    }


def package_view(package: IndustryPackage) -> dict[str, Any]:
    return {
        "industry": package.industry,
        "title": package.title,
        "measures": list(package.measures),
        "source": package.source,
    }
