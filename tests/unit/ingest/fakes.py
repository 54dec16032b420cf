"""A hub fed by the test (no network) and a monitor wired to it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.helpers.store import migrated_sqlite
from thermowatch.ingest.config import MonitorConfig, parse_config
from thermowatch.ingest.monitor import Monitor
from thermowatch.ingest.sources.memory import MemoryHub

SPEC = {"preset": "ONAF", "top_oil_rise_k": 50.0, "hot_spot_gradient_k": 20.0,
        "rated_current_a": 1039.23}  # fmt: skip


FakeHub = MemoryHub  # kept as the tests' name for the in-process source


def config(tmp_path: Path, ids: Sequence[str] = ("T1",), **monitor: Any) -> MonitorConfig:
    (tmp_path / "unused.csv").touch()
    doc = {
        "monitor": {"spool_dir": str(tmp_path / "spool"), **monitor},
        "transformers": [
            {"id": tid, "spec": SPEC, "thresholds": {"alerte_c": 93.0, "critique_c": 105.0},
             "source": {"protocol": "replay", "path": "unused.csv"}}
            for tid in ids
        ],
    }  # fmt: skip
    return parse_config(doc, tmp_path)


def fake_monitor(tmp_path: Path, cfg: MonitorConfig, **kwargs: Any) -> tuple[Monitor, FakeHub]:
    engine = migrated_sqlite(tmp_path / "store.db")
    monitor = Monitor(cfg, engine=engine, **kwargs)
    hub = FakeHub(cfg.transformers[0].source)
    for t in cfg.transformers:
        hub.add(t)
        monitor.hub_of[t.id] = hub
    monitor.hubs = {("fake",): hub}
    return monitor, hub
