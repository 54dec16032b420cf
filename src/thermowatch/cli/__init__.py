"""The ``thermowatch`` command line.

Each area contributes a module in this package; this file only assembles them and owns the
error policy: bad input -> one line on stderr and exit code 2; internal error -> exit code 1.
"""

from __future__ import annotations

import sys

import typer

from thermowatch.cli import alerts as _alerts
from thermowatch.cli import apikey as _apikey
from thermowatch.cli import db as _db
from thermowatch.cli import jobs as _jobs
from thermowatch.cli import model_lifecycle as _model_lifecycle
from thermowatch.cli import monitor as _monitor
from thermowatch.cli import sample as _sample
from thermowatch.cli import serve as _serve
from thermowatch.cli import thermal as _thermal
from thermowatch.cli import train as _train

app = typer.Typer(
    name="thermowatch",
    help="Predict and watch the temperature of oil-immersed power transformers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("train")(_train.train)
app.command("thermal")(_thermal.thermal)
app.command("sample")(_sample.sample)
model_app = typer.Typer(help="Model artifacts.", no_args_is_help=True)
model_app.command("verify")(_train.model_verify)
for _name, _command in _model_lifecycle.COMMANDS.items():
    model_app.command(_name)(_command)
app.add_typer(model_app, name="model")
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


def main() -> None:
    """Entry point of the ``thermowatch`` console script."""
    from thermowatch.cli._errors import run_with_error_policy

    sys.exit(run_with_error_policy(app))
