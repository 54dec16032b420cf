"""``thermowatch thermal``: IEC 60076-7 / IEEE C57.91 temperatures and ageing for a load profile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thermowatch.errors import InputError


def load_spec(value: str):
    """A TransformerSpec from a preset name (ONAF…) or a TOML file (``preset = "ONAF"`` + overrides)."""
    from thermowatch.thermal import TransformerSpec

    path = Path(value)
    if path.suffix.lower() == ".toml":
        from thermowatch.config import read_toml

        table = read_toml(path, "spec file")
        return TransformerSpec.from_mapping(table.get("transformer", table))
    return TransformerSpec.preset(value)


def read_profile(path: Path, rated_current_a: float | None, sheet: str | None = None):
    """Timestamps, load [pu] and ambient [°C] from a measurement file."""
    import pandas as pd

    from thermowatch.data import classify_quantity, read_table, split_unit
    from thermowatch.data import quantities as q
    from thermowatch.data.timestamps import find_timestamp_column, parse_timestamps

    frame = read_table(path, sheet=sheet)
    stamp_column = find_timestamp_column(frame, source=str(path))
    index = pd.DatetimeIndex(parse_timestamps(frame[stamp_column]).array, name="timestamp")
    if index.isna().any():
        row = int(index.isna().argmax()) + 1
        raise InputError(
            f"{path}: data row {row} has no readable timestamp in column {stamp_column!r}."
        )
    roles = {}
    for name in frame.columns:
        if name != stamp_column:
            roles.setdefault(classify_quantity(*split_unit(str(name))), name)
    ambient = roles.get(q.AMBIENT_TEMPERATURE)
    if ambient is None:
        raise InputError(
            f"{path}: no ambient temperature column (e.g. 'température ambiante (°C)')."
        )
    if q.LOAD_PU in roles:
        load = pd.to_numeric(frame[roles[q.LOAD_PU]], errors="coerce")
    elif q.CURRENT in roles:
        if not rated_current_a:
            raise InputError(
                f"{path}: the load is column {roles[q.CURRENT]!r} in amperes: give --rated-current "
                "or rated_current_a in the spec file."
            )
        load = pd.to_numeric(frame[roles[q.CURRENT]], errors="coerce") / rated_current_a
    else:
        raise InputError(
            f"{path}: no load column (per unit, e.g. 'charge (pu)', or a current in A)."
        )
    load = pd.Series(load.to_numpy(dtype=float), index=index)
    ambient_c = pd.to_numeric(frame[ambient], errors="coerce").to_numpy(dtype=float)
    return load, ambient_c


def thermal(
    profile: Annotated[
        Path,
        typer.Argument(help="CSV/xlsx/parquet with a timestamp, a load and an ambient column."),
    ],
    spec: Annotated[
        str | None,
        typer.Option(
            help="Preset (ONAN, ONAF, OF, OD, DISTRIBUTION) or spec.toml "
            "(default: PROFILE.spec.toml next to the file, else ONAF).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="Result CSV (top oil, hot spot, ageing rate).")] = Path(
        "thermal.csv"
    ),
    method: Annotated[
        str, typer.Option(help="iec (IEC 60076-7) or ieee (IEEE C57.91 clause 7).")
    ] = "iec",
    paper: Annotated[str, typer.Option(help="Insulation paper: normal or upgraded.")] = "normal",
    rated_current: Annotated[
        float | None, typer.Option(help="Rated current [A] when the load is in amperes.")
    ] = None,
    hold_gaps: Annotated[
        bool,
        typer.Option(help="Hold the last value over missing readings (the count is printed)."),
    ] = True,
    plot: Annotated[Path | None, typer.Option(help="PNG to draw (default: next to --out).")] = None,
) -> None:
    """Simulate top-oil and hot-spot temperatures and insulation ageing for a load profile."""
    import json

    import numpy as np
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from thermowatch.report.thermal_plot import plot_thermal
    from thermowatch.thermal import relative_ageing_rate, simulate, thermal_summary

    if paper not in ("normal", "upgraded"):
        raise InputError(f"--paper must be normal or upgraded, got {paper!r}.")
    console = Console()
    if spec is None:
        from thermowatch.cli.nameplate import find_nameplate

        found = find_nameplate(profile)
        spec = str(found) if found else "ONAF"
        if found:
            console.print(f"spec: {found} (next to the profile; --spec to change)")
    from thermowatch.cli.progress import steps

    transformer = load_spec(spec)
    with steps(
        Console(stderr=True), ["reading", "simulating", "writing", "plotting", "done"]
    ) as advance:
        load, ambient = read_profile(profile, rated_current or transformer.rated_current_a)
        held = int((load.isna().to_numpy() | np.isnan(ambient)).sum())
        if hold_gaps and held:
            console.print(
                f"held the last value over {held} missing readings of {len(load)} "
                "(--no-hold-gaps to refuse gaps)"
            )
        advance("simulating")
        result = simulate(transformer, load, ambient, method=method, hold_gaps=hold_gaps)
        hot = result.hot_spot_c.to_numpy()
        frame = pd.DataFrame(
            {
                "load_pu": load.to_numpy(),
                "ambient_c": ambient,
                "top_oil_c": result.top_oil_c.to_numpy(),
                "hot_spot_c": hot,
                "ageing_rate": relative_ageing_rate(hot, paper),  # type: ignore[arg-type]
            },
            index=load.index,
        )
        advance("writing")
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.round(4).to_csv(out, index_label="timestamp")
        summary = thermal_summary(result.top_oil_c, hot, result.dt_minutes, paper)  # type: ignore[arg-type]
        out.with_suffix(".json").write_text(json.dumps(summary, indent=2))
        advance("plotting")
        png = plot or out.with_suffix(".png")
        plot_thermal(
            load.index,
            load.to_numpy(),
            ambient,
            result.top_oil_c.to_numpy(),
            hot,
            png,
            title=f"{profile.name} — {transformer.cooling} ({method.upper()})",
        )
    table = Table(
        title=f"{profile.name}: {summary['period_days']:.1f} days, {method.upper()}, {transformer.cooling}"
    )
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("max hot spot [°C]", f"{summary['max_hot_spot_c']:.1f}")
    table.add_row("max top oil [°C]", f"{summary['max_top_oil_c']:.1f}")
    table.add_row(f"loss of life, days ({paper} paper)", f"{summary['loss_of_life_days']:.2f}")
    table.add_row("mean relative ageing rate", f"{summary['mean_ageing_rate']:.3f}")
    for key, limit in summary["limits"].items():
        table.add_row(
            f"hours above {key.replace('_', ' ')} ({limit['hot_spot_limit_c']:g} °C hot spot / {limit['top_oil_limit_c']:g} °C top oil)",
            f"{limit['hours_hot_spot_above']:.1f} / {limit['hours_top_oil_above']:.1f}",
        )
    console.print(table)
    console.print(f"wrote {out}, {out.with_suffix('.json')} and {png}")
