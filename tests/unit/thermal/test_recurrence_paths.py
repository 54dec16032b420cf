"""The first-order solver's two paths (numpy scan, scipy's lfilter) give the same states, and a
short series (what the service and the monitor solve per reading) never imports scipy.signal."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from thermowatch.thermal import recurrence
from thermowatch.thermal.recurrence import decay_factors, first_order_response, scan_response


def _regular(m: int, n: int, step: float = 10.0):
    rng = np.random.default_rng(3)
    dt = np.full((m, n), step)
    taus = np.linspace(30.0, 300.0, m)[:, None]  # [min]
    return dt, taus, rng.normal(60.0, 15.0, (m, n)), np.full(m, 40.0)


@pytest.mark.parametrize("shape", [(1, 300), (3, 2_000), (4, 30_000)])
def test_both_paths_agree_within_a_nanokelvin(shape) -> None:
    dt, taus, u, x0 = _regular(*shape)
    lfiltered = recurrence._regular_response(10.0, taus[:, 0], u, x0)
    dt[:, 0] = 0.0
    scanned = scan_response(decay_factors(dt, taus), u, x0)
    assert np.max(np.abs(lfiltered - scanned)) < 1e-9


def test_the_path_follows_the_size_of_the_series(monkeypatch) -> None:
    calls: list[tuple[int, int]] = []
    real = recurrence._regular_response

    def spy(step, tau, ultimate, x0):  # type: ignore[no-untyped-def]
        calls.append(ultimate.shape)
        return real(step, tau, ultimate, x0)

    monkeypatch.setattr(recurrence, "_regular_response", spy)
    first_order_response(*_regular(2, 1_000))
    assert calls == []  # short: the scan
    first_order_response(*_regular(4, 30_000))
    assert calls == [(4, 30_000)]  # 120,000 points: lfilter


def test_a_short_series_does_not_import_scipy_signal() -> None:
    code = (
        "import json, sys, numpy as np\n"
        "from thermowatch.thermal.recurrence import first_order_response\n"
        "x = first_order_response(np.full((2, 500), 10.0), np.array([[60.0], [200.0]]),\n"
        "                         np.full((2, 500), 80.0), np.array([40.0, 40.0]))\n"
        "print(json.dumps([float(x[0, -1]), 'scipy.signal' in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    last, imported = json.loads(done.stdout)
    assert abs(last - 80.0) < 1e-6 and imported is False
