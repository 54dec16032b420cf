"""Field sources, one module per protocol; :func:`make_hub` picks it from the registry."""

from __future__ import annotations

from thermowatch.ingest.config import SourceConfig
from thermowatch.ingest.protocols import hub_class
from thermowatch.ingest.sources.base import Hub, Sample


def make_hub(config: SourceConfig) -> Hub:
    """The hub (one client connection) for a source's protocol, from the registry
    (:mod:`thermowatch.ingest.protocols`); imports the client lazily."""
    return hub_class(config.protocol)(config)


__all__ = ["Hub", "Sample", "make_hub"]
