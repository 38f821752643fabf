import math
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from minfu.errors import InvalidInputError
from tests.tools.store.conftest import CONTACT, A
from tools.store import session_factory, upgrade
from tools.store.common import Contact
from tools.store.db import SessionFactory, alembic_config, current_revision
from tools.store.errors import NotFoundError
from tools.store.leads import Lead, LeadStore
from tools.store.models import LeadRow
from tools.store.tickets import TicketStore

CONSENT = "本人同意闵行区投资促进服务中心保存本人姓名、联系电话和投资意向，仅用于招商对接，可随时撤回。"
T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


class StepClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def store(sessions: SessionFactory) -> LeadStore:
    return LeadStore(sessions, clock=StepClock())


def record(store: LeadStore, **overrides: object) -> Lead:
    args: dict[str, object] = {
        "investor_name": "上海智算科技有限公司",
        "contact": Contact(name=" 李四 ", phone="139 1234 5678"),
        "industry": "人工智能",
        "area_sqm": 800,
        "budget_yuan_per_month": 60000.0,
        "site_ids": ["mh-xz-01", "mh-qb-02", "mh-xz-01"],
        "consent": True,
        "consent_text": CONSENT,
        "notes": "希望靠近地铁，李总手机另留 13700001111",
        "enterprise_uscc": A.lower(),
    }
    args.update(overrides)
    return store.record(**args)  # type: ignore[arg-type]


def count(sessions: SessionFactory) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(LeadRow)) or 0)


def test_record_stores_the_lead_with_consent_time_and_text(store: LeadStore) -> None:
    lead = record(store)
    assert lead.number == "ZS20261127-000001"
    assert lead.investor_name == "上海智算科技有限公司"
    assert lead.contact == Contact(name="李四", phone="13912345678")
    assert (lead.industry, lead.area_sqm, lead.budget_yuan_per_month) == ("人工智能", 800.0, 60000.0)
    assert lead.site_ids == ("mh-xz-01", "mh-qb-02")
    assert lead.enterprise_uscc == A
    assert lead.consent_text == CONSENT
    assert lead.consented_at == T0 + timedelta(minutes=1)
    assert lead.consent_withdrawn_at is None and not lead.anonymised
    assert store.get(lead.number) == lead
    assert store.get(" " + lead.number + " ") == lead


def test_numbers_are_unique_and_list_recent_is_newest_first(store: LeadStore) -> None:
    numbers = [record(store, industry=f"行业{i}").number for i in range(3)]
    assert len(set(numbers)) == 3
    assert [lead.number for lead in store.list_recent(2)] == numbers[::-1][:2]
    assert [lead.number for lead in store.list_recent()] == numbers[::-1]


@pytest.mark.parametrize("consent", [False, None, "true", 1])
def test_without_consent_nothing_is_written(store: LeadStore, sessions: SessionFactory, consent: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        record(store, consent=consent)
    assert caught.value.field == "consent"
    assert "同意" in caught.value.message
    assert count(sessions) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"investor_name": "  "}, "investor_name"),
        ({"contact": Contact(name="李四", phone="12345")}, "contact_phone"),
        ({"contact": Contact(name="", phone="13912345678")}, "contact_name"),
        ({"industry": ""}, "industry"),
        ({"area_sqm": -1}, "area_sqm"),
        ({"area_sqm": math.nan}, "area_sqm"),
        ({"area_sqm": True}, "area_sqm"),
        ({"budget_yuan_per_month": -0.5}, "budget_yuan_per_month"),
        ({"budget_yuan_per_month": math.inf}, "budget_yuan_per_month"),
        ({"site_ids": "mh-xz-01"}, "site_ids"),
        ({"site_ids": ["mh-xz-01", " "]}, "site_ids"),
        ({"site_ids": [f"s{i}" for i in range(21)]}, "site_ids"),
        ({"consent_text": "同意"}, "consent_text"),
        ({"notes": "长" * 2001}, "notes"),
        ({"enterprise_uscc": "91310112MA1000001X"}, "enterprise_uscc"),
    ],
)
def test_invalid_inputs_are_refused_in_chinese_and_write_nothing(
    store: LeadStore, sessions: SessionFactory, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        record(store, **overrides)
    assert caught.value.field == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)
    assert count(sessions) == 0


def test_optional_fields_may_be_absent(store: LeadStore) -> None:
    lead = record(store, area_sqm=None, budget_yuan_per_month=None, site_ids=[], notes="", enterprise_uscc=None)
    assert (lead.area_sqm, lead.budget_yuan_per_month, lead.site_ids, lead.enterprise_uscc) == (None, None, (), None)
    assert record(store, area_sqm=0, budget_yuan_per_month=0).area_sqm == 0.0


def test_withdraw_consent_erases_personal_fields_and_keeps_the_anonymised_lead(
    store: LeadStore, sessions: SessionFactory
) -> None:
    lead = record(store)
    other = record(store, investor_name="另一家公司")
    withdrawn = store.withdraw_consent(lead.number)
    assert withdrawn.anonymised and withdrawn.consent_withdrawn_at is not None
    assert (withdrawn.investor_name, withdrawn.contact, withdrawn.notes) == (None, None, "")
    assert (withdrawn.industry, withdrawn.area_sqm, withdrawn.site_ids) == ("人工智能", 800.0, ("mh-xz-01", "mh-qb-02"))
    assert withdrawn.consent_text == CONSENT and withdrawn.consented_at == lead.consented_at
    assert store.get(lead.number) == withdrawn
    assert store.withdraw_consent(lead.number) == withdrawn  # again: nothing changes
    assert store.get(other.number) == other
    with sessions() as session:  # the erased values are gone from the table itself, not only from the API
        raw = session.execute(text("SELECT investor_name, contact_name, contact_phone, notes FROM investment_leads"))
        stored = [tuple(row) for row in raw]
    assert (None, None, None, "") in stored
    assert not any("13912345678" in str(row) or "13700001111" in str(row) for row in stored if row[0] is None)


def test_withdrawing_an_unknown_lead_is_not_found(store: LeadStore) -> None:
    with pytest.raises(NotFoundError):
        store.withdraw_consent("ZS20261127-999999")
    assert store.get("ZS20261127-999999") is None


def test_the_database_refuses_a_withdrawn_lead_that_keeps_a_phone(store: LeadStore, sessions: SessionFactory) -> None:
    lead = record(store)
    with pytest.raises(IntegrityError), sessions.begin() as session:
        row = session.scalars(select(LeadRow).where(LeadRow.number == lead.number)).one()
        row.consent_withdrawn_at = T0
    assert store.get(lead.number) == lead


@pytest.mark.parametrize("limit", [0, -1, 501, True])
def test_list_limit_is_validated(store: LeadStore, limit: int) -> None:
    with pytest.raises(InvalidInputError):
        store.list_recent(limit)


def test_upgrade_from_0001_keeps_data_and_adds_leads(engine: Engine) -> None:
    upgrade(engine, "0001")
    assert "investment_leads" not in inspect(engine).get_table_names()
    sessions = session_factory(engine)
    ticket = TicketStore(sessions).submit(A, "政策咨询", "想了解人工智能产业扶持政策")
    upgrade(engine, "0002")
    assert current_revision(engine) == "0002"
    assert "investment_leads" in inspect(engine).get_table_names()
    assert TicketStore(sessions).get(ticket.number, A) == ticket
    lead = LeadStore(sessions).record("某投资方", CONTACT, "生物医药", 100, None, [], True, CONSENT)
    assert LeadStore(sessions).get(lead.number) == lead


def test_downgrade_to_0001_drops_only_the_leads(engine: Engine) -> None:
    upgrade(engine)
    command.downgrade(alembic_config(engine), "0001")
    assert current_revision(engine) == "0001"
    tables = set(inspect(engine).get_table_names())
    assert "investment_leads" not in tables and {"tickets", "matters"} <= tables
