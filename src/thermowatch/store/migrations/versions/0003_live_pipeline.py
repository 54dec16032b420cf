"""forecasts and reading issues of the live pipeline

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 11:00:00

``forecasts``: the forecast issued with each live prediction (one row per instant ahead).
``reading_issues``: why a live value was stored SUSPECT or refused (REJECTED), per value.
``alert_states``: the hysteresis state of each alert signal, owned by the store so that every
worker and monitor process evaluates alerts from the same state (and timers survive restarts).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import thermowatch.store.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = thermowatch.store.types.UTCDateTime(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # The measured target next to the prediction: status and the API show the worse level.
    with op.batch_alter_table("predictions") as batch:
        batch.add_column(
            sa.Column(
                "measured",
                sa.Float(),
                nullable=True,
                comment="the measured target at that instant, if good [°C]",
            )
        )
        batch.add_column(
            sa.Column(
                "measured_level",
                sa.String(length=20),
                nullable=True,
                comment="alert level of the measured target",
            )
        )
    op.create_table(
        "forecasts",
        sa.Column("transformer_id", sa.String(length=64), nullable=False),
        sa.Column("issued_at", _TS, nullable=False, comment="instant of the reading forecast from"),
        sa.Column("ts", _TS, nullable=False, comment="the instant forecast"),
        sa.Column("model_id", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False, comment="forecast temperature [°C]"),
        sa.Column(
            "level", sa.String(length=20), nullable=False, comment="alert level of the forecast"
        ),
        sa.ForeignKeyConstraint(
            ["transformer_id"],
            ["transformers.id"],
            name=op.f("fk_forecasts_transformer_id_transformers"),
        ),
        sa.PrimaryKeyConstraint(
            "transformer_id", "issued_at", "ts", "model_id", name=op.f("pk_forecasts")
        ),
    )
    op.create_table(
        "reading_issues",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("transformer_id", sa.String(length=64), nullable=False),
        sa.Column("ts", _TS, nullable=True, comment="the reading's instant, as sent"),
        sa.Column(
            "variable", sa.String(length=200), nullable=False, comment="'*' when the whole snapshot"
        ),
        sa.Column(
            "raw", sa.Text(), nullable=True, comment="the value as received (repr), for the record"
        ),
        sa.Column(
            "verdict", sa.String(length=20), nullable=False, comment="SUSPECT (stored) or REJECTED"
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("received_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_issues")),
    )
    op.create_index(
        "ix_reading_issues_recent",
        "reading_issues",
        ["transformer_id", "received_at"],
        unique=False,
    )

    op.create_table(
        "alert_states",
        sa.Column("transformer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column(
            "level", sa.String(length=20), nullable=False, comment="level held (hysteresis applied)"
        ),
        sa.Column("up_since", _TS, nullable=True, comment="pending raise: since when above"),
        sa.Column("up_target", sa.String(length=20), nullable=True),
        sa.Column("down_since", _TS, nullable=True, comment="pending clear: since when below"),
        sa.Column("down_target", sa.String(length=20), nullable=True),
        sa.Column("last_ts", _TS, nullable=True, comment="newest sample evaluated"),
        sa.ForeignKeyConstraint(
            ["transformer_id"],
            ["transformers.id"],
            name=op.f("fk_alert_states_transformer_id_transformers"),
        ),
        sa.PrimaryKeyConstraint("transformer_id", "kind", name=op.f("pk_alert_states")),
    )


def downgrade() -> None:
    op.drop_table("alert_states")
    with op.batch_alter_table("predictions") as batch:
        batch.drop_column("measured_level")
        batch.drop_column("measured")
    op.drop_index("ix_reading_issues_recent", table_name="reading_issues")
    op.drop_table("reading_issues")
    op.drop_table("forecasts")
