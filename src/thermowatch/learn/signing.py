"""Artifact integrity that a file editor cannot forge: an HMAC-SHA256 signature.

``SHA256SUMS`` catches corruption, not tampering: whoever can edit ``model.json`` can recompute
the sums. The signature is an HMAC-SHA256 of the ``SHA256SUMS`` file (which covers every file of
the artifact) under a secret key kept *outside* the model directory (``THERMOWATCH_MODEL_KEY``
or a key file readable only by the service): editing a file then needs the key as well.

The artifact's files must also be plain files inside its directory: a ``model.json`` that is a
symbolic link (to a file the attacker controls, anywhere) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from pathlib import Path

from thermowatch.errors import InputError

SIGNATURE = "SIGNATURE"
SUMS = "SHA256SUMS"
_SCHEME = "hmac-sha256"


def check_confined(directory: str | Path, names: Iterable[str]) -> None:
    """Each of ``names`` must be a regular file directly inside ``directory`` (no symlink).

    Raises
    ------
    InputError
        Naming the first file that is a symbolic link or resolves outside the directory.

    Parameters
    ----------
    directory : str or pathlib.Path
        An artifact directory.
    names : iterable of str
        File names listed in it.
    """
    directory = Path(directory)
    root = directory.resolve()
    for name in names:
        path = directory / name
        if path.is_symlink():
            raise InputError(
                f"{directory}: {name} is a symbolic link; artifact files must be plain files."
            )
        if path.exists() and path.resolve().parent != root:
            raise InputError(f"{directory}: {name} lies outside the model directory.")


def signature(directory: str | Path, key: bytes) -> str:
    """Hex HMAC-SHA256 of the artifact's ``SHA256SUMS`` under ``key``.

    Parameters
    ----------
    directory : str or pathlib.Path
        An artifact directory.
    key : bytes
        The signing key.

    Returns
    -------
    str
    """
    return hmac.new(key, (Path(directory) / SUMS).read_bytes(), hashlib.sha256).hexdigest()


def sign_artifact(directory: str | Path, key: bytes) -> Path:
    """Write ``SIGNATURE`` into the artifact (after :func:`save_model` wrote ``SHA256SUMS``).

    Parameters
    ----------
    directory : str or pathlib.Path
        An artifact directory.
    key : bytes
        The signing key.

    Returns
    -------
    pathlib.Path
        The ``SIGNATURE`` file.
    """
    if not key:
        raise InputError("the model-signing key is empty.")
    directory = Path(directory)
    check_confined(directory, (SUMS, SIGNATURE))
    path = directory / SIGNATURE
    path.write_text(f"{_SCHEME} {signature(directory, key)}\n")
    return path


def verify_signature(directory: str | Path, key: bytes) -> None:
    """Refuse an artifact whose ``SIGNATURE`` is missing or was not made with ``key``.

    Call it after :func:`thermowatch.learn.artifact.verify_model` (which checks the files against
    ``SHA256SUMS``): together they prove every file is as the key holder signed it.

    Raises
    ------
    InputError
        When the signature is missing, malformed or does not match.

    Parameters
    ----------
    directory : str or pathlib.Path
        An artifact directory.
    key : bytes
        The signing key.
    """
    directory = Path(directory)
    check_confined(directory, (SUMS, SIGNATURE))
    path = directory / SIGNATURE
    if not path.exists():
        raise InputError(f"{directory}: the artifact is not signed ({SIGNATURE} is missing).")
    scheme, _, value = path.read_text().strip().partition(" ")
    if scheme != _SCHEME or not value:
        raise InputError(f"{directory}: {SIGNATURE} is not an {_SCHEME} signature.")
    if not hmac.compare_digest(value.strip(), signature(directory, key)):
        raise InputError(
            f"{directory}: the signature does not match: the artifact was changed after it was "
            "signed, or signed with another key."
        )
