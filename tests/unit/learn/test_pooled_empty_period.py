"""A rolling-origin period left without a window (its rows removed as a fault period) must not
decide the pooled forecaster's search: the other periods do."""

from __future__ import annotations

import numpy as np

from thermowatch.learn.models.pooled import _search, _Sums

PENALTIES = (1e3, 1e-4)  # the first grid point is the wrong one for a clean linear relation
GRID = {"pool_weight": (0.0,)}


def _fold(rng: np.random.Generator, n_fit: int, n_val: int) -> tuple:
    coef = np.array([[0.8], [-0.3], [0.5]])
    x_fit, x_val = rng.normal(size=(n_fit, 3)), rng.normal(size=(n_val, 3))
    own, val = _Sums(), _Sums()
    own.add(x_fit, x_fit @ coef + 0.01 * rng.normal(size=(n_fit, 1)))
    t_val = x_val @ coef
    val.add(x_val, t_val)
    persistence = (float((t_val**2).mean()) if t_val.size else 0.0) or 1.0
    return own, _Sums(), val, (t_val**2).sum(0), persistence, np.array([0])


def test_an_empty_period_leaves_the_choice_to_the_others() -> None:
    rng = np.random.default_rng(7)
    good = _fold(rng, 500, 200)
    empty = _fold(rng, 500, 0)
    assert empty[2].n == 0
    alone = _search([good], PENALTIES, False, GRID)
    assert alone == (0.0, 1e-4)  # the clean relation wants the small penalty
    assert _search([good, empty], PENALTIES, False, GRID) == alone
