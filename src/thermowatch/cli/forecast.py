"""``thermowatch forecast``: the temperature at every step up to a horizon, with an interval,
and when each alert threshold is first crossed; optionally under a load scenario."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thermowatch.errors import InputError


def read_scenario(path: Path, variables: list[str]):
    """A load scenario file (csv/xlsx/parquet): a timestamp column and load columns."""
    import pandas as pd

    from thermowatch.data import read_table
    from thermowatch.data.timestamps import find_timestamp_column, parse_timestamps

    if not path.exists():
        raise InputError(f"the load scenario {str(path)!r} does not exist.")
    table = read_table(path)
    column = find_timestamp_column(table, source=repr(str(path)))
    stamps = parse_timestamps(table[column], timezone="UTC")
    if stamps.isna().any():
        row = int(stamps.isna().to_numpy().argmax()) + 1
        raise InputError(f"{path}: data row {row} has no readable timestamp.")
    frame = table.drop(columns=column)
    frame.index = pd.DatetimeIndex(stamps)
    for name in frame.columns:
        values = pd.to_numeric(frame[name], errors="coerce")
        if values.isna().any():
            row = int(values.isna().to_numpy().argmax()) + 1
            raise InputError(f"{path}: column {name!r}, data row {row} is not a number.")
        frame[name] = values.astype(float)
    return frame


def forecast(
    data: Annotated[
        Path | None,
        typer.Argument(help="Recent readings with the target (.xlsx, .csv, .parquet)."),
    ] = None,
    model: Annotated[
        Path, typer.Option(help="Model artifact directory (from thermowatch train).")
    ] = Path("resultats/model"),
    transformer: Annotated[
        str | None, typer.Option(help="Read the recent history of this transformer from the store.")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(envvar="THERMOWATCH_DATABASE_URL", help="Store URL.")
    ] = None,
    horizon: Annotated[
        str | None, typer.Option(help="Horizon: a duration (24h) or steps (default: trained).")
    ] = None,
    load_scenario: Annotated[
        Path | None,
        typer.Option(help="Future loads: a file with a timestamp column and load columns."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the forecast as CSV here.")] = None,
    lang: Annotated[str, typer.Option(help="Language: fr or en.")] = "fr",
) -> None:
    """Forecast the temperature from the latest readings with a trained model."""
    from rich.console import Console
    from rich.table import Table

    from thermowatch.learn.artifact import load_model
    from thermowatch.report.forecast_text import crossing_lines, forecast_title

    if lang not in ("fr", "en"):
        raise InputError(f"--lang must be fr or en, got {lang!r}.")
    if (data is None) == (transformer is None):
        raise InputError("give either a DATA file or --transformer ID (one of them).")
    predictor = load_model(_artifact(model))
    variables = [*predictor.variables, predictor.target]
    history = (
        _history_from_file(data, predictor, variables)
        if data is not None
        else _history_from_store(transformer, database_url, predictor, variables)
    )
    scenario = read_scenario(load_scenario, variables) if load_scenario else None
    result = predictor.forecast(history, horizon=horizon, load_scenario=scenario)
    th = predictor.thresholds
    from thermowatch.learn.levels import threshold_map

    thresholds = threshold_map(th)
    console = Console()
    table = Table(title=forecast_title(result, lang))
    for column in ("timestamp (UTC)", "°C", "low", "high"):
        table.add_column(column, justify="right")
    shown = result.frame.iloc[:: max(len(result.frame) // 24, 1)]
    for ts, row in shown.iterrows():
        table.add_row(
            ts.strftime("%Y-%m-%d %H:%M"),
            f"{row['predicted']:.1f}",
            f"{row['lower']:.1f}",
            f"{row['upper']:.1f}",
        )
    console.print(table)
    for line in crossing_lines(result, thresholds, lang):
        console.print(line)
    if out is not None:
        result.frame.to_csv(out, index_label="timestamp")
        console.print(f"wrote {out}")


def _artifact(path: Path) -> Path:
    """The artifact itself, or the newest artifact inside a directory of artifacts."""
    if (path / "SHA256SUMS").exists() or not path.is_dir():
        return path
    found = sorted(p.parent for p in path.glob("*/SHA256SUMS"))
    if not found:
        raise InputError(f"no model artifact in {str(path)!r}; run thermowatch train first.")
    return found[-1]


def _history_from_file(path: Path, predictor, variables: list[str]):
    from thermowatch.data import load_measurements

    measurements = load_measurements(path, target=predictor.target)
    missing = [v for v in variables if v not in measurements.frame.columns]
    if missing:
        raise InputError(f"{path}: the column {missing[0]!r} that the model needs is missing.")
    return measurements.frame[variables]


def _history_from_store(transformer: str, url: str | None, predictor, variables: list[str]):
    from thermowatch.cli.db import _engine
    from thermowatch.service.routes.forecast import recent_history

    return recent_history(_engine(url), transformer, predictor)
