"""``thermowatch phase status|set|judge``: the four deployment phases as a procedure.

The evidence for moving on is computed from the store: weeks of readings observed, alerts
raised, acknowledged, and judged real or false by the operators (``phase judge``), and the
prediction error against the measured temperature over the last 4 weeks. ``phase set`` checks
the criteria of the phase asked for (going down is always allowed), writes ``phase = N`` in the
``[alerts]`` table of the configuration and records the change, with who made it, in the
audit log. The criteria are those of the manual ("Deployment phases").
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from thermowatch.cli.db import DatabaseUrl
from thermowatch.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(help="Deployment phases: evidence, criteria, audited changes.",
                  no_args_is_help=True)  # fmt: skip

JUDGEMENT_ACTION = "alerts.judgement"
ERROR_WINDOW = timedelta(days=28)


@dataclass(frozen=True)
class Criteria:
    """What the store must show before entering a phase."""

    min_weeks: float  # weeks of readings observed
    max_mae_k: float  # mean absolute prediction error over the last 4 weeks [K]
    min_judged: int  # alerts judged real or false by an operator
    max_false_share: float  # false alarms / judged alerts


CRITERIA = {
    2: Criteria(min_weeks=4, max_mae_k=3.0, min_judged=0, max_false_share=0.5),
    3: Criteria(min_weeks=12, max_mae_k=2.0, min_judged=5, max_false_share=0.2),
    4: Criteria(min_weeks=26, max_mae_k=1.5, min_judged=10, max_false_share=0.05),
}


@dataclass(frozen=True)
class Evidence:
    """What the store says about how well thermowatch has done so far."""

    recorded_phase: int | None
    weeks_observed: float
    alerts_raised: int
    alerts_acknowledged: int
    judged_real: int
    judged_false: int
    mae_k: float | None  # mean |predicted - measured| over the last 4 weeks [K]
    compared_points: int

    @property
    def false_share(self) -> float:
        judged = self.judged_real + self.judged_false
        return self.judged_false / judged if judged else 0.0


def evidence(engine: Engine, now: datetime | None = None) -> Evidence:
    """Compute :class:`Evidence` from the readings, predictions, alerts and audit log."""
    from sqlalchemy import and_, func, select

    from thermowatch.alerts.phases import recorded_phase
    from thermowatch.store.tables import alerts, audit_log, predictions, readings, transformers

    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        firsts = []
        for (tid,) in conn.execute(select(transformers.c.id)):
            first = conn.scalar(select(func.min(readings.c.ts)).where(
                readings.c.transformer_id == tid))  # fmt: skip
            if first is not None:
                firsts.append(first)
        raised, acked = conn.execute(
            select(func.count(), func.count(alerts.c.acknowledged_at))
        ).one()
        judged = dict(conn.execute(
            select(audit_log.c.detail, func.count(func.distinct(audit_log.c.target)))
            .where(audit_log.c.action == JUDGEMENT_ACTION).group_by(audit_log.c.detail)
        ).all())  # fmt: skip
        p, r, t = predictions.c, readings.c, transformers.c
        err = conn.execute(
            select(func.avg(func.abs(p.value - r.value)), func.count())
            .select_from(predictions)
            .join(transformers, t.id == p.transformer_id)
            .join(readings, and_(r.transformer_id == p.transformer_id, r.ts == p.ts,
                                 r.variable == t.target_variable))
            .where(p.ts >= now - ERROR_WINDOW, p.ts <= now, r.quality == 0)
        ).one()  # fmt: skip
    phase = recorded_phase(engine)
    weeks = (now - min(firsts)).total_seconds() / (7 * 86400) if firsts else 0.0
    return Evidence(
        recorded_phase=int(phase) if phase else None,
        weeks_observed=round(weeks, 2),
        alerts_raised=int(raised),
        alerts_acknowledged=int(acked),
        judged_real=int(judged.get("real", 0)),
        judged_false=int(judged.get("false", 0)),
        mae_k=None if err[0] is None else round(float(err[0]), 3),
        compared_points=int(err[1]),
    )


def unmet(ev: Evidence, phase: int) -> list[str]:
    """The criteria of ``phase`` that the evidence does not meet (empty: ready)."""
    c = CRITERIA.get(phase)
    if c is None:
        return []
    out = []
    if ev.weeks_observed < c.min_weeks:
        out.append(f"{ev.weeks_observed:.1f} weeks observed, {c.min_weeks:g} needed")
    if ev.mae_k is None:
        out.append("no prediction compared with a measurement in the last 4 weeks")
    elif ev.mae_k > c.max_mae_k:
        out.append(f"prediction error {ev.mae_k:.2f} K, at most {c.max_mae_k:g} K allowed")
    judged = ev.judged_real + ev.judged_false
    if judged < c.min_judged:
        out.append(f"{judged} alerts judged real or false, {c.min_judged} needed")
    if judged and ev.false_share > c.max_false_share:
        out.append(f"{ev.false_share:.0%} false alarms, at most {c.max_false_share:.0%} allowed")
    return out


def _engine(url: str | None) -> Engine:
    from thermowatch.cli.db import _engine as db_engine

    return db_engine(url)


ConfigPath = Annotated[
    Path,
    typer.Option("--config", envvar="THERMOWATCH_CONFIG",
                 help="The TOML file whose [alerts] phase is set."),
]  # fmt: skip


def configured_phase(config: Path) -> int:
    """The ``phase`` of the ``[alerts]`` table of ``config`` (1 when absent)."""
    from thermowatch.settings import read_settings

    return int(read_settings(config).section("alerts").get("phase", 1))


@app.command()
def status(
    config: ConfigPath = Path("thermowatch.toml"),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """The phase in force, the evidence from the store, and what the next phase still needs."""
    current = configured_phase(config) if config.is_file() else 1
    ev = evidence(_engine(database_url))
    nxt = current + 1 if current < 4 else None
    missing = unmet(ev, nxt) if nxt else []
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "phase": current,
                    "evidence": asdict(ev) | {"false_share": round(ev.false_share, 3)},
                    "next": nxt,
                    "unmet": missing,
                },
                indent=2,
            )
        )
        return  # fmt: skip
    mae = "-" if ev.mae_k is None else f"{ev.mae_k:.2f} K ({ev.compared_points} points)"
    lines = [
        f"phase in force: {current} (config {config})",
        f"weeks observed: {ev.weeks_observed:.1f}",
        f"alerts: {ev.alerts_raised} raised, {ev.alerts_acknowledged} acknowledged, "
        f"{ev.judged_real} judged real, {ev.judged_false} judged false",
        f"prediction error, last 4 weeks: {mae}",
    ]
    if nxt:
        lines.append(f"phase {nxt}: " + ("ready" if not missing else "not yet: " +
                                        "; ".join(missing)))  # fmt: skip
    typer.echo("\n".join(lines))


@app.command("set")
def set_phase(
    phase: Annotated[int, typer.Argument(min=1, max=4, help="1, 2, 3 or 4.")],
    by: Annotated[str, typer.Option("--by", help="Your name, recorded in the audit log.")],
    config: ConfigPath = Path("thermowatch.toml"),
    force: Annotated[
        str | None,
        typer.Option(
            "--force",
            help="Move on although criteria are unmet; give the reason.",
            show_default=False,
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Change the phase in the configuration, after checking the evidence; audited."""
    from thermowatch.alerts.config import Phase
    from thermowatch.alerts.phases import audit_phase
    from thermowatch.store.audit import AuditEntry, record

    if not config.is_file():
        raise InputError(f"--config: file {config} does not exist.")
    current = configured_phase(config)
    engine = _engine(database_url)
    missing = [m for p in range(current + 1, phase + 1) for m in unmet(evidence(engine), p)]
    if missing and not force:
        raise InputError(f"phase {phase} refused: " + "; ".join(dict.fromkeys(missing)) +
                         " (--force REASON to override)")  # fmt: skip
    text = config.read_text(encoding="utf-8")
    new, n = re.subn(r"(?ms)^(\[alerts\][^\[]*?^phase\s*=\s*)\d", rf"\g<1>{phase}", text, count=1)
    if n == 0:
        if "[alerts]" not in text:
            new = text.rstrip("\n") + f"\n\n[alerts]\nphase = {phase}\n"
        else:
            new = re.sub(r"(?m)^\[alerts\]\s*$", f"[alerts]\nphase = {phase}", text, count=1)
    config.write_text(new, encoding="utf-8")
    audit_phase(engine, Phase(phase), actor=by)
    if missing:
        record(engine, AuditEntry(actor=by, action="alerts.phase.forced", outcome="ok",
                                  target=f"phase:{phase}", detail=f"{force}; unmet: " +
                                  "; ".join(missing)))  # fmt: skip
    typer.echo(f"phase {current} -> {phase} written to {config} and audited; restart the "
               "monitor and the API to apply it (systemctl restart thermowatch.target)")  # fmt: skip


@app.command()
def judge(
    alert_id: Annotated[int, typer.Argument(help="Alert id (see `thermowatch alerts list`).")],
    by: Annotated[str, typer.Option("--by", help="Your name, recorded in the audit log.")],
    real: Annotated[
        bool, typer.Option("--real/--false", help="Was it a real problem or a false alarm?")
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Record whether an alert was real or a false alarm (evidence for the next phase)."""
    from thermowatch.store.alerts import get_alert
    from thermowatch.store.audit import AuditEntry, record

    engine = _engine(database_url)
    get_alert(engine, alert_id)  # an unknown id is refused
    verdict = "real" if real else "false"
    record(engine, AuditEntry(actor=by, action=JUDGEMENT_ACTION, outcome="ok",
                              target=f"alert:{alert_id}", detail=verdict))  # fmt: skip
    typer.echo(f"alert {alert_id} judged {verdict} by {by}")
