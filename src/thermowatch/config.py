"""Reading configuration files: the one place that turns a TOML file into a mapping.

Each area validates its own table (``[alerts]``, the monitor's transformers, a transformer
spec); this module only makes sure that a missing or malformed file is one clear sentence.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from thermowatch.errors import InputError


def read_toml(path: str | os.PathLike[str], what: str = "config file") -> dict[str, Any]:
    """The TOML document at ``path``; InputError naming ``what`` and the file otherwise."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{what} {str(file)!r} does not exist.")
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{what} {str(file)!r} is not valid TOML: {exc}.") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} {str(file)!r} is not UTF-8 text.") from None
