"""Transformers: the assets whose readings, predictions and alerts the store keeps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from thermowatch.errors import NotFoundError
from thermowatch.store._sql import insert_ignore, upsert
from thermowatch.store.engine import write_transaction
from thermowatch.store.tables import transformers


@dataclass(frozen=True)
class Transformer:
    """One transformer.

    Attributes
    ----------
    id : user-chosen code (e.g. ``"TR-01"``), the key every other table refers to.
    spec : thermal spec (IEC 60076-7 parameters) as a JSON-able dict, or ``None`` with a
        ``preset`` name instead.
    ratings : e.g. ``{"power_kva": 630, "voltage_kv": 20}``.
    thresholds : alert levels [°C], e.g. ``{"alert": 90, "critical": 105}``.
    target_variable : name of the measured temperature among the readings' variables.
    """

    id: str
    name: str
    site: str | None = None
    preset: str | None = None
    spec: dict[str, Any] | None = None
    ratings: dict[str, Any] | None = None
    thresholds: dict[str, Any] | None = None
    target_variable: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def save_transformer(engine: Engine, transformer: Transformer) -> None:
    """Insert or update (by id) a transformer."""
    with write_transaction(engine) as conn:
        conn.execute(upsert(transformers, conn, ["id"]), [vars(transformer)])


def ensure_transformer(
    engine: Engine, transformer_id: str, name: str | None = None, **fields: Any
) -> bool:
    """Create the transformer if it does not exist yet; returns ``True`` when created.

    An existing transformer is left untouched, except that a missing ``target_variable`` or
    ``spec`` is filled in when given.
    """
    row = Transformer(id=transformer_id, name=name or transformer_id, **fields)
    return transformer_id in ensure_transformers(engine, [row])


def ensure_transformers(engine: Engine, wanted: Sequence[Transformer]) -> set[str]:
    """:func:`ensure_transformer` for many, in one transaction (a monitor registering 10,000
    transformers one transaction each took minutes); the ids created."""
    created: set[str] = set()
    c = transformers.c
    with write_transaction(engine) as conn:
        for start in range(0, len(wanted), _CHUNK):
            part = wanted[start : start + _CHUNK]
            q = select(c.id, c.target_variable, c.spec).where(c.id.in_([t.id for t in part]))
            stored = {r.id: r for r in conn.execute(q)}
            new = [vars(t) for t in part if t.id not in stored]
            if new:
                conn.execute(insert_ignore(transformers, conn), new)
                created.update(t["id"] for t in new)
            for t in part:
                have = stored.get(t.id)
                for column in ("target_variable", "spec"):
                    value = getattr(t, column)
                    if have is not None and value and getattr(have, column) is None:
                        conn.execute(
                            transformers.update()
                            .where(c.id == t.id, c[column].is_(None))
                            .values({column: value})
                        )
    return created


_CHUNK = 500  # ids per statement (SQLite's bound-parameter limit)


def get_transformer(engine: Engine, transformer_id: str) -> Transformer:
    """The transformer ``transformer_id``.

    Raises
    ------
    NotFoundError
        When there is no such transformer.
    """
    with engine.connect() as conn:
        row = conn.execute(select(transformers).where(transformers.c.id == transformer_id)).first()
    if row is None:
        raise NotFoundError(f"transformer {transformer_id!r} does not exist in the store")
    return Transformer(**row._asdict())


def list_transformers(engine: Engine) -> list[Transformer]:
    """Every transformer, ordered by id."""
    with engine.connect() as conn:
        rows = conn.execute(select(transformers).order_by(transformers.c.id)).all()
    return [Transformer(**r._asdict()) for r in rows]
