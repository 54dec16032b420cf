"""Fixtures of the live-path tests: the real Mosquitto broker of the ingest tests."""

from tests.integration.ingest.conftest import broker  # noqa: F401
