"""``thermowatch model list|show|promote|rollback|approve|reject``: model versions in the store.

Every change is audited with the actor given by ``--by``. Imports happen inside the commands so
that ``thermowatch --help`` stays fast.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from thermowatch.cli.db import DatabaseUrl, _echo, _engine

By = Annotated[str, typer.Option("--by", help="Your name, recorded in the audit log.")]


def list_(
    transformer: Annotated[str | None, typer.Option("--transformer", "-t")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Model versions (newest first) with their status and latest live checks."""
    from thermowatch.store.jobs import recent_checks
    from thermowatch.store.models import list_models

    engine = _engine(database_url)
    rows = []
    for m in list_models(engine, transformer):
        checks = {k: next((c["verdict"] for c in recent_checks(engine, m.transformer_id, k, 5)
                           if c["model_id"] == m.id), None) for k in ("accuracy", "drift")}  # fmt: skip
        rows.append({"id": m.id, "transformer": m.transformer_id, "status": m.status,
                     "created_at": m.created_at.isoformat(), **checks})  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        _echo("no model registered")
        return
    for r in rows:
        _echo(f"{r['transformer']:<12} {r['id']:<40} {r['status']:<17} "
              f"accuracy {r['accuracy'] or '-':<18} drift {r['drift'] or '-'}")  # fmt: skip


def show(model_id: str, database_url: DatabaseUrl = None) -> None:
    """One model version: status, registered metrics and its live checks, as JSON."""
    from thermowatch.store.jobs import recent_checks
    from thermowatch.store.models import get_model

    engine = _engine(database_url)
    m = get_model(engine, model_id)
    out = {**{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in vars(m).items()},
           "checks": {k: [c["values"] | {"verdict": c["verdict"], "at": c["at"].isoformat()}
                          for c in recent_checks(engine, m.transformer_id, k, 5)
                          if c["model_id"] == m.id] for k in ("accuracy", "drift")}}  # fmt: skip
    typer.echo(json.dumps(out, indent=2, default=str))


def promote(model_id: str, by: By, database_url: DatabaseUrl = None) -> None:
    """Make a registered model the champion now (audited; the old champion is retired)."""
    from thermowatch.jobs.promotion import promote_now
    from thermowatch.store.models import get_model

    engine = _engine(database_url)
    promote_now(engine, get_model(engine, model_id), by, "model.promoted", {"manual": True})
    _echo(f"{model_id} is now the champion")


def rollback(
    transformer: Annotated[str, typer.Option("--transformer", "-t", help="Transformer id.")],
    by: By,
    to: Annotated[
        str | None, typer.Option("--to", help="Model id; default the previous champion.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Put the previous (or a named) model back in service in one command (audited)."""
    from thermowatch.jobs.promotion import rollback as run_rollback

    model_id = run_rollback(_engine(database_url), transformer, to, by)
    _echo(f"{transformer}: {model_id} is the champion again")


def approve(model_id: str, by: By, database_url: DatabaseUrl = None) -> None:
    """Approve a promotion waiting for an admin (phase 3)."""
    from thermowatch.jobs.promotion import approve as run_approve

    run_approve(_engine(database_url), model_id, by)
    _echo(f"{model_id} approved: it is now the champion")


def reject(
    model_id: str,
    by: By,
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit log.")] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Reject a promotion waiting for an admin; the challenger is retired."""
    from thermowatch.jobs.promotion import reject as run_reject

    run_reject(_engine(database_url), model_id, by, reason)
    _echo(f"{model_id} rejected and retired")


COMMANDS = {"list": list_, "show": show, "promote": promote, "rollback": rollback,
            "approve": approve, "reject": reject}  # fmt: skip
