"""``thermowatch model list|show|retrain|compare|shadow|ab|promote|rollback|approve|reject``:
model versions in the store, their retraining and their trials.

Every change is audited with the actor given by ``--by``. Imports happen inside the commands so
that ``thermowatch --help`` stays fast.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from thermowatch.cli.db import DatabaseUrl, _echo, _engine
from thermowatch.cli.progress import bar
from thermowatch.errors import InputError

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


At = Annotated[
    datetime | None,
    typer.Option("--at", help="Logical time (UTC); default now.", show_default=False),
]
Days = Annotated[float, typer.Option("--days", help="Duration [days].")]
MinDays = Annotated[
    float, typer.Option("--min-days", help="Least span of paired samples for a verdict [days].")
]
MinSamples = Annotated[
    int, typer.Option("--min-samples", min=2, help="Least number of paired samples for a verdict.")
]


def _utc(at: datetime | None) -> datetime | None:
    return None if at is None else (at.replace(tzinfo=UTC) if at.tzinfo is None else at)


def retrain(
    transformer: Annotated[str, typer.Option("--transformer", "-t", help="Transformer id.")],
    at: At = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Retrain a transformer's model now, in this process: train a challenger on the store's
    history, score both on recent data neither trained on, promote through the phase's gate.
    Idempotent per --at: the run of that time is not run twice."""
    from thermowatch.cli.jobs import job_settings
    from thermowatch.jobs.runner import execute
    from thermowatch.store.engine import write_transaction
    from thermowatch.store.jobs import enqueue_runs, get_run
    from thermowatch.store.transformers import get_transformer

    engine = _engine(database_url)
    get_transformer(engine, transformer)  # unknown: one sentence, exit 2
    when = _utc(at) or datetime.now(UTC)
    with write_transaction(engine) as conn:
        ids = enqueue_runs(conn, "retrain", [transformer], when)
    # The same --at twice is the same run: it is not trained again (its outcome is printed).
    with bar(transient=True) as progress:
        task = progress.add_task(f"{transformer}: retraining", total=1)
        execute(engine, ids[0], job_settings())
        progress.update(task, advance=1)
    with engine.connect() as conn:
        run = get_run(conn, ids[0])
    assert run is not None
    typer.echo(json.dumps({"run": run.id, "status": run.status, "error": run.error,
                           **(run.result or {})}, indent=2, default=str))  # fmt: skip
    if run.status != "done":
        raise typer.Exit(1)


def compare(
    model_id: str,
    days: Days = 7,
    against: Annotated[
        str | None, typer.Option("--against", help="Model id; default the champion.")
    ] = None,
    at: At = None,
    min_days: MinDays = 7.0,
    min_samples: MinSamples = 168,
    database_url: DatabaseUrl = None,
) -> None:
    """A model in shadow against the champion on the same instants: RMSE of each [K], the
    difference with a 95 % bootstrap interval and n, as JSON; no verdict before --min-days and
    --min-samples."""
    from thermowatch.jobs.trials import compare as run_compare

    out = run_compare(_engine(database_url), model_id, days, _utc(at), against, min_days,
                      min_samples)  # fmt: skip
    typer.echo(json.dumps(out, indent=2))


def shadow(
    model_id: str, by: By, days: Days = 14, at: At = None, database_url: DatabaseUrl = None
) -> None:
    """Run a challenger in shadow for N days: it predicts alongside the champion, its
    predictions are stored and compared, it never alerts (audited)."""
    from thermowatch.jobs.trials import start_shadow

    out = start_shadow(_engine(database_url), model_id, days, by, _utc(at))
    _echo(f"{model_id} runs in shadow on {out['transformer_id']} until {out['ends_at']}")


def ab(
    experiment: Annotated[str, typer.Argument(help="Experiment name.")],
    models: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="A challenger; repeatable.")
    ] = None,
    fraction: Annotated[float, typer.Option("--fraction", help="Share served by B [0-1].")] = 0.5,
    days: Days = 14,
    by: Annotated[str | None, typer.Option("--by", help="Your name (audit); to start.")] = None,
    at: At = None,
    min_days: MinDays = 7.0,
    min_samples: MinSamples = 168,
    database_url: DatabaseUrl = None,
) -> None:
    """Start an A/B experiment over challengers of several transformers (with --model and
    --by), or print the report of a running one: live RMSE by arm, difference and 95 % CI."""
    from thermowatch.jobs.trials import ab_report, start_ab

    engine = _engine(database_url)
    if models:
        if not by:
            raise InputError("--by is required to start an experiment (the audit log).")
        out = start_ab(engine, experiment, models, fraction, days, by, _utc(at))
    else:
        out = ab_report(engine, experiment, _utc(at), min_days, min_samples)
    typer.echo(json.dumps(out, indent=2))


COMMANDS = {"list": list_, "show": show, "retrain": retrain, "compare": compare,
            "shadow": shadow, "ab": ab, "promote": promote, "rollback": rollback,
            "approve": approve, "reject": reject}  # fmt: skip
