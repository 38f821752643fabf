"""`minfu db …` and `minfu matters …`: the relational store for operators and demos."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.table import Table

from minfu.errors import InvalidInputError
from minfu.settings import get_settings
from tools.store.db import current_revision, make_engine, session_factory, upgrade
from tools.store.matters import Matter, MatterStore


def run_db_upgrade() -> str:
    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    return current_revision(engine) or ""


def _store() -> MatterStore:
    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    return MatterStore(session_factory(engine))


def run_matters_list(enterprise_uscc: str, *, as_json: bool) -> None:
    matters = _store().list_for(enterprise_uscc)
    if as_json:
        print(json.dumps([_matter_json(m) for m in matters], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{enterprise_uscc} 的办件（{len(matters)} 件）")
    for column in ("办件编号", "事项", "状态", "缺少材料", "更新时间"):
        table.add_column(column)
    for m in matters:
        table.add_row(
            m.number,
            m.matter_name,
            m.state_label,
            "、".join(m.missing_materials) or "—",
            m.updated_at.isoformat(timespec="minutes"),
        )
    Console().print(table)


def run_matters_show(number: str, *, as_json: bool) -> None:
    matter = _store().get_for_staff(number)
    if matter is None:
        raise InvalidInputError(f"找不到办件：{number}", field="number")
    if as_json:
        print(json.dumps(_matter_json(matter), ensure_ascii=False, indent=2))
        return
    console = Console()
    console.print(f"[bold]{matter.number}[/bold] {matter.matter_name}（{matter.matter_code}）— {matter.state_label}")
    console.print(f"企业：{matter.enterprise_uscc}  联系人：{matter.contact.name}")
    for item in matter.materials:
        console.print(f"  材料 {'✓' if item.provided else '✗'} {item.name}{'（必需）' if item.required else ''}")
    for event in matter.events:
        console.print(f"  {event.at.isoformat(timespec='minutes')} {event.actor}：{event.to_state.value} {event.note}")


def run_matters_advance(number: str, to_state: str, note: str, staff_id: str) -> None:
    matter = _store().advance(number, to_state, note, staff_id)
    Console().print(f"{matter.number} 已转为：{matter.state_label}")


def _matter_json(matter: Matter) -> dict[str, Any]:
    data = asdict(matter)
    data["state_label"] = matter.state_label
    data["missing_materials"] = list(matter.missing_materials)
    plain: dict[str, Any] = json.loads(json.dumps(data, ensure_ascii=False, default=str))  # datetimes, enums as text
    return plain
