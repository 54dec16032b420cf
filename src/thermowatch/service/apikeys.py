"""API keys: created once (the secret is shown once), stored as SHA-256, listed, revoked.

A key reads ``tw_<id>_<secret>``: the id is public (it names the key in the audit log), the
secret is 256 random bits. Only ``sha256(key)`` is stored: a stolen database gives no key.
SHA-256 without salt is enough here because the secret is random, not a human password.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, Engine, MetaData, String, Table, select, update

from thermowatch.errors import InputError, NotFoundError
from thermowatch.store.engine import write_transaction
from thermowatch.store.types import UTCDateTime

ROLES = ("reader", "operator", "admin")

# Created by migration 0002; kept out of store.tables because the service owns it.
api_keys = Table(
    "api_keys",
    MetaData(),
    Column("id", String(32), primary_key=True),
    Column("name", String(200)),
    Column("role", String(20), nullable=False),
    Column("key_sha256", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
)


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


def hash_key(key: str) -> str:
    """SHA-256 hex digest of a full key string."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(engine: Engine, role: str, name: str | None = None) -> tuple[ApiKey, str]:
    """Create a key for ``role``; returns the stored record and the key (shown once)."""
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}, got {role!r}.")
    key_id = secrets.token_hex(6)
    key = f"tw_{key_id}_{secrets.token_urlsafe(32)}"
    row = ApiKey(key_id, name, role, hash_key(key), datetime.now(UTC))
    with write_transaction(engine) as conn:
        conn.execute(api_keys.insert(), [vars(row)])
    return row, key


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


def find_key(engine: Engine, key: str) -> ApiKey | None:
    """The stored record whose hash matches ``key`` (revoked or not), else ``None``."""
    digest = hash_key(key)
    with engine.connect() as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.key_sha256 == digest)).first()
    # Compare in constant time too: the index lookup already used the digest, not the secret.
    if row is None or not secrets.compare_digest(row.key_sha256, digest):
        return None
    return ApiKey(**row._asdict())
