"""API keys as stored: records with the SHA-256 of the key, never the key itself.

The service makes the keys and checks them (:mod:`thermowatch.service.apikeys`); this module
only records and reads them, like every other table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select, update

from thermowatch.errors import NotFoundError
from thermowatch.store.engine import write_transaction
from thermowatch.store.tables import api_keys


@dataclass(frozen=True)
class ApiKey:
    """A stored key (never the secret)."""

    id: str
    name: str | None
    role: str
    key_sha256: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def insert_key(engine: Engine, row: ApiKey) -> None:
    """Record a new key."""
    with write_transaction(engine) as conn:
        conn.execute(api_keys.insert(), [vars(row)])


def list_keys(engine: Engine) -> list[ApiKey]:
    """Every key, oldest first (revoked ones included, for the record)."""
    with engine.connect() as conn:
        rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at)).all()
    return [ApiKey(**r._asdict()) for r in rows]


def revoke_key(engine: Engine, key_id: str) -> ApiKey:
    """Revoke a key by id; revoking twice keeps the first date. NotFoundError when unknown."""
    with write_transaction(engine) as conn:
        conn.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
    if row is None:
        raise NotFoundError(f"API key {key_id!r} does not exist.")
    return ApiKey(**row._asdict())


def key_by_digest(engine: Engine, digest: str) -> ApiKey | None:
    """The record whose ``key_sha256`` is ``digest`` (revoked or not), else ``None``."""
    with engine.connect() as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.key_sha256 == digest)).first()
    return ApiKey(**row._asdict()) if row is not None else None
