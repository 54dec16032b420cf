"""Field sources, one module per protocol; :func:`make_hub` picks the right one."""

from __future__ import annotations

from thermowatch.ingest.config import SourceConfig
from thermowatch.ingest.sources.base import Hub, Sample


def make_hub(config: SourceConfig) -> Hub:
    """The hub (one client connection) for a source's protocol; imports the client lazily."""
    if config.protocol == "opcua":
        from thermowatch.ingest.sources.opcua import OpcUaHub

        return OpcUaHub(config)
    if config.protocol == "modbus":
        from thermowatch.ingest.sources.modbus import ModbusHub

        return ModbusHub(config)
    if config.protocol == "mqtt":
        from thermowatch.ingest.sources.mqtt import MqttHub

        return MqttHub(config)
    from thermowatch.ingest.sources.replay import ReplayHub

    return ReplayHub(config)


__all__ = ["Hub", "Sample", "make_hub"]
