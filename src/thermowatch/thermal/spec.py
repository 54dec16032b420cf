"""Transformer thermal specification (IEC 60076-7 clause 8 parameters) and typical presets."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from thermowatch.errors import InputError

COOLING_MODES = ("ONAN", "ONAF", "OF", "OD")

# Typical values for when the heat-run test report is not at hand.
# Exponents, k constants and time constants: IEC 60076-7:2018 Table 5.
# Rated rises, gradients and loss ratios: the typical characteristics of the IEC loading guide
# (IEC 60354 Table 2, carried into IEC 60076-7 examples): Δθor, H·gr and R.
# Always prefer the transformer's own test report values when available.
# fmt: off
#                 cooling  Δθor   H·gr   H    R    x    y    k11  k21  k22   τo     τw
_PRESET_TABLE = {
    "DISTRIBUTION": ("ONAN", 55.0, 23.0, 1.1, 5.0, 0.8, 1.6, 1.0, 1.0, 2.0, 180.0, 4.0),
    "ONAN":         ("ONAN", 52.0, 26.0, 1.3, 6.0, 0.8, 1.3, 0.5, 2.0, 2.0, 210.0, 10.0),
    "ONAF":         ("ONAF", 52.0, 26.0, 1.3, 6.0, 0.8, 1.3, 0.5, 2.0, 2.0, 150.0, 7.0),
    "OF":           ("OF",   56.0, 22.0, 1.3, 6.0, 1.0, 1.3, 1.0, 1.3, 1.0, 90.0,  7.0),
    "OD":           ("OD",   49.0, 29.0, 1.3, 6.0, 1.0, 2.0, 1.0, 1.0, 1.0, 90.0,  7.0),
}
# fmt: on
_PRESETS: dict[str, dict[str, Any]] = {
    name: dict(
        cooling=cooling,
        top_oil_rise_k=rise,
        hot_spot_gradient_k=h_gr / h,
        hot_spot_factor=h,
        loss_ratio=r,
        oil_exponent=x,
        winding_exponent=y,
        k11=k11,
        k21=k21,
        k22=k22,
        tau_oil_min=tau_o,
        tau_winding_min=tau_w,
    )
    for name, (
        cooling,
        rise,
        h_gr,
        h,
        r,
        x,
        y,
        k11,
        k21,
        k22,
        tau_o,
        tau_w,
    ) in _PRESET_TABLE.items()
}
_ALIASES = {
    "ONAN-DISTRIBUTION": "DISTRIBUTION",
    "ONAN_DISTRIBUTION": "DISTRIBUTION",
    "DISTRIBUTION-ONAN": "DISTRIBUTION",
    "OFAF": "OF",
    "OFAN": "OF",
    "ODAF": "OD",
    "ODAN": "OD",
}

# (lower, upper, lower bound included) for each numeric parameter: the physical range.
_RANGES: dict[str, tuple[float, float, bool]] = {
    "top_oil_rise_k": (0.0, 120.0, False),
    "hot_spot_gradient_k": (0.0, 100.0, False),
    "hot_spot_factor": (1.0, 3.0, True),
    "loss_ratio": (0.0, 10_000.0, False),
    "oil_exponent": (0.0, 2.0, False),
    "winding_exponent": (0.0, 3.0, False),
    "k11": (0.0, 10.0, False),
    "k21": (1.0, 10.0, True),
    "k22": (0.0, 10.0, False),
    "tau_oil_min": (0.0, 2_000.0, False),
    "tau_winding_min": (0.0, 200.0, False),
    "ambient_offset_k": (-20.0, 40.0, True),
}


@dataclass(frozen=True, kw_only=True)
class TransformerSpec:
    """Thermal parameters of one oil-immersed transformer (IEC 60076-7 clause 8.2).

    Parameters
    ----------
    top_oil_rise_k
        Δθor, top-oil temperature rise over ambient in steady state at rated losses [K].
    hot_spot_gradient_k
        gr, average-winding to average-oil temperature gradient at rated current [K].
        The rated hot-spot to top-oil gradient is ``hot_spot_factor * hot_spot_gradient_k``.
    hot_spot_factor
        H, hot-spot factor [-].
    loss_ratio
        R, ratio of load losses at rated current to no-load losses [-].
    oil_exponent
        x, exponent of total losses versus top-oil rise [-] (IEEE: n).
    winding_exponent
        y, exponent of current versus winding gradient [-] (IEEE: 2m).
    k11, k21, k22
        Thermal model constants of IEC 60076-7 [-] (k21 >= 1).
    tau_oil_min
        τo, average oil time constant [min].
    tau_winding_min
        τw, winding time constant [min].
    rated_current_a
        Rated current [A] of the measured winding, to convert amperes to per unit; optional.
    cooling
        Cooling mode: ONAN, ONAF, OF or OD.
    ambient_offset_k
        Correction added to the ambient temperature [K] for indoor or enclosed installations
        (IEC 60076-7 clause 8.3); 0 outdoors.
    """

    top_oil_rise_k: float
    hot_spot_gradient_k: float
    hot_spot_factor: float = 1.3
    loss_ratio: float = 6.0
    oil_exponent: float = 0.8
    winding_exponent: float = 1.3
    k11: float = 0.5
    k21: float = 2.0
    k22: float = 2.0
    tau_oil_min: float = 150.0
    tau_winding_min: float = 7.0
    rated_current_a: float | None = None
    cooling: str = "ONAF"
    ambient_offset_k: float = 0.0

    def __post_init__(self) -> None:
        for name, (low, high, low_inclusive) in _RANGES.items():
            value = getattr(self, name)
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            ok = ok and math.isfinite(value) and value <= high
            ok = ok and (value >= low if low_inclusive else value > low)
            if not ok:
                bracket = "[" if low_inclusive else "("
                raise InputError(
                    f"TransformerSpec: {name} must be a finite number in {bracket}{low:g}, {high:g}], "
                    f"got {value!r}."
                )
        if self.rated_current_a is not None:
            value = self.rated_current_a
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise InputError(
                    f"TransformerSpec: rated_current_a must be a positive finite number of amperes, "
                    f"got {value!r}."
                )
        cooling = str(self.cooling).upper()
        if cooling not in COOLING_MODES:
            raise InputError(
                f"TransformerSpec: cooling must be one of {', '.join(COOLING_MODES)}, "
                f"got {self.cooling!r}."
            )
        object.__setattr__(self, "cooling", cooling)

    @property
    def hot_spot_rise_k(self) -> float:
        """Rated hot-spot to top-oil gradient H·gr [K]."""
        return self.hot_spot_factor * self.hot_spot_gradient_k

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> TransformerSpec:
        """Typical spec for a cooling class, with optional overrides.

        Parameters
        ----------
        name : str
            ``ONAN`` (medium and large power), ``ONAF``, ``OF``, ``OD`` or ``DISTRIBUTION``
            (distribution transformer, ONAN); case-insensitive. Exponents, k constants and time
            constants from IEC 60076-7:2018 Table 5.
        **overrides
            Parameters replacing the preset's (names and units of the attributes).

        Returns
        -------
        TransformerSpec
            The validated spec.
        """
        key = str(name).strip().upper()
        key = _ALIASES.get(key, key)
        if key not in _PRESETS:
            raise InputError(
                f"unknown transformer preset {name!r}: choose one of {', '.join(sorted(_PRESETS))}."
            )
        return cls.from_mapping({**_PRESETS[key], **overrides})

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> TransformerSpec:
        """Build a spec from a mapping (a TOML table, a JSON object); a ``preset`` key is a base.

        Unknown keys are refused with their name, so that a typo never goes unnoticed.

        Parameters
        ----------
        values : dict
            Parameter names to values (units of the attributes); ``top_oil_rise_k`` and
            ``hot_spot_gradient_k`` are required unless a ``preset`` is named.

        Returns
        -------
        TransformerSpec
            The validated spec.
        """
        values = dict(values)
        base = values.pop("preset", None)
        if base is not None:
            return cls.preset(base, **values)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(
                f"TransformerSpec: unknown parameter {unknown[0]!r}; expected one of "
                f"{', '.join(sorted(known))}."
            )
        missing = [n for n in ("top_oil_rise_k", "hot_spot_gradient_k") if n not in values]
        if missing:
            raise InputError(f"TransformerSpec: parameter {missing[0]!r} is required.")
        for name, value in values.items():
            if name in _RANGES and isinstance(value, str):
                raise InputError(f"TransformerSpec: {name} must be a number, got {value!r}.")
        return cls(**values)

    def with_(self, **changes: Any) -> TransformerSpec:
        """A copy with some parameters changed (validated again).

        Parameters
        ----------
        **changes
            Parameters to change (names and units of the attributes).

        Returns
        -------
        TransformerSpec
            The new spec.
        """
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping of every parameter (JSON- and TOML-friendly)."""
        return asdict(self)


def preset_names() -> list[str]:
    """Names accepted by :meth:`TransformerSpec.preset`."""
    return sorted(_PRESETS)
