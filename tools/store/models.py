"""ORM tables (SQLAlchemy 2 typed mapping). Only the stores use these; callers get dataclasses.

Changing a table means adding an Alembic revision under `migrations/versions/` (tests compare both).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Timestamp = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class MatterRow(Base):
    __tablename__ = "matters"
    __table_args__ = (UniqueConstraint("enterprise_uscc", "idempotency_key", name="uq_matters_idempotency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    enterprise_uscc: Mapped[str] = mapped_column(String(18), index=True)
    matter_code: Mapped[str] = mapped_column(String(64))
    matter_name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(32))
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)

    materials: Mapped[list[MaterialRow]] = relationship(order_by="MaterialRow.position")
    events: Mapped[list[MatterEventRow]] = relationship(order_by="MatterEventRow.id")


class MaterialRow(Base):
    __tablename__ = "matter_materials"
    __table_args__ = (UniqueConstraint("matter_id", "name", name="uq_matter_materials_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool]
    provided: Mapped[bool] = mapped_column(default=False)
    provided_at: Mapped[datetime | None] = mapped_column(Timestamp)


class MatterEventRow(Base):
    """Append-only: the stores insert events and never update or delete them."""

    __tablename__ = "matter_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(Timestamp)
    actor: Mapped[str] = mapped_column(String(80))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")


class TicketRow(Base):
    __tablename__ = "tickets"
    __table_args__ = (CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    enterprise_uscc: Mapped[str] = mapped_column(String(18), index=True)
    category: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text)
    suggested_department: Mapped[str | None] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(100))
    due_date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(32))
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    assigned_at: Mapped[datetime | None] = mapped_column(Timestamp)
    replied_at: Mapped[datetime | None] = mapped_column(Timestamp)
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    rated_at: Mapped[datetime | None] = mapped_column(Timestamp)

    replies: Mapped[list[TicketReplyRow]] = relationship(order_by="TicketReplyRow.id")


class TicketReplyRow(Base):
    __tablename__ = "ticket_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(Timestamp)
    staff_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)


class PlaceRow(Base):
    __tablename__ = "places"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str] = mapped_column(String(300))


class WindowRow(Base):
    """One service at one window of a place; a window serving several services has one row per service."""

    __tablename__ = "service_windows"
    __table_args__ = (
        Index("uq_service_windows_place_service_label", "place_id", "service_name", "label", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"), index=True)
    service_name: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(50))

    place: Mapped[PlaceRow] = relationship()


class SlotRow(Base):
    __tablename__ = "slots"
    __table_args__ = (
        Index("uq_slots_window_id_starts_at", "window_id", "starts_at", unique=True),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("service_windows.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(Timestamp, index=True)
    ends_at: Mapped[datetime] = mapped_column(Timestamp)
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0)

    window: Mapped[WindowRow] = relationship()


class BookingRow(Base):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"), index=True)
    enterprise_uscc: Mapped[str] = mapped_column(String(18), index=True)
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    cancelled_at: Mapped[datetime | None] = mapped_column(Timestamp)

    slot: Mapped[SlotRow] = relationship()


class LeadRow(Base):
    """An investment lead (招商线索), kept only with consent; withdrawal erases the personal columns (PIPL)."""

    __tablename__ = "investment_leads"
    __table_args__ = (
        CheckConstraint(
            "(consent_withdrawn_at IS NULL AND investor_name IS NOT NULL AND contact_name IS NOT NULL"
            " AND contact_phone IS NOT NULL) OR (consent_withdrawn_at IS NOT NULL AND investor_name IS NULL"
            " AND contact_name IS NULL AND contact_phone IS NULL)",
            name="personal_fields_follow_consent",
        ),
        CheckConstraint("area_sqm IS NULL OR area_sqm >= 0", name="area_non_negative"),
        CheckConstraint("budget_yuan_per_month IS NULL OR budget_yuan_per_month >= 0", name="budget_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    investor_name: Mapped[str | None] = mapped_column(String(100))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    enterprise_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    industry: Mapped[str] = mapped_column(String(50))
    area_sqm: Mapped[float | None] = mapped_column(Float)
    budget_yuan_per_month: Mapped[float | None] = mapped_column(Float)
    site_ids: Mapped[list[str]] = mapped_column(JSON)
    notes: Mapped[str] = mapped_column(Text, default="")
    consent_text: Mapped[str] = mapped_column(Text)
    consented_at: Mapped[datetime] = mapped_column(Timestamp)
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class ConversationCheckpointRow(Base):
    """One LangGraph checkpoint of a conversation (agents.checkpoint.SqlCheckpointer), serialized by its serde.

    The checkpoint blob carries the channel values inline. `checkpoint_id`s are uuid6 strings of one fixed
    lowercase-hex layout, so ordering them as text (any collation) is ordering them in time.
    """

    __tablename__ = "conversation_checkpoints"

    thread_id: Mapped[str] = mapped_column(Text, primary_key=True)
    checkpoint_ns: Mapped[str] = mapped_column(Text, primary_key=True)
    checkpoint_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_checkpoint_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    checkpoint: Mapped[bytes] = mapped_column(LargeBinary)
    metadata_type: Mapped[str] = mapped_column(String(64))
    metadata_blob: Mapped[bytes] = mapped_column("metadata", LargeBinary)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class ConversationWriteRow(Base):
    """A pending write of a task against a checkpoint; special writes (errors, interrupts) have negative `idx`.

    No foreign key to the checkpoint: LangGraph saves writes and checkpoints from background threads, and a
    task's writes may land before the checkpoint row they belong to.
    """

    __tablename__ = "conversation_writes"

    thread_id: Mapped[str] = mapped_column(Text, primary_key=True)
    checkpoint_ns: Mapped[str] = mapped_column(Text, primary_key=True)
    checkpoint_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    channel: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(64))
    value: Mapped[bytes] = mapped_column(LargeBinary)
    task_path: Mapped[str] = mapped_column(Text, default="")


# --- identity: embedding sites (widget hosts) and staff/admin API keys; used by api/identity.py and api/deps.py ---


class SiteRow(Base):
    """A portal that embeds the widget: its public key, the origins it may call from and its token-signing secret.

    The portal secret is kept in clear because HMAC verification needs it; lists and logs never show it.
    """

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    allowed_origins: Mapped[list[str]] = mapped_column(JSON)
    portal_secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    disabled: Mapped[bool] = mapped_column(default=False)


class ApiKeyRow(Base):
    """A staff or admin API key; only its SHA-256 is stored, the prefix identifies it in lists."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("role IN ('staff', 'admin')", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)


# --- audit: staff and tool actions (tools/store/audit.py) ---


class AuditEventRow(Base):
    """Append-only: who did what to which record, with personal numbers in `target` and `detail` masked."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp, index=True)
    actor: Mapped[str] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class ConversationRow(Base):
    """Who a conversation belongs to (the site it started on, the enterprise once signed in) and its feedback."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_key: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, index=True)
    turns: Mapped[int] = mapped_column(default=0)


class FeedbackRow(Base):
    """A thumbs up or down on one assistant message, with an optional reason."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    message_index: Mapped[int]
    rating: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(Timestamp, index=True)


# --- staff desk: the handoff queue, curated answers and a row per chat turn (tools/store/handoffs.py, curated.py,
# turns.py) ---


class HandoffRow(Base):
    """A conversation handed over to a person: waiting, claimed by one staff key, then closed."""

    __tablename__ = "handoffs"
    __table_args__ = (CheckConstraint("status IN ('waiting', 'claimed', 'closed')", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    site_key: Mapped[str] = mapped_column(String(64))
    enterprise_uscc: Mapped[str | None] = mapped_column(String(18))
    reason: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(Timestamp, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp)


class CuratedAnswerRow(Base):
    """A staff-approved answer, with the chunks (id and content hash) it rests on; invalid once one changes."""

    __tablename__ = "curated_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(2000))
    answer: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    sources: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    invalidated_at: Mapped[datetime | None] = mapped_column(Timestamp, index=True)
    invalidated_reason: Mapped[str | None] = mapped_column(String(200))


class ChatTurnRow(Base):
    """One answered user message: when, whether it was answered, and by which brain (the console's daily figures)."""

    __tablename__ = "chat_turns"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(Timestamp, index=True)
    answered: Mapped[bool]
    brain: Mapped[str] = mapped_column(String(32))
