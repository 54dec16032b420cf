"""``thermowatch alerts ...``: list, acknowledge, test a channel, deliver the outbox, and
approve or reject proposed actions.

Imports happen inside the commands so that ``thermowatch --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from thermowatch.cli.db import DatabaseUrl, _echo, _engine

app = typer.Typer(
    help="Alerts: list, acknowledge, test channels, deliver notifications, approve actions.",
    no_args_is_help=True,
)

ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        envvar="THERMOWATCH_ALERTS_CONFIG",
        help="Alerts TOML file ([alerts] table; see examples/alerts.toml), read when the "
        "settings file has no [alerts] section.",
        show_default=False,
    ),
]
By = Annotated[str, typer.Option("--by", help="Your name, recorded in the audit log.")]


@app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="Include resolved alerts.")] = False,
    transformer: Annotated[
        str | None, typer.Option("--transformer", "-t", help="Only this transformer's alerts.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Open alerts (newest first), with who acknowledged them."""
    from thermowatch.alerts.lifecycle import list_alerts

    rows = list_alerts(_engine(database_url), include_resolved=all_, transformer_id=transformer)
    if as_json:
        out = [{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in vars(a).items()}
               for a in rows]  # fmt: skip
        typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    if not rows:
        _echo("no open alert" if not all_ else "no alert")
        return
    from rich.console import Console
    from rich.table import Table

    def when(t) -> str:
        return t.strftime("%Y-%m-%d %H:%M") if t else "-"

    table = Table(title="thermowatch alerts")
    for col in ("id", "transformer", "kind", "level", "raised (UTC)", "acknowledged", "resolved"):
        table.add_column(col)
    for a in rows:
        ack = f"{a.acknowledged_by} {when(a.acknowledged_at)}" if a.acknowledged_at else "-"
        table.add_row(str(a.id), a.transformer_id, a.kind, a.level, when(a.raised_at), ack,
                      when(a.resolved_at))  # fmt: skip
    Console().print(table)


def _alerts(config: Path | None):
    """The alerts settings as every process resolves them: the settings file's ``[alerts]``,
    else the ``--config`` file, else phase 1 defaults."""
    from thermowatch.alerts.config import alerts_settings
    from thermowatch.settings import read_settings

    return alerts_settings(read_settings(None), config)


@app.command()
def ack(
    alert_id: Annotated[int, typer.Argument(help="Alert id (see `thermowatch alerts list`).")],
    by: By,
    database_url: DatabaseUrl = None,
) -> None:
    """Acknowledge an alert (stops its escalation)."""
    from thermowatch.alerts.lifecycle import acknowledge

    a = acknowledge(_engine(database_url), alert_id, by, source="cli")
    _echo(f"alert {a.id} ({a.transformer_id} {a.level}) acknowledged by {a.acknowledged_by}")


@app.command()
def shelve(
    alert_id: Annotated[int, typer.Argument(help="Alert id (see `thermowatch alerts list`).")],
    minutes: Annotated[float, typer.Option("--minutes", help="How long [min], at most 1440.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, recorded in the audit log.")],
    by: By,
    database_url: DatabaseUrl = None,
) -> None:
    """Shelve an alarm: hidden from the banner and not notified until it expires (audited)."""
    from thermowatch.alerts.lifecycle import shelve as shelve_alarm

    a = shelve_alarm(_engine(database_url), alert_id, by, minutes, reason, source="cli")
    _echo(f"alert {a.id} ({a.transformer_id} {a.level}) shelved by {by.strip()} until "
          f"{a.shelved_until:%Y-%m-%d %H:%M} UTC")  # fmt: skip


@app.command()
def unshelve(
    alert_id: Annotated[int, typer.Argument(help="Alert id (see `thermowatch alerts list`).")],
    by: By,
    database_url: DatabaseUrl = None,
) -> None:
    """Bring a shelved alarm back before its expiry (audited)."""
    from thermowatch.alerts.lifecycle import unshelve as unshelve_alarm

    a = unshelve_alarm(_engine(database_url), alert_id, by, source="cli")
    _echo(f"alert {a.id} ({a.transformer_id} {a.level}) unshelved by {by.strip()}")


@app.command("test-channel")
def test_channel(
    channel: Annotated[str, typer.Argument(help="Channel name from [alerts.channels].")],
    to: Annotated[
        str | None, typer.Option("--to", help="Recipient (default: the first contact's address).")
    ] = None,
    lang: Annotated[str, typer.Option(help="fr or en.")] = "fr",
    config: ConfigFile = None,
) -> None:
    """Send a test message through one channel now (not through the outbox)."""
    from thermowatch.alerts.channels import DeliveryError, OutgoingMessage, channel_named
    from thermowatch.errors import InputError
    from thermowatch.report.i18n import t

    cfg = _alerts(config)
    ch = channel_named(cfg, channel)
    if to is None:
        to = next((c.to[channel] for c in cfg.contacts.values() if channel in c.to), None)
        if to is None:
            raise InputError(f"no contact uses channel {channel!r}: give a recipient with --to")
    message = OutgoingMessage(to, t("subject.test", lang, channel=channel),
                              t("body.test", lang), "NORMAL")  # fmt: skip
    try:
        detail = ch.send(message)
    except DeliveryError as exc:
        # Exit 2 (not 1): the usual cause is the config (host, port, credentials), and
        # run_with_error_policy drops the code of a typer.Exit raised in a command.
        raise InputError(f"channel {channel} failed: {exc}") from None
    _echo(f"test message sent through {channel} to {to}: {detail}")


@app.command()
def deliver(
    loop: Annotated[bool, typer.Option("--loop", help="Keep running (Ctrl-C to stop).")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between passes with --loop.")] = 10.0,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Escalate due alerts, send due notifications, run approved actions (one pass or a loop).

    ``serve`` and ``monitor`` already do this themselves; this is for a separate deliverer."""
    from thermowatch.alerts.channels import build_channels
    from thermowatch.alerts.deliverer import deliver_loop, delivery_pass
    from thermowatch.alerts.phases import audit_phase

    cfg = _alerts(config)
    db = _engine(database_url)
    audit_phase(db, cfg.phase)
    channels = build_channels(cfg)
    if loop:
        deliver_loop(db, channels, cfg, interval)
        return
    escalated, r, actions = delivery_pass(db, channels, cfg)
    _echo(
        f"{len(escalated)} escalated, {len(r.sent)} sent, {len(r.retrying)} to retry, "
        f"{len(r.failed)} failed for good, {len(r.deferred)} deferred, {len(actions)} actions run"
    )


@app.command()
def actions(
    status: Annotated[
        str | None, typer.Option(help="proposed, approved, rejected, done, error.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Proposed actions and their status."""
    from thermowatch.alerts.actions import list_actions

    rows = list_actions(_engine(database_url), status)
    if not rows:
        _echo("no action")
    for p in rows:
        by = f" by {p.decided_by}" if p.decided_by else ""
        said = f"  ({p.detail})" if p.detail else ""
        _echo(
            f"{p.id}  alert {p.alert_id}  {p.name}  {p.status}{by}  "
            f"{p.proposed_at:%Y-%m-%d %H:%M}{said}"
        )


@app.command()
def approve(
    proposal_id: Annotated[int, typer.Argument(help="Id from `thermowatch alerts actions`.")],
    by: By,
    database_url: DatabaseUrl = None,
) -> None:
    """Approve a proposed action (phase 3+); `alerts deliver` then runs it."""
    from thermowatch.alerts.actions import approve_action

    approve_action(_engine(database_url), proposal_id, by, source="cli")
    _echo(f"action {proposal_id} approved by {by}")


@app.command()
def reject(
    proposal_id: Annotated[int, typer.Argument(help="Id from `thermowatch alerts actions`.")],
    by: By,
    database_url: DatabaseUrl = None,
) -> None:
    """Reject a proposed action: it will not run."""
    from thermowatch.alerts.actions import reject_action

    reject_action(_engine(database_url), proposal_id, by, source="cli")
    _echo(f"action {proposal_id} rejected by {by}")
