"""The two thermal models as sets of first-order states (IEC 60076-7 and IEEE C57.91 clause 7).

Each model describes itself by three pure functions, so that simulation, steady state, rating
and time-to-limit share one solver:

* ``ultimate(p, K, θa)``: the value each state tends to at constant load and ambient;
* ``time_constants(p)``: the time constant of each state [min];
* ``temperatures(states, θa)``: top-oil and hot-spot temperatures [°C] from the states.

``p`` is a :class:`~thermowatch.thermal.spec.TransformerSpec` or a :class:`SpecArrays` (the same
attributes as arrays of shape ``(m, 1)``, one row per transformer of a fleet). ``θa`` is the
effective ambient (ambient plus the spec's installation offset), applied once by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields
from typing import Any, Protocol

import numpy as np

from thermowatch.thermal.spec import TransformerSpec

Array = Any  # numpy arrays or floats: the equations broadcast over both


class SpecArrays:
    """Numeric parameters of several specs stacked as ``(m, 1)`` arrays (fleet simulation)."""

    def __init__(self, specs: Sequence[TransformerSpec]) -> None:
        for f in fields(TransformerSpec):
            if f.name in ("cooling", "rated_current_a"):
                continue
            setattr(self, f.name, np.array([getattr(s, f.name) for s in specs], float)[:, None])
        self.hot_spot_rise_k = self.hot_spot_factor * self.hot_spot_gradient_k

    def __getattr__(self, name: str) -> Any:  # only for type checkers; real attributes are set
        raise AttributeError(name)


class ThermalModel(Protocol):
    """What a thermal model provides to the shared solver."""

    name: str
    state_names: tuple[str, ...]

    def ultimate(self, p: Any, load_pu: Array, ambient_c: Array) -> tuple[Array, ...]:
        """The value each state tends to at constant load and ambient.

        Parameters
        ----------
        p : TransformerSpec or SpecArrays
            The transformer(s).
        load_pu : array_like
            Load [pu of the rated current].
        ambient_c : array_like
            Effective ambient temperature [°C] (installation offset included).

        Returns
        -------
        tuple of array_like
            One ultimate value per state of :attr:`state_names` ([°C] or [K]).
        """
        ...

    def time_constants(self, p: Any) -> tuple[Any, ...]:
        """The time constant of each state [min].

        Parameters
        ----------
        p : TransformerSpec or SpecArrays
            The transformer(s).

        Returns
        -------
        tuple
            One time constant [min] per state.
        """
        ...

    def temperatures(self, states: Sequence[Array], ambient_c: Array) -> tuple[Array, Array]:
        """Top-oil and hot-spot temperatures [°C] from the states.

        Parameters
        ----------
        states : sequence of array_like
            The states, in the order of :attr:`state_names`.
        ambient_c : array_like
            Effective ambient temperature [°C].

        Returns
        -------
        tuple of (array_like, array_like)
            Top-oil and hot-spot temperatures [°C].
        """
        ...

    def initial_states(
        self, p: Any, load_pu: Array, ambient_c: Array, top_oil_c: Array | None
    ) -> tuple[Array, ...]:
        """The states at the start of a simulation.

        Parameters
        ----------
        p : TransformerSpec or SpecArrays
            The transformer(s).
        load_pu : array_like
            First load [pu].
        ambient_c : array_like
            First effective ambient temperature [°C].
        top_oil_c : array_like or None
            Measured top-oil temperature [°C] at the start, or None: steady state at the first
            load and ambient.

        Returns
        -------
        tuple of array_like
            One value per state.
        """
        ...


def power(base: Array, exponent: Any) -> Array:
    """``base ** exponent`` for ``base >= 0`` as exp(exponent·log(base)).

    numpy's float64 ``power`` has no SIMD path; its vectorised exp and log together are about
    twice as fast, and the power laws of the loss and gradient terms are half the cost of a
    simulation. Exact to a few ulps; 0 maps to 0 for positive exponents.

    Parameters
    ----------
    base : float or numpy.ndarray
        Non-negative base [-].
    exponent : float or numpy.ndarray
        Exponent [-] (broadcast with ``base``).

    Returns
    -------
    float or numpy.ndarray
        ``base ** exponent``.
    """
    if isinstance(base, float | int) and isinstance(exponent, float | int):
        # One live reading: math on Python floats is ~20x cheaper than numpy on 0-d arrays.
        return math.exp(exponent * math.log(base)) if base > 0 else 0.0
    with np.errstate(divide="ignore"):
        out = np.log(base)
    if np.ndim(out) == 0:
        return np.exp(exponent * out)
    out *= exponent  # in place: these arrays are the size of a year of minute data
    return np.exp(out, out=out)


def _loss_factor(p: Any, load_pu: Array) -> Array:
    """((1 + K²R) / (1 + R))^x: total losses relative to rated, to the oil exponent."""
    return power((1.0 + load_pu * load_pu * p.loss_ratio) / (1.0 + p.loss_ratio), p.oil_exponent)


class IEC60076_7:
    """IEC 60076-7:2018 clause 8.2.2 differential equations.

    States: top-oil temperature θo [°C], and the two hot-spot rise terms Δθh1, Δθh2 [K] whose
    difference is the hot-spot to top-oil gradient (the k21/k22 overshoot of equation (5)-(6)).
    """

    name: str = "iec"
    state_names: tuple[str, ...] = ("top_oil_c", "hot_spot_rise1_k", "hot_spot_rise2_k")

    def ultimate(self, p: Any, load_pu: Array, ambient_c: Array) -> tuple[Array, ...]:
        """θa + Δθor·((1 + K²R)/(1 + R))^x, k21·H·gr·K^y and (k21 − 1)·H·gr·K^y (clause 8.2.2).

        Parameters
        ----------
        p, load_pu, ambient_c
            As :meth:`ThermalModel.ultimate`: spec, load [pu], effective ambient [°C].

        Returns
        -------
        tuple of array_like
            Top oil [°C] and the two hot-spot rise terms [K].
        """
        gradient = p.hot_spot_rise_k * power(load_pu, p.winding_exponent)
        top_oil = ambient_c + p.top_oil_rise_k * _loss_factor(p, load_pu)
        return top_oil, p.k21 * gradient, (p.k21 - 1.0) * gradient

    def time_constants(self, p: Any) -> tuple[Any, ...]:
        """k11·τo, k22·τw and τo/k22 [min] (IEC 60076-7:2018 equations (5)-(6)).

        Parameters
        ----------
        p : TransformerSpec or SpecArrays
            The transformer(s).

        Returns
        -------
        tuple
            Time constants [min] of the top oil and the two hot-spot rise terms.
        """
        return p.k11 * p.tau_oil_min, p.k22 * p.tau_winding_min, p.tau_oil_min / p.k22

    def temperatures(self, states: Sequence[Array], ambient_c: Array) -> tuple[Array, Array]:
        """Top oil, and hot spot θh = θo + Δθh1 − Δθh2 [°C] (IEC 60076-7:2018 clause 8.2.2).

        Parameters
        ----------
        states : sequence of array_like
            Top oil [°C] and the two rise terms [K].
        ambient_c : array_like
            Effective ambient temperature [°C] (unused: the top oil is a state).

        Returns
        -------
        tuple of (array_like, array_like)
            Top-oil and hot-spot temperatures [°C].
        """
        top_oil, rise1, rise2 = states
        return top_oil, top_oil + rise1 - rise2

    def initial_states(
        self, p: Any, load_pu: Array, ambient_c: Array, top_oil_c: Array | None
    ) -> tuple[Array, ...]:
        """Steady state at the first load and ambient, or the measured top oil [°C] with no
        hot-spot rise yet (:meth:`ThermalModel.initial_states`).

        Parameters
        ----------
        p, load_pu, ambient_c, top_oil_c
            Spec, first load [pu], effective ambient [°C], measured top oil [°C] or None.

        Returns
        -------
        tuple of array_like
            Top oil [°C] and the two rise terms [K].
        """
        if top_oil_c is None:  # steady state at the first load and ambient
            return self.ultimate(p, load_pu, ambient_c)
        zero = np.zeros_like(np.asarray(top_oil_c, float))
        return np.asarray(top_oil_c, float), zero, zero


class IEEEC57_91:
    """IEEE C57.91-2011 clause 7 exponential model.

    States: top-oil rise over ambient Δθ_TO [K] and hot-spot rise over top oil Δθ_H [K]; ambient
    is added without delay. The top-oil time constant is taken at rated conditions (exact for an
    oil exponent of 1, the usual simplification otherwise).
    """

    name: str = "ieee"
    state_names: tuple[str, ...] = ("top_oil_rise_k", "hot_spot_rise_k")

    def ultimate(self, p: Any, load_pu: Array, ambient_c: Array) -> tuple[Array, ...]:
        """Δθ_TO,U = Δθ_TO,R·((K²R + 1)/(R + 1))^n and Δθ_H,U = Δθ_H,R·K^2m [K] (IEEE
        C57.91-2011 clause 7, equations (8) and (9)).

        Parameters
        ----------
        p, load_pu, ambient_c
            As :meth:`ThermalModel.ultimate`: spec, load [pu], effective ambient [°C].

        Returns
        -------
        tuple of array_like
            Top-oil rise over ambient and hot-spot rise over top oil [K].
        """
        top_oil_rise = p.top_oil_rise_k * _loss_factor(p, load_pu) + 0.0 * ambient_c  # broadcast
        return top_oil_rise, p.hot_spot_rise_k * power(load_pu, p.winding_exponent)

    def time_constants(self, p: Any) -> tuple[Any, ...]:
        """τ_TO and τ_W at rated conditions [min] (IEEE C57.91-2011 clause 7).

        Parameters
        ----------
        p : TransformerSpec or SpecArrays
            The transformer(s).

        Returns
        -------
        tuple
            Top-oil and winding time constants [min].
        """
        return p.tau_oil_min, p.tau_winding_min

    def temperatures(self, states: Sequence[Array], ambient_c: Array) -> tuple[Array, Array]:
        """θ_TO = θ_A + Δθ_TO and θ_H = θ_TO + Δθ_H [°C] (IEEE C57.91-2011 equations (5)-(6)).

        Parameters
        ----------
        states : sequence of array_like
            Top-oil rise and hot-spot rise [K].
        ambient_c : array_like
            Effective ambient temperature [°C].

        Returns
        -------
        tuple of (array_like, array_like)
            Top-oil and hot-spot temperatures [°C].
        """
        top_oil_rise, hot_spot_rise = states
        top_oil = ambient_c + top_oil_rise
        return top_oil, top_oil + hot_spot_rise

    def initial_states(
        self, p: Any, load_pu: Array, ambient_c: Array, top_oil_c: Array | None
    ) -> tuple[Array, ...]:
        """Steady state at the first load and ambient, or the measured top-oil rise [K] with
        no hot-spot rise yet (:meth:`ThermalModel.initial_states`).

        Parameters
        ----------
        p, load_pu, ambient_c, top_oil_c
            Spec, first load [pu], effective ambient [°C], measured top oil [°C] or None.

        Returns
        -------
        tuple of array_like
            Top-oil rise and hot-spot rise [K].
        """
        if top_oil_c is None:
            return self.ultimate(p, load_pu, ambient_c)
        rise = np.asarray(top_oil_c, float) - ambient_c
        return rise, np.zeros_like(rise)


MODELS: dict[str, ThermalModel] = {"iec": IEC60076_7(), "ieee": IEEEC57_91()}


def get_model(method: str) -> ThermalModel:
    """The thermal model for ``method``.

    Parameters
    ----------
    method : {"iec", "ieee"}
        IEC 60076-7:2018 clause 8.2.2 or IEEE C57.91-2011 clause 7 (case-insensitive).

    Returns
    -------
    ThermalModel
        The model; an unknown name raises :class:`~thermowatch.errors.InputError`.
    """
    from thermowatch.errors import InputError

    try:
        return MODELS[str(method).lower()]
    except KeyError:
        raise InputError(f"method must be 'iec' or 'ieee', got {method!r}.") from None
