"""Investment leads (招商线索), recorded only with the investor's consent (PIPL-style).

A lead stores when the investor consented and the exact consent text they agreed to. Withdrawing consent erases the
personal fields (investor name, contact, notes) at once and keeps the anonymised lead (industry, area, budget, sites)
for statistics; a database check forbids a withdrawn lead that still holds a name or a phone number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from minfu.errors import InvalidInputError
from tools.store.common import Clock, Contact, as_utc, placeholder_number, record_number, require_text, utc_now
from tools.store.db import SessionFactory
from tools.store.errors import NotFoundError
from tools.store.models import LeadRow
from tools.store.uscc import normalize_uscc

LEAD_PREFIX = "ZS"
MAX_AREA_SQM = 10_000_000.0
MAX_BUDGET = 1_000_000_000.0  # yuan per month
MAX_SITES = 20
MAX_LIST = 500


@dataclass(frozen=True)
class Lead:
    """A lead; `investor_name` and `contact` are None once consent is withdrawn."""

    number: str
    investor_name: str | None
    contact: Contact | None
    enterprise_uscc: str | None
    industry: str
    area_sqm: float | None
    budget_yuan_per_month: float | None
    site_ids: tuple[str, ...]
    notes: str
    consent_text: str
    consented_at: datetime
    consent_withdrawn_at: datetime | None
    created_at: datetime

    @property
    def anonymised(self) -> bool:
        return self.consent_withdrawn_at is not None


@dataclass(frozen=True)
class _LeadFields:
    investor_name: str
    contact: Contact
    enterprise_uscc: str | None
    industry: str
    area_sqm: float | None
    budget_yuan_per_month: float | None
    site_ids: tuple[str, ...]
    notes: str
    consent_text: str


class LeadStore:
    """Investment leads for the promotion staff; every public method is one transaction."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def record(
        self,
        investor_name: str,
        contact: Contact,
        industry: str,
        area_sqm: float | None,
        budget_yuan_per_month: float | None,
        site_ids: Sequence[str],
        consent: bool,
        consent_text: str,
        notes: str = "",
        enterprise_uscc: str | None = None,
    ) -> Lead:
        """A new lead; refused (nothing written) unless the investor consented to the shown `consent_text`."""
        if consent is not True:
            raise InvalidInputError("未经投资方同意，不能记录招商线索，请先征得对方同意", field="consent")
        fields = _LeadFields(
            investor_name=require_text(investor_name, "investor_name", "投资方名称", max_len=100),
            contact=contact.validated(),
            enterprise_uscc=_optional_uscc(enterprise_uscc),
            industry=require_text(industry, "industry", "行业", max_len=50),
            area_sqm=_amount(area_sqm, "area_sqm", "意向面积", MAX_AREA_SQM),
            budget_yuan_per_month=_amount(budget_yuan_per_month, "budget_yuan_per_month", "月租金预算", MAX_BUDGET),
            site_ids=_site_ids(site_ids),
            notes=_notes(notes),
            consent_text=require_text(consent_text, "consent_text", "授权同意文本", max_len=2000, min_len=10),
        )
        with self._sessions.begin() as session:
            return _to_lead(self._insert(session, fields))

    def get(self, number: str) -> Lead | None:
        with self._sessions() as session:
            row = _load(session, number)
            return None if row is None else _to_lead(row)

    def list_recent(self, limit: int = 50) -> list[Lead]:
        """The newest leads first."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST:
            raise InvalidInputError(f"条数应为 1 到 {MAX_LIST} 的整数", field="limit")
        with self._sessions() as session:
            rows = session.scalars(select(LeadRow).order_by(LeadRow.id.desc()).limit(limit)).all()
            return [_to_lead(row) for row in rows]

    def withdraw_consent(self, number: str) -> Lead:
        """Erase the personal fields and keep the anonymised lead; withdrawing again changes nothing."""
        with self._sessions.begin() as session:
            row = _load(session, number, for_update=True)
            if row is None:
                raise NotFoundError(f"未找到招商线索 {number}")
            if row.consent_withdrawn_at is None:
                row.investor_name = row.contact_name = row.contact_phone = None
                row.notes = ""
                row.consent_withdrawn_at = self._clock()
            return _to_lead(row)

    def _insert(self, session: Session, fields: _LeadFields) -> LeadRow:
        now = self._clock()
        row = LeadRow(
            number=placeholder_number(),
            investor_name=fields.investor_name,
            contact_name=fields.contact.name,
            contact_phone=fields.contact.phone,
            enterprise_uscc=fields.enterprise_uscc,
            industry=fields.industry,
            area_sqm=fields.area_sqm,
            budget_yuan_per_month=fields.budget_yuan_per_month,
            site_ids=list(fields.site_ids),
            notes=fields.notes,
            consent_text=fields.consent_text,
            consented_at=now,
            created_at=now,
        )
        session.add(row)
        session.flush()
        row.number = record_number(LEAD_PREFIX, now, row.id)
        session.flush()
        return row


def _amount(value: float | None, field: str, label: str, maximum: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInputError(f"{label}应为数字", field=field)
    if value < 0:
        raise InvalidInputError(f"{label}不能为负数", field=field)
    if value > maximum:
        raise InvalidInputError(f"{label}超出合理范围", field=field)
    return float(value)


def _optional_uscc(value: str | None) -> str | None:
    return normalize_uscc(value) if value is not None and value.strip() else None


def _site_ids(values: Sequence[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise InvalidInputError("意向载体应为编号列表", field="site_ids")
    ids = [require_text(value, "site_ids", "意向载体编号", max_len=40) for value in values]
    unique = tuple(dict.fromkeys(ids))
    if len(unique) > MAX_SITES:
        raise InvalidInputError(f"意向载体最多 {MAX_SITES} 个", field="site_ids")
    return unique


def _notes(value: str) -> str:
    text = value.strip()
    if len(text) > 2000:
        raise InvalidInputError("备注不能超过 2000 个字", field="notes")
    return text


def _load(session: Session, number: str, *, for_update: bool = False) -> LeadRow | None:
    query = select(LeadRow).where(LeadRow.number == number.strip())
    return session.scalars(query.with_for_update() if for_update else query).one_or_none()


def _to_lead(row: LeadRow) -> Lead:
    has_contact = row.contact_name is not None and row.contact_phone is not None
    return Lead(
        number=row.number,
        investor_name=row.investor_name,
        contact=Contact(name=row.contact_name or "", phone=row.contact_phone or "") if has_contact else None,
        enterprise_uscc=row.enterprise_uscc,
        industry=row.industry,
        area_sqm=row.area_sqm,
        budget_yuan_per_month=row.budget_yuan_per_month,
        site_ids=tuple(row.site_ids),
        notes=row.notes,
        consent_text=row.consent_text,
        consented_at=as_utc(row.consented_at),
        consent_withdrawn_at=None if row.consent_withdrawn_at is None else as_utc(row.consent_withdrawn_at),
        created_at=as_utc(row.created_at),
    )
