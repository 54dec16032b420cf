"""monitors sharing a fleet: heartbeat leases and per-transformer claims

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-07 05:00:00

``monitor_members`` holds one heartbeat lease per live monitor of a shared fleet;
``shard_claims`` says which monitor collects each transformer (one at a time: a claim passes
to another monitor only once its holder released it or its lease expired).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import thermowatch.store.types

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DT = thermowatch.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "monitor_members",
        sa.Column("member", sa.String(128), primary_key=True),
        sa.Column("group_name", sa.String(64), nullable=False),
        sa.Column("beat_at", UTC_DT, nullable=False),
        sa.Column("expires_at", UTC_DT, nullable=False),
    )
    op.create_table(
        "shard_claims",
        sa.Column("transformer_id", sa.String(64), primary_key=True),
        sa.Column("member", sa.String(128), nullable=False),
        sa.Column("since", UTC_DT, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("shard_claims")
    op.drop_table("monitor_members")
