"""``thermowatch monitor`` (the live monitoring daemon) and ``thermowatch simulate-scada``.

Imports of asyncua, pymodbus, aiomqtt and the store happen inside the commands so that
``thermowatch --help`` stays fast.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer

from thermowatch.errors import InputError


def _logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # asyncua logs every session detail at INFO: keep it to warnings.
    logging.getLogger("asyncua").setLevel(max(logging.WARNING, logging.root.level))


def monitor(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="TOML config (see examples/*.toml).")
    ] = Path("thermowatch.toml"),
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="THERMOWATCH_DATABASE_URL",
            help="Store URL; overrides the config's monitor.database_url.",
            show_default=False,
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    alerts_config: Annotated[
        Path | None,
        typer.Option(
            "--alerts-config",
            envvar="THERMOWATCH_ALERTS_CONFIG",
            help="Alerting TOML (see examples/alerts.toml); default: phase 1, nothing sent.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Collect readings from SCADA, predict, store and evaluate alerts every period.

    Runs until SIGTERM or Ctrl-C, which flush the queued readings and exit cleanly.
    """
    import dataclasses

    from thermowatch.ingest.config import load_config
    from thermowatch.ingest.monitor import run_monitor

    _logging(log_level)
    cfg = load_config(config)
    if database_url:
        cfg = dataclasses.replace(cfg, database_url=database_url)
    _migrate(cfg.database_url)
    asyncio.run(run_monitor(cfg, on_prediction=alert_hook(cfg.database_url, alerts_config)))


def alert_hook(url: str | None, alerts_config: Path | None):
    """The one alert hook (:func:`thermowatch.alerts.hook.alert_hook`) for the monitor; the
    worse level only while the store is down at start.

    A bad alerting config is refused before anything starts (InputError, exit 2).
    """
    from thermowatch.alerts.config import load_config as load_alerts
    from thermowatch.alerts.hook import alert_hook as make_hook
    from thermowatch.ingest.monitor import no_alerts
    from thermowatch.store.engine import make_engine

    settings = load_alerts(alerts_config)
    try:
        return make_hook(make_engine(url), settings, actor="monitor")
    except InputError:
        raise
    except Exception as exc:  # the store is down at start: collection goes on, spooled
        logging.getLogger("thermowatch.ingest").warning(
            "alerting disabled until restart, the store is not reachable: %s", exc
        )
        return no_alerts


def _migrate(url: str | None) -> None:
    """Bring the schema up to date when the database is reachable (else the spool takes over)."""
    from thermowatch.store.engine import make_engine
    from thermowatch.store.migrate import upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
    except InputError:
        raise
    except Exception as exc:
        logging.getLogger("thermowatch.ingest").warning(
            "database not reachable at start (%s): readings will be spooled", exc
        )
    finally:
        engine.dispose()


def simulate_scada(
    protocol: Annotated[str, typer.Option(help="opcua, modbus or mqtt.")] = "opcua",
    transformers: Annotated[int, typer.Option(help="Number of transformers served.")] = 2,
    speed: Annotated[float, typer.Option(help="Simulated time per wall-clock time.")] = 1.0,
    scenario: Annotated[
        str,
        typer.Option(help="normal, overload, cooling-failure, sensor-freeze or link-drop."),
    ] = "normal",
    host: Annotated[str, typer.Option(help="Address to serve on (or the MQTT broker).")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int | None,
        typer.Option(help="Port (default: opcua 4840, modbus 5020, mqtt broker 1883)."),
    ] = None,
    interval: Annotated[float, typer.Option(help="Wall seconds between updates.")] = 1.0,
    fault_after: Annotated[
        float, typer.Option(help="Wall seconds before the scenario's fault starts.")
    ] = 30.0,
    write_config: Annotated[
        Path | None,
        typer.Option(help="Also write the matching monitor config to this TOML file."),
    ] = None,
    period: Annotated[float, typer.Option(help="Monitor period in the written config [s].")] = 10,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Serve a simulated SCADA field on loopback (IEC 60076-7 physics), for demos and tests."""
    from thermowatch.ingest.simulator import PROTOCOLS, SCENARIOS, run_simulator, sim_config

    if protocol not in PROTOCOLS:
        raise InputError(f"--protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    if scenario not in SCENARIOS:
        raise InputError(f"--scenario must be one of {', '.join(SCENARIOS)}, got {scenario!r}")
    if transformers < 1:
        raise InputError(f"--transformers must be at least 1, got {transformers}")
    if interval <= 0:
        raise InputError(f"--interval must be positive, got {interval}")
    _logging(log_level)
    if write_config is not None:
        write_config.write_text(
            sim_config(protocol, transformers, host=host, port=port, period_s=period),
            encoding="utf-8",
        )

    async def main() -> None:
        import signal

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_simulator(
            protocol, transformers, speed=speed, scenario=scenario, host=host, port=port,
            interval_s=interval, fault_after_s=fault_after, stop=stop,
        )  # fmt: skip

    asyncio.run(main())
