"""分派 suggestions for 诉求 tickets: which Minhang department should handle a text.

In order: the department of a named matter (`matter_code`); the department of a matter the service dictionary finds
strongly in the text (its exact name, an alias, or a name contained in it); the department whose topic keywords
(`tools/dictionary/data/departments.yaml`, editable by operators) the text mentions most; else the 营商环境办, which
coordinates 12345 诉求, with a low confidence. A suggestion only: staff decide with `TicketStore.assign`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from minfu.errors import DocumentLoadError, InvalidInputError
from tools.dictionary.loader import data_path
from tools.dictionary.lookup import Match, ServiceDictionary, normalize
from tools.store.tickets import Ticket, TicketStore

DEPARTMENTS_NAME = "departments.yaml"
STRONG_MATCH = 0.86
STRONG_HOW = frozenset({"exact", "alias", "contains"})
MATTER_CONFIDENCE = 0.95
FALLBACK_CONFIDENCE = 0.2


@dataclass(frozen=True)
class Routing:
    department: str
    reason: str
    matched_matter_code: str | None
    confidence: float


@dataclass(frozen=True)
class Department:
    name: str
    short: str
    aliases: tuple[str, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class _Hit:
    department: str
    word: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.word)


class DepartmentTable:
    """Departments with their names and topic keywords, and the fallback department."""

    def __init__(self, departments: list[Department], fallback: Department, fallback_reason: str) -> None:
        self.departments = departments
        self.fallback = fallback
        self.fallback_reason = fallback_reason
        self._names = {normalize(n): d.name for d in [*departments, fallback] for n in (d.name, d.short, *d.aliases)}
        self._words = [(normalize(w), d.name) for d in departments for w in d.keywords]

    def canonical(self, name: str) -> str:
        """The table's name for a department name, short name or alias; unknown names come back unchanged."""
        return self._names.get(normalize(name), name.strip())

    def keyword_scores(self, text: str) -> dict[str, tuple[float, list[str]]]:
        """Department -> (score, words found); a word inside a longer word found at the same place does not count."""
        hits = _outermost([_Hit(dept, w, i) for w, dept in self._words for i in _positions(text, w)])
        scores: dict[str, tuple[float, list[str]]] = defaultdict(lambda: (0.0, []))
        for hit in sorted(hits, key=lambda h: h.start):
            score, words = scores[hit.department]
            scores[hit.department] = (score + _weight(hit.word), [*words, hit.word])
        return dict(scores)


def route_ticket(
    text: str,
    dictionary: ServiceDictionary,
    *,
    matter_code: str | None = None,
    departments: DepartmentTable | None = None,
) -> Routing:
    """The suggested department for a 诉求 text, with the reason, the matched matter (if any) and a confidence 0–1."""
    body = normalize(text)
    if not body:
        raise InvalidInputError("诉求内容不能为空", field="text")
    table = departments or load_departments()
    if matter_code is not None and matter_code.strip():
        return _by_matter_code(matter_code.strip(), dictionary, table)
    strong = _strong_match(dictionary.find(text, k=1))
    if strong is not None:
        department = table.canonical(strong.matter.department)
        reason = f"诉求内容与事项「{strong.matter.name}」相符，由其主管部门{department}办理"
        return Routing(department, reason, strong.matter.code, round(min(0.9, 0.6 + 0.3 * strong.score), 2))
    return _by_keywords(body, table)


def submit_routed(
    store: TicketStore,
    dictionary: ServiceDictionary,
    enterprise_uscc: str,
    category: str,
    text: str,
    *,
    matter_code: str | None = None,
) -> tuple[Ticket, Routing]:
    """收集 with a 分派 suggestion: the ticket is stored with the routed department as its suggested department."""
    routing = route_ticket(text, dictionary, matter_code=matter_code)
    return store.submit(enterprise_uscc, category, text, suggested_department=routing.department), routing


def load_departments(path: Path | str | None = None) -> DepartmentTable:
    """The department table from `path`, or the bundled Minhang sample table."""
    return _bundled() if path is None else _read_table(Path(path))


@cache
def _bundled() -> DepartmentTable:
    return _read_table(data_path(DEPARTMENTS_NAME))


def _by_matter_code(code: str, dictionary: ServiceDictionary, table: DepartmentTable) -> Routing:
    matter = dictionary.get(code)
    if matter is None:
        raise InvalidInputError(f"没有编码为 {code} 的事项", field="matter_code")
    department = table.canonical(matter.department)
    reason = f"诉求涉及事项「{matter.name}」，由其主管部门{department}办理"
    return Routing(department, reason, matter.code, MATTER_CONFIDENCE)


def _strong_match(matches: list[Match]) -> Match | None:
    if matches and matches[0].how in STRONG_HOW and matches[0].score >= STRONG_MATCH:
        return matches[0]
    return None


def _by_keywords(text: str, table: DepartmentTable) -> Routing:
    scores = table.keyword_scores(text)
    if not scores:
        return Routing(table.fallback.name, table.fallback_reason, None, FALLBACK_CONFIDENCE)
    order = [d.name for d in table.departments]
    ranked = sorted(scores.items(), key=lambda item: (-item[1][0], order.index(item[0])))
    department, (top, words) = ranked[0]
    second = ranked[1][1][0] if len(ranked) > 1 else 0.0
    confidence = 0.4 + 0.45 * ((top - second) / top) * min(1.0, top / 3)
    reason = f"诉求提及“{'、'.join(dict.fromkeys(words))}”，属{department}职责"
    return Routing(department, reason, None, round(confidence, 2))


def _positions(text: str, word: str) -> list[int]:
    found, start = [], text.find(word)
    while start >= 0:
        found.append(start)
        start = text.find(word, start + 1)
    return found


def _outermost(hits: list[_Hit]) -> list[_Hit]:
    """Drop hits that lie inside a longer hit (消防 inside 消防验收); equal spans of two departments both stay."""
    return [h for h in hits if not any(_covers(o, h) for o in hits)]


def _covers(outer: _Hit, inner: _Hit) -> bool:
    longer = len(outer.word) > len(inner.word)
    return longer and outer.start <= inner.start and inner.end <= outer.end


def _weight(word: str) -> float:
    return {1: 0.5, 2: 1.0, 3: 1.5}.get(len(word), 2.0)


def _read_table(path: Path) -> DepartmentTable:
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DocumentLoadError(str(path), f"无法读取部门表：{exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("departments"), list) or "fallback" not in data:
        raise DocumentLoadError(str(path), "部门表应包含 fallback 与 departments 列表")
    departments = [_department(path, raw) for raw in data["departments"]]
    fallback = _department(path, data["fallback"])
    reason = data["fallback"].get("reason") if isinstance(data["fallback"], dict) else None
    return DepartmentTable(departments, fallback, str(reason or f"未能确定主管部门，转{fallback.name}研判分派"))


def _department(path: Path, raw: Any) -> Department:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise DocumentLoadError(str(path), f"部门记录缺少名称：{raw!r}")
    name = raw["name"].strip()
    lists = {key: raw.get(key) or [] for key in ("aliases", "keywords")}
    for key, values in lists.items():
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            raise DocumentLoadError(str(path), f"部门“{name}”的 {key} 应为非空字符串列表")
    short = str(raw.get("short") or name).strip()
    return Department(name, short, tuple(lists["aliases"]), tuple(v.strip() for v in lists["keywords"]))
