"""API keys: created once (the secret is shown once), stored as SHA-256, listed, revoked.

A key reads ``tw_<id>_<secret>``: the id is public (it names the key in the audit log), the
secret is 256 random bits. Only ``sha256(key)`` is stored (:mod:`thermowatch.store.apikeys`,
the store being the only writer of tables): a stolen database gives no key. SHA-256 without
salt is enough here because the secret is random, not a human password.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import Engine

from thermowatch.errors import InputError
from thermowatch.store.apikeys import ApiKey, insert_key, key_by_digest, list_keys, revoke_key

ROLES = ("reader", "operator", "admin")

__all__ = ["ROLES", "ApiKey", "create_key", "find_key", "hash_key", "list_keys", "revoke_key"]


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
    insert_key(engine, row)
    return row, key


def find_key(engine: Engine, key: str) -> ApiKey | None:
    """The stored record whose hash matches ``key`` (revoked or not), else ``None``."""
    digest = hash_key(key)
    row = key_by_digest(engine, digest)
    # Compare in constant time too: the index lookup already used the digest, not the secret.
    if row is None or not secrets.compare_digest(row.key_sha256, digest):
        return None
    return row
