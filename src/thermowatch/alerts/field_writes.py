"""Actions that reach the field: write an OPC UA node or a Modbus holding register.

Both hooks write the action's bounded ``value`` (refused when outside ``[min, max]``) with the
same client code the monitor reads with, then read the value back from the server: the run's
audit detail says what the plant holds now, not what we hoped to write. They are only ever
called by :func:`thermowatch.alerts.action_runner.run_approved`, which runs nothing in phases 1-2.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING

from thermowatch.alerts.config import ActionConfig
from thermowatch.errors import InputError
from thermowatch.settings import secret

if TYPE_CHECKING:
    from thermowatch.store.alerts import Alert

#: Seconds a field write (connect, write, read back) may take before it counts as failed.
WRITE_TIMEOUT_S = 15.0


def _checked(action: ActionConfig, back: float) -> str:
    """The run's detail; a read-back that differs from the value written is a failure."""
    value = float(action.value)  # type: ignore[arg-type]
    if not math.isclose(back, value, rel_tol=1e-6, abs_tol=1e-3):
        raise RuntimeError(f"wrote {value:g} but the server holds {back:g}")
    return f"wrote {value:g}, read back {back:g}"


class OpcUaWriteHook:
    """Write ``value`` to the action's ``node`` at ``endpoint`` (with its security, if any)."""

    def run(self, action: ActionConfig, alert: Alert) -> str:
        from thermowatch.ingest.config import SourceConfig
        from thermowatch.ingest.sources.opcua import write_node

        o = action.options
        value = action.check_value(float(action.value))  # type: ignore[arg-type]
        env = o.get("password_env")
        password = secret(env) if env else None
        if env and password is None:
            raise InputError(f"action {action.name}: environment variable {env!r} is not set")
        source = SourceConfig(
            protocol="opcua", endpoint=o["endpoint"], security_policy=o.get("security_policy"),
            security_mode=o.get("security_mode", "SignAndEncrypt"),
            certificate=o.get("certificate"), private_key=o.get("private_key"),
            server_certificate=o.get("server_certificate"), username=o.get("username"),
            password=password,
        )  # fmt: skip
        back = asyncio.run(asyncio.wait_for(write_node(source, o["node"], value), WRITE_TIMEOUT_S))
        return f"{o['node']}: " + _checked(action, back)


class ModbusWriteHook:
    """Write ``value`` to the action's holding register(s) at ``host:port``, unit ``unit_id``."""

    def run(self, action: ActionConfig, alert: Alert) -> str:
        from thermowatch.ingest.sources.modbus import write_register

        o = action.options
        value = action.check_value(float(action.value))  # type: ignore[arg-type]
        reg = o["register"]
        write = write_register(o["host"], int(o.get("port", 502)), int(o.get("unit_id", 1)),
                               reg, value)  # fmt: skip
        back = asyncio.run(asyncio.wait_for(write, WRITE_TIMEOUT_S))
        return f"register {reg.address}: " + _checked(action, back)
