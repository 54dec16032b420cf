"""Which database this is: a random id written once, by migration 0015, into ``store_identity``.

A URL says where a database is, not which one: a SQLite file deleted and created again, or a
PostgreSQL database dropped and restored empty, answers at the same URL. What must go back into
*the* database it came from (the service's audit spool) is keyed by this id and checked against
it in the transaction that writes it back. A restored backup carries the id of the database it
was taken from: it is that database again.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, select

from thermowatch.store.types import UTCDateTime

_meta = MetaData()
store_identity = Table(
    "store_identity",
    _meta,
    Column("id", String(36), primary_key=True, comment="random UUID, written once"),
    Column("created_at", UTCDateTime, nullable=False),
)


def identity_in(conn: Connection) -> str | None:
    """The database's id inside the caller's transaction (None before migration 0015)."""
    if not conn.dialect.has_table(conn, "store_identity"):
        return None
    return conn.execute(select(store_identity.c.id).limit(1)).scalar()


def database_identity(engine: Engine) -> str | None:
    """The database's id (None when it has none yet); raises when it cannot be reached."""
    with engine.connect() as conn:
        return identity_in(conn)
