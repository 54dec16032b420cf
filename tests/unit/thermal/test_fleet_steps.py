"""A fleet simulated with each transformer its own time steps ``(m, n)``: every row is the
transformer simulated alone with its steps; a bad step names its row and position."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from thermowatch.errors import InputError
from thermowatch.thermal import TransformerSpec, simulate


def test_each_row_its_own_steps_equals_each_transformer_alone() -> None:
    rng = np.random.default_rng(0)
    m, n = 6, 40
    specs = [dataclasses.replace(TransformerSpec.preset("ONAF"), tau_oil_min=float(t))
             for t in rng.uniform(60, 240, m)]  # fmt: skip
    load = rng.uniform(0.2, 1.4, (m, n))
    ambient = rng.uniform(-10, 35, (m, n))
    dt = rng.uniform(0.5, 30.0, (m, n))
    fleet = simulate(specs, load, ambient, dt)
    assert fleet.hot_spot_c.shape == (m, n) and fleet.dt_minutes.shape == (m, n)
    for i in range(m):
        alone = simulate(specs[i], load[i], ambient[i], dt[i])
        assert np.abs(fleet.hot_spot_c[i] - alone.hot_spot_c).max() < 1e-9
        assert np.abs(fleet.top_oil_c[i] - alone.top_oil_c).max() < 1e-9


def test_a_bad_step_of_one_row_is_named() -> None:
    dt = np.ones((3, 4))
    dt[2, 3] = -1.0
    with pytest.raises(InputError, match=r"dt_minutes at row 2, position 3"):
        simulate(TransformerSpec.preset("ONAN"), np.ones((3, 4)), 20.0, dt)
    with pytest.raises(InputError, match=r"dt_minutes has shape \(2, 4\)"):
        simulate(TransformerSpec.preset("ONAN"), np.ones((3, 4)), 20.0, np.ones((2, 4)))
