"""Finding the timestamp column and turning it into UTC instants.

French exports write day-first dates (``"01/07/2016 14:00"``); ISO dates
(``"2016-07-01 14:00:00"``) must not be read day-first, so the two are told apart first.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from thermowatch.data.columns import match_column, split_unit
from thermowatch.data.names import normalize_name
from thermowatch.errors import InputError

TIMESTAMP_WORDS = frozenset(
    {"horodatage", "timestamp", "datetime", "date", "time", "heure", "temps", "dateheure", "ts"}
)
_ISO_START = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}")
_MIN_PARSED_SHARE = 0.8  # a column is a timestamp column when most of its values parse
_PROBE_SIZE = 200  # values tried before parsing a whole column


_LOWER_DAY = re.compile(r"(?<=\d)\s*d$")


def as_duration(value: str | pd.Timedelta) -> pd.Timedelta:
    """A duration typed by a person (``"24h"``, ``"2d"``, ``"90min"``) as a Timedelta.

    Why not ``pd.Timedelta`` alone: pandas deprecates the lower-case day unit that people
    write ("7d"), so it is read as "7D" here, once for every option that takes a duration.

    Parameters
    ----------
    value : str or pandas.Timedelta
        The duration.

    Returns
    -------
    pandas.Timedelta

    Raises
    ------
    ValueError
        When ``value`` is not a duration.
    """
    if isinstance(value, str):
        value = _LOWER_DAY.sub("D", value.strip())
    return pd.Timedelta(value)


def find_timestamp_column(
    frame: pd.DataFrame, *, explicit: str | None = None, source: str = "the data"
) -> str:
    """Name of the column holding the timestamps.

    Looked for by name first (horodatage, date, time, timestamp, datetime, heure...), then as
    the first column whose values parse as dates.

    Parameters
    ----------
    frame : pandas.DataFrame
        The raw table.
    explicit : str or None
        The column named by the mapping, if any.
    source : str
        Named in error messages.

    Returns
    -------
    str

    Raises
    ------
    InputError
        When ``explicit`` is not a column, or no column holds timestamps.
    """
    if explicit is not None:
        found = match_column(explicit, frame.columns)
        if found is None:
            raise InputError(
                f"The timestamp column {explicit!r} named in the mapping is not in {source}."
            )
        return found
    by_name = [
        name
        for name in frame.columns
        if TIMESTAMP_WORDS & set(normalize_name(split_unit(name)[0]).split())
    ]
    others = [name for name in frame.columns if name not in by_name]
    for name in by_name + others:
        probe = frame[name].dropna().head(_PROBE_SIZE)
        if name in others and pd.api.types.is_numeric_dtype(probe.dtype):
            continue  # plain numbers are measurements unless the name says time
        if len(probe) and parse_timestamps(probe).notna().mean() >= _MIN_PARSED_SHARE:
            return name
    listed = ", ".join(repr(name) for name in frame.columns)
    raise InputError(
        f"No timestamp column was found in {source} (columns: {listed}); name it 'horodatage'"
        " or 'timestamp', or give it in the mapping file."
    )


def parse_timestamps(
    values: pd.Series, *, timezone: str = "UTC", dayfirst: bool = True
) -> pd.Series:
    """Parse timestamps to timezone-aware UTC, NaT where a value is not a date.

    Parameters
    ----------
    values : pandas.Series
        Datetimes, text (ISO or day-first), or numbers of seconds/milliseconds since 1970.
    timezone : str
        IANA zone assumed for naive timestamps (e.g. ``"Europe/Paris"``); aware ones keep theirs.
    dayfirst : bool
        Read ``"01/07/2016"`` as 1 July (French order) rather than 7 January.

    Returns
    -------
    pandas.Series
        dtype ``datetime64[..., UTC]``, same index as ``values``.
    """
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(dtype):
        parsed = values
    elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return _from_epoch(values)
    else:
        parsed = _parse_text(values.astype("str"), dayfirst=dayfirst)
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            return parsed.dt.tz_convert("UTC")
    return _localize(parsed, timezone)


def _parse_text(text: pd.Series, *, dayfirst: bool) -> pd.Series:
    first = text.dropna().head(1)
    iso = bool(len(first)) and _ISO_START.match(first.iloc[0]) is not None
    options = {"format": "ISO8601"} if iso else {"dayfirst": dayfirst}
    try:
        return pd.to_datetime(text, errors="coerce", **options)
    except ValueError:  # mixed UTC offsets (e.g. across a DST change): convert to UTC
        return pd.to_datetime(text, errors="coerce", utc=True, **options)


def _from_epoch(values: pd.Series) -> pd.Series:
    numbers = values.astype("float64")
    magnitude = float(np.nanmedian(np.abs(numbers))) if numbers.notna().any() else 0.0
    if magnitude < 1e8:  # before 1973 in seconds: not an epoch time stamp
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    unit = "s" if magnitude < 1e11 else "ms" if magnitude < 1e14 else "us"
    return pd.to_datetime(numbers, unit=unit, utc=True, errors="coerce")


def _localize(naive: pd.Series, timezone: str) -> pd.Series:
    if timezone.upper() == "UTC":
        return naive.dt.tz_localize("UTC")
    try:
        # The repeated autumn hour is resolved from the order of the readings when possible.
        local = naive.dt.tz_localize(timezone, ambiguous="infer", nonexistent="shift_forward")
    except (ValueError, TypeError):
        local = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward")
    return local.dt.tz_convert("UTC")
