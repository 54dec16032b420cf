"""Explicit column mapping from a TOML file (or a dict of the same shape).

Example ``mapping.toml``::

    timestamp = "Date et heure"        # column holding the timestamps
    target = "Temp. PC"                # column to predict
    timezone = "Europe/Paris"          # zone of naive timestamps (overrides the options)

    [columns]                          # quantity of a column, see quantities.QUANTITIES
    "Temp. PC" = "winding_temperature"
    "Ma colonne" = "top_oil_temperature"

    [units]                            # unit of a column when its name does not say it
    "Temp. PC" = "°C"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thermowatch.config import read_toml
from thermowatch.data.quantities import QUANTITIES
from thermowatch.errors import InputError

_KEYS = frozenset({"timestamp", "target", "timezone", "columns", "units"})


@dataclass(frozen=True)
class ColumnMapping:
    """What a mapping file says; every field is optional."""

    timestamp: str | None = None
    target: str | None = None
    timezone: str | None = None
    quantities: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)


def load_mapping(mapping: str | Path | Mapping[str, Any] | None) -> ColumnMapping:
    """Read a mapping from a TOML file path or a dict; ``None`` gives an empty mapping.

    Parameters
    ----------
    mapping : str or pathlib.Path or mapping or None
        A TOML file or its content.

    Returns
    -------
    ColumnMapping

    Raises
    ------
    InputError
        Missing or invalid TOML file, unknown key, or unknown quantity name.
    """
    if mapping is None:
        return ColumnMapping()
    source = "the column mapping"
    if isinstance(mapping, str | Path):
        path = Path(mapping)
        source = f"the mapping file {str(path)!r}"
        mapping = read_toml(path, "the mapping file")
    unknown = set(mapping) - _KEYS
    if unknown:
        raise InputError(
            f"Unknown key(s) {', '.join(sorted(map(repr, unknown)))} in {source};"
            f" expected {', '.join(sorted(_KEYS))}."
        )
    quantities = {str(k): str(v) for k, v in dict(mapping.get("columns", {})).items()}
    for name, quantity in quantities.items():
        if quantity not in QUANTITIES:
            raise InputError(
                f"The quantity {quantity!r} given for column {name!r} in {source} is unknown;"
                f" use one of {', '.join(QUANTITIES)}."
            )
    return ColumnMapping(
        timestamp=mapping.get("timestamp"),
        target=mapping.get("target"),
        timezone=mapping.get("timezone"),
        quantities=quantities,
        units={str(k): str(v) for k, v in dict(mapping.get("units", {})).items()},
    )
