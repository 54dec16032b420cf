"""API keys over HTTP (admin): list, create (the key is shown once), revoke."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from thermowatch.service import apikeys
from thermowatch.service.auth import Admin
from thermowatch.service.deps import EngineDep

router = APIRouter(prefix="/v1/keys", tags=["keys"])


class NewKey(BaseModel):
    role: Literal["reader", "operator", "admin"]
    name: str | None = Field(default=None, max_length=200)


def _public(k: apikeys.ApiKey) -> dict:
    return {
        "id": k.id, "name": k.name, "role": k.role, "created_at": k.created_at.isoformat(),
        "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
    }  # fmt: skip


@router.get("")
def list_keys(_: Admin, engine: EngineDep) -> list[dict]:
    """Every key (never its secret)."""
    return [_public(k) for k in apikeys.list_keys(engine)]


@router.post("", status_code=201)
def create_key(new: NewKey, principal: Admin, engine: EngineDep, request: Request) -> dict:
    """Create a key; the answer's ``key`` is the only time it is shown."""
    record, key = apikeys.create_key(engine, new.role, new.name)
    request.app.state.audit.add(
        principal.actor,
        "create_key",
        "ok",
        role=principal.role,
        address=principal.address,
        target=record.id,
        new_role=new.role,
    )
    return _public(record) | {"key": key}


@router.delete("/{key_id}")
def revoke_key(key_id: str, principal: Admin, engine: EngineDep, request: Request) -> dict:
    """Revoke a key (effective at once in this worker, within ``key_cache_s`` in the others)."""
    record = apikeys.revoke_key(engine, key_id)
    request.app.state.auth.forget_keys()
    request.app.state.audit.add(
        principal.actor,
        "revoke_key",
        "ok",
        role=principal.role,
        address=principal.address,
        target=key_id,
    )
    return _public(record)
