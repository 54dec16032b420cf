"""The protocol registry: protocol name -> the hub class that reads it.

Adding a protocol is one module under :mod:`thermowatch.ingest.sources` (a
:class:`~thermowatch.ingest.sources.base.Hub` subclass) plus one line here. The config loader
refuses any other name, listing these; the client libraries are imported only when a hub of
that protocol is made.
"""

from __future__ import annotations

import importlib
from typing import Any

HUBS: dict[str, str] = {
    "opcua": "thermowatch.ingest.sources.opcua:OpcUaHub",
    "modbus": "thermowatch.ingest.sources.modbus:ModbusHub",
    "mqtt": "thermowatch.ingest.sources.mqtt:MqttHub",
    "iec104": "thermowatch.ingest.sources.iec104:Iec104Hub",
    "replay": "thermowatch.ingest.sources.replay:ReplayHub",
}
PROTOCOLS: tuple[str, ...] = tuple(HUBS)


def hub_class(protocol: str) -> Any:
    """The hub class of a registered protocol (``KeyError`` for an unknown one: the config
    loader has refused it before)."""
    module, _, name = HUBS[protocol].partition(":")
    return getattr(importlib.import_module(module), name)
