"""model trials (shadow, A/B) and shadow predictions

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-30 13:45:00

``model_trials`` says which challenger runs in shadow (predicts alongside the champion, never
alerts) or takes part in an A/B experiment, for which transformer and until when.
``shadow_predictions`` keeps what a model in shadow predicted, apart from ``predictions`` (which
only holds what was served), so nothing that reads served predictions can mistake them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import thermowatch.store.types

revision: str = "0012"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DT = thermowatch.store.types.UTCDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "model_trials",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("transformer_id", sa.String(64), nullable=False),
        sa.Column("model_id", sa.String(100), nullable=False, comment="the challenger tried"),
        sa.Column("mode", sa.String(10), nullable=False, comment="shadow | ab"),
        sa.Column("experiment", sa.String(100), comment="A/B experiment name"),
        sa.Column("arm", sa.String(1), comment="A/B arm: a (champion serves) or b"),
        sa.Column("started_at", UTC_DT, nullable=False),
        sa.Column("ends_at", UTC_DT, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["transformer_id"],
            ["transformers.id"],
            name=op.f("fk_model_trials_transformer_id_transformers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_trials")),
    )
    op.create_index("ix_model_trials_ends_at", "model_trials", ["ends_at"])
    op.create_index("ix_model_trials_experiment", "model_trials", ["experiment"])
    op.create_table(
        "shadow_predictions",
        sa.Column("transformer_id", sa.String(64), nullable=False),
        sa.Column("ts", UTC_DT, nullable=False, comment="the instant predicted"),
        sa.Column("model_id", sa.String(100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False, comment="predicted temperature [°C]"),
        sa.Column("lower", sa.Float(), comment="lower bound of the interval [°C]"),
        sa.Column("upper", sa.Float(), comment="upper bound of the interval [°C]"),
        sa.ForeignKeyConstraint(
            ["transformer_id"],
            ["transformers.id"],
            name=op.f("fk_shadow_predictions_transformer_id_transformers"),
        ),
        sa.PrimaryKeyConstraint(
            "transformer_id", "model_id", "ts", name=op.f("pk_shadow_predictions")
        ),
    )


def downgrade() -> None:
    op.drop_table("shadow_predictions")
    op.drop_table("model_trials")
