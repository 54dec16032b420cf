"""Small dialect helpers shared by the repositories (private)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from thermowatch.errors import NotFoundError

#: Ids per ``IN (...)`` list (far below SQLite's bound on parameters).
IN_CHUNK = 900


def id_chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    """``ids``, deduplicated and sorted (one lock order for every writer), in lists of at most
    :data:`IN_CHUNK` for ``IN (...)`` clauses."""
    ordered = sorted(set(ids))
    for i in range(0, len(ordered), IN_CHUNK):
        yield ordered[i : i + IN_CHUNK]


def insert_ignore(table: Table, bind: Engine | Connection) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` for the bind's dialect (idempotent writes)."""
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def upsert(
    table: Table, bind: Engine | Connection, keys: list[str], only: list[str] | None = None,
    where: Any = None,
) -> Any:  # fmt: skip
    """An ``INSERT ... ON CONFLICT (keys) DO UPDATE`` setting every other column (or ``only``);
    ``where(excluded)`` gives the condition under which a stored row is updated."""
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    names = only if only is not None else [c.name for c in table.columns if c.name not in keys]
    others = {name: stmt.excluded[name] for name in names}
    cond = where(stmt.excluded) if where is not None else None
    return stmt.on_conflict_do_update(index_elements=keys, set_=others, where=cond)


@contextmanager
def unknown_transformer_is_not_found(transformer_id: str) -> Iterator[None]:
    """Turn the foreign-key violation of an unknown transformer into ``NotFoundError``."""
    try:
        yield
    except IntegrityError as exc:
        text = str(exc.orig).lower()
        if "foreign key" in text and (
            "transformer" in text or "sqlite" in type(exc.orig).__module__
        ):
            raise NotFoundError(
                f"transformer {transformer_id!r} does not exist in the store"
            ) from exc
        raise


def finite_json(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, ±inf) replaced by None, recursively.

    PostgreSQL's JSON refuses ``NaN`` (``Token "NaN" is invalid``) and SQLite would store it as
    text no JSON reader accepts: a number that is not a number is stored as "no value".
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    if hasattr(value, "item") and hasattr(value, "dtype"):  # a numpy scalar
        return finite_json(value.item())
    return value
