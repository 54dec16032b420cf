"""Property-based: requests generated from /openapi.json never get a 5xx (schemathesis)."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.integration.service.conftest import make_settings  # noqa: E402
from thermowatch.app import create_app  # noqa: E402

SCHEMA = schemathesis.openapi.from_dict(create_app(make_settings()).openapi())


@pytest.mark.parametrize(
    "operation", [op.ok() for op in SCHEMA.get_all_operations()], ids=lambda op: op.label
)
@pytest.mark.parametrize("credentials", ["admin", "none"])
def test_no_5xx(client, keys, operation, credentials):
    headers = {"X-API-Key": keys["admin"]} if credentials == "admin" else {}

    @settings(
        max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(case=operation.as_strategy())
    def check(case):
        kwargs = case.as_transport_kwargs(base_url="http://testserver")
        kwargs.pop("url", None)
        kwargs["headers"] = {
            k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "x-api-key"
        } | headers
        response = client.request(
            case.method,
            case.formatted_path,
            **{
                k: v
                for k, v in kwargs.items()
                if k in ("headers", "params", "json", "data", "content", "files", "cookies")
            },
        )
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}"
        )
        if response.status_code >= 400:
            assert "erreur" in response.json()

    check()
