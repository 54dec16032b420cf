"""``thermowatch sample``: write the simulated SCADA export of one transformer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

SAMPLE_NAME = "TR-01"  # the simulated transformer's name in reports and the first-hour walk


def sample(
    out: Annotated[
        Path, typer.Option(help="File to write: .xlsx, .csv (French style) or .parquet.")
    ] = Path("DATASET_TRANSFO.xlsx"),
    days: Annotated[int, typer.Option(help="Length of the export [days].")] = 365,
    step: Annotated[str, typer.Option(help="Sampling step, e.g. 10min or 1h.")] = "10min",
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same file.")] = 7,
) -> None:
    """Write a realistic simulated SCADA export (IEC 60076-7 truth, planted defects), and its
    nameplate OUT.spec.toml (rating and thermal spec) that thermal and train read.
    """
    from rich.console import Console

    from thermowatch.cli.progress import steps

    console = Console(stderr=True)
    with steps(console, ["simulating", "writing", "done"]) as advance:
        nameplate, data = write_bundled_sample(
            out, days=days, step=step, seed=seed, on_step=advance
        )
    hot = data.truth["hot_spot_c"]
    console.print(
        f"wrote {out} — {len(data.frame):,} rows × {data.frame.shape[1]} columns; "
        f"true hot spot {hot.min():.1f}…{hot.max():.1f} °C; nameplate {nameplate}"
    )


def write_bundled_sample(out: Path, *, days: int = 365, step: str = "10min", seed: int = 7,
                         on_step=None):  # fmt: skip
    """Simulate and write the sample export and its nameplate; returns (nameplate path, data)."""
    from thermowatch.cli.nameplate import write_nameplate
    from thermowatch.data import simulator

    data = simulator.simulate_sample(days=days, step=step, seed=seed)
    if on_step:
        on_step("writing")
    out.parent.mkdir(parents=True, exist_ok=True)
    simulator.write_sample(data, str(out))
    nameplate = write_nameplate(
        out, data.spec, name=SAMPLE_NAME, rated_power_mva=simulator.RATED_POWER_MVA,
        rated_voltage_kv=simulator.RATED_VOLTAGE_KV,
    )  # fmt: skip
    return nameplate, data
