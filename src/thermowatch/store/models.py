"""Model versions: which trained model is champion, challenger or retired, per transformer.

The database guarantees at most one champion per transformer (a partial unique index);
:func:`promote` demotes the previous champion in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from thermowatch.errors import InputError, NotFoundError
from thermowatch.store._sql import finite_json, unknown_transformer_is_not_found
from thermowatch.store.engine import write_transaction
from thermowatch.store.tables import ModelStatus, model_versions


@dataclass(frozen=True)
class ModelVersion:
    """A registered model artifact (``artifact_path`` is the ``<model_id>/`` directory)."""

    id: str
    transformer_id: str
    status: str
    metrics: dict[str, Any] | None
    artifact_path: str
    sha256: str
    created_at: datetime
    status_changed_at: datetime


def register_model(
    engine: Engine,
    model_id: str,
    transformer_id: str,
    artifact_path: str,
    sha256: str,
    metrics: dict[str, Any] | None = None,
    status: ModelStatus = ModelStatus.CHALLENGER,
    at: datetime | None = None,
) -> ModelVersion:
    """Register a trained model (a challenger by default).

    Raises
    ------
    InputError
        When ``sha256`` is not 64 hex digits.
    """
    with unknown_transformer_is_not_found(transformer_id), write_transaction(engine) as conn:
        insert_challenger(conn, model_id, transformer_id, artifact_path, sha256, metrics, at)
    if status == ModelStatus.CHAMPION:
        promote(engine, model_id, at=at)
    elif status == ModelStatus.RETIRED:
        retire(engine, model_id, at=at)
    return get_model(engine, model_id)


def insert_challenger(
    conn: Connection,
    model_id: str,
    transformer_id: str,
    artifact_path: str,
    sha256: str,
    metrics: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Register a model as a challenger in the caller's transaction (a retraining job registers
    it together with finishing its run, so a killed worker leaves no half-registered model).

    Raises
    ------
    InputError
        When ``sha256`` is not 64 hex digits.
    """
    if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256.lower()):
        raise InputError(f"model {model_id}: sha256 must be 64 hexadecimal digits")
    at = at or datetime.now(UTC)
    row = ModelVersion(
        model_id, transformer_id, ModelStatus.CHALLENGER.value, finite_json(metrics), artifact_path,
        sha256.lower(), at, at,
    )  # fmt: skip
    conn.execute(model_versions.insert(), [vars(row)])


def get_model(engine: Engine, model_id: str) -> ModelVersion:
    """One model version; ``NotFoundError`` when unknown."""
    with engine.connect() as conn:
        row = conn.execute(select(model_versions).where(model_versions.c.id == model_id)).first()
    if row is None:
        raise NotFoundError(f"model {model_id!r} is not registered")
    return ModelVersion(**row._asdict())


def champion(engine: Engine, transformer_id: str) -> ModelVersion | None:
    """The current champion of a transformer, if any."""
    return champions(engine, [transformer_id]).get(transformer_id)


def champions(engine: Engine, transformer_ids: Sequence[str]) -> dict[str, ModelVersion]:
    """The current champion of each of ``transformer_ids`` that has one, in few queries."""
    c = model_versions.c
    out: dict[str, ModelVersion] = {}
    ids = list(transformer_ids)
    with engine.connect() as conn:
        for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
            q = select(model_versions).where(
                c.transformer_id.in_(ids[start : start + 500]),
                c.status == ModelStatus.CHAMPION.value,
            )
            out.update({r.transformer_id: ModelVersion(**r._asdict()) for r in conn.execute(q)})
    return out


def list_models(engine: Engine, transformer_id: str | None = None) -> list[ModelVersion]:
    """Model versions, newest first."""
    q = select(model_versions).order_by(model_versions.c.created_at.desc())
    if transformer_id is not None:
        q = q.where(model_versions.c.transformer_id == transformer_id)
    with engine.connect() as conn:
        return [ModelVersion(**r._asdict()) for r in conn.execute(q)]


def promote(engine: Engine, model_id: str, at: datetime | None = None) -> None:
    """Make ``model_id`` the champion; the previous champion becomes retired (one transaction)."""
    model = get_model(engine, model_id)
    at = at or datetime.now(UTC)
    c = model_versions.c
    with write_transaction(engine) as conn:
        conn.execute(
            update(model_versions)
            .where(c.transformer_id == model.transformer_id)
            .where(c.status == ModelStatus.CHAMPION.value, c.id != model_id)
            .values(status=ModelStatus.RETIRED.value, status_changed_at=at)
        )
        conn.execute(
            update(model_versions)
            .where(c.id == model_id)
            .values(status=ModelStatus.CHAMPION.value, status_changed_at=at)
        )


def retire(engine: Engine, model_id: str, at: datetime | None = None) -> None:
    """Retire a model version (it stays registered, for the record)."""
    set_status(engine, model_id, ModelStatus.RETIRED.value, at)


def set_status(engine: Engine, model_id: str, status: str, at: datetime | None = None) -> None:
    """Set a model version's status (e.g. ``pending_approval`` while an admin decides).

    Use :func:`promote` to make a champion: it also demotes the previous one.
    """
    get_model(engine, model_id)
    with write_transaction(engine) as conn:
        conn.execute(
            update(model_versions)
            .where(model_versions.c.id == model_id)
            .values(status=status, status_changed_at=at or datetime.now(UTC))
        )


def update_metrics(engine: Engine, model_id: str, metrics: dict[str, Any]) -> None:
    """Replace a model version's registered metrics (completed from its artifact)."""
    with write_transaction(engine) as conn:
        conn.execute(
            update(model_versions)
            .where(model_versions.c.id == model_id)
            .values(metrics=finite_json(metrics))
        )
