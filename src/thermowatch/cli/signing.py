"""``thermowatch model sign DIR``: sign an artifact so a served ``--model DIR`` accepts it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def model_sign(
    directory: Annotated[Path, typer.Argument(help="Model artifact directory to sign.")],
    key_file: Annotated[
        Path | None,
        typer.Option(help="File holding the signing key (default: $THERMOWATCH_MODEL_KEY)."),
    ] = None,
) -> None:
    """Verify the artifact's SHA-256 sums, then write its HMAC-SHA256 SIGNATURE."""
    from thermowatch.errors import InputError
    from thermowatch.learn.artifact import verify_model
    from thermowatch.learn.signing import sign_artifact
    from thermowatch.settings import environment

    if key_file is not None:
        if not key_file.is_file():
            raise InputError(f"the key file {key_file} does not exist.")
        key = key_file.read_bytes().strip()
    else:
        key = (environment().model_key or "").encode()
    if not key:
        raise InputError("no signing key: give --key-file or set THERMOWATCH_MODEL_KEY.")
    if directory.resolve() in key_file.resolve().parents if key_file else False:
        raise InputError("keep the key file outside the model directory.")
    verify_model(directory)
    typer.echo(str(sign_artifact(directory, key)))
