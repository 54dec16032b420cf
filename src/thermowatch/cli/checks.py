"""Option checks that run before any work: a conflict is refused in milliseconds, not after
training. Import-light on purpose (no pandas, no scikit-learn)."""

from __future__ import annotations

from pathlib import Path

from thermowatch.errors import InputError

LANGUAGES = ("fr", "en")


def check_lang(lang: str) -> None:
    """Refuse a report language other than fr or en."""
    if lang not in LANGUAGES:
        raise InputError(f"--lang must be fr or en, got {lang!r}.")


def check_train_options(
    data: Path | None, lang: str, alerte_c: float | None, critique_c: float | None
) -> None:
    """Everything ``train`` can refuse without reading the data (``InputError``)."""
    from thermowatch.learn.thresholds import check_pair

    check_lang(lang)
    check_pair(alerte_c, critique_c)
    if data is not None and not data.is_file():
        raise InputError(f"The data file {str(data)!r} does not exist or is not a file.")
