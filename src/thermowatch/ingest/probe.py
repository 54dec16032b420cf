"""One look at the configured OPC UA and Modbus sources, for ``thermowatch doctor``: what the
monitor would report at start (unknown nodes or namespaces, registers a unit refuses, a refusal
of our credentials or certificates), per transformer and variable, without storing anything."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from thermowatch.ingest.config import MonitorConfig
from thermowatch.ingest.sources import Hub, make_hub

PROBED = ("opcua", "modbus")


async def probe_sources(config: MonitorConfig, timeout_s: float = 10.0) -> list[str]:
    """One sentence per problem found on the reachable sources (empty: none)."""
    hubs: dict[tuple[object, ...], Hub] = {}
    for t in config.transformers:
        if t.source.protocol in PROBED:
            hubs.setdefault(t.source.connection_key, make_hub(t.source)).add(t)
    problems = await asyncio.gather(*(_probe(h, timeout_s) for h in hubs.values()))
    return [p for found in problems for p in found]


async def _probe(hub: Hub, timeout_s: float) -> list[str]:
    await hub.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not hub.connected.is_set() and hub.refusal is None:
            if asyncio.get_running_loop().time() > deadline:
                return [f"{hub.label}: no session within {timeout_s:g} s"]
            await asyncio.sleep(0.1)
        if hub.refusal is not None:
            return [f"{hub.label}: refused: {hub.refusal}"]
        with contextlib.suppress(Exception):  # a read failure is the monitor's to report
            await asyncio.wait_for(
                hub.collect(list(hub.transformers), datetime.now(UTC)), timeout_s
            )
        return [f"{tid} / {var}: {msg}" for (tid, var), msg in sorted(hub.problems.items())]
    finally:
        await hub.close()
