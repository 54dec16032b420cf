"""The ``thermowatch`` command line.

Each area contributes a module in this package; this file only assembles them and owns the
error policy: bad input -> one line on stderr and exit code 2; internal error -> exit code 1.
"""

from __future__ import annotations

import sys

import typer

app = typer.Typer(
    name="thermowatch",
    help="Predict and watch the temperature of oil-immersed power transformers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Entry point of the ``thermowatch`` console script."""
    from thermowatch.cli._errors import run_with_error_policy

    sys.exit(run_with_error_policy(app))
