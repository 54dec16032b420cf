"""``thermowatch apikey create|list|revoke``: API keys of the prediction service."""

from __future__ import annotations

from typing import Annotated

import typer

from thermowatch.cli.db import DatabaseUrl

app = typer.Typer(help="API keys of the prediction service.", no_args_is_help=True)


def _engine(database_url: str | None):
    from thermowatch.store.engine import make_engine

    return make_engine(database_url)


@app.command("create")
def create(
    role: Annotated[str, typer.Option(help="reader, operator or admin.")] = "reader",
    name: Annotated[str | None, typer.Option(help="What the key is for (free text).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a key and print it once (only its SHA-256 is stored)."""
    from thermowatch.service.apikeys import create_key
    from thermowatch.store.audit import AuditEntry, record

    engine = _engine(database_url)
    row, key = create_key(engine, role, name)
    record(engine, AuditEntry("cli", "create_key", "ok", "admin", "cli", row.id, f"role={role}"))
    typer.echo(key)
    typer.echo(
        f"key id {row.id}, role {row.role}: store it now, it will not be shown again.", err=True
    )


@app.command("list")
def list_(database_url: DatabaseUrl = None) -> None:
    """List keys (id, role, name, created, revoked) — never the secrets."""
    from thermowatch.service.apikeys import list_keys

    for k in list_keys(_engine(database_url)):
        revoked = k.revoked_at.isoformat() if k.revoked_at else "-"
        typer.echo(
            f"{k.id}\t{k.role}\t{k.name or '-'}\t{k.created_at.isoformat()}\trevoked={revoked}"
        )


@app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id shown by create / list.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a key (the service stops accepting it within a few seconds)."""
    from thermowatch.service.apikeys import revoke_key
    from thermowatch.store.audit import AuditEntry, record

    engine = _engine(database_url)
    row = revoke_key(engine, key_id)
    record(engine, AuditEntry("cli", "revoke_key", "ok", "admin", "cli", row.id))
    typer.echo(f"revoked {row.id} ({row.role})")
