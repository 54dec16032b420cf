"""api keys of the prediction service

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 08:20:00

Keys are stored hashed (SHA-256 of the secret): the secret itself is printed once, at creation.
The table is defined in :mod:`thermowatch.service.apikeys` (the service owns it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import thermowatch.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False, comment="public key id (prefix)"),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", thermowatch.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", thermowatch.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "last_used_at", thermowatch.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_sha256", name=op.f("uq_api_keys_key_sha256")),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
