"""The FastAPI application: :func:`create_app` wires settings, store, models, auth and audit."""

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
from thermowatch.service.auth import Authenticator
from thermowatch.service.errors import FastJSON
from thermowatch.service.fastlane import PredictFastLane
from thermowatch.service.metrics import MetricsMiddleware
from thermowatch.service.predicting import HistoryCache
from thermowatch.service.serving import ModelHolder
from thermowatch.service.settings import Settings, load_settings

log = logging.getLogger("thermowatch.service")

#: The alert hook: ``on_prediction(event)`` with a :class:`thermowatch.live.PredictionEvent`.
PredictionHook = Callable[[Any], Any]


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
    from thermowatch.store.migrate import upgrade

    settings: Settings = app.state.settings
    if getattr(app.state, "engine", None) is None:
        app.state.engine = make_engine(settings.database_url)
        if settings.development:  # production databases are migrated by `thermowatch db upgrade`
            upgrade(app.state.engine)
    engine = app.state.engine
    app.state.audit = AuditQueue(engine, settings.audit_flush_s, settings.audit_batch)
    app.state.auth = Authenticator(engine, settings, app.state.audit)
    app.state.history = HistoryCache(engine, settings.history_check_s)
    app.state.models = ModelHolder(engine, settings.model_dir, settings.default_transformer)
    await asyncio.to_thread(app.state.models.poll)
    if app.state.on_prediction is None:
        from thermowatch.alerts.hook import alert_hook

        app.state.on_prediction = alert_hook(engine, settings.alerts_config, actor="service")
    app.state.pipeline = _pipeline(app)
    app.state.pipeline_lock = threading.Lock()
    app.state.audit.start()
    # Move everything loaded so far (numpy, pandas, SQLAlchemy, the model) out of the cyclic
    # collector's reach: full collections then scan only request garbage, which takes the
    # 20-40 ms GC pauses out of the latency tail.
    gc.collect()
    gc.freeze()
    poller = asyncio.get_running_loop().create_task(_poll_models(app), name="model-poll")
    try:
        yield
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        await app.state.audit.stop()  # flush: nothing lost on a graceful shutdown


def _pipeline(app: FastAPI) -> Any:
    """The live pipeline behind ``POST /v1/readings``: the served champion, the store's
    transformer row, and ``app.state.on_prediction`` (read at each call, so it may be replaced)."""
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
    return Pipeline(state.engine, profile_of, hook, settings, shared_store=True)


class ServiceApp(FastAPI):
    """FastAPI, with ``POST /predict`` taken before Starlette's middleware stack.

    The fast lane (:mod:`thermowatch.service.fastlane`) already skips the router and the
    dependency solver; entering it here also skips the error, telemetry and body-limit
    middlewares that wrap every request (the lane answers errors and limits the body itself):
    about 20 % more requests per second on the route SCADA clients hammer. Every other request
    goes through FastAPI unchanged.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._predict_lane = MetricsMiddleware(PredictFastLane(self._through_fastapi))

    async def _through_fastapi(self, scope: dict, receive: Any, send: Any) -> None:
        await FastAPI.__call__(self, scope, receive, send)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/predict":
            scope["app"] = self
            await self._predict_lane(scope, receive, send)
        else:
            await FastAPI.__call__(self, scope, receive, send)


def create_app(
    settings: Settings | None = None,
    engine: Any = None,
    on_prediction: PredictionHook | None = None,
) -> FastAPI:
    """Build the app.

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
    from thermowatch.service.routes import (
        alerts,
        batch,
        health,
        keys,
        models,
        predict,
        readings,
        transformers,
    )

    settings = settings or load_settings()
    app = ServiceApp(
        title="thermowatch",
        summary="Predicted winding/oil temperature and alert level of power transformers.",
        version="1",
        lifespan=lifespan,
        default_response_class=FastJSON,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.on_prediction = on_prediction
    errors.install(app)
    for module in (health, predict, batch, readings, transformers, models, alerts, keys):
        app.include_router(module.router)
    app.add_middleware(MetricsMiddleware)  # POST /predict is counted by ServiceApp's lane
    return app
