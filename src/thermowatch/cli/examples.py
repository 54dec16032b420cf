"""One example per command, shown at the end of its ``--help`` (kept here, in one place, so that
every command gets one and a test can check that none is missing)."""

from __future__ import annotations

import typer

EXAMPLES: dict[str, str] = {
    "train": "thermowatch train DATASET_TRANSFO.xlsx --transformer TR-0001 --lang en",
    "thermal": "thermowatch thermal DATASET_TRANSFO.xlsx --out thermal.csv",
    "sample": "thermowatch sample --out DATASET_TRANSFO.xlsx --days 90",
    "model register": "thermowatch model register resultats/model/<id> --transformer TR-0001",
    "model verify": "thermowatch model verify resultats/model/<id>",
    "db upgrade": "thermowatch db upgrade --database-url postgresql+psycopg://tw@db/thermowatch",
    "db backup": "thermowatch db backup thermowatch-2026-06-01.bak",
    "db restore": "thermowatch db restore thermowatch-2026-06-01.bak --yes",
    "db import": "thermowatch db import DATASET_TRANSFO.xlsx --transformer TR-0001",
    "db retention": "thermowatch db retention --raw-days 90",
    "status": "thermowatch status --json",
    "serve": "thermowatch serve --port 8000   (then open http://127.0.0.1:8000/docs)",
    "apikey create": "thermowatch apikey create --role reader --name scada-gateway",
    "apikey list": "thermowatch apikey list",
    "apikey revoke": "thermowatch apikey revoke 3f9a1c2b7d4e",
    "monitor": "thermowatch monitor --config monitor.toml --alerts-config examples/alerts.toml",
    "simulate-scada": (
        "thermowatch simulate-scada --protocol opcua --transformers 1 --write-config monitor.toml"
    ),
    "alerts list": "thermowatch alerts list -t TR-0001 --all",
    "alerts ack": "thermowatch alerts ack 12",
    "alerts shelve": (
        "thermowatch alerts shelve 12 --by alice --minutes 60 --reason 'capteur en maintenance'"
    ),
    "alerts unshelve": "thermowatch alerts unshelve 12 --by alice",
    "alerts test-channel": "thermowatch alerts test-channel email --to astreinte@example.org",
    "alerts deliver": "thermowatch alerts deliver --loop",
    "alerts actions": "thermowatch alerts actions",
    "alerts approve": "thermowatch alerts approve 4",
    "alerts reject": "thermowatch alerts reject 4",
    "forecast": (
        "thermowatch forecast recent.csv --model resultats/model/<id> --horizon 24h --out f.csv"
    ),
    "model sign": "thermowatch model sign resultats/model/<id> --key-file /etc/thermowatch/model.key",
    "model list": "thermowatch model list -t TR-0001",
    "model show": "thermowatch model show 20261130T101500Z-1a2b3c4d",
    "model promote": "thermowatch model promote 20261130T101500Z-1a2b3c4d --by alice",
    "model rollback": "thermowatch model rollback -t TR-0001 --by alice",
    "model retrain": "thermowatch model retrain -t TR-0001",
    "model compare": "thermowatch model compare 20261130T101500Z-1a2b3c4d --days 7",
    "model shadow": "thermowatch model shadow 20261130T101500Z-1a2b3c4d --days 14 --by alice",
    "model ab": "thermowatch model ab summer-2026 -m 20261130T101500Z-1a2b3c4d -m 20261130T101600Z-5e6f7a8b --fraction 0.5 --days 14 --by alice",
    "model approve": "thermowatch model approve 20261130T101500Z-1a2b3c4d --by alice",
    "model reject": 'thermowatch model reject 20261130T101500Z-1a2b3c4d --by alice --reason "peak week"',
    "db verify-backup": "thermowatch db verify-backup /var/backups/thermowatch/2026-06-01T0300Z",
    "jobs run": "thermowatch jobs run --at 2026-11-30T06:00:00",
    "jobs status": "thermowatch jobs status --json",
    "scheduler": "thermowatch scheduler --celery --interval 30",
    "worker": "THERMOWATCH_BROKER_URL=redis://127.0.0.1:6379/0 thermowatch worker -c 2",
    "doctor": "thermowatch doctor",
    "phase status": "thermowatch phase status",
    "phase set": "thermowatch phase set 2 --by alice",
    "phase judge": "thermowatch phase judge 12 --real --by alice",
    "user create": "thermowatch user create alice --role operator",
    "user list": "thermowatch user list",
    "user disable": "thermowatch user disable alice",
}


def _name(info) -> str:
    return info.name or info.callback.__name__.rstrip("_").replace("_", "-")


def add_examples(app: typer.Typer, prefix: str = "") -> list[str]:
    """Set each command's epilog to its example; returns the commands that have none."""
    missing = []
    for info in app.registered_commands:
        name = f"{prefix}{_name(info)}"
        if name in EXAMPLES:
            info.epilog = f"Example: {EXAMPLES[name]}"
        else:
            missing.append(name)
    for group in app.registered_groups:
        missing += add_examples(group.typer_instance, f"{prefix}{group.name} ")
    return missing
