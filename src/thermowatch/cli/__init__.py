"""The ``thermowatch`` command line.

Each area contributes a module in this package; this file only assembles them and owns the
error policy: bad input -> one line on stderr and exit code 2; internal error -> exit code 1.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from thermowatch.cli import alerts as _alerts
from thermowatch.cli import apikey as _apikey
from thermowatch.cli import db as _db
from thermowatch.cli import doctor as _doctor
from thermowatch.cli import forecast as _forecast
from thermowatch.cli import jobs as _jobs
from thermowatch.cli import model as _model
from thermowatch.cli import model_lifecycle as _model_lifecycle
from thermowatch.cli import monitor as _monitor
from thermowatch.cli import phase as _phase
from thermowatch.cli import sample as _sample
from thermowatch.cli import serve as _serve
from thermowatch.cli import signing as _signing
from thermowatch.cli import thermal as _thermal
from thermowatch.cli import train as _train
from thermowatch.cli import user as _user
from thermowatch.cli.examples import add_examples

app = typer.Typer(
    name="thermowatch",
    help="Predict and watch the temperature of oil-immersed power transformers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts are plain text: "[service]" or "[required]" must show, not vanish as markup.
    rich_markup_mode=None,
    # Summaries as wide as the terminal allows (click's default stops at 80 columns).
    context_settings={"max_content_width": 160},
)
app.command("train")(_train.train)
app.command("forecast")(_forecast.forecast)
app.command("thermal")(_thermal.thermal)
app.command("sample")(_sample.sample)
_model.app.command("sign")(_signing.model_sign)
for _name, _command in _model_lifecycle.COMMANDS.items():
    _model.app.command(_name)(_command)
app.add_typer(_model.app, name="model")
app.add_typer(_db.app, name="db")
app.add_typer(_alerts.app, name="alerts")
app.command("monitor")(_monitor.monitor)
app.command("simulate-scada")(_monitor.simulate_scada)
app.command("status")(_db.status)
app.command("serve")(_serve.serve)
app.add_typer(_apikey.app, name="apikey")
app.add_typer(_jobs.app, name="jobs")
app.command("scheduler")(_jobs.scheduler)
app.command("worker")(_jobs.worker)
app.command("doctor")(_doctor.doctor)
app.add_typer(_phase.app, name="phase")
app.add_typer(_user.app, name="user")
add_examples(app)


def _version(value: bool) -> None:
    if value:
        import thermowatch

        typer.echo(f"thermowatch {thermowatch.__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show library logs (migrations, HTTP...).")
    ] = False,
) -> None:
    """Predict and watch the temperature of oil-immersed power transformers.

    First hour: see the README ("The first hour"), or run `thermowatch train` on the bundled
    sample.
    """
    quiet_start(verbose)


def quiet_start(verbose: bool) -> None:
    """Library loggers (Alembic, uvicorn's access log, asyncua, httpx) at WARNING unless
    --verbose: a start is one or two lines, not a page of migration steps."""
    import logging

    level = logging.DEBUG if verbose else logging.WARNING
    for name in ("alembic", "asyncua", "httpx", "urllib3", "sqlalchemy", "matplotlib", "numba"):
        logging.getLogger(name).setLevel(level)


def main() -> None:
    """Entry point of the ``thermowatch`` console script."""
    from thermowatch.cli._errors import run_with_error_policy

    sys.exit(run_with_error_policy(app))
