"""IEC 60076-7 loading limits (Table 3) as data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoadingLimit:
    """Temperature limits of one loading regime [°C] and current limit [per unit]."""

    key: str
    top_oil_c: float
    hot_spot_c: float
    current_pu: float


# IEC 60076-7:2018 Table 3, medium and large power transformers.
NORMAL_CYCLIC = LoadingLimit("normal_cyclic", top_oil_c=105.0, hot_spot_c=120.0, current_pu=1.5)
LONG_TIME_EMERGENCY = LoadingLimit(
    "long_time_emergency", top_oil_c=115.0, hot_spot_c=140.0, current_pu=1.5
)
SHORT_TIME_EMERGENCY = LoadingLimit(
    "short_time_emergency", top_oil_c=115.0, hot_spot_c=160.0, current_pu=1.8
)
IEC_LOADING_LIMITS: tuple[LoadingLimit, ...] = (
    NORMAL_CYCLIC,
    LONG_TIME_EMERGENCY,
    SHORT_TIME_EMERGENCY,
)
