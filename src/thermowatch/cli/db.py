"""``thermowatch db ...`` (the history store) and ``thermowatch status``.

Imports of the store, SQLAlchemy and pandas happen inside the commands so that
``thermowatch --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from thermowatch.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(
    help="The history database: migrations, import, retention, backup and restore.",
    no_args_is_help=True,
)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="THERMOWATCH_DATABASE_URL",
        help="SQLAlchemy URL; default: thermowatch.db in the data directory $THERMOWATCH_HOME "
        "(~/.local/share/thermowatch); postgresql+psycopg://user@host/db for PostgreSQL.",
        show_default=False,
    ),
]


def _echo(message: str) -> None:
    from rich.console import Console

    Console(highlight=False, soft_wrap=True).print(message)


def _engine(url: str | None, *, require_schema: bool = True) -> Engine:
    from thermowatch.errors import InputError
    from thermowatch.store.engine import make_engine
    from thermowatch.store.migrate import current_revision, head_revision

    engine = make_engine(url)
    if require_schema:
        rev = current_revision(engine)
        if rev != head_revision():
            where = engine.url.render_as_string(hide_password=True)
            state = "has no thermowatch tables" if rev is None else f"is at revision {rev}"
            raise InputError(f"the database {where} {state}: run `thermowatch db upgrade` first")
    return engine


@app.command()
def upgrade(database_url: DatabaseUrl = None) -> None:
    """Create or migrate the tables to the current version (safe to run again)."""
    from thermowatch.store.migrate import upgrade as run_upgrade
    from thermowatch.store.partitions import list_partitions

    engine = _engine(database_url, require_schema=False)
    rev = run_upgrade(engine)
    parts = list_partitions(engine)
    extra = f"; readings partitions up to {parts[-1]}" if parts else ""
    _echo(f"database {engine.url.render_as_string(hide_password=True)} at revision {rev}{extra}")


ModelsDir = Annotated[
    Path | None,
    typer.Option(
        "--models",
        envvar="THERMOWATCH_MODELS_DIR",
        help="Directory of model artifacts to back up / restore with the database.",
        show_default=False,
    ),
]


BackupKeyFile = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="File holding the key that signs backup sets (HMAC-SHA256), kept outside them; "
        "default: $THERMOWATCH_BACKUP_KEY, else $THERMOWATCH_MODEL_KEY, else backup_key in the "
        "data directory (made by the first backup).",
        show_default=False,
    ),
]


def _backup_key(key_file: Path | None, near: Path, create: bool = False) -> bytes:
    """The key of backup sets (see ``--key-file``); refused when it lives inside ``near``."""
    import os
    import secrets

    from thermowatch.paths import data_home

    if key_file is None:
        for name in ("THERMOWATCH_BACKUP_KEY", "THERMOWATCH_MODEL_KEY"):
            if os.environ.get(name):
                return os.environ[name].encode()
        key_file = data_home() / "backup_key"
        if create and not key_file.exists():
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(32))
    if not key_file.is_file():
        raise InputError(
            f"no key to check backup sets: {key_file} does not exist (give --key-file, or set "
            "THERMOWATCH_BACKUP_KEY to the key the set was signed with)."
        )
    if near.resolve() in key_file.resolve().parents:
        raise InputError(f"--key-file: keep the key outside the backups ({near}).")
    return key_file.read_bytes().strip()


def _holds(s) -> str:
    """What a set holds, in one sentence (tables, rows, model files, served models)."""
    h = s.manifest.get("holds") or {}
    missing = h.get("served_models_missing") or []
    served = ", ".join(h.get("served_models") or []) or "none"
    gone = f" (artifact missing on disk, NOT in the set: {', '.join(missing)})" if missing else ""
    return (
        f"{h.get('rows', 0)} rows in {h.get('tables', 0)} tables, {h.get('model_files', 0)} "
        f"model files, served models: {served}{gone}"
    )


@app.command()
def backup(
    file: Annotated[
        Path | None,
        typer.Argument(help="One backup file to write (overwritten); or use --rotate DIR."),
    ] = None,
    rotate_dir: Annotated[
        Path | None,
        typer.Option(
            "--rotate",
            help="Write a backup set (database + model artifacts, SHA-256 manifest) into this "
            "directory, then keep 7 daily, 4 weekly and 12 monthly sets.",
            show_default=False,
        ),
    ] = None,
    models: ModelsDir = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check what was written (checksums, rows).")
    ] = False,
    key_file: BackupKeyFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write a full backup: one file, or a rotated, checksummed set with the model artifacts."""
    from rich.console import Console

    from thermowatch.store import backup as b

    if (file is None) == (rotate_dir is None):
        raise InputError("give either a backup FILE or --rotate DIR (not both).")
    if models is not None and not models.is_dir():
        raise InputError(f"--models: directory {models} does not exist.")
    engine = _engine(database_url)
    if rotate_dir is None:
        assert file is not None
        key = _backup_key(key_file, file, create=True)  # a file holds no key: any place is out
        with Console(stderr=True).status(f"writing the backup to {file}…"):  # no byte count
            result = b.backup(engine, file)
        sig = b.sign_file(result.path, key)  # never an unsigned backup: restore checks it
        rows = f", {sum(result.rows.values())} rows" if result.rows is not None else ""
        if verify:
            b.check_file_signature(result.path, key)
            b.verify_file(result.path)
            rows += ", verified"
        _echo(f"backup written to {result.path} ({result.size} bytes{rows}), signed in {sig}")
        return
    from thermowatch.paths import default_models_dir

    key = _backup_key(key_file, rotate_dir, create=True)
    if models is None and default_models_dir().is_dir():
        models = default_models_dir()  # the retrained and served models, by default
    with Console(stderr=True).status(f"writing a backup set into {rotate_dir}…"):
        s = b.write_set(engine, rotate_dir, models, key=key)
    if verify:
        b.verify_set(s, key)
    removed = b.rotate(rotate_dir)
    state = "verified" if verify else "not verified"
    _echo(f"backup set {s.path}: {_holds(s)}; {state}; rotation removed {len(removed)} old sets")


@app.command("verify-backup")
def verify_backup(
    path: Annotated[
        Path, typer.Argument(help="A backup set directory (--rotate), or a backup file.")
    ],
    key_file: BackupKeyFile = None,
) -> None:
    """Check a backup set or file: its signature, then its content (checksums, rows, models)."""
    from thermowatch.store.backup import check_file_signature, verify_file, verify_set

    if path.is_file():
        check_file_signature(path, _backup_key(key_file, path))
        verify_file(path)
        _echo(f"backup file {path} is intact and signed")
        return
    s = verify_set(path, _backup_key(key_file, path.parent))
    _echo(f"backup set {s.path} is intact and signed: {_holds(s)}")


@app.command()
def restore(
    file: Annotated[
        Path,
        typer.Argument(help="Backup file, or backup set directory, written by `db backup`."),
    ],
    models: ModelsDir = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Replace without asking (scripts, no terminal).")
    ] = False,
    key_file: BackupKeyFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Replace the whole database content (and with a set, the model artifacts) with a backup;
    asks first, unless --yes."""
    import sys

    from thermowatch.store.backup import open_set, restore_set, table_counts
    from thermowatch.store.backup import restore as run_restore

    if not file.exists():
        raise InputError(f"backup file {file} does not exist.")
    engine = _engine(database_url, require_schema=False)
    where = engine.url.render_as_string(hide_password=True)
    key = None
    if file.is_dir():
        from thermowatch.store.backup import verify_set

        key = _backup_key(key_file, file.parent)
        verify_set(file, key)  # a damaged or tampered set is refused before anything is asked
    else:
        from thermowatch.store.backup import check_file_signature

        check_file_signature(file, _backup_key(key_file, file))  # so is an unsigned file
    if not yes:
        if not sys.stdin.isatty():
            raise InputError(
                f"db restore replaces every table of {where}: add --yes to confirm "
                "(there is no terminal to ask)."
            )
        typer.confirm(f"Replace every table of {where} with {file}?", abort=True)
    from rich.console import Console

    if file.is_dir():
        with Console(stderr=True).status(f"restoring {file}…"):
            if models is None and (s0 := open_set(file)).manifest.get("models"):
                recorded = (s0.manifest.get("holds") or {}).get("models_dir")
                models = Path(recorded) if recorded else None  # what the set holds goes back
            s = restore_set(engine, file, models, key=key)  # type: ignore[arg-type]
        back = f" and {len(s.manifest['models'] or {})} model files" if models else ""
        _echo(f"restored {file}: {sum(table_counts(engine).values())} rows{back}")
        return
    with Console(stderr=True).status(f"restoring {file}…"):
        run_restore(engine, file)
    _echo(f"restored {file}: {sum(table_counts(engine).values())} rows")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Measurement file (xlsx, csv, parquet).")],
    transformer: Annotated[
        str, typer.Option("--transformer", "-t", help="Transformer id; created if new.")
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Load a measurement file into the store (importing it twice adds nothing)."""
    if not file.is_file():
        raise InputError(f"measurement file {file} does not exist.")
    from thermowatch.cli.progress import bar
    from thermowatch.data import read_readings
    from thermowatch.data.columns import find_target
    from thermowatch.store.readings import wide_to_frame, write_readings
    from thermowatch.store.transformers import ensure_transformer

    engine = _engine(database_url)
    with bar() as progress:
        task = progress.add_task(f"reading {file.name}", total=None)
        # Raw readings as measured: the training set's cleaning (interpolation, masking) is
        # not what a history database should keep.
        readings = read_readings(file)
        frame, skipped = wide_to_frame(readings.frame, transformer, f"import:{file.name}")
        try:
            target = find_target(readings.columns, source=repr(str(file)))
        except InputError:
            target = None  # a file of inputs only (no temperature) is still history
        created = ensure_transformer(engine, transformer, target_variable=target)
        progress.update(task, description="storing readings", total=len(frame), completed=0)
        stored = write_readings(
            engine, frame, on_progress=lambda sent: progress.update(task, completed=sent)
        )
    new = " (new transformer)" if created else ""
    _echo(
        f"{file.name} -> {transformer}{new}: {stored} readings stored, "
        f"{len(frame) - stored} already present, {skipped} empty cells skipped"
    )


@app.command()
def retention(
    raw_days: Annotated[
        float, typer.Option("--raw-days", min=0.001, help="Days of raw readings to keep.")
    ] = 90,
    forecast_days: Annotated[
        float,
        typer.Option("--forecast-days", min=0.001, help="Days of stored forecasts to keep."),
    ] = 7,
    database_url: DatabaseUrl = None,
) -> None:
    """Fold raw readings older than --raw-days into hourly min/mean/max, then delete them;
    delete forecasts issued more than --forecast-days ago."""
    from thermowatch.store.retention import apply_retention

    r = apply_retention(_engine(database_url), raw_days, forecast_days=forecast_days)
    dropped = f", dropped {len(r.partitions_dropped)} partitions" if r.partitions_dropped else ""
    _echo(
        f"before {r.cutoff.isoformat()}: {r.readings_deleted} raw readings folded into "
        f"{r.hours_aggregated} hourly rows and deleted{dropped}; "
        f"{r.forecasts_deleted} forecasts older than {forecast_days:g} days deleted"
    )


def _spool_state() -> dict[str, object] | None:
    """The monitor's spool named by the settings file, when there is one on disk."""
    from pathlib import Path

    from thermowatch.ingest.spool import FILE_NAME, Spool
    from thermowatch.settings import read_settings

    try:
        file = read_settings(None)
    except InputError:
        return None
    monitor = file.section("monitor")
    if not file.has("transformers") and not monitor:
        return None
    directory = file.base_dir / str(monitor.get("spool_dir", "spool"))
    if not (Path(directory) / FILE_NAME).is_file():
        return None
    spool = Spool(directory)
    try:
        return {"directory": str(directory), "waiting": spool.pending(),
                "quarantined": len(spool.quarantined())}  # fmt: skip
    finally:
        spool.close()


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Per transformer: latest reading, measured and predicted temperature, the worse of their
    levels and which one, open alerts; and the monitor's spool (waiting, quarantined)."""
    from thermowatch.store.status import fleet_status

    rows = fleet_status(_engine(database_url))
    spool = _spool_state()
    if as_json:
        doc: object = [r.to_json() for r in rows]
        if spool is not None:
            doc = {"transformers": doc, "spool": spool}
        typer.echo(json.dumps(doc, indent=2))
        return
    if spool is not None:
        _echo(
            f"monitor spool {spool['directory']}: {spool['waiting']} batches waiting for the "
            f"database, {spool['quarantined']} quarantined (refused by the store, kept)"
        )
    from rich.console import Console
    from rich.table import Table

    def num(v: float | None) -> str:
        return "-" if v is None else f"{v:.1f}"

    table = Table(title="thermowatch status")
    for col in ("transformer", "last reading (UTC)", "measured °C", "predicted °C", "level",
                "open alerts"):  # fmt: skip
        table.add_column(col)
    for r in rows:
        last = r.last_reading_at.strftime("%Y-%m-%d %H:%M") if r.last_reading_at else "-"
        level = f"{r.level} ({r.level_source})" if r.level else "-"
        table.add_row(r.transformer_id, last, num(r.measured), num(r.predicted), level,
                      str(r.open_alerts))  # fmt: skip
    Console().print(table if rows else "no transformer in the store yet")
