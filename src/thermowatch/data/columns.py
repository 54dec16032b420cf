"""Column metadata: units parsed from names, physical quantity, numeric conversion, target.

A column name such as ``"température huile (°C)"`` or ``"courant [A]"`` carries its unit in
brackets; its words (French or English, any case or accents) tell the quantity. The target is the
winding (hot-spot) temperature when there is one, else the top-oil temperature.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from thermowatch.data import quantities as q
from thermowatch.data.names import normalize_name
from thermowatch.errors import InputError


@dataclass(frozen=True)
class ColumnInfo:
    """What a measurement column holds.

    Attributes
    ----------
    name : str
        Column name as in the source file.
    quantity : str
        One of :data:`thermowatch.data.quantities.QUANTITIES`.
    unit : str or None
        Canonical unit (``"°C"``, ``"kV"``, ``"A"``, ``"MW"``, ``"Mvar"``, ``"MVA"``, ``"pu"``,
        ``"%"``...), or ``None`` when the name gives none.
    """

    name: str
    quantity: str
    unit: str | None


# ---------------------------------------------------------------- units
_UNIT_IN_NAME = re.compile(r"^(?P<label>.*?)\s*[\(\[]\s*(?P<unit>[^\(\)\[\]]*?)\s*[\)\]]\s*$")

_CANONICAL_UNITS: dict[str, str] = {
    **dict.fromkeys(["°c", "ºc", "° c", "degc", "deg c", "degrees c", "c"], "°C"),
    **dict.fromkeys(["°f", "ºf", "degf", "f"], "°F"),
    "k": "K",
    "v": "V",
    "kv": "kV",
    "a": "A",
    "ka": "kA",
    "w": "W",
    "kw": "kW",
    "mw": "MW",
    "var": "var",
    "kvar": "kvar",
    "mvar": "Mvar",
    "va": "VA",
    "kva": "kVA",
    "mva": "MVA",
    **dict.fromkeys(["pu", "p.u.", "p.u", "pu."], "pu"),
    "%": "%",
}

_QUANTITY_OF_UNIT: dict[str, str] = {
    "V": q.VOLTAGE,
    "kV": q.VOLTAGE,
    "A": q.CURRENT,
    "kA": q.CURRENT,
    "W": q.ACTIVE_POWER,
    "kW": q.ACTIVE_POWER,
    "MW": q.ACTIVE_POWER,
    "var": q.REACTIVE_POWER,
    "kvar": q.REACTIVE_POWER,
    "Mvar": q.REACTIVE_POWER,
    "VA": q.APPARENT_POWER,
    "kVA": q.APPARENT_POWER,
    "MVA": q.APPARENT_POWER,
    "pu": q.LOAD_PU,
    "%": q.LOAD_PU,
}


def canonical_unit(unit: str | None) -> str | None:
    """Canonical spelling of a unit (``"degC"`` -> ``"°C"``, ``"MVAr"`` -> ``"Mvar"``).

    Unknown units are returned stripped but otherwise as written; empty ones become ``None``.

    Parameters
    ----------
    unit : str or None
        A unit as written.

    Returns
    -------
    str or None
    """
    if unit is None:
        return None
    text = str(unit).strip()
    if not text:
        return None
    return _CANONICAL_UNITS.get(text.casefold(), text)


def split_unit(name: str) -> tuple[str, str | None]:
    """Split ``"tension (kV)"`` or ``"courant [A]"`` into label and canonical unit.

    Parameters
    ----------
    name : str
        A column name.

    Returns
    -------
    (label, unit) : tuple of str and (str or None)
        ``unit`` is ``None`` when the name has no trailing bracketed unit.
    """
    match = _UNIT_IN_NAME.match(str(name))
    if match is None:
        return str(name).strip(), None
    return match["label"], canonical_unit(match["unit"])


# ---------------------------------------------------------------- quantities
# Temperature rules come first: "température enroulement (°C)" must not become "other" for its
# unit, and "courant de charge" must be a current, not a load, so currents precede loads.
_TEMPERATURE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        q.WINDING_TEMPERATURE,
        re.compile(
            r"\b(enroulements?|winding\w*|wti|hot ?spots?|hst|point chaud|pointchaud|"
            r"points chauds)\b"
        ),
    ),
    (q.TOP_OIL_TEMPERATURE, re.compile(r"\b(huile|oil|ot|oti|tot|top ?oil)\b")),
    (
        q.AMBIENT_TEMPERATURE,
        re.compile(r"\b(ambiant\w*|ambient\w*|amb|exterieur\w*|outdoor|outside|air)\b"),
    ),
)
_ELECTRICAL_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (q.REACTIVE_POWER, re.compile(r"\b(reactive?|mvar|kvar)\b")),
    (q.APPARENT_POWER, re.compile(r"\b(apparente?|mva|kva)\b")),
    (q.ACTIVE_POWER, re.compile(r"\b(active?|mw|kw|puissance|power)\b")),
    (q.CURRENT, re.compile(r"\b(courants?|currents?|intensites?|amps?|amperes?)\b")),
    (q.VOLTAGE, re.compile(r"\b(tensions?|voltages?)\b")),
    (q.LOAD_PU, re.compile(r"\b(charge|load\w*|pu)\b")),
)
# One-letter symbols only count when they are the whole label ("U", "I", "P", "Ia"...).
_SYMBOLS: dict[str, str] = {
    **dict.fromkeys(["u", "v", "ua", "ub", "uc", "uab", "ubc", "uca"], q.VOLTAGE),
    **dict.fromkeys(["i", "ia", "ib", "ic", "il1", "il2", "il3"], q.CURRENT),
    "p": q.ACTIVE_POWER,
    "q": q.REACTIVE_POWER,
    "s": q.APPARENT_POWER,
    "k": q.LOAD_PU,
}


def classify_quantity(name: str, unit: str | None = None) -> str:
    """Physical quantity of a column from its name (French or English) and unit.

    Parameters
    ----------
    name : str
        Column name, with or without its bracketed unit.
    unit : str, optional
        Unit already known (e.g. from a mapping file); overrides the one in the name.

    Returns
    -------
    str
        One of :data:`thermowatch.data.quantities.QUANTITIES`; ``"other"`` when nothing matches.
    """
    label, parsed_unit = split_unit(name)
    unit = canonical_unit(unit) or parsed_unit
    words = normalize_name(label)
    for quantity, pattern in _TEMPERATURE_RULES:
        if pattern.search(words):
            return quantity
    if words in _SYMBOLS:
        return _SYMBOLS[words]
    if unit in _QUANTITY_OF_UNIT:
        return _QUANTITY_OF_UNIT[unit]
    for quantity, pattern in _ELECTRICAL_RULES:
        if pattern.search(words):
            return quantity
    return q.OTHER


def describe_columns(
    names: Iterable[str],
    *,
    quantities: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
) -> dict[str, ColumnInfo]:
    """:class:`ColumnInfo` for each name; explicit ``quantities``/``units`` override guesses.

    Parameters
    ----------
    names : iterable of str
        Column names (a unit in brackets is read).
    quantities : mapping of str to str, optional
        Column -> quantity name.
    units : mapping of str to str, optional
        Column -> unit.

    Returns
    -------
    dict of str to ColumnInfo
    """
    quantities = quantities or {}
    units = units or {}
    infos = {}
    for name in names:
        unit = canonical_unit(units.get(name)) or split_unit(name)[1]
        quantity = quantities.get(name) or classify_quantity(name, unit)
        infos[name] = ColumnInfo(name=name, quantity=quantity, unit=unit)
    return infos


# ---------------------------------------------------------------- numbers stored as text
_MISSING_TOKENS = ["", "-", "--", "nan", "na", "n/a", "n.a.", "null", "none", "#n/a", "?"]


def to_numeric_column(values: pd.Series) -> tuple[pd.Series, int]:
    """Convert one column to float64, reading text such as ``"12,5"`` or ``"1 234,5"``.

    Parameters
    ----------
    values : pandas.Series
        One raw column.

    Returns
    -------
    (numbers, n_invalid) : tuple of pandas.Series and int
        ``numbers`` is float64 with NaN where a value was missing or not a number;
        ``n_invalid`` counts the non-empty texts that were not numbers (e.g. ``"ERR"``).
    """
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_datetime64_any_dtype(
        values.dtype
    ):
        return pd.Series(np.nan, index=values.index, dtype="float64"), int(values.notna().sum())
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64"), 0
    text = values.astype("str").str.strip()
    is_missing = values.isna() | text.str.casefold().isin(_MISSING_TOKENS)
    # French exports write "1 234,5" (narrow or no-break spaces as thousands separators).
    cleaned = text.str.replace(r"[\s\u00a0\u202f']", "", regex=True).str.replace(
        ",", ".", regex=False
    )
    numbers = pd.to_numeric(cleaned.where(~is_missing), errors="coerce").astype("float64")
    n_invalid = int((numbers.isna() & ~is_missing).sum())
    return numbers, n_invalid


# ---------------------------------------------------------------- target
def match_column(wanted: str, names: Iterable[str]) -> str | None:
    """Find ``wanted`` among ``names``: exact, then case/accent-insensitive, then without unit.

    Parameters
    ----------
    wanted : str
        A column name as given by a person.
    names : iterable of str
        The table's column names.

    Returns
    -------
    str or None
    """
    names = list(names)
    if wanted in names:
        return wanted
    key = normalize_name(wanted)
    for name in names:
        if normalize_name(name) == key:
            return name
    for name in names:
        if normalize_name(split_unit(name)[0]) == key:
            return name
    return None


def find_target(
    columns: Mapping[str, ColumnInfo], *, explicit: str | None = None, source: str = "the data"
) -> str:
    """Name of the target column.

    Parameters
    ----------
    columns : mapping of str to ColumnInfo
        The numeric measurement columns.
    explicit : str, optional
        Column asked for by the user (exact or case/accent-insensitive match).
    source : str
        File or description, named in the error message.

    Raises
    ------
    InputError
        When the explicit column is absent, or when no winding/top-oil temperature is found;
        the message lists the candidate column names.
    """
    candidates = ", ".join(repr(name) for name in columns) or "none"
    if explicit is not None:
        found = match_column(explicit, columns)
        if found is None:
            raise InputError(
                f"Target column {explicit!r} was not found in {source}; "
                f"candidate numeric columns are: {candidates}."
            )
        return found
    for quantity in q.TARGET_PREFERENCE:
        for name, info in columns.items():
            if info.quantity == quantity:
                return name
    raise InputError(
        f"No winding or top-oil temperature column was recognised in {source} to predict; "
        f"choose the target among: {candidates}."
    )
