"""``thermowatch user create|list|disable``: dashboard accounts (argon2id-hashed passwords)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from thermowatch.cli.db import DatabaseUrl

app = typer.Typer(help="Dashboard user accounts.", no_args_is_help=True)


def _engine(database_url: str | None):
    from thermowatch.store.engine import make_engine

    return make_engine(database_url)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="User name (2-64 letters, digits, . _ @ -).")],
    role: Annotated[str, typer.Option(help="reader, operator or admin.")] = "reader",
    lang: Annotated[str, typer.Option(help="Dashboard language: fr or en.")] = "fr",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an account; the password is asked twice (hidden) unless --password-stdin."""
    from thermowatch.errors import InputError
    from thermowatch.store.audit import AuditEntry, record
    from thermowatch.store.users import check_name, create_user

    check_name(name)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise InputError("the password is empty.")
    engine = _engine(database_url)
    user = create_user(engine, name, password, role, lang)
    record(engine, AuditEntry("cli", "create_user", "ok", "admin", "cli", f"user:{user.name}",
                              f"role={user.role}"))  # fmt: skip
    typer.echo(f"user {user.name} created, role {user.role}, language {user.lang}")


@app.command("list")
def list_(database_url: DatabaseUrl = None) -> None:
    """List accounts: name, role, language, created, disabled (never the passwords)."""
    from thermowatch.store.users import list_users

    for u in list_users(_engine(database_url)):
        disabled = u.disabled_at.isoformat() if u.disabled_at else "-"
        typer.echo(f"{u.name}\t{u.role}\t{u.lang}\t{u.created_at.isoformat()}\tdisabled={disabled}")


@app.command("disable")
def disable(
    name: Annotated[str, typer.Argument(help="The user to disable.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Disable an account and end its open sessions at once."""
    from thermowatch.store.audit import AuditEntry, record
    from thermowatch.store.users import disable_user

    engine = _engine(database_url)
    user = disable_user(engine, name)
    record(engine, AuditEntry("cli", "disable_user", "ok", "admin", "cli", f"user:{user.name}"))
    typer.echo(f"user {user.name} disabled")
