"""Small dialect helpers shared by the repositories (private)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignore(table: Table, bind: Engine | Connection) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` for the bind's dialect (idempotent writes)."""
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def upsert(table: Table, bind: Engine | Connection, keys: list[str]) -> Any:
    """An ``INSERT ... ON CONFLICT (keys) DO UPDATE`` setting every other column."""
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    others = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    return stmt.on_conflict_do_update(index_elements=keys, set_=others)
