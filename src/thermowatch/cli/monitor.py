"""``thermowatch monitor`` (the live monitoring daemon) and ``thermowatch simulate-scada``.

Imports of asyncua, pymodbus, aiomqtt and the store happen inside the commands so that
``thermowatch --help`` stays fast.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

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
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="The settings file: [monitor], [[transformers]], [store], [alerts] "
            "(default: $THERMOWATCH_CONFIG, else ./thermowatch.toml; see examples/).",
            show_default=False,
        ),
    ] = None,
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
    lease: Annotated[
        str | None,
        typer.Option(
            "--lease",
            envvar="THERMOWATCH_MONITOR_LEASE",
            help="Run as one of several monitors: only the holder of this leader lease "
            "collects, the others stand by and take over when it dies.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Collect readings from SCADA, predict, store and evaluate alerts every period.

    Runs until SIGTERM or Ctrl-C, which flush the queued readings and exit cleanly.
    """
    from thermowatch.alerts.config import alerts_settings
    from thermowatch.ingest.config import monitor_settings
    from thermowatch.ingest.monitor import run_monitor
    from thermowatch.jobs.trials import predict_in_shadow
    from thermowatch.settings import read_settings, settings_path

    _logging(log_level)
    if settings_path(config) is None:
        raise InputError("settings file 'thermowatch.toml' does not exist (give --config).")
    file = read_settings(config)  # read once; each section goes to its owner
    cfg = monitor_settings(file, database_url)
    alerts = alerts_settings(file, alerts_config)
    _migrate(cfg.database_url)
    hook = alert_hook(cfg.database_url, alerts)
    asyncio.run(run_monitor(cfg, on_prediction=hook, lease_name=lease, shadow=predict_in_shadow))


def alert_hook(url: str | None, alerts_config: Any):
    """The one alert hook (:func:`thermowatch.alerts.hook.alert_hook`) for the monitor; the
    worse level only while the store is down at start.

    A bad alerting config is refused before anything starts (InputError, exit 2).
    """
    from thermowatch.alerts.config import AlertsConfig
    from thermowatch.alerts.config import load_config as load_alerts
    from thermowatch.alerts.hook import alert_hook as make_hook
    from thermowatch.ingest.monitor import no_alerts
    from thermowatch.store.engine import make_engine

    settings = (
        alerts_config if isinstance(alerts_config, AlertsConfig) else load_alerts(alerts_config)
    )
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
    protocol: Annotated[str, typer.Option(help="opcua, modbus, mqtt or iec104.")] = "opcua",
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
        typer.Option(
            help="Port (default: opcua 4840, modbus 5020, mqtt broker 1883, iec104 2404)."
        ),
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
    start: Annotated[
        datetime | None,
        typer.Option(help="Simulated clock start (UTC; default now): fixes the daily cycle."),
    ] = None,
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
    if speed > 1 and protocol == "modbus":
        logging.getLogger("thermowatch.ingest").warning(
            "Modbus carries no timestamps: the monitor stamps each reading when it reads it, so "
            "at --speed %g the physics looks %g times faster than it is; use opcua or mqtt, "
            "which carry the simulated time", speed, speed,
        )  # fmt: skip
    if write_config is not None:
        write_config.write_text(
            # spool_dir=None: the spool goes to the data directory, not next to the config.
            sim_config(
                protocol,
                transformers,
                host=host,
                port=port,
                period_s=period,
                speed=speed,
                spool_dir=None,
            ),
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
            start=start.replace(tzinfo=start.tzinfo or UTC) if start else None,
        )  # fmt: skip

    asyncio.run(main())
