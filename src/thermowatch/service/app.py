"""The FastAPI application: :func:`create_api` wires settings, store, models, auth and audit."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from thermowatch.service import errors
from thermowatch.service.audit import AuditQueue
from thermowatch.service.auth import Authenticator, Reader
from thermowatch.service.dbhealth import DatabaseHealth
from thermowatch.service.errors import FastJSON
from thermowatch.service.fastlane import PredictFastLane
from thermowatch.service.guard import Guard
from thermowatch.service.metrics import MetricsMiddleware
from thermowatch.service.predicting import HistoryCache
from thermowatch.service.serving import ModelHolder
from thermowatch.service.settings import Settings, load_settings

log = logging.getLogger("thermowatch.service")

#: The alert hook: ``on_prediction(event)`` with a :class:`thermowatch.live.PredictionEvent`.
PredictionHook = Callable[[Any], Any]


async def _watch_database(app: FastAPI) -> None:
    """While the database refuses writes, try a no-op write every second (recovery in ≤ 1 s)."""
    health: DatabaseHealth = app.state.db_health
    while True:
        await asyncio.sleep(health.probe_every_s)
        if not health.healthy and health.probe_due():
            await asyncio.to_thread(health.probe)


async def _poll_models(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    while True:
        await asyncio.sleep(settings.reload_interval_s)
        try:
            await asyncio.to_thread(app.state.models.poll)
        except Exception:  # never let the reload loop die: the current model keeps serving
            log.exception("model poll failed")


@asynccontextmanager
async def lifespan(app: FastAPI):
    from thermowatch.store.engine import make_engine

    settings: Settings = app.state.settings
    if getattr(app.state, "engine", None) is None:
        app.state.engine = make_engine(settings.database_url)
        if settings.development:  # production databases are migrated by `thermowatch db upgrade`
            # Imported here only: Alembic costs every production worker 0.2-0.3 CPU-s to start.
            from thermowatch.store.migrate import upgrade

            upgrade(app.state.engine)
    engine = app.state.engine
    app.state.db_health = DatabaseHealth(engine, settings.retry_after_s)
    app.state.audit = AuditQueue(
        engine,
        settings.audit_flush_s,
        settings.audit_batch,
        spool_dir=settings.spool_dir,
        health=app.state.db_health,
        window_s=settings.audit_window_s,
    )
    app.state.auth = Authenticator(engine, settings, app.state.audit)
    app.state.history = HistoryCache(engine, settings.history_check_s)
    app.state.models = ModelHolder(
        engine,
        settings.model_dir,
        settings.default_transformer,
        settings.signing_key(),
        settings.model_sha256,
    )
    await asyncio.to_thread(app.state.models.poll)
    if app.state.on_prediction is None:
        from thermowatch.alerts.hook import alert_hook

        # Resolved with the rest of the settings (never a second read of the settings file).
        alerts = settings.alerts if settings.alerts is not None else settings.alerts_config
        app.state.on_prediction = alert_hook(engine, alerts, actor="service")
    app.state.pipeline = _pipeline(app)
    app.state.pipeline_lock = threading.Lock()
    app.state.audit.start()
    # Move everything loaded so far (numpy, pandas, SQLAlchemy, the model) out of the cyclic
    # collector's reach: full collections then scan only request garbage, which takes the
    # 20-40 ms GC pauses out of the latency tail.
    gc.collect()
    gc.freeze()
    loop = asyncio.get_running_loop()
    tasks = [
        loop.create_task(_poll_models(app), name="model-poll"),
        loop.create_task(_watch_database(app), name="database-watch"),
    ]
    from thermowatch.alerts.deliverer import deliverer_of

    deliverer = deliverer_of(engine, app.state.on_prediction)  # the outbox is sent from here
    if deliverer is not None:
        deliverer.start()
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if deliverer is not None:
            await asyncio.to_thread(deliverer.stop)
        # Flush: nothing lost on a graceful shutdown (spooled to disk if the database is down).
        await app.state.audit.stop()
        app.state.db_health.close()


def _pipeline(app: FastAPI) -> Any:
    """The live pipeline behind ``POST /v1/readings``: the served champion, the store's
    transformer row, and ``app.state.on_prediction`` (read at each call, so it may be replaced)."""
    from thermowatch.jobs.trials import predict_in_shadow
    from thermowatch.live import LiveSettings, Pipeline
    from thermowatch.live.profiles import store_profile

    state = app.state

    def profile_of(transformer_id: str) -> Any:
        served = state.models.get(transformer_id)
        return store_profile(
            state.engine, transformer_id, predictor=served.predictor if served else None
        )

    def hook(event: Any) -> Any:
        state.history.invalidate(event.transformer_id)
        return state.on_prediction(event) if state.on_prediction is not None else None

    settings = LiveSettings(max_future_skew=timedelta(seconds=state.settings.max_future_skew_s))
    return Pipeline(
        state.engine, profile_of, hook, settings, shared_store=True, shadow=predict_in_shadow
    )


class ServiceApp(FastAPI):
    """FastAPI, with ``POST /predict`` taken before Starlette's middleware stack.

    Every request first passes the :class:`~thermowatch.service.guard.Guard` (body limits,
    audit of refusals). The fast lane (:mod:`thermowatch.service.fastlane`) then skips the
    router and the dependency solver; entering it here also skips the error and telemetry
    middlewares that wrap every other request (the lane answers errors itself): about 20 %
    more requests per second on the route SCADA clients hammer. Every other request goes
    through FastAPI unchanged.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._predict_lane = MetricsMiddleware(PredictFastLane(self._through_fastapi))
        self._guarded = Guard(self._dispatch, self.state)

    async def _through_fastapi(self, scope: dict, receive: Any, send: Any) -> None:
        await FastAPI.__call__(self, scope, receive, send)

    async def _dispatch(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/predict":
            scope["app"] = self
            await self._predict_lane(scope, receive, send)
        else:
            await FastAPI.__call__(self, scope, receive, send)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._guarded(scope, receive, send)


_ERROR_SCHEMA = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"erreur": {"type": "string"}},
                "required": ["erreur"],
            }
        }
    }
}
#: Answers any route may give (documented so that clients and schemathesis know them).
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, **_ERROR_SCHEMA}
    for status, text in (
        (400, "Malformed request (body not JSON, bad header)"),
        (401, "Credentials missing or not valid"),
        (403, "Client address not allowed, or role too low"),
        (404, "Unknown transformer, model or address"),
        (413, "Body larger than the limit"),
        (415, "Unsupported Content-Type"),
        (422, "Invalid input: the sentence names the field"),
        (429, "Too many requests (per credential, or failed ones per address)"),
        (503, "Database refusing writes or no model loaded yet (see Retry-After)"),
    )
}


def _install_docs(app: FastAPI, settings: Settings) -> None:
    """``/openapi.json`` needs a reader credential outside development (so ``allow_cidrs``
    applies to it too); ``/docs`` exists only in development (served from vendored assets)."""
    if settings.development:
        return

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(_: Reader) -> Any:
        return app.openapi()


def create_api(
    settings: Settings | None = None,
    engine: Any = None,
    on_prediction: PredictionHook | None = None,
) -> FastAPI:
    """Build the API (:func:`thermowatch.app.create_app` adds the operator pages).

    Parameters
    ----------
    settings
        Defaults to :func:`load_settings` (env vars and the optional TOML file).
    engine
        A SQLAlchemy engine to use instead of one made from ``settings.database_url``
        (already migrated).
    on_prediction
        The alert hook called with each event stored by ``POST /v1/readings`` (default: the
        alert engine, :func:`thermowatch.alerts.hook.alert_hook`); also settable later as
        ``app.state.on_prediction``.
    """
    from thermowatch.service import docs
    from thermowatch.service.routes import (
        alerts,
        batch,
        forecast,
        health,
        keys,
        models,
        predict,
        readings,
        transformers,
    )

    settings = settings or load_settings()
    dev_docs = settings.development
    app = ServiceApp(
        title="thermowatch",
        summary="Predicted winding/oil temperature and alert level of power transformers.",
        version="1",
        lifespan=lifespan,
        default_response_class=FastJSON,
        responses=COMMON_RESPONSES,
        docs_url=None,  # development only, from vendored assets (service.docs): works offline
        redoc_url=None,
        openapi_url="/openapi.json" if dev_docs else None,
    )
    _install_docs(app, settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.on_prediction = on_prediction
    errors.install(app)
    if dev_docs:  # production: no /docs; /openapi.json behind a reader credential
        docs.install(app)
    for module in (health, predict, batch, readings, transformers, models, alerts, keys, forecast):
        app.include_router(module.router)
    app.add_middleware(MetricsMiddleware)  # POST /predict is counted by ServiceApp's lane
    return app
