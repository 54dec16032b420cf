"""The simulated field's scenarios and the simulate-scada command's input checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from thermowatch.cli.monitor import simulate_scada
from thermowatch.errors import InputError
from thermowatch.ingest.simulator import FieldModel

T0 = datetime(2026, 7, 1, tzinfo=UTC)
FAULT = T0 + timedelta(hours=6)


def run(scenario: str, hours: float = 12) -> list[dict[str, np.ndarray]]:
    field = FieldModel(3, scenario, start=T0, fault_at=FAULT)
    return [
        {k: v.copy() for k, v in field.step(T0 + timedelta(minutes=10 * i)).items()}
        for i in range(int(hours * 6) + 1)
    ]


def test_normal_values_are_plausible_and_deterministic() -> None:
    a, b = run("normal", 24), run("normal", 24)
    assert np.array_equal(a[-1]["winding_c"], b[-1]["winding_c"])
    winding = np.array([s["winding_c"] for s in a])
    assert winding.min() > 20 and winding.max() < 100
    assert (np.array([s["winding_c"] - s["oil_c"] for s in a]) > 0).all()


@pytest.mark.parametrize("scenario", ["overload", "cooling-failure"])
def test_faults_heat_the_transformer(scenario: str) -> None:
    normal, faulty = run("normal"), run(scenario)
    assert np.array_equal(normal[35]["winding_c"], faulty[35]["winding_c"])  # same before
    assert (faulty[-1]["winding_c"] > normal[-1]["winding_c"] + 10).all()


def test_sensor_freeze_sticks_temperatures_only() -> None:
    steps = run("sensor-freeze")
    after = steps[37:]
    assert all(np.array_equal(s["oil_c"], after[0]["oil_c"]) for s in after)
    assert not np.array_equal(after[0]["current_a"], after[-1]["current_a"])


def test_unknown_scenario_is_refused() -> None:
    with pytest.raises(InputError, match="scenario"):
        FieldModel(1, "meteor")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--protocol", "bacnet"], "--protocol"),
        (["--scenario", "meteor"], "--scenario"),
        (["--transformers", "0"], "--transformers"),
    ],
)
def test_simulate_scada_checks_its_options(args: list[str], message: str) -> None:
    app = typer.Typer()
    app.command()(simulate_scada)
    app.command("other")(lambda: None)
    result = CliRunner().invoke(app, ["simulate-scada", *args])
    assert isinstance(result.exception, InputError)
    assert message in str(result.exception)
