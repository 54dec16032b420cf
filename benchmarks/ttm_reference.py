"""Run the `transformer-thermal-model` package (IEC 60076-7 reference) on thermowatch inputs.

Shared by the comparison tests and the speed benchmark, so both feed the reference exactly the
same transformer: one home for the translation of a TransformerSpec into that package's terms.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from thermowatch.thermal import TransformerSpec

NO_LOAD_LOSS_W = 1_000.0  # any value: only the ratio R = load / no-load losses matters
RATED_CURRENT_A = 1_000.0

# The reference's own defaults for its three kinds, as thermowatch specs. Its distribution
# transformer adds a 10 K "ambient surcharge" to the rated top-oil rise (60 K), hence 70 K.
REFERENCE_KINDS: dict[str, TransformerSpec] = {
    "ONAN": TransformerSpec.preset(
        "ONAN", top_oil_rise_k=60, hot_spot_gradient_k=17, hot_spot_factor=1.3, loss_ratio=5
    ),
    "ONAF": TransformerSpec.preset(
        "ONAF", top_oil_rise_k=60, hot_spot_gradient_k=17, hot_spot_factor=1.3, loss_ratio=5
    ),
    "DISTRIBUTION": TransformerSpec.preset(
        "DISTRIBUTION",
        top_oil_rise_k=70,
        hot_spot_gradient_k=23,
        hot_spot_factor=1.2,
        loss_ratio=5,
    ),
}


def run_reference(
    kind: str, index: pd.DatetimeIndex, load_pu: np.ndarray, ambient_c: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Top-oil and hot-spot temperatures [°C] from the reference, cold start (top oil = ambient)."""
    from transformer_thermal_model.cooler import CoolerType
    from transformer_thermal_model.schemas import UserTransformerSpecifications
    from transformer_thermal_model.transformer import DistributionTransformer, PowerTransformer

    logging.getLogger("transformer_thermal_model").setLevel(logging.WARNING)
    spec = REFERENCE_KINDS[kind]
    user = UserTransformerSpecifications(
        load_loss=spec.loss_ratio * NO_LOAD_LOSS_W,
        no_load_loss=NO_LOAD_LOSS_W,
        nom_load_sec_side=RATED_CURRENT_A,
    )
    if kind == "DISTRIBUTION":
        transformer = DistributionTransformer(user_specs=user)
    else:
        transformer = PowerTransformer(user_specs=user, cooling_type=CoolerType[kind])
    return _run(transformer, index, load_pu, ambient_c)


def random_profile(
    minutes: int, seed: int = 0, start: str = "2024-01-01"
) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """A random but plausible 1-minute load [pu] and ambient [°C] profile."""
    rng = np.random.default_rng(seed)
    t = np.arange(minutes) / 1440.0
    load = (
        0.75 + 0.3 * np.sin(2 * np.pi * (t - 0.3)) + 0.05 * np.cumsum(rng.normal(0, 0.02, minutes))
    )
    load = np.clip(load + rng.normal(0, 0.03, minutes), 0.05, 1.6)
    ambient = 12 + 8 * np.sin(2 * np.pi * (t - 0.35)) + rng.normal(0, 0.3, minutes)
    index = pd.date_range(start, periods=minutes, freq="1min")
    return index, load, ambient


def run_reference_with_fans(
    fans_on: TransformerSpec,
    fans_off: TransformerSpec,
    on_above_c: float,
    off_below_c: float,
    index: pd.DatetimeIndex,
    load_pu: np.ndarray,
    ambient_c: np.ndarray,
    fans_off_rated_current_a: float = RATED_CURRENT_A,
) -> tuple[np.ndarray, np.ndarray]:
    """The reference's ONAF transformer with fans switched on top-oil thresholds, cold start."""
    from transformer_thermal_model.cooler import CoolerType
    from transformer_thermal_model.schemas import UserTransformerSpecifications
    from transformer_thermal_model.schemas.thermal_model import (
        CoolingSwitchConfig,
        CoolingSwitchSettings,
        ONANParameters,
    )
    from transformer_thermal_model.transformer import PowerTransformer

    logging.getLogger("transformer_thermal_model").setLevel(logging.WARNING)
    user = UserTransformerSpecifications(
        load_loss=fans_on.loss_ratio * NO_LOAD_LOSS_W,
        no_load_loss=NO_LOAD_LOSS_W,
        nom_load_sec_side=RATED_CURRENT_A,
        top_oil_temp_rise=fans_on.top_oil_rise_k,
        winding_oil_gradient=fans_on.hot_spot_gradient_k,
        hot_spot_fac=fans_on.hot_spot_factor,
        time_const_oil=fans_on.tau_oil_min,
        time_const_windings=fans_on.tau_winding_min,
    )
    onan = ONANParameters(
        top_oil_temp_rise=fans_off.top_oil_rise_k,
        time_const_oil=fans_off.tau_oil_min,
        time_const_windings=fans_off.tau_winding_min,
        load_loss=fans_off.loss_ratio * NO_LOAD_LOSS_W,
        nom_load_sec_side=fans_off_rated_current_a,
        winding_oil_gradient=fans_off.hot_spot_gradient_k,
        hot_spot_fac=fans_off.hot_spot_factor,
    )
    switch = CoolingSwitchSettings(
        temperature_threshold=CoolingSwitchConfig(
            activation_temp=on_above_c, deactivation_temp=off_below_c
        ),
        onan_parameters=onan,
    )
    transformer = PowerTransformer(
        user_specs=user, cooling_type=CoolerType.ONAF, cooling_switch_settings=switch
    )
    return _run(transformer, index, load_pu, ambient_c)


def _run(
    transformer, index: pd.DatetimeIndex, load_pu: np.ndarray, ambient_c: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Run the reference's model from a cold start; top-oil and hot-spot [°C]."""
    from transformer_thermal_model.model import Model
    from transformer_thermal_model.schemas import InputProfile

    profile = InputProfile.create(
        datetime_index=index,
        load_profile=np.asarray(load_pu) * RATED_CURRENT_A,
        ambient_temperature_profile=np.asarray(ambient_c),
    )
    out = Model(temperature_profile=profile, transformer=transformer).run()
    return (
        out.top_oil_temp_profile.to_numpy(float),
        out.hot_spot_temp_profile.to_numpy(float),
    )
