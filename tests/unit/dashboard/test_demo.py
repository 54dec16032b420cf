"""The simulated fleet's thresholds separate the overloaded transformers at any hour."""

from __future__ import annotations

from thermowatch.dashboard.demo import THRESHOLDS, demo_thresholds
from thermowatch.learn.result import Thresholds


def test_daytime_keeps_the_documented_thresholds():
    assert demo_thresholds([68.9, 60.0], [96.8, 107.1]) == THRESHOLDS


def test_at_night_the_overloaded_ones_still_stand_out():
    normal, hot = [29.6, 25.0, 28.1], [55.2, 57.2]  # 04:40 UTC in the simulated field
    d = demo_thresholds(normal, hot)
    th = Thresholds(d["alert"], d["critical"], "config")
    assert [th.level(v) for v in normal] == ["NORMAL"] * 3
    assert {th.level(v) for v in hot} <= {"ALERTE", "CRITIQUE"}
    assert th.level(max(hot)) == "CRITIQUE" and d["critical"] > d["alert"]
