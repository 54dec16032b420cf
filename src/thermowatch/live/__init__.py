"""The one live pipeline shared by ``POST /v1/readings`` and the monitor (see :mod:`.pipeline`)."""

from thermowatch.live.pipeline import (
    AlertHook,
    LiveSettings,
    Pipeline,
    PredictionEvent,
    Profile,
    Snapshot,
)

__all__ = ["AlertHook", "LiveSettings", "Pipeline", "PredictionEvent", "Profile", "Snapshot"]
