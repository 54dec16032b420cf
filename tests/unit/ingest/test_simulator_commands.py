"""The simulated plant responds to field writes: cooling stage 2 and a lower load set-point
cool it (IEC 60076-7), and only the transformer written to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from thermowatch.data.simulator import RATED_CURRENT_A
from thermowatch.ingest.simulator import FieldModel

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)


def run(commands: dict[str, float], minutes: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Hot spot and current of 2 overloaded transformers [°C, A], TR-0001 commanded at 1 h."""
    field = FieldModel(2, "overload", start=T0, fault_at=T0)
    for k in range(7):
        field.step(T0 + timedelta(minutes=10 * k))
    for key, value in commands.items():
        field.command(0, key, value)
    for k in range(1, minutes // 10 + 1):
        values = field.step(T0 + timedelta(minutes=60 + 10 * k))
    return values["winding_c"], values["current_a"]


def test_cooling_stage_2_cools_only_the_transformer_written_to() -> None:
    hot0, _ = run({})
    hot2, _ = run({"cooling_stage": 2})
    assert hot2[0] < hot0[0] - 10.0  # same load and ambient, forced oil: cooler
    assert abs(hot2[1] - hot0[1]) < 1.0  # the other one is untouched (same noise seed)


def test_a_lower_load_setpoint_caps_the_load_and_the_temperature() -> None:
    hot0, amps0 = run({})
    hot1, amps1 = run({"load_setpoint_pu": 0.6})
    assert amps0[0] > 1.2 * RATED_CURRENT_A and amps1[0] < 0.65 * RATED_CURRENT_A
    assert hot1[0] < hot0[0] - 30.0


def test_writes_outside_the_plant_range_are_clipped() -> None:
    field = FieldModel(1)
    assert field.command(0, "load_setpoint_pu", 9.0) == 2.0
    assert field.command(0, "cooling_stage", 7) == 2.0
    assert field.command(0, "cooling_stage", 0) == 1.0
