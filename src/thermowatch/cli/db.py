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
        help="SQLAlchemy URL; default sqlite:///thermowatch.db "
        "(postgresql+psycopg://user@host/db for PostgreSQL).",
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


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="Backup file to write (overwritten).")],
    database_url: DatabaseUrl = None,
) -> None:
    """Write a full backup (SQLite online backup, or pg_dump custom format)."""
    from thermowatch.store.backup import backup as run_backup

    result = run_backup(_engine(database_url), file)
    rows = f", {sum(result.rows.values())} rows" if result.rows is not None else ""
    _echo(f"backup written to {result.path} ({result.size} bytes{rows})")


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="Backup file written by `thermowatch db backup`.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Replace the whole database content with a backup."""
    from thermowatch.store.backup import restore as run_restore
    from thermowatch.store.backup import table_counts

    engine = _engine(database_url, require_schema=False)
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
    from thermowatch.data import read_readings
    from thermowatch.data.columns import find_target
    from thermowatch.store.readings import wide_to_frame, write_readings
    from thermowatch.store.transformers import ensure_transformer

    engine = _engine(database_url)
    # Raw readings as measured: the training set's cleaning (interpolation, masking) is not
    # what a history database should keep.
    readings = read_readings(file)
    frame, skipped = wide_to_frame(readings.frame, transformer, f"import:{file.name}")
    try:
        target = find_target(readings.columns, source=repr(str(file)))
    except InputError:
        target = None  # a file of inputs only (no temperature) is still history
    created = ensure_transformer(engine, transformer, target_variable=target)
    stored = write_readings(engine, frame)
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
    database_url: DatabaseUrl = None,
) -> None:
    """Fold raw readings older than --raw-days into hourly min/mean/max, then delete them."""
    from thermowatch.store.retention import apply_retention

    r = apply_retention(_engine(database_url), raw_days)
    dropped = f", dropped {len(r.partitions_dropped)} partitions" if r.partitions_dropped else ""
    _echo(
        f"before {r.cutoff.isoformat()}: {r.readings_deleted} raw readings folded into "
        f"{r.hours_aggregated} hourly rows and deleted{dropped}"
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
