"""``thermowatch sample``: write the simulated SCADA export of one transformer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def sample(
    out: Annotated[
        Path, typer.Option(help="File to write: .xlsx, .csv (French style) or .parquet.")
    ] = Path("DATASET_TRANSFO.xlsx"),
    days: Annotated[int, typer.Option(help="Length of the export [days].")] = 365,
    step: Annotated[str, typer.Option(help="Sampling step, e.g. 10min or 1h.")] = "10min",
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same file.")] = 7,
) -> None:
    """Write a realistic simulated SCADA export (IEC 60076-7 truth, planted defects)."""
    from rich.console import Console

    from thermowatch.data.simulator import simulate_sample, write_sample

    console = Console(stderr=True)
    with console.status(f"simulating {days} days at {step}…"):
        data = simulate_sample(days=days, step=step, seed=seed)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_sample(data, str(out))
    hot = data.truth["hot_spot_c"]
    console.print(
        f"wrote {out} — {len(data.frame):,} rows × {data.frame.shape[1]} columns; "
        f"true hot spot {hot.min():.1f}…{hot.max():.1f} °C"
    )
