"""``POST /v1/predict/batch``: offline scoring of a JSON array, a CSV or a Parquet upload."""

from __future__ import annotations

import io
import time

import numpy as np
import orjson
import pandas as pd
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from thermowatch.data import quantities as q
from thermowatch.errors import InputError
from thermowatch.service.audit import inputs_hash
from thermowatch.service.auth import Reader
from thermowatch.service.deps import ModelsDep, read_body, served_for
from thermowatch.service.errors import ApiError
from thermowatch.service.metrics import predictions_for
from thermowatch.service.predicting import TIMESTAMP_KEYS, batch_predict

router = APIRouter(tags=["predict"])

_CSV = ("text/csv", "application/csv")
_PARQUET = ("application/vnd.apache.parquet", "application/x-parquet", "application/octet-stream")


def _parse(raw: bytes, content_type: str, filename: str = "") -> pd.DataFrame:
    kind = content_type.split(";")[0].strip().lower()
    try:
        if kind.endswith("json"):
            rows = orjson.loads(raw)
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise InputError("the JSON body must be an array of reading objects.")
            return pd.DataFrame.from_records(rows)
        if kind in _CSV or filename.lower().endswith(".csv"):
            return pd.read_csv(io.BytesIO(raw), engine="pyarrow")
        if kind in _PARQUET or filename.lower().endswith(".parquet"):
            return pd.read_parquet(io.BytesIO(raw))
    except InputError:
        raise
    except Exception as exc:  # a malformed file is the client's mistake
        raise InputError(
            f"the upload cannot be read as {kind or 'a table'}: {str(exc)[:200]}"
        ) from None
    raise ApiError(415, "send a JSON array, text/csv, a Parquet file or a multipart 'file' upload.")


def _validate(frame: pd.DataFrame, served) -> tuple[np.ndarray, pd.DatetimeIndex | None]:
    variables = list(served.predictor.variables)
    if frame.empty:
        raise InputError("the upload holds no rows.")
    unknown = [c for c in frame.columns if c not in variables and c not in TIMESTAMP_KEYS]
    if unknown:
        raise InputError(f"the column {unknown[0]!r} is unknown to model {served.model_id}.")
    missing = [v for v in variables if v not in frame.columns]
    if missing:
        raise InputError(f"the column {missing[0]!r} is missing.")
    times = None
    for key in TIMESTAMP_KEYS:
        if key in frame.columns:
            try:
                times = pd.DatetimeIndex(pd.to_datetime(frame[key], utc=True))
            except (ValueError, TypeError):
                raise InputError(
                    f"the column {key!r} holds values that are not ISO-8601 dates."
                ) from None
    quantities = served.predictor.metadata.get("quantities", {})
    x = np.empty((len(frame), len(variables)))
    for j, name in enumerate(variables):
        column = frame[name]
        if column.dtype == bool or not pd.api.types.is_numeric_dtype(column):
            numeric = pd.to_numeric(column, errors="coerce")
            bad = np.flatnonzero(numeric.isna().to_numpy() & column.notna().to_numpy())
            if bad.size or column.dtype == bool:
                row = int(bad[0]) if bad.size else 0
                raise InputError(
                    f"row {row}: the column {name!r} must be a number, got {column.iloc[row]!r}."
                )
            column = numeric
        values = column.to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise InputError(f"row {int(bad[0])}: the column {name!r} is missing or not finite.")
        kind = quantities.get(name, q.OTHER)
        low, high, strict = q.physical_range(kind)
        bad = np.flatnonzero(
            (values < low) | (values > high) | ((values <= low) if strict else False)
        )
        if bad.size:
            raise InputError(
                f"row {int(bad[0])}: the column {name!r} = {values[bad[0]]:g} is physically impossible."
            )
        x[:, j] = values
    return x, times


@router.post("/v1/predict/batch")
async def predict_batch(
    request: Request,
    principal: Reader,
    models: ModelsDep,
    transformer_id: str | None = None,
    series: bool = False,
) -> Response:
    """Score many readings: a JSON array of reading objects, ``text/csv``, a Parquet body, or a
    multipart ``file`` (.csv / .parquet). Rows are independent readings in steady state, or one
    time series in increasing ``timestamp`` order with ``series=true`` (thermal inertia from the
    file itself). Answers columns ``temperature_predite``, ``niveau_alerte``, ``borne_basse``,
    ``borne_haute`` [°C] and the server-side times ``parse_ms`` / ``score_ms``."""
    start = time.perf_counter()
    settings = request.app.state.settings
    served = served_for(models, transformer_id or settings.default_transformer)
    content_type = request.headers.get("content-type", "")
    filename = ""
    if content_type.startswith("multipart/form-data"):
        declared = int(request.headers.get("content-length") or 0)
        if declared > settings.max_upload_bytes:
            raise ApiError(
                413, f"the upload is larger than the limit of {settings.max_upload_bytes} bytes."
            )
        form = await request.form(max_files=1)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError(
                422, "the multipart form needs a 'file' field holding the CSV or Parquet file."
            )
        raw, filename, content_type = (
            await upload.read(),
            upload.filename or "",
            upload.content_type or "",
        )
    else:
        raw = await read_body(request, settings.max_upload_bytes)
    try:
        t0 = time.perf_counter()
        frame = await run_in_threadpool(_parse, raw, content_type, filename)
        x, times = _validate(frame, served)
        t1 = time.perf_counter()
        out = await run_in_threadpool(batch_predict, served, x, times, series)
        t2 = time.perf_counter()
    except InputError as exc:
        request.app.state.audit.add(
            principal.actor,
            "predict_batch",
            "rejected",
            role=principal.role,
            address=principal.address,
            target=served.transformer_id,
            inputs=inputs_hash(raw),
            error=str(exc),
        )
        raise ApiError(422, str(exc)) from None
    levels, counts = np.unique(out["level"].astype(str), return_counts=True)
    for level, n in zip(levels, counts, strict=True):
        predictions_for(str(level)).inc(int(n))
    request.app.state.audit.add(
        principal.actor, "predict_batch", "ok", role=principal.role, address=principal.address,
        target=served.transformer_id, inputs=inputs_hash(raw), model=served.model_id, rows=len(x),
        latency_ms=round((time.perf_counter() - start) * 1e3, 3),
    )  # fmt: skip
    body = {
        "model_id": served.model_id,
        "transformer_id": served.transformer_id,
        "rows": len(x),
        "parse_ms": round((t1 - t0) * 1e3, 3),
        "score_ms": round((t2 - t1) * 1e3, 3),
        "temperature_predite": out["predicted"],
        "borne_basse": out["lower"],
        "borne_haute": out["upper"],
        "niveau_alerte": out["level"].tolist(),
    }
    return Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
    )
