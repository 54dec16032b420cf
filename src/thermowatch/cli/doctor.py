"""``thermowatch doctor``: is this installation healthy? One verdict per check, and metrics.

Checks: configuration, database and migrations, SCADA sources reachable, alert channels,
TLS certificate expiry, disk space, backup age, the monitors' leader lease, the alert outbox,
the monitor's spool, transformers without recent readings. Exit code 0 when nothing fails
(warnings allowed), 1 when a check fails. ``--textfile`` also writes the figures for
Prometheus (node_exporter's textfile collector), which deploy/prometheus alerts on.
"""

from __future__ import annotations

import json
import shutil
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

import typer

from thermowatch.cli.db import DatabaseUrl
from thermowatch.settings import environment

OK, UNKNOWN, WARN, FAIL = "ok", "unknown", "warn", "fail"
#: Readings stored this recently show that something collects them [s].
COLLECTING_S = 300.0
BACKUP_MAX_AGE_H = 26.0  # a nightly backup, with slack
CERT_WARN_DAYS, CERT_FAIL_DAYS = 30, 14
DISK_WARN_PCT, DISK_FAIL_PCT = 20.0, 10.0
STALE_MINUTES = 15.0
OUTBOX_WARN = 50
MONITOR_LEASE = "monitor"

#: Every metric ``--textfile`` writes (the Prometheus rules and the Grafana dashboard use them).
TEXTFILE_METRICS = (
    "thermowatch_doctor_check_ok",
    "thermowatch_backup_last_success_timestamp_seconds",
    "thermowatch_transformer_last_reading_timestamp_seconds",
    "thermowatch_monitor_leader_present",
    "thermowatch_outbox_pending",
    "thermowatch_outbox_oldest_pending_seconds",
    "thermowatch_spool_batches",
    "thermowatch_quarantine_rows",
    "thermowatch_tls_certificate_expiry_timestamp_seconds",
)


@dataclass
class Check:
    """One verdict: ``name`` (a catalogue key), ``verdict`` ok|warn|fail, lines of detail."""

    name: str
    verdict: str = OK
    details: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def add(self, verdict: str, key: str, **values: Any) -> None:
        order = (OK, UNKNOWN, WARN, FAIL)
        self.verdict = max(self.verdict, verdict, key=order.index)
        self.details.append((key, values))


@dataclass
class Context:
    """What the checks read, and the figures they leave for the metrics."""

    config_path: Path | None
    database_url: str | None
    backup_dir: Path | None
    certificates: list[Path]
    doc: dict[str, Any] = field(default_factory=dict)
    engine: Any = None
    metrics: dict[str, Any] = field(default_factory=dict)
    #: The typed environment (:func:`thermowatch.settings.environment`), read by the command.
    env: Any = None


# ---------------------------------------------------------------------------------- checks
def check_config(ctx: Context) -> Check:
    from thermowatch.alerts.config import parse_config as parse_alerts
    from thermowatch.errors import InputError
    from thermowatch.ingest.config import parse_config as parse_monitor
    from thermowatch.service.settings import load_settings
    from thermowatch.settings import read_settings

    c = Check("config")
    if ctx.config_path is None:
        c.add(WARN, "doctor.config.none")
        return c
    try:
        ctx.doc = read_settings(ctx.config_path).doc
        sections = sorted(k for k in ctx.doc if isinstance(ctx.doc[k], dict | list))
        load_settings(ctx.config_path)
        if "alerts" in ctx.doc:
            parse_alerts({"alerts": ctx.doc["alerts"]})
        if ctx.doc.get("transformers"):
            part = {k: ctx.doc[k] for k in ("monitor", "transformers") if k in ctx.doc}
            parse_monitor(part, ctx.config_path.parent)
        c.add(OK, "doctor.config.ok", path=ctx.config_path, sections=", ".join(sections))
    except InputError as exc:
        c.add(FAIL, "doctor.error", message=str(exc))
    return c


def check_database(ctx: Context) -> Check:
    from thermowatch.store.engine import make_engine
    from thermowatch.store.migrate import current_revision, head_revision

    c = Check("database")
    from thermowatch.settings import SettingsFile, database_url

    file = SettingsFile(ctx.config_path, ctx.doc)
    url = database_url(ctx.database_url, file) or ctx.doc.get("monitor", {}).get("database_url")
    try:
        pg = bool(url) and str(url).startswith("postgres")
        engine = make_engine(url, connect_args={"connect_timeout": 5}) if pg else make_engine(url)
        shown = engine.url.render_as_string(hide_password=True)
        rev = current_revision(engine)
    except Exception as exc:
        c.add(FAIL, "doctor.database.down", url=url or "sqlite:///thermowatch.db",
              message=str(exc).splitlines()[0])  # fmt: skip
        return c
    head = head_revision()
    if rev != head:
        c.add(FAIL, "doctor.database.behind", url=shown, revision=rev, head=head)
        return c
    ctx.engine = engine
    c.add(OK, "doctor.database.ok", url=shown, revision=rev)
    return c


def _endpoints(doc: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(label, host, port) of each distinct network source of the configured transformers."""
    out = []
    for t in doc.get("transformers", []) or []:
        s = t.get("source", {}) if isinstance(t, dict) else {}
        proto = s.get("protocol")
        if proto == "opcua" and s.get("endpoint"):
            u = urlparse(s["endpoint"])
            out.append(("opcua", u.hostname or "", u.port or 4840))
        elif proto == "modbus":
            out.append(("modbus", s.get("host", "127.0.0.1"), int(s.get("port") or 502)))
        elif proto == "mqtt":
            out.append(("mqtt", s.get("host", "127.0.0.1"),
                        int(s.get("port") or (8883 if s.get("tls") else 1883))))  # fmt: skip
    return sorted(set(out))


def check_scada(ctx: Context) -> Check:
    c = Check("scada")
    endpoints = _endpoints(ctx.doc)
    if not endpoints:  # without a settings file, what the monitor reads is not known here
        c.add(WARN if ctx.config_path else UNKNOWN, "doctor.scada.none" if ctx.config_path
              else "doctor.scada.unknown")  # fmt: skip
        return c
    up, down = [], []
    for proto, host, port in endpoints:
        where = f"{proto}://{host}:{port}"
        try:
            with socket.create_connection((host, port), timeout=3):
                up.append(where)
        except OSError as exc:
            down.append(f"{where} ({exc.strerror or exc})")
    if up:
        c.add(OK, "doctor.scada.ok", n=len(up), where=", ".join(up))
    if down:
        c.add(FAIL, "doctor.scada.down", where=", ".join(down))
    if up and ctx.config_path is not None:
        problems = _source_problems(ctx)
        if problems:
            c.add(FAIL, "doctor.scada.problems", problems="; ".join(problems))
    return c


def _source_problems(ctx: Context) -> list[str]:
    """What the monitor would report at start: unknown nodes, refused registers or logins."""
    import asyncio

    from thermowatch.errors import InputError
    from thermowatch.ingest.config import parse_config
    from thermowatch.ingest.probe import probe_sources

    part = {k: ctx.doc[k] for k in ("monitor", "transformers") if k in ctx.doc}
    try:
        config = parse_config(part, ctx.config_path.parent if ctx.config_path else ".")
    except InputError:
        return []  # the configuration check has said why
    return asyncio.run(probe_sources(config))


def check_channels(ctx: Context) -> Check:
    from thermowatch.alerts.config import parse_config as parse_alerts

    c = Check("channels")
    try:
        cfg = parse_alerts({"alerts": ctx.doc["alerts"]}) if "alerts" in ctx.doc else None
    except Exception:
        cfg = None  # already reported by check_config
    phase = int(cfg.phase) if cfg else 1
    names = sorted(cfg.channels) if cfg else []
    if phase == 1:
        c.add(OK, "doctor.channels.phase1")
    elif not names:
        c.add(FAIL, "doctor.channels.none", phase=phase)
    else:
        c.add(OK, "doctor.channels.ok", phase=phase, names=", ".join(names))
    return c


def check_certificates(ctx: Context) -> Check:
    from cryptography import x509

    c = Check("certificates")
    if not ctx.certificates:
        c.add(OK, "doctor.cert.none")
        return c
    expiry = {}
    for path in ctx.certificates:
        try:
            data = path.read_bytes()
            cert = (
                x509.load_pem_x509_certificate(data)
                if b"-----BEGIN" in data
                else x509.load_der_x509_certificate(data)
            )
        except (OSError, ValueError) as exc:
            c.add(FAIL, "doctor.cert.missing", path=path, message=exc)
            continue
        end = cert.not_valid_after_utc
        expiry[str(path)] = end.timestamp()
        days = (end - datetime.now(UTC)).total_seconds() / 86400
        verdict = FAIL if days < CERT_FAIL_DAYS else WARN if days < CERT_WARN_DAYS else OK
        c.add(verdict, "doctor.cert.days", path=path, days=int(days))
    ctx.metrics["thermowatch_tls_certificate_expiry_timestamp_seconds"] = expiry
    return c


def check_disk(ctx: Context) -> Check:
    c = Check("disk")
    paths = {Path.cwd()}
    if ctx.backup_dir is not None and ctx.backup_dir.exists():
        paths.add(ctx.backup_dir)
    seen = set()
    for path in sorted(paths):
        dev = path.stat().st_dev
        if dev in seen:
            continue
        seen.add(dev)
        usage = shutil.disk_usage(path)
        pct = 100.0 * usage.free / usage.total
        verdict = FAIL if pct < DISK_FAIL_PCT else WARN if pct < DISK_WARN_PCT else OK
        c.add(verdict, "doctor.disk.free", path=path, free=f"{usage.free / 2**30:.1f}",
              pct=f"{pct:.0f}")  # fmt: skip
    return c


def check_backup(ctx: Context) -> Check:
    from thermowatch.store.backup import list_sets

    c = Check("backup")
    if ctx.backup_dir is None:
        c.add(WARN, "doctor.backup.nodir")
        return c
    sets = list_sets(ctx.backup_dir)
    if not sets:
        c.add(FAIL, "doctor.backup.none", path=ctx.backup_dir)
        return c
    newest = sets[0]
    ctx.metrics["thermowatch_backup_last_success_timestamp_seconds"] = newest.created_at.timestamp()
    hours = (datetime.now(UTC) - newest.created_at).total_seconds() / 3600
    verdict = FAIL if hours > BACKUP_MAX_AGE_H else OK if newest.verified else WARN
    state = "doctor.backup.verified" if newest.verified else "doctor.backup.unverified"
    c.add(verdict, "doctor.backup.age", hours=f"{hours:.1f}", name=newest.path.name,
          state=("@", state))  # fmt: skip
    return c


def check_leader(ctx: Context) -> Check:
    from thermowatch.store.leases import lease_holder
    from thermowatch.store.state import read_states

    c = Check("leader")
    holder = lease_holder(ctx.engine, MONITOR_LEASE)
    ctx.metrics["thermowatch_monitor_leader_present"] = 0 if holder is None else 1
    if holder is not None:
        c.add(OK, "doctor.leader.held", name=MONITOR_LEASE, holder=holder)
        return c
    # No lease held: a monitor started without --lease, or HTTP pushes, may still collect.
    # What the store received lately says whether readings arrive; the lease alone cannot.
    written = [s.updated_at for s in read_states(ctx.engine).values() if s.ts is not None]
    age = (datetime.now(UTC) - max(written)).total_seconds() if written else None
    if age is not None and age <= COLLECTING_S:
        c.add(UNKNOWN, "doctor.leader.unleased", name=MONITOR_LEASE, seconds=int(age))
    elif ctx.doc.get("transformers"):
        c.add(WARN, "doctor.leader.free", name=MONITOR_LEASE)
    else:
        c.add(UNKNOWN, "doctor.leader.unknown", name=MONITOR_LEASE)
    return c


def check_jobs(ctx: Context) -> Check:
    """The lifecycle jobs: in process (thermowatch-scheduler alone), or Celery workers
    (``THERMOWATCH_SCHEDULER_ARGS=--celery``: thermowatch-worker, the Redis broker must answer);
    runs waiting for over an hour mean nobody executes them."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from thermowatch.store.tables import JobStatus, job_runs

    c = Check("jobs")
    if "--celery" in ctx.env.scheduler_args.split():
        from thermowatch.jobs.job import DEFAULT_BROKER

        u = urlparse(ctx.env.broker_url or DEFAULT_BROKER)
        where = f"{u.scheme}://{u.hostname}:{u.port or 6379}"
        try:
            with socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=3):
                c.add(OK, "doctor.jobs.celery", broker=where)
        except OSError as exc:
            c.add(FAIL, "doctor.jobs.broker_down", broker=where, message=exc.strerror or exc)
    else:
        c.add(OK, "doctor.jobs.in_process")
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    waiting = select(func.count()).where(
        job_runs.c.status == JobStatus.QUEUED.value, job_runs.c.created_at < hour_ago
    )
    with ctx.engine.connect() as conn:
        n = int(conn.scalar(waiting) or 0)
    if n:
        c.add(WARN, "doctor.jobs.waiting", n=n)
    return c


def check_outbox(ctx: Context) -> Check:
    from sqlalchemy import func, inspect, select

    from thermowatch.store.tables import notifications

    c = Check("outbox")
    n_col = notifications.c
    with ctx.engine.connect() as conn:
        n, oldest = conn.execute(
            select(func.count(), func.min(n_col.created_at)).where(n_col.status == "pending")
        ).one()
        quarantined = 0
        if inspect(conn).has_table("quarantine"):
            quarantined = int(conn.exec_driver_sql("SELECT count(*) FROM quarantine").scalar())
    age_s = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    ctx.metrics |= {
        "thermowatch_outbox_pending": n,
        "thermowatch_outbox_oldest_pending_seconds": age_s,
        "thermowatch_quarantine_rows": quarantined,
    }
    c.add(WARN if n > OUTBOX_WARN or age_s > 900 else OK, "doctor.outbox.state", n=n,
          age=f"{age_s / 60:.0f}")  # fmt: skip
    return c


def check_spool(ctx: Context) -> Check:
    import sqlite3

    c = Check("spool")
    spool_dir = Path(ctx.doc.get("monitor", {}).get("spool_dir", "spool"))
    if ctx.config_path is not None and not spool_dir.is_absolute():
        spool_dir = ctx.config_path.parent / spool_dir
    path = spool_dir / "spool.sqlite"
    n = 0
    if path.exists():  # read-only: the doctor never creates a spool
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            n = int(con.execute("SELECT count(*) FROM batches").fetchone()[0])
        except sqlite3.DatabaseError:
            n = 0
        finally:
            con.close()
    ctx.metrics["thermowatch_spool_batches"] = n
    c.add(WARN if n else OK, "doctor.spool.state", n=n, path=spool_dir)
    return c


def check_stale(ctx: Context) -> Check:
    from thermowatch.store.readings import latest_reading_time
    from thermowatch.store.transformers import list_transformers

    c = Check("stale")
    last = {t.id: latest_reading_time(ctx.engine, t.id) for t in list_transformers(ctx.engine)}
    ctx.metrics["thermowatch_transformer_last_reading_timestamp_seconds"] = {
        tid: ts.timestamp() for tid, ts in last.items() if ts is not None
    }
    now = datetime.now(UTC)
    late = sorted(tid for tid, ts in last.items()
                  if ts is not None and (now - ts).total_seconds() > STALE_MINUTES * 60)  # fmt: skip
    if late:
        c.add(WARN, "doctor.stale.late", minutes=int(STALE_MINUTES), names=", ".join(late))
    else:
        c.add(OK, "doctor.stale.ok", n=sum(1 for ts in last.values() if ts is not None))
    return c


def run_checks(ctx: Context) -> list[Check]:
    """Every check in order; those that need the database are skipped when it is down."""
    checks = [check_config(ctx), check_database(ctx), check_scada(ctx), check_channels(ctx),
              check_certificates(ctx), check_disk(ctx), check_backup(ctx)]  # fmt: skip
    if ctx.engine is not None:
        for fn in (check_leader, check_jobs, check_outbox, check_spool, check_stale):
            try:
                checks.append(fn(ctx))
            except Exception as exc:  # one broken check must not hide the others
                failed = Check(fn.__name__.removeprefix("check_"))
                failed.add(FAIL, "doctor.error", message=str(exc).splitlines()[0])
                checks.append(failed)
    return checks


# ----------------------------------------------------------------------------------- output
def _text(key: str, values: dict[str, Any], lang: str) -> str:
    from thermowatch.report.i18n import t

    filled = {k: t(v[1], lang) if isinstance(v, tuple) and v[0] == "@" else v
              for k, v in values.items()}  # fmt: skip
    return t(key, lang, **filled)


def write_textfile(path: Path, checks: list[Check], metrics: dict[str, Any]) -> None:
    """Prometheus text format, written atomically (node_exporter may read at any time)."""
    from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

    reg = CollectorRegistry()
    ok = Gauge("thermowatch_doctor_check_ok", "1 when the doctor check passes (warnings pass)",
               ["check"], registry=reg)  # fmt: skip
    for c in checks:
        ok.labels(c.name).set(0 if c.verdict == FAIL else 1)
    labelled = {
        "thermowatch_transformer_last_reading_timestamp_seconds": "transformer",
        "thermowatch_tls_certificate_expiry_timestamp_seconds": "path",
    }
    for name in TEXTFILE_METRICS[1:]:
        if name not in metrics:
            continue
        value = metrics[name]
        if name in labelled:
            g = Gauge(name, name.replace("_", " "), [labelled[name]], registry=reg)
            for label, v in value.items():
                g.labels(label).set(v)
        else:
            Gauge(name, name.replace("_", " "), registry=reg).set(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), reg)


def doctor(
    config: Annotated[
        Path | None,
        typer.Option(
            envvar="THERMOWATCH_CONFIG", help="thermowatch.toml to check.", show_default=False
        ),
    ] = None,
    database_url: DatabaseUrl = None,
    backup_dir: Annotated[
        Path | None,
        typer.Option(
            envvar="THERMOWATCH_BACKUP_DIR",
            show_default=False,
            help="Where `db backup --rotate` writes its sets.",
        ),
    ] = None,
    cert: Annotated[
        list[Path] | None,
        typer.Option(
            envvar="THERMOWATCH_TLS_CERT",
            show_default=False,
            help="Certificate (PEM or DER) whose expiry to watch; repeatable.",
        ),
    ] = None,
    textfile: Annotated[
        Path | None,
        typer.Option(
            show_default=False, help="Also write the figures as Prometheus metrics to this file."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    lang: Annotated[str, typer.Option(help="fr or en.")] = "fr",
) -> None:
    """Check this installation; exit code 0 when nothing fails, 1 when a check fails."""
    from thermowatch.errors import InputError

    if lang not in ("fr", "en"):
        raise InputError(f"--lang must be fr or en, got {lang!r}.")
    started = time.perf_counter()
    from thermowatch.settings import settings_path

    # The settings the monitor and the service read (./thermowatch.toml when not named).
    ctx = Context(
        config or settings_path(None), database_url, backup_dir, list(cert or []), env=environment()
    )
    checks = run_checks(ctx)
    if textfile is not None:
        write_textfile(textfile, checks, ctx.metrics)
    failed = any(c.verdict == FAIL for c in checks)
    if as_json:
        doc = [{"check": c.name, "verdict": c.verdict,
                "details": [_text(k, v, lang) for k, v in c.details]} for c in checks]  # fmt: skip
        typer.echo(json.dumps({"checks": doc, "failed": failed}, indent=2, default=str))
    else:
        _print(checks, lang, time.perf_counter() - started)
    if ctx.engine is not None:
        ctx.engine.dispose()
    raise typer.Exit(1 if failed else 0)


def _print(checks: list[Check], lang: str, seconds: float) -> None:
    from rich.console import Console
    from rich.table import Table

    from thermowatch.report.i18n import t

    colour = {OK: "green", UNKNOWN: "cyan", WARN: "yellow", FAIL: "red"}
    table = Table(title=t("doctor.title", lang))
    for col in ("check", "verdict", "detail"):
        table.add_column(t(f"doctor.col.{col}", lang))
    for c in checks:
        detail = "\n".join(_text(k, v, lang) for k, v in c.details)
        verdict = f"[{colour[c.verdict]}]{t(f'doctor.verdict.{c.verdict}', lang)}[/]"
        table.add_row(t(f"doctor.check.{c.name}", lang), verdict, detail)
    console = Console(highlight=False, width=max(100, shutil.get_terminal_size().columns))
    console.print(table)
    counts = {v: sum(1 for c in checks if c.verdict == v) for v in (OK, UNKNOWN, WARN, FAIL)}
    console.print(t("doctor.summary", lang, **counts) + f" ({seconds:.1f} s)")
