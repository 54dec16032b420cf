"""one stored state per transformer; alarm shelving; CRITIQUE raise timer

Revision ID: 0013
Revises: 0015
Create Date: 2026-12-07 02:00:00

``transformer_state`` is what the live pipeline computed for each transformer's newest reading
batch (thresholds in force, measured / predicted level, the worse and which, the earliest future
forecast crossing): every reader reads it instead of deriving a level again. ``alerts`` gains
ISA-18.2 shelving (until, by, reason); ``alert_states`` the time a signal has been at CRITIQUE
(its raise delay is shorter than ALERTE's).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import thermowatch.store.types

revision: str = "0013"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DT = thermowatch.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "transformer_state",
        sa.Column("transformer_id", sa.String(64), nullable=False),
        sa.Column("ts", UTC_DT, comment="the newest reading evaluated (data time)"),
        sa.Column("updated_at", UTC_DT, nullable=False, comment="when the row was written"),
        sa.Column("alerte_c", sa.Float(), nullable=False, comment="ALERTE threshold in force [°C]"),
        sa.Column(
            "critique_c", sa.Float(), nullable=False, comment="CRITIQUE threshold in force [°C]"
        ),
        sa.Column(
            "thresholds_rule", sa.String(50), nullable=False, comment="config | model rule | iec"
        ),
        sa.Column("measured_c", sa.Float(), comment="the measured target, when good [°C]"),
        sa.Column("measured_level", sa.String(20)),
        sa.Column("predicted_c", sa.Float(), comment="the prediction at ts [°C]"),
        sa.Column("predicted_level", sa.String(20)),
        sa.Column(
            "level", sa.String(20), nullable=False, comment="the worse of measured and predicted"
        ),
        sa.Column(
            "level_source", sa.String(20), nullable=False, comment="measured | predicted | none"
        ),
        sa.Column(
            "crossing_level", sa.String(20), comment="earliest future forecast crossing: level"
        ),
        sa.Column("crossing_at", UTC_DT, comment="earliest future forecast crossing: instant"),
        sa.Column("forecast_source", sa.String(20), comment="learned | physics"),
        sa.Column("model_id", sa.String(100)),
        sa.ForeignKeyConstraint(
            ["transformer_id"],
            ["transformers.id"],
            name=op.f("fk_transformer_state_transformer_id_transformers"),
        ),
        sa.PrimaryKeyConstraint("transformer_id", name=op.f("pk_transformer_state")),
    )
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column("shelved_until", UTC_DT, comment="shelved (hidden, not notified) until then")
        )
        batch.add_column(sa.Column("shelved_by", sa.String(200)))
        batch.add_column(sa.Column("shelve_reason", sa.Text()))
    with op.batch_alter_table("alert_states") as batch:
        batch.add_column(
            sa.Column("critique_since", UTC_DT, comment="pending raise: since when at CRITIQUE")
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_states") as batch:
        batch.drop_column("critique_since")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("shelve_reason")
        batch.drop_column("shelved_by")
        batch.drop_column("shelved_until")
    op.drop_table("transformer_state")
