"""Unique windows (place, service, label) and slots (window, start), so the schedule can be published idempotently.

Unique indexes rather than unique constraints: SQLite adds an index in place, while a new constraint would rebuild
the table, and dropping the old `slots` table with foreign keys on would cascade-delete its bookings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "uq_service_windows_place_service_label",
        "service_windows",
        ["place_id", "service_name", "label"],
        unique=True,
    )
    op.create_index("uq_slots_window_id_starts_at", "slots", ["window_id", "starts_at"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_slots_window_id_starts_at", table_name="slots")
    op.drop_index("uq_service_windows_place_service_label", table_name="service_windows")
