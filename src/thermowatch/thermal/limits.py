"""IEC 60076-7 limits as data: the loading limits (Table 3) and the inputs the models accept."""

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

#: Largest load the thermal models accept [pu]: above it the input is surely amperes or percent.
MAX_LOAD_PU = 10.0
#: Ambient temperatures the thermal models accept, and the physical range of a measured ambient
#: (:data:`thermowatch.data.quantities.PHYSICAL_RANGES`) [°C]: IEC 60076-7's equations hold well
#: beyond IEC 60076-1's normal service conditions (−25..+40 °C), not beyond the air around a
#: substation on Earth, with margin. A sensor outside it is broken or mapped to the wrong column.
AMBIENT_RANGE_C = (-60.0, 70.0)
#: Where the learned features' IEC 60076-7 estimate clips its load [pu]: over five times the
#: rated current no regime of Table 3 (≤ 1.8 pu) comes near, and the exponents would rule.
IEC_FEATURE_LOAD_PU = (0.0, 5.0)
#: Where the same estimate clips its ambient [°C]: one kelvin inside :data:`AMBIENT_RANGE_C`.
#: :mod:`thermowatch.learn.features` and the service's closed form
#: (:mod:`thermowatch.service.fastpath`) both read these two.
IEC_FEATURE_AMBIENT_C = (AMBIENT_RANGE_C[0] + 1.0, AMBIENT_RANGE_C[1] - 1.0)
