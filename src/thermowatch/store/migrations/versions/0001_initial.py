"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 07:41:21.953485
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import thermowatch.store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", thermowatch.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=50), nullable=True),
        sa.Column(
            "source_address",
            sa.String(length=100),
            nullable=True,
            comment="client IP address or 'cli'",
        ),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=True),
        sa.Column(
            "outcome", sa.String(length=50), nullable=False, comment="e.g. ok, denied, error"
        ),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "readings",
        sa.Column("transformer_id", sa.String(length=64), nullable=False),
        sa.Column("ts", thermowatch.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("variable", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("quality", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("transformer_id", "ts", "variable", name=op.f("pk_readings")),
        postgresql_partition_by="RANGE (ts)",
        sqlite_with_rowid=False,
    )
    op.create_table(
        "readings_hourly",
        sa.Column("transformer_id", sa.String(length=64), nullable=False),
        sa.Column(
            "hour",
            thermowatch.store.types.UTCDateTime(timezone=True),
            nullable=False,
            comment="start of the hour, UTC",
        ),
        sa.Column("variable", sa.String(length=200), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False, comment="number of raw readings aggregated"),
        sa.Column("min", sa.Float(), nullable=False),
        sa.Column("mean", sa.Float(), nullable=False),
        sa.Column("max", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(
            "transformer_id", "hour", "variable", name=op.f("pk_readings_hourly")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "transformers",
        sa.Column(
            "id", sa.String(length=64), nullable=False, comment="user-chosen code, e.g. 'TR-01'"
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=True),
        sa.Column(
            "preset",
            sa.String(length=100),
            nullable=True,
            comment="name of a thermal preset, when spec is not given",
        ),
        sa.Column(
            "spec",
            sa.JSON(),
            nullable=True,
            comment="thermal spec (IEC 60076-7 parameters) as a JSON object",
        ),
        sa.Column(
            "ratings", sa.JSON(), nullable=True, comment="e.g. {'power_kva': 630, 'voltage_kv': 20}"
        ),
        sa.Column(
            "thresholds",
            sa.JSON(),
            nullable=True,
            comment="alert levels [°C], e.g. {'alert': 90, 'critical': 105}",
        ),
        sa.Column(
            "target_variable",
            sa.String(length=200),
            nullable=True,
            comment="the measured temperature (variable name)",
        ),
        sa.Column("created_at", thermowatch.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transformers")),
    )
    op.create_table(
        "alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("transformer_id", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=100),
            nullable=False,
            comment="e.g. 'top_oil_high', 'model_drift'",
        ),
        sa.Column("level", sa.String(length=20), nullable=False, comment="e.g. ALERTE, CRITIQUE"),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raised_at", thermowatch.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("raised_by", sa.String(length=200), server_default="system", nullable=False),
        sa.Column(
            "acknowledged_at", thermowatch.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", thermowatch.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["transformer_id"],
            ["transformers.id"],
            name=op.f("fk_alerts_transformer_id_transformers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_open", ["transformer_id", "resolved_at"], unique=False)

    op.create_table(
        "model_versions",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("transformer_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("artifact_path", sa.String(length=1000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", thermowatch.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status_changed_at", thermowatch.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["transformer_id"],
            ["transformers.id"],
            name=op.f("fk_model_versions_transformer_id_transformers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_model_versions_champion",
            ["transformer_id"],
            unique=True,
            sqlite_where=sa.text("status = 'champion'"),
            postgresql_where=sa.text("status = 'champion'"),
        )

    op.create_table(
        "predictions",
        sa.Column("transformer_id", sa.String(length=64), nullable=False),
        sa.Column(
            "ts",
            thermowatch.store.types.UTCDateTime(timezone=True),
            nullable=False,
            comment="the instant predicted",
        ),
        sa.Column("model_id", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False, comment="predicted temperature [°C]"),
        sa.Column(
            "lower",
            sa.Float(),
            nullable=True,
            comment="lower bound of the prediction interval [°C]",
        ),
        sa.Column(
            "upper",
            sa.Float(),
            nullable=True,
            comment="upper bound of the prediction interval [°C]",
        ),
        sa.Column(
            "level",
            sa.String(length=20),
            nullable=True,
            comment="alert level of the prediction, e.g. NORMAL",
        ),
        sa.ForeignKeyConstraint(
            ["transformer_id"],
            ["transformers.id"],
            name=op.f("fk_predictions_transformer_id_transformers"),
        ),
        sa.PrimaryKeyConstraint("transformer_id", "ts", "model_id", name=op.f("pk_predictions")),
    )
    op.create_table(
        "notifications",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "channel", sa.String(length=50), nullable=False, comment="e.g. email, sms, webhook, log"
        ),
        sa.Column("recipient", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status", sa.String(length=20), nullable=False, comment="pending | sent | failed"
        ),
        sa.Column("created_at", thermowatch.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "next_attempt_at",
            thermowatch.store.types.UTCDateTime(timezone=True),
            nullable=True,
            comment="when pending: not before this instant",
        ),
        sa.Column("sent_at", thermowatch.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_notifications_alert_id_alerts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "delivery_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "notification_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "attempted_at", thermowatch.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("ok", sa.Integer(), nullable=False, comment="1 delivered, 0 failed"),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_delivery_attempts_notification_id_notifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_attempts_notification_id"), ["notification_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_attempts_notification_id"))

    op.drop_table("delivery_attempts")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_due")

    op.drop_table("notifications")
    op.drop_table("predictions")
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_model_versions_champion",
            sqlite_where=sa.text("status = 'champion'"),
            postgresql_where=sa.text("status = 'champion'"),
        )

    op.drop_table("model_versions")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_open")

    op.drop_table("alerts")
    op.drop_table("transformers")
    op.drop_table("readings_hourly")
    op.drop_table("readings")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
