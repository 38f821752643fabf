"""Investment leads (招商线索): kept only with the investor's consent; withdrawal erases the personal columns.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERSONAL_FIELDS_FOLLOW_CONSENT = (
    "(consent_withdrawn_at IS NULL AND investor_name IS NOT NULL AND contact_name IS NOT NULL"
    " AND contact_phone IS NOT NULL) OR (consent_withdrawn_at IS NOT NULL AND investor_name IS NULL"
    " AND contact_name IS NULL AND contact_phone IS NULL)"
)


def upgrade() -> None:
    op.create_table(
        "investment_leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("investor_name", sa.String(length=100), nullable=True),
        sa.Column("contact_name", sa.String(length=50), nullable=True),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("enterprise_uscc", sa.String(length=18), nullable=True),
        sa.Column("industry", sa.String(length=50), nullable=False),
        sa.Column("area_sqm", sa.Float(), nullable=True),
        sa.Column("budget_yuan_per_month", sa.Float(), nullable=True),
        sa.Column("site_ids", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            PERSONAL_FIELDS_FOLLOW_CONSENT, name=op.f("ck_investment_leads_personal_fields_follow_consent")
        ),
        sa.CheckConstraint("area_sqm IS NULL OR area_sqm >= 0", name=op.f("ck_investment_leads_area_non_negative")),
        sa.CheckConstraint(
            "budget_yuan_per_month IS NULL OR budget_yuan_per_month >= 0",
            name=op.f("ck_investment_leads_budget_non_negative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_leads")),
        sa.UniqueConstraint("number", name=op.f("uq_investment_leads_number")),
    )
    with op.batch_alter_table("investment_leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_investment_leads_enterprise_uscc"), ["enterprise_uscc"], unique=False)


def downgrade() -> None:
    op.drop_table("investment_leads")
