"""A short way in for ``POST /predict``, the route SCADA clients hammer.

FastAPI's router, dependency solver and exception middleware take about half of the CPU
time of a ``/predict`` request. This ASGI middleware serves that one route by calling the
*same* endpoint function (:func:`thermowatch.service.routes.predict.predict`) with the same
authentication dependency and the same error answers; every other request goes through
FastAPI unchanged. The FastAPI route stays declared, for the OpenAPI document.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

from starlette.requests import Request

from thermowatch.errors import InputError, NotFoundError
from thermowatch.service.auth import require
from thermowatch.service.errors import (
    ApiError,
    api_error_response,
    error_response,
    unexpected_error_response,
)

log = logging.getLogger("thermowatch.service")
_ROUTE = SimpleNamespace(path="/predict")  # the label MetricsMiddleware reads
_check_reader = require("reader")


class PredictFastLane:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/predict" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        from thermowatch.service.routes.predict import predict

        scope["route"] = _ROUTE
        request = Request(scope, receive)
        try:
            principal = await _check_reader(request)
            response = await predict(request, principal)
        except ApiError as exc:
            response = api_error_response(scope["app"].state, exc)
        except InputError as exc:
            response = error_response(422, str(exc))
        except NotFoundError as exc:
            response = error_response(404, str(exc))
        except Exception as exc:
            response = unexpected_error_response(scope["app"].state, exc, "POST /predict")
        await response(scope, receive, send)
