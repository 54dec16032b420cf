"""Prometheus metrics and the ASGI middleware that times every request.

With several workers (gunicorn), set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory: each
worker then writes its samples there and ``/metrics`` sums them (prometheus-client multiprocess
mode; the service learns the directory from its settings, ``Settings.metrics_dir``). Without
it, each process reports its own.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

REQUESTS = Counter(
    "thermowatch_http_requests_total", "HTTP requests by route and status", ["route", "status"]
)
LATENCY = Histogram(
    "thermowatch_http_request_seconds",
    "HTTP request latency by route [s]",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0),
)
PREDICTIONS = Counter("thermowatch_predictions_total", "Predictions by alert level", ["level"])
MODEL_INFO = Gauge(
    "thermowatch_model_loaded",
    "1 for each model currently served",
    ["transformer", "model_id"],
    multiprocess_mode="liveall",
)
MODEL_REFUSED = Counter(
    "thermowatch_model_reload_refused_total", "Model artifacts refused (verification failed)"
)
MODEL_RELOADS = Counter("thermowatch_model_reloads_total", "Models (re)loaded after verification")
DB_ERRORS = Counter("thermowatch_db_errors_total", "Database errors by operation", ["operation"])
AUTH_FAILURES = Counter(
    "thermowatch_auth_failures_total", "Rejected credentials by reason", ["reason"]
)
AUDIT_DROPPED = Counter("thermowatch_audit_write_errors_total", "Audit flushes that failed")
AUDIT_SPOOLED = Counter(
    "thermowatch_audit_spooled_total", "Audit rows written to the spool while the database refused"
)
DB_DOWN = Gauge(
    "thermowatch_database_down",
    "1 while the database refuses writes (503 answered), else 0",
    multiprocess_mode="max",
)
REFUSED = Counter(
    "thermowatch_refused_requests_total",
    "Requests answered 401/403/413/429/5xx, by status (audited per source and minute)",
    ["status"],
)


def render(multiproc_dir: str | None = None) -> tuple[bytes, str]:
    """The exposition text of every metric: all workers' when ``multiproc_dir`` (the
    settings' ``metrics_dir``) is given, else this process's."""
    if multiproc_dir:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=multiproc_dir)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware): count and time each request.

    The route label is the path template (``/v1/transformers/{transformer_id}``), never the
    raw path, so label cardinality stays bounded.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            _latency(label).observe(time.perf_counter() - start)
            _requests(label, status[0]).inc()


# prometheus_client's labels() validates and locks on every call (~5 µs); the label sets are
# few and bounded (route templates, statuses, levels), so each labelled child is looked up once.
@functools.cache
def _latency(route: str) -> Any:
    return LATENCY.labels(route)


@functools.cache
def _requests(route: str, status: int) -> Any:
    return REQUESTS.labels(route, str(status))


@functools.cache
def predictions_for(level: str) -> Any:
    """The ``thermowatch_predictions_total`` counter of one alert level."""
    return PREDICTIONS.labels(level)
