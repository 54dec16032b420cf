"""``thermowatch train``: learn a transformer's temperature from its measurements, write the analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thermowatch.cli.db import DatabaseUrl


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
        float | None,
        typer.Option(
            help="ALERTE threshold [°C] (default: IEC 60076-7 for a winding or top-oil target, else the data rule)."
        ),
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
    transformer: Annotated[
        str | None,
        typer.Option(
            "--transformer",
            "-t",
            help="Register the model as this transformer's champion (serve and monitor use it).",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            help="The site's IANA time zone for the report's local times (shown beside UTC),"
            " e.g. Europe/Paris. Default: [site] timezone of thermowatch.toml, else Europe/Paris."
        ),
    ] = None,
) -> None:
    """Train on measurements and write the model, metrics, figure and report."""
    from thermowatch.cli.checks import check_train_options
    from thermowatch.settings import check_timezone, read_settings

    check_train_options(data, lang, alerte, critique)  # refuse conflicts before any work
    site_zone = (
        check_timezone(timezone, "--timezone") if timezone else read_settings().site_timezone
    )
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from thermowatch.data import load_measurements
    from thermowatch.learn.artifact import save_model
    from thermowatch.learn.train import TrainOptions
    from thermowatch.learn.train import train as fit
    from thermowatch.report.render import write_report

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
            from thermowatch.cli.sample import write_bundled_sample

            progress.update(task, description="simulating the sample")
            data = out / "DATASET_TRANSFO.xlsx"
            write_bundled_sample(data)
        rated_current, thermal_spec = _nameplate_defaults(data, rated_current, thermal_spec)
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
            site_zone=site_zone,
        )
        result, fitted = fit(measurements, options, progress=advance)
        model_dir = save_model(result, fitted, out / "model")
        result.artifact_dir = str(model_dir)
        advance("report")
        written = write_report(result, out, nameplate=_nameplate(data, thermal_spec))
        advance("done")
    _print_summary(console, result, model_dir, written)
    _hint_missing_rating(console, result)
    if transformer is not None:
        from thermowatch.cli.model import register_artifact

        version = register_artifact(
            model_dir, transformer, database_url, training_frame=result.measurements.frame,
            spec=_stored_nameplate(thermal_spec, rated_current),
        )  # fmt: skip
        console.print(f"registered as {version.transformer_id}'s {version.status}")
    else:  # no dead end: say how serve and monitor get to use this model
        console.print(
            f"next: thermowatch model register {model_dir} --transformer ID "
            "(then serve and monitor use it)"
        )


def _hint_missing_rating(console, result) -> None:
    """Say what a missing rated current costs: the options that change the analysis."""
    from thermowatch.data import quantities as q

    current = result.measurements.column_for(q.CURRENT)
    if current and not result.rated_current_a:
        console.print(
            f"hint: the load is {current!r} in amperes and no rated current was given, so the "
            "IEC hot-spot input, the overload analysis and the loss of life are left out; "
            "give --rated-current A (or keep DATA.spec.toml next to the data, see `thermowatch "
            "sample`)."
        )


def _stored_nameplate(thermal_spec, rated_current: float | None) -> dict | None:
    """The nameplate ``train`` read (``DATA.spec.toml``, ``--spec``, ``--rated-current``), as
    stored with the transformer: its page then has the physics forecast and overload capability."""
    if thermal_spec is None:
        return None
    if rated_current and not thermal_spec.rated_current_a:
        import dataclasses

        thermal_spec = dataclasses.replace(thermal_spec, rated_current_a=rated_current)
    return thermal_spec.to_dict()


def _nameplate_defaults(data: Path, rated_current: float | None, thermal_spec):
    """Rated current and spec from ``DATA.spec.toml`` when the options do not give them."""
    from thermowatch.cli.nameplate import find_nameplate

    found = find_nameplate(data)
    if found is None or (rated_current and thermal_spec):
        return rated_current, thermal_spec
    spec = thermal_spec or _spec_option(str(found))
    return rated_current or spec.rated_current_a, spec


def _nameplate(data: Path, thermal_spec) -> dict:
    """What the report's first page says of the transformer: ``DATA.spec.toml`` and the spec."""
    from thermowatch.cli.nameplate import find_nameplate, read_nameplate

    found = find_nameplate(data)
    plate = read_nameplate(found) if found else {}
    if thermal_spec is not None:
        plate.setdefault("cooling", thermal_spec.cooling)
    return plate


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
