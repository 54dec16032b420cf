"""lifecycle job runs and model checks

Revision ID: 0009
Revises: 0005
Create Date: 2026-11-30 10:40:00

``job_runs`` is the source of truth for lifecycle jobs (accuracy, drift, retrain): the queue
(in-process or Celery) only carries job ids, so a lost message or a killed worker never loses or
duplicates a run. ``model_checks`` keeps each accuracy/drift verdict with its numbers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import thermowatch.store.types

revision: str = "0009"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DT = thermowatch.store.types.UTCDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(50), nullable=False, comment="e.g. accuracy, drift, retrain"),
        sa.Column("transformer_id", sa.String(64), nullable=False),
        sa.Column("scheduled_for", UTC_DT, nullable=False, comment="the run's logical time"),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("claimed_by", sa.String(200), comment="worker that holds the lease"),
        sa.Column("lease_until", UTC_DT, comment="a running job past this is taken over"),
        sa.Column("dispatched_at", UTC_DT, comment="last time the run was sent to a queue"),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("started_at", UTC_DT),
        sa.Column("finished_at", UTC_DT),
        sa.Column("result", sa.JSON()),
        sa.Column("error", sa.Text()),
        sa.ForeignKeyConstraint(
            ["transformer_id"],
            ["transformers.id"],
            name=op.f("fk_job_runs_transformer_id_transformers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    op.create_index(
        "uq_job_runs_key", "job_runs", ["kind", "transformer_id", "scheduled_for"], unique=True
    )
    op.create_index("ix_job_runs_status", "job_runs", ["status"])
    op.create_table(
        "model_checks",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("transformer_id", sa.String(64), nullable=False),
        sa.Column("model_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False, comment="accuracy | drift"),
        sa.Column("at", UTC_DT, nullable=False, comment="end of the window checked"),
        sa.Column("verdict", sa.String(50), nullable=False, comment="e.g. ok, degraded"),
        sa.Column("values", sa.JSON(), nullable=False, comment="the numbers behind the verdict"),
        sa.ForeignKeyConstraint(
            ["transformer_id"],
            ["transformers.id"],
            name=op.f("fk_model_checks_transformer_id_transformers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_checks")),
    )
    op.create_index(
        "ix_model_checks_transformer_kind_at", "model_checks", ["transformer_id", "kind", "at"]
    )


def downgrade() -> None:
    op.drop_table("model_checks")
    op.drop_table("job_runs")
