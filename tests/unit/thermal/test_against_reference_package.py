"""Same numbers as `transformer-thermal-model` (the open IEC 60076-7 reference) to 0.05 K."""

import numpy as np
import pandas as pd
import pytest

from thermowatch.thermal import simulate
from ttm_reference import REFERENCE_KINDS, random_profile, run_reference

pytest.importorskip("transformer_thermal_model")


@pytest.mark.parametrize("kind", sorted(REFERENCE_KINDS))
def test_one_week_at_one_minute_matches_reference(kind):
    index, load, ambient = random_profile(7 * 1440, seed=7)
    ref_top, ref_hot = run_reference(kind, index, load, ambient)
    ours = simulate(REFERENCE_KINDS[kind], pd.Series(load, index=index), ambient, initial="cold")
    assert np.max(np.abs(ours.top_oil_c.to_numpy() - ref_top)) <= 0.05
    assert np.max(np.abs(ours.top_oil_c.to_numpy() - ref_top)) <= 0.05
    assert np.max(np.abs(ours.hot_spot_c.to_numpy() - ref_hot)) <= 0.05
    # The comparison is not vacuous: the hot spot really moved over the week.
    assert np.ptp(ref_hot) > 10


def test_irregular_timestamps_match_reference():
    index, load, ambient = random_profile(3 * 1440, seed=3)
    keep = np.sort(np.random.default_rng(0).choice(index.size, 2000, replace=False))
    index, load, ambient = index[keep], load[keep], ambient[keep]
    ref_top, ref_hot = run_reference("ONAF", index, load, ambient)
    ours = simulate(REFERENCE_KINDS["ONAF"], pd.Series(load, index=index), ambient, initial="cold")
    assert np.max(np.abs(ours.top_oil_c.to_numpy() - ref_top)) <= 0.05
    assert np.max(np.abs(ours.hot_spot_c.to_numpy() - ref_hot)) <= 0.05
