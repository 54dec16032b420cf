"""``thermowatch train``: learn a transformer's temperature from its measurements, write the analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thermowatch.errors import InputError


def _spec_option(value: str | None):
    if value is None:
        return None
    from thermowatch.cli.thermal import load_spec

    return load_spec(value)


def train(
    data: Annotated[
        Path | None,
        typer.Argument(
            help="Measurements: .xlsx, .csv or .parquet. Default: the bundled simulated sample."
        ),
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Column to predict (default: winding, else oil temperature).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("resultats"),
    lang: Annotated[str, typer.Option(help="Report language: fr or en.")] = "fr",
    sheet: Annotated[
        str | None, typer.Option(help="xlsx sheet name or number (default: the first).")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="TOML file mapping columns explicitly.")
    ] = None,
    split_rows: Annotated[
        str | None,
        typer.Option(
            help="TRAIN_END,VAL_END[,TEST_END]: 0-based data rows of the file, half-open"
            " (rows from TEST_END on are left out)."
        ),
    ] = None,
    split_dates: Annotated[
        str | None,
        typer.Option(help="TRAIN_END,VAL_END[,TEST_END] dates (UTC), e.g. 2017-06-26,2017-10-24."),
    ] = None,
    alerte: Annotated[
        float | None, typer.Option(help="ALERTE threshold [°C] (default: derived from the data).")
    ] = None,
    critique: Annotated[float | None, typer.Option(help="CRITIQUE threshold [°C].")] = None,
    rated_current: Annotated[
        float | None, typer.Option(help="Rated current [A] of the measured winding.")
    ] = None,
    spec: Annotated[
        str | None,
        typer.Option(help="Thermal spec for the IEC estimate: preset name or spec.toml."),
    ] = None,
    nonlinear: Annotated[
        bool, typer.Option(help="Also fit the gradient-boosting comparison.")
    ] = True,
) -> None:
    """Train on measurements and write the model, metrics, figure and report."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from thermowatch.data import load_measurements
    from thermowatch.learn.artifact import save_model
    from thermowatch.learn.train import TrainOptions
    from thermowatch.learn.train import train as fit
    from thermowatch.report.render import write_report

    if lang not in ("fr", "en"):
        raise InputError(f"--lang must be fr or en, got {lang!r}.")
    console = Console(stderr=True)
    thermal_spec = _spec_option(spec)
    steps = ["read", "features", "baseline-linear", "thermal-monotone", "nowcast"]
    steps += ["gradient-boosting"] if nonlinear else []
    steps += ["evaluation", "forecast", "report data", "model", "report"]
    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("reading data", total=len(steps))

        def advance(label: str) -> None:
            progress.update(task, advance=1, description=label)

        if data is None:
            from thermowatch.data.simulator import (
                RATED_CURRENT_A,
                SAMPLE_SPEC,
                simulate_sample,
                write_sample,
            )

            progress.update(task, description="simulating the sample")
            out.mkdir(parents=True, exist_ok=True)
            data = out / "DATASET_TRANSFO.xlsx"
            write_sample(simulate_sample(), str(data))
            rated_current = rated_current or RATED_CURRENT_A
            thermal_spec = thermal_spec or SAMPLE_SPEC
        sheet_arg: str | int | None = int(sheet) if sheet is not None and sheet.isdigit() else sheet
        from thermowatch.data import CleaningOptions
        from thermowatch.learn.split import training_end

        end_row, end_time = training_end(split_rows, split_dates)
        measurements = load_measurements(
            data,
            target=target,
            sheet=sheet_arg,
            mapping=mapping,
            options=CleaningOptions(statistics_before=end_time),
            statistics_rows=end_row,
        )
        advance("features")
        options = TrainOptions(
            split_rows=split_rows,
            split_dates=split_dates,
            alerte_c=alerte,
            critique_c=critique,
            rated_current_a=rated_current,
            thermal_spec=thermal_spec,
            nonlinear=nonlinear,
            lang=lang,
        )
        result, fitted = fit(measurements, options, progress=advance)
        model_dir = save_model(result, fitted, out / "model")
        result.artifact_dir = str(model_dir)
        advance("report")
        written = write_report(result, out)
        advance("done")
    _print_summary(console, result, model_dir, written)


def _print_summary(console, result, model_dir, written) -> None:
    from rich.table import Table

    table = Table(
        title=f"{result.measurements.target} — test {result.split['test']['start'][:10]} … {result.split['test']['end'][:10]}"
    )
    for column in ("model", "RMSE [K]", "MAE [K]", "R²", "max [K]"):
        table.add_column(column, justify="right" if column != "model" else "left")
    for name, parts in result.models.items():
        m = parts["test"]
        style = "bold green" if name == result.chosen_model else None
        table.add_row(
            name,
            f"{m['rmse']:.3f}",
            f"{m['mae']:.3f}",
            f"{m['r2']:.3f}",
            f"{m['max_error']:.2f}",
            style=style,
        )
    console.print(table)
    from thermowatch.report.i18n import t

    lang = result.lang
    served = "; ".join(
        f"{t(f'role.{role}', lang)} → {choice['chosen']}" for role, choice in result.roles.items()
    )
    console.print(f"{t('h.roles', lang)}: {served}")
    console.print(t("roles.rule", lang, rule=result.selection_rule.get(lang, "")))
    console.print(f"model: {model_dir}")
    for path in written.values():
        console.print(f"wrote {path}")


def model_verify(
    directory: Annotated[Path, typer.Argument(help="Model artifact directory.")],
) -> None:
    """Check a model artifact's SHA-256 sums and metadata."""
    from rich.console import Console

    from thermowatch.learn.artifact import load_model

    predictor = load_model(directory)
    Console().print(
        f"OK {predictor.model_id}: target {predictor.metadata['target']!r}, "
        f"{len(predictor.variables)} variables, thresholds alerte {predictor.thresholds.alerte_c:g} °C / "
        f"critique {predictor.thresholds.critique_c:g} °C"
    )
