"""Pure parts of the service: steady-state fast path = build_features, settings, token bucket."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from thermowatch.errors import InputError
from thermowatch.learn.features import FeatureSpec, build_features
from thermowatch.learn.linear import LinearModel
from thermowatch.learn.result import Thresholds
from thermowatch.service.auth import TokenBucket
from thermowatch.service.settings import DEFAULT_JWT_SECRET, load_settings

INPUTS = ("courant (A)", "puissance active (MW)", "température ambiante (°C)", "tension (kV)")
SPEC_IEC = {
    "spec": {"top_oil_rise_k": 52.0, "hot_spot_gradient_k": 20.0, "hot_spot_factor": 1.3,
             "loss_ratio": 6.0, "oil_exponent": 0.8, "winding_exponent": 1.3, "k11": 0.5,
             "k21": 2.0, "k22": 2.0, "tau_oil_min": 150.0, "tau_winding_min": 7.0,
             "rated_current_a": 1039.23, "cooling": "ONAF", "ambient_offset_k": 0.0},
    "current": "courant (A)", "ambient": "température ambiante (°C)",
}  # fmt: skip


def predictor(iec: bool = True, calendar: bool = True, held: bool = False):
    from thermowatch.learn.artifact import Predictor

    spec = FeatureSpec(
        INPUTS, INPUTS[:2], INPUTS[2:3], calendar=calendar,
        scales={"courant (A)": 1200.0, "puissance active (MW)": 38.0},
        iec=SPEC_IEC if iec else None,
    )  # fmt: skip
    probe = pd.DataFrame(
        [[1.0] * 4], columns=INPUTS, index=pd.DatetimeIndex([pd.Timestamp("2024-01-01", tz="UTC")])
    )
    names = tuple(build_features(probe, spec).columns)
    rng = np.random.default_rng(1)
    model = LinearModel(
        names,
        rng.normal(size=len(names)),
        rng.uniform(0.5, 2, len(names)),
        rng.normal(size=len(names)),
        40.0,
        # the day-scale responses to load² held inside a range (as a fit on months holds them)
        held={n: (0.2, 1.5) for n in names if n.endswith("² ~1440min")} if held else None,
    )
    return Predictor(
        "m", {"history_minutes": 4320.0}, spec, model, 1.5, Thresholds(90.0, 105.0, "cli")
    )


@pytest.mark.parametrize("iec", [True, False])
@pytest.mark.parametrize("calendar", [True, False])
@pytest.mark.parametrize("held", [False, True])
def test_fast_path_equals_build_features(iec, calendar, held):
    from thermowatch.service.fastpath import SteadyState

    p = predictor(iec, calendar, held)
    assert bool(p.model.held) == held
    fast = SteadyState(p)
    rng = np.random.default_rng(0)
    for _ in range(100):  # loads up to 6.7 pu and ambients past both clip limits (−59, 69 °C)
        x = np.array(
            [rng.uniform(0, 7000), rng.uniform(-40, 60), rng.uniform(-70, 80), rng.uniform(0.1, 30)]
        )
        at = pd.Timestamp("2024-03-01", tz="UTC") + pd.Timedelta(minutes=int(rng.integers(0, 1440)))
        frame = pd.DataFrame([x], columns=INPUTS, index=pd.DatetimeIndex([at]))
        slow = build_features(frame, p.feature_spec)[list(p.model.features)].to_numpy()
        quick = fast.features(x[None, :], np.array([at.hour + at.minute / 60.0]))
        np.testing.assert_allclose(quick, slow, rtol=1e-12, atol=1e-9)
        assert fast.predict_one(list(x), at.to_pydatetime()) == pytest.approx(
            p.predict_frame(frame)["predicted"].iloc[0], abs=1e-9
        )


def test_fast_path_is_vectorised():
    from thermowatch.service.fastpath import SteadyState

    p = predictor()
    fast = SteadyState(p)
    x = np.column_stack(
        [np.linspace(0, 2000, 7), np.full(7, 20.0), np.full(7, 25.0), np.full(7, 20.0)]
    )
    many = fast.predict(x, np.full(7, 12.0))
    singles = [fast.predict(row[None, :], np.array([12.0]))[0] for row in x]
    np.testing.assert_allclose(many, singles)


def test_settings_refuse_default_secret_outside_development():
    with pytest.raises(InputError, match="default secret"):
        load_settings(environ={})
    assert (
        load_settings(environ={"THERMOWATCH_ENV": "development"}).jwt_secret == DEFAULT_JWT_SECRET
    )
    with pytest.raises(InputError, match="32 characters"):
        load_settings(environ={"THERMOWATCH_JWT_SECRET": "short"})


def test_settings_from_toml_then_env(tmp_path):
    cfg = tmp_path / "tw.toml"
    cfg.write_text(
        '[service]\njwt_secret = "'
        + "k" * 40
        + '"\nrate_limit_per_s = 5\nallow_cidrs = ["10.0.0.0/8"]\n'
    )
    s = load_settings(cfg, environ={"THERMOWATCH_RATE_LIMIT_PER_S": "7.5"})
    assert s.rate_limit_per_s == 7.5 and s.allow_cidrs == ("10.0.0.0/8",) and len(s.networks) == 1
    cfg.write_text("[service]\nunknown_key = 1\n")
    with pytest.raises(InputError, match="unknown_key"):
        load_settings(cfg, environ={})
    with pytest.raises(InputError, match="allow_cidrs"):
        load_settings(
            environ={"THERMOWATCH_ENV": "development", "THERMOWATCH_ALLOW_CIDRS": "10.0.0.300/8"}
        )


def test_the_process_settings_are_resolved_with_the_rest(tmp_path):
    """Session lifetime, rate and metrics directories: file < environment, resolved once by
    load_settings (the app passes them down; metrics_dir is the library's own variable)."""
    dev = {"THERMOWATCH_ENV": "development"}
    cfg = tmp_path / "tw.toml"
    (tmp_path / "file").mkdir()
    (tmp_path / "env").mkdir()
    cfg.write_text(f"[service]\ndashboard_session_hours = 4\nrate_dir = '{tmp_path}/file'\n")
    s = load_settings(cfg, environ=dev)
    assert (s.dashboard_session_hours, s.rate_dir, s.metrics_dir) == (4.0, f"{tmp_path}/file", None)
    env = dev | {"THERMOWATCH_DASHBOARD_SESSION_HOURS": "8.5",
                 "THERMOWATCH_RATE_DIR": f"{tmp_path}/env",
                 "PROMETHEUS_MULTIPROC_DIR": "/prom"}  # fmt: skip
    s = load_settings(cfg, environ=env)
    assert (s.dashboard_session_hours, s.rate_dir, s.metrics_dir) == (
        8.5, f"{tmp_path}/env", "/prom")  # fmt: skip
    assert load_settings(environ=dev).dashboard_session_hours == 12.0
    cfg.write_text("[service]\nmetrics_dir = '/x'\n")
    with pytest.raises(InputError, match="unknown \\[service\\] key 'metrics_dir'"):
        load_settings(cfg, environ=dev)
    with pytest.raises(InputError, match="dashboard_session_hours must be > 0"):
        load_settings(environ=dev | {"THERMOWATCH_DASHBOARD_SESSION_HOURS": "0"})


def test_token_bucket_refills_at_its_rate():
    bucket = TokenBucket(rate=10.0, burst=2.0)
    assert [bucket.allow("k", now=0.0) for _ in range(3)] == [True, True, False]
    assert bucket.allow("k", now=0.05) is False  # half a token
    assert bucket.allow("k", now=0.1) is True  # one token after 0.1 s at 10/s
    assert bucket.allow("other", now=0.1) is True
