"""The tables of the history store (SQLAlchemy 2 Core).

Every timestamp is a :class:`~thermowatch.store.types.UTCDateTime` (aware UTC). The Alembic
migrations in ``migrations/versions`` create exactly these tables; change both together.

Readings layout: **narrow** — one row per (transformer, timestamp, variable). Why:

* the idempotency key the issue asks for is per variable, and field sources (OPC UA tags,
  Modbus registers, MQTT topics) deliver variables independently, at their own rates and
  with their own quality flags; a wide row would be half-empty and need read-modify-write;
* a new measurement (a new sensor, an imported file with its own column names) needs no
  migration: variables are stored under their original names;
* the read path is one index range scan on the primary key (transformer_id, ts, variable),
  clustered on SQLite (``WITHOUT ROWID``), one B-tree range per monthly partition on
  PostgreSQL; the pivot to the wide frame the models use is done in pandas
  (:func:`thermowatch.store.readings.readings_frame`).
"""

from __future__ import annotations

import enum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    false,
    text,
)

from thermowatch.store.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BigInteger ids that are still SQLite's rowid alias (INTEGER PRIMARY KEY autoincrements).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Quality(enum.IntEnum):
    """Quality flag of a reading (stored as a small integer)."""

    GOOD = 0
    SUSPECT = 1  # out of plausible range, stale, or substituted by the source
    BAD = 2  # the source says the value is invalid; kept for the record, not used to train


class ModelStatus(enum.StrEnum):
    """Lifecycle of a model version; at most one champion per transformer."""

    CHAMPION = "champion"
    CHALLENGER = "challenger"
    RETIRED = "retired"


transformers = Table(
    "transformers",
    metadata,
    Column("id", String(64), primary_key=True, comment="user-chosen code, e.g. 'TR-01'"),
    Column("name", String(200), nullable=False),
    Column("site", String(200)),
    Column("preset", String(100), comment="name of a thermal preset, when spec is not given"),
    Column("spec", JSON, comment="thermal spec (IEC 60076-7 parameters) as a JSON object"),
    Column("ratings", JSON, comment="e.g. {'power_kva': 630, 'voltage_kv': 20}"),
    Column("thresholds", JSON, comment="alert levels [°C], e.g. {'alert': 90, 'critical': 105}"),
    Column("target_variable", String(200), comment="the measured temperature (variable name)"),
    Column("created_at", UTCDateTime, nullable=False),
)

readings = Table(
    "readings",
    metadata,
    Column("transformer_id", String(64), nullable=False),
    Column("ts", UTCDateTime, nullable=False),
    Column("variable", String(200), nullable=False),
    Column("value", Float, nullable=False),
    Column("quality", SmallInteger, nullable=False, server_default=text("0")),
    Column("source", String(200)),
    # The idempotency key doubles as the clustered index of the read path.
    PrimaryKeyConstraint("transformer_id", "ts", "variable"),
    # No FK to transformers: on PostgreSQL it would be checked per row in the COPY path and
    # replicated on every monthly partition; the write path checks the transformer once.
    sqlite_with_rowid=False,
    postgresql_partition_by="RANGE (ts)",
)

readings_hourly = Table(
    "readings_hourly",
    metadata,
    Column("transformer_id", String(64), nullable=False),
    Column("hour", UTCDateTime, nullable=False, comment="start of the hour, UTC"),
    Column("variable", String(200), nullable=False),
    Column("n", Integer, nullable=False, comment="number of raw readings aggregated"),
    Column("min", Float, nullable=False),
    Column("mean", Float, nullable=False),
    Column("max", Float, nullable=False),
    PrimaryKeyConstraint("transformer_id", "hour", "variable"),
    sqlite_with_rowid=False,
)

predictions = Table(
    "predictions",
    metadata,
    Column("transformer_id", String(64), ForeignKey("transformers.id"), nullable=False),
    Column("ts", UTCDateTime, nullable=False, comment="the instant predicted"),
    Column("model_id", String(100), nullable=False),
    Column("value", Float, nullable=False, comment="predicted temperature [°C]"),
    Column("lower", Float, comment="lower bound of the prediction interval [°C]"),
    Column("upper", Float, comment="upper bound of the prediction interval [°C]"),
    Column("level", String(20), comment="alert level of the prediction, e.g. NORMAL"),
    Column("measured", Float, comment="the measured target at that instant, if good [°C]"),
    Column("measured_level", String(20), comment="alert level of the measured target"),
    PrimaryKeyConstraint("transformer_id", "ts", "model_id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("transformer_id", String(64), ForeignKey("transformers.id"), nullable=False),
    Column("kind", String(100), nullable=False, comment="e.g. 'top_oil_high', 'model_drift'"),
    Column("level", String(20), nullable=False, comment="e.g. ALERTE, CRITIQUE"),
    Column("message", Text, nullable=False),
    Column("raised_at", UTCDateTime, nullable=False),
    Column("raised_by", String(200), nullable=False, server_default="system"),
    Column("acknowledged_at", UTCDateTime),
    Column("acknowledged_by", String(200)),
    Column("resolved_at", UTCDateTime),
    Column("resolved_by", String(200)),
    Column("shelved_until", UTCDateTime, comment="shelved (hidden, not notified) until then"),
    Column("shelved_by", String(200)),
    Column("shelve_reason", Text),
    Index("ix_alerts_open", "transformer_id", "resolved_at"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("alert_id", BigId, ForeignKey("alerts.id")),
    Column("channel", String(50), nullable=False, comment="e.g. email, sms, webhook, log"),
    Column("recipient", String(500), nullable=False),
    Column("subject", String(500)),
    Column("body", Text, nullable=False),
    Column("status", String(20), nullable=False, comment="pending | sent | failed"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, comment="when pending: not before this instant"),
    Column("sent_at", UTCDateTime),
    Index("ix_notifications_due", "status", "next_attempt_at"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("notification_id", BigId, ForeignKey("notifications.id"), nullable=False, index=True),
    Column("attempted_at", UTCDateTime, nullable=False),
    Column("ok", Integer, nullable=False, comment="1 delivered, 0 failed"),
    Column("detail", Text),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("transformer_id", String(64), ForeignKey("transformers.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("metrics", JSON),
    Column("artifact_path", String(1000), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status_changed_at", UTCDateTime, nullable=False),
    # The database itself guarantees a single champion per transformer.
    Index(
        "uq_model_versions_champion",
        "transformer_id",
        unique=True,
        sqlite_where=text("status = 'champion'"),
        postgresql_where=text("status = 'champion'"),
    ),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(200), nullable=False),
    Column("role", String(50)),
    Column("source_address", String(100), comment="client IP address or 'cli'"),
    Column("action", String(100), nullable=False),
    Column("target", String(500)),
    Column("outcome", String(50), nullable=False, comment="e.g. ok, denied, error"),
    Column("detail", Text),
)


class JobStatus(enum.StrEnum):
    """State of one lifecycle job run (the store, not the queue, is the source of truth)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # retried by the reconciler until ``attempts`` reaches the job's limit


job_runs = Table(
    "job_runs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(50), nullable=False, comment="e.g. accuracy, drift, retrain"),
    Column("transformer_id", String(64), ForeignKey("transformers.id"), nullable=False),
    Column("scheduled_for", UTCDateTime, nullable=False, comment="the run's logical time"),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("claimed_by", String(200), comment="worker that holds the lease"),
    Column("lease_until", UTCDateTime, comment="a running job past this is taken over"),
    Column("dispatched_at", UTCDateTime, comment="last time the run was sent to a queue"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("result", JSON),
    Column("error", Text),
    # One run per (kind, transformer, logical time): enqueueing twice is a no-op.
    Index("uq_job_runs_key", "kind", "transformer_id", "scheduled_for", unique=True),
    Index("ix_job_runs_status", "status"),
)

model_checks = Table(
    "model_checks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("transformer_id", String(64), ForeignKey("transformers.id"), nullable=False),
    Column("model_id", String(100), nullable=False),
    Column("kind", String(50), nullable=False, comment="accuracy | drift"),
    Column("at", UTCDateTime, nullable=False, comment="end of the window checked"),
    Column("verdict", String(50), nullable=False, comment="e.g. ok, degraded, world_moved"),
    Column("values", JSON, nullable=False, comment="the numbers behind the verdict"),
    Index("ix_model_checks_transformer_kind_at", "transformer_id", "kind", "at"),
)

forecasts = Table(
    "forecasts",
    metadata,
    Column("transformer_id", String(64), ForeignKey("transformers.id"), nullable=False),
    Column(
        "issued_at", UTCDateTime, nullable=False, comment="instant of the reading forecast from"
    ),
    Column("ts", UTCDateTime, nullable=False, comment="the instant forecast"),
    Column("model_id", String(100), nullable=False),
    Column("value", Float, nullable=False, comment="forecast temperature [°C]"),
    Column("level", String(20), nullable=False, comment="alert level of the forecast"),
    PrimaryKeyConstraint("transformer_id", "issued_at", "ts", "model_id"),
)

reading_issues = Table(
    "reading_issues",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("transformer_id", String(64), nullable=False),
    Column("ts", UTCDateTime, comment="the reading's instant, as sent"),
    Column("variable", String(200), nullable=False, comment="'*' when the whole snapshot"),
    Column("raw", Text, comment="the value as received (repr), for the record"),
    Column("verdict", String(20), nullable=False, comment="SUSPECT (stored) or REJECTED"),
    Column("reason", Text, nullable=False),
    Column("source", String(200)),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_reading_issues_recent", "transformer_id", "received_at"),
)

alert_states = Table(
    "alert_states",
    metadata,
    Column("transformer_id", String(64), ForeignKey("transformers.id"), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("level", String(20), nullable=False, comment="level held (hysteresis applied)"),
    Column("up_since", UTCDateTime, comment="pending raise: since when above"),
    Column("up_target", String(20)),
    Column("down_since", UTCDateTime, comment="pending clear: since when below"),
    Column("down_target", String(20)),
    Column("last_ts", UTCDateTime, comment="newest sample evaluated"),
    Column("critique_since", UTCDateTime, comment="pending raise: since when at CRITIQUE"),
    PrimaryKeyConstraint("transformer_id", "kind"),
)

transformer_state = Table(
    "transformer_state",
    metadata,
    Column("transformer_id", String(64), ForeignKey("transformers.id"), primary_key=True),
    Column("ts", UTCDateTime, comment="the newest reading evaluated (data time)"),
    Column("updated_at", UTCDateTime, nullable=False, comment="when the row was written"),
    Column("alerte_c", Float, nullable=False, comment="ALERTE threshold in force [°C]"),
    Column("critique_c", Float, nullable=False, comment="CRITIQUE threshold in force [°C]"),
    Column("thresholds_rule", String(50), nullable=False, comment="config | model rule | iec"),
    Column("measured_c", Float, comment="the measured target, when good [°C]"),
    Column("measured_level", String(20)),
    Column("predicted_c", Float, comment="the prediction at ts [°C]"),
    Column("predicted_level", String(20)),
    Column("level", String(20), nullable=False, comment="the worse of measured and predicted"),
    Column("level_source", String(20), nullable=False, comment="measured | predicted | none"),
    Column("crossing_level", String(20), comment="earliest future forecast crossing: level"),
    Column("crossing_at", UTCDateTime, comment="earliest future forecast crossing: instant"),
    Column("forecast_source", String(20), comment="learned | physics"),
    Column("model_id", String(100)),
    Column(
        "extrapolating",
        Boolean,
        nullable=False,
        server_default=false(),
        comment="the prediction at ts is outside the model's domain of validity",
    ),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True, comment="public key id (prefix)"),
    Column("name", String(200)),
    Column("role", String(20), nullable=False),
    Column("key_sha256", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
)

model_trials = Table(
    "model_trials",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("transformer_id", String(64), ForeignKey("transformers.id"), nullable=False),
    Column("model_id", String(100), nullable=False, comment="the challenger tried"),
    Column("mode", String(10), nullable=False, comment="shadow | ab"),
    Column("experiment", String(100), comment="A/B experiment name"),
    Column("arm", String(1), comment="A/B arm: a (champion serves) or b"),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Index("ix_model_trials_ends_at", "ends_at"),
    Index("ix_model_trials_experiment", "experiment"),
)

shadow_predictions = Table(
    "shadow_predictions",
    metadata,
    Column("transformer_id", String(64), ForeignKey("transformers.id"), nullable=False),
    Column("ts", UTCDateTime, nullable=False, comment="the instant predicted"),
    Column("model_id", String(100), nullable=False),
    Column("value", Float, nullable=False, comment="predicted temperature [°C]"),
    Column("lower", Float, comment="lower bound of the interval [°C]"),
    Column("upper", Float, comment="upper bound of the interval [°C]"),
    PrimaryKeyConstraint("transformer_id", "model_id", "ts"),
)

# Monitors sharing a fleet (:mod:`thermowatch.store.shards`): who is alive, who collects what.
monitor_members = Table(
    "monitor_members",
    metadata,
    Column("member", String(128), primary_key=True, comment="the monitor's name (host:pid)"),
    Column("group_name", String(64), nullable=False, comment="the fleet the monitor shares"),
    Column("beat_at", UTCDateTime, nullable=False, comment="last heartbeat"),
    Column("expires_at", UTCDateTime, nullable=False, comment="alive until, without a beat"),
)

shard_claims = Table(
    "shard_claims",
    metadata,
    Column("transformer_id", String(64), primary_key=True),
    Column("member", String(128), nullable=False, comment="the monitor collecting it"),
    Column("since", UTCDateTime, nullable=False),
)
