"""Transformer thermal physics: IEC 60076-7 and IEEE C57.91 models, insulation ageing, ratings.

Pure and vectorised: numpy and scipy only (pandas Series accepted and returned when given).
"""

from thermowatch.thermal.ageing import (
    ieee_ageing_acceleration,
    ieee_equivalent_ageing,
    ieee_loss_of_life_percent,
    loss_of_life_days,
    relative_ageing_rate,
)
from thermowatch.thermal.limits import IEC_LOADING_LIMITS, LoadingLimit
from thermowatch.thermal.rating import max_load_pu, steady_state, time_to_limit_minutes
from thermowatch.thermal.simulate import FanControl, ThermalResult, ThermalState, simulate
from thermowatch.thermal.spec import COOLING_MODES, TransformerSpec, preset_names
from thermowatch.thermal.summary import thermal_summary

__all__ = [
    "COOLING_MODES",
    "IEC_LOADING_LIMITS",
    "FanControl",
    "LoadingLimit",
    "ThermalResult",
    "ThermalState",
    "TransformerSpec",
    "ieee_ageing_acceleration",
    "ieee_equivalent_ageing",
    "ieee_loss_of_life_percent",
    "loss_of_life_days",
    "max_load_pu",
    "preset_names",
    "relative_ageing_rate",
    "simulate",
    "steady_state",
    "thermal_summary",
    "time_to_limit_minutes",
]
