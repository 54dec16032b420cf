"""the database's identity (store_identity)

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-07 02:00:00

One row holding a random UUID written at this upgrade: what must go back into *this* database
(the service's audit spool) is keyed by it, so a database created again at the same URL is
never mistaken for the one it replaces.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import thermowatch.store.types

revision: str = "0015"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "store_identity",
        sa.Column("id", sa.String(36), nullable=False, comment="random UUID, written once"),
        sa.Column("created_at", thermowatch.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": str(uuid.uuid4()), "created_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("store_identity")
