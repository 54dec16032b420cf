"""Normalising column names so French and English spellings compare equal."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9%]+")


def strip_accents(text: str) -> str:
    """Return ``text`` without diacritics (``"température"`` -> ``"temperature"``).

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalize_name(text: str) -> str:
    """Lower-case, accent-free, words separated by single spaces.

    ``"Température_Huile (°C)"`` -> ``"temperature huile c"``; used for every case- and
    accent-insensitive comparison of column names, so the rule lives in one place.

    Parameters
    ----------
    text : str
        A name.

    Returns
    -------
    str
    """
    return _NON_ALNUM.sub(" ", strip_accents(str(text)).casefold()).strip()
