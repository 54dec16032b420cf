"""The web app: the API (:mod:`thermowatch.service`) with the operator pages
(:mod:`thermowatch.dashboard`) mounted at ``/``.

Composed here, above both, so that neither package imports the other's app: the dashboard uses
the service's credentials, roles and limits; the service knows nothing of pages.
``thermowatch serve`` and gunicorn (``deploy/gunicorn.conf.py``) run :func:`create_app`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from thermowatch.dashboard import mount as mount_dashboard
from thermowatch.service.app import PredictionHook, create_api
from thermowatch.service.settings import Settings, load_settings


def create_app(
    settings: Settings | None = None,
    engine: Any = None,
    on_prediction: PredictionHook | None = None,
) -> FastAPI:
    """The API of :func:`~thermowatch.service.app.create_api` (same parameters) with the
    dashboard's pages, live stream and static files after its routes.

    The settings are resolved here once (``settings``, else :func:`load_settings`: the file and
    the environment, which is how uvicorn's and gunicorn's workers receive them, see
    :func:`thermowatch.settings.hand_to_workers`) and passed down: no part of the app reads
    the environment afterwards."""
    settings = settings or load_settings()
    app = create_api(settings, engine, on_prediction)
    mount_dashboard(app, session_hours=settings.dashboard_session_hours)
    return app
