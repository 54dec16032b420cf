"""API keys over HTTP (admin): list, create (the key is shown once), revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from thermowatch.service import apikeys
from thermowatch.service.auth import Admin
from thermowatch.service.deps import EngineDep

router = APIRouter(prefix="/v1/keys", tags=["keys"])


class NewKey(BaseModel):
    role: Literal["reader", "operator", "admin"]
    name: str | None = Field(default=None, max_length=200)


class KeyOut(BaseModel):
    """An API key as listed: never its secret nor its digest."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str | None
    role: Literal["reader", "operator", "admin"]
    created_at: datetime
    revoked_at: datetime | None


class CreatedKey(KeyOut):
    key: str = Field(description="the secret, shown this once only")


@router.get("", response_model=list[KeyOut])
def list_keys(_: Admin, engine: EngineDep) -> list[KeyOut]:
    """Every key (never its secret)."""
    return [KeyOut.model_validate(k) for k in apikeys.list_keys(engine)]


@router.post("", status_code=201, response_model=CreatedKey)
def create_key(new: NewKey, principal: Admin, engine: EngineDep, request: Request) -> CreatedKey:
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
    return CreatedKey.model_validate(vars(record) | {"key": key})


@router.delete("/{key_id}", response_model=KeyOut)
def revoke_key(key_id: str, principal: Admin, engine: EngineDep, request: Request) -> KeyOut:
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
    return KeyOut.model_validate(record)
