"""Reading a measurement file (xlsx, csv, parquet) into a raw table, before any cleaning.

CSV exports from French SCADA systems use ``;`` as separator, ``,`` as decimal mark and
often the Windows code page; all of that is detected here so the user passes nothing.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd

from thermowatch.errors import InputError

CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
SUPPORTED_SUFFIXES = CSV_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES

_DELIMITERS = (";", ",", "\t")
_SNIFF_LINES = 50
_SNIFF_BYTES = 64 * 1024
_UNDEFINED_IN_CP1252 = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
# A decimal-comma number standing alone in a field: "12,5", "-0,25", "1 234,5".
_DECIMAL_COMMA_FIELD = re.compile(r"^\s*-?[\d\s\u00a0\u202f]*\d,\d+\s*$")


def read_table(path: str | Path, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a measurement file as it is, every column kept, nothing cleaned.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.xlsx``/``.xlsm`` (first sheet unless ``sheet``), ``.csv``/``.txt``/``.tsv``
        (delimiter, decimal comma and encoding detected) or ``.parquet``.
    sheet : str or int, optional
        Spreadsheet sheet name or 0-based position; ignored for other formats.

    Returns
    -------
    pandas.DataFrame
        One row per line of the file; a datetime index found in a parquet file becomes a
        column so timestamps are always looked for among the columns.

    Raises
    ------
    InputError
        The file is missing, unreadable, empty, or its extension is not supported.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"The data file {str(path)!r} does not exist or is not a file.")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise InputError(
            f"The data file {str(path)!r} has an unsupported extension {suffix or '(none)'!r};"
            f" use one of {supported}."
        )
    try:
        if suffix in CSV_SUFFIXES:
            frame = _read_csv(path)
        elif suffix in EXCEL_SUFFIXES:
            frame = _read_excel(path, sheet)
        else:
            frame = pd.read_parquet(path)
    except InputError:
        raise
    except _read_errors() as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"The data file {str(path)!r} could not be read: {reason}.") from error
    if isinstance(frame.index, pd.DatetimeIndex):
        frame = frame.reset_index(names=frame.index.name or "timestamp")
    if frame.empty:
        raise InputError(f"The data file {str(path)!r} contains no data rows.")
    frame.columns = [str(name).strip() for name in frame.columns]
    return frame


def _read_errors() -> tuple[type[Exception], ...]:
    """Exceptions the readers raise for a damaged or foreign file (not for our own bugs)."""
    errors: tuple[type[Exception], ...] = (
        OSError,
        ValueError,
        KeyError,
        ImportError,
        zipfile.BadZipFile,
    )
    if importlib.util.find_spec("python_calamine"):
        from python_calamine import CalamineError

        errors += (CalamineError,)
    return errors


def excel_engine() -> str:
    """``"calamine"`` (much faster) when python-calamine is installed, else ``"openpyxl"``."""
    return "calamine" if importlib.util.find_spec("python_calamine") else "openpyxl"


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    engine = excel_engine()
    if sheet is not None:
        names = pd.ExcelFile(path, engine=engine).sheet_names
        if isinstance(sheet, str) and sheet not in names:
            listed = ", ".join(repr(name) for name in names)
            raise InputError(
                f"The sheet {sheet!r} does not exist in {str(path)!r}; its sheets are: {listed}."
            )
        if isinstance(sheet, int) and not 0 <= sheet < len(names):
            raise InputError(
                f"The sheet number {sheet} does not exist in {str(path)!r},"
                f" which has {len(names)} sheet(s)."
            )
    return pd.read_excel(path, sheet_name=0 if sheet is None else sheet, engine=engine)


def detect_encoding(raw: bytes) -> str:
    """Encoding of a text file: UTF-8 (with or without BOM), else Windows-1252, else Latin-1.

    Windows-1252 is what French Excel/SCADA exports call "ANSI"; Latin-1 only differs where
    1252 leaves bytes undefined, so it is the fallback that can always decode.

    Parameters
    ----------
    raw : bytes
        The file's first bytes.

    Returns
    -------
    str
        A Python codec name.
    """
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1" if any(byte in raw for byte in _UNDEFINED_IN_CP1252) else "cp1252"
    return "utf-8-sig"


def sniff_csv(lines: list[str]) -> tuple[str, int, str]:
    """Guess delimiter, header line and decimal mark from the first lines of a CSV file.

    Parameters
    ----------
    lines : list of str
        The first lines of the file.

    Returns
    -------
    (delimiter, header_line, decimal) : tuple of str, int and str
        ``header_line`` is the 0-based index of the header, skipping a preamble of lines
        with fewer fields (some SCADA exports start with a title or an export date).
    """
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise ValueError("the file is empty")
    best: tuple[int, int, str] | None = None
    for delimiter in _DELIMITERS:
        counts = [_field_count(line, delimiter) for line in lines]
        modal, frequency = Counter(counts).most_common(1)[0]
        if modal > 1 and (best is None or (frequency, modal) > best[:2]):
            best = (frequency, modal, delimiter)
    if best is None:
        return ",", 0, "."
    _, modal, delimiter = best
    header = next(i for i, line in enumerate(lines) if _field_count(line, delimiter) == modal)
    decimal = "."
    if delimiter != ",":
        body = [
            field
            for line in lines[header + 1 :]
            for field in next(csv.reader([line], delimiter=delimiter))
        ]
        if any(_DECIMAL_COMMA_FIELD.match(field) for field in body):
            decimal = ","
    return delimiter, header, decimal


def _field_count(line: str, delimiter: str) -> int:
    return len(next(csv.reader([line], delimiter=delimiter)))


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    encoding = detect_encoding(raw)
    # Decode only the head for sniffing: pandas decodes the whole file much faster itself.
    head = raw[:_SNIFF_BYTES].decode(encoding, errors="ignore").splitlines()[:_SNIFF_LINES]
    delimiter, header, decimal = sniff_csv(head)
    # Blank lines are skipped by the sniffer too, so count the header position on the raw text.
    skip = _raw_line_index(head, header)
    frame = pd.read_csv(
        path,
        sep=delimiter,
        decimal=decimal,
        skiprows=skip,
        skipinitialspace=True,
        encoding=encoding,
    )
    # 1-based file line of the first data row, so that a bad row can be named by its line.
    frame.attrs["first_data_line"] = skip + 2
    return frame


def _raw_line_index(lines: list[str], non_blank_index: int) -> int:
    seen = -1
    for position, line in enumerate(lines):
        if line.strip():
            seen += 1
            if seen == non_blank_index:
                return position
    return 0
