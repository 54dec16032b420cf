"""``POST /v1/predict/batch``: offline scoring of a JSON array, a CSV or a Parquet upload."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from thermowatch.data import quantities as q
from thermowatch.data.columns import match_column, to_numeric_column
from thermowatch.data.names import normalize_name
from thermowatch.data.read import SUPPORTED_SUFFIXES, read_table
from thermowatch.data.timestamps import parse_timestamps
from thermowatch.errors import InputError
from thermowatch.learn.levels import LevelName
from thermowatch.service.audit import inputs_hash
from thermowatch.service.auth import Reader
from thermowatch.service.deps import ModelsDep, default_served, read_body, served_for
from thermowatch.service.errors import ApiError
from thermowatch.service.metrics import predictions_for
from thermowatch.service.predicting import TIMESTAMP_KEYS, batch_predict
from thermowatch.service.routes.predict import READING_EXAMPLE, Reading

router = APIRouter(tags=["predict"])

_SUFFIX_BY_TYPE = {
    "text/csv": ".csv",
    "application/csv": ".csv",
    "text/plain": ".csv",
    "application/vnd.apache.parquet": ".parquet",
    "application/x-parquet": ".parquet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}


@dataclass
class Upload:
    """The parsed upload: its table, and how its rows are named to the client."""

    frame: pd.DataFrame
    first_line: int | None  # file line of row 0 (files); None for a JSON array ("row i")

    def where(self, i: int) -> str:
        return f"line {self.first_line + i}" if self.first_line is not None else f"row {i}"


def _parse(raw: bytes, content_type: str, filename: str = "") -> Upload:
    """A JSON array of readings, or any file ``train`` reads (same reader: CSV with ``;`` and a
    decimal comma, any encoding; xlsx; Parquet)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind.endswith("json"):
        try:
            rows = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"the upload cannot be read as JSON: {exc}") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InputError("the JSON body must be an array of reading objects.")
        return Upload(pd.DataFrame.from_records(rows), None)
    suffix = Path(filename).suffix.lower() if filename else ""
    suffix = suffix if suffix in SUPPORTED_SUFFIXES else _SUFFIX_BY_TYPE.get(kind, "")
    if not suffix and kind == "application/octet-stream":
        suffix = ".parquet"
    if not suffix:
        raise ApiError(
            415, "send a JSON array, text/csv, an xlsx or Parquet file, or a multipart 'file'."
        )
    with tempfile.TemporaryDirectory(prefix="thermowatch-batch-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(raw)
        try:
            frame = read_table(path)
        except InputError as exc:  # names the temporary file: say "the upload" instead
            reason = str(exc).replace(repr(str(path)), "the upload")
            raise InputError(reason) from None
    if suffix == ".parquet":
        return Upload(frame, None)
    return Upload(frame, int(frame.attrs.get("first_data_line", 2)))


@dataclass
class Checked:
    """Inputs of the rows that can be scored, and why the others cannot."""

    x: np.ndarray  # (n_good, n_variables)
    good: np.ndarray  # bool mask over the upload's rows
    times: pd.DatetimeIndex | None  # of the good rows
    rejected: list[dict] = field(default_factory=list)  # {"row", "line"?, "erreur"}
    warnings: list[str] = field(default_factory=list)


def _columns(frame: pd.DataFrame, variables: list[str]) -> tuple[dict[str, str], str | None]:
    """Model variable -> upload column (exact, then case/accent/unit-insensitive), timestamp."""
    found = {}
    for name in variables:
        column = match_column(name, [str(c) for c in frame.columns])
        if column is None:
            raise InputError(f"the column {name!r} is missing.")
        found[name] = column
    stamp = next((c for c in frame.columns if normalize_name(str(c)) in TIMESTAMP_KEYS), None)
    return found, stamp


def _validate(upload: Upload, served) -> Checked:
    """Check every row; a bad cell rejects its row only, named by its file line."""
    frame = upload.frame
    variables = list(served.predictor.variables)
    if frame.empty:
        raise InputError("the upload holds no rows.")
    found, stamp = _columns(frame, variables)
    extra = [str(c) for c in frame.columns if c not in found.values() and c != stamp]
    warnings = (
        [f"columns not used by model {served.model_id}, ignored: {', '.join(map(repr, extra))}."]
        if extra
        else []
    )
    n = len(frame)
    problem: dict[int, str] = {}  # the first problem of each bad row
    times = None
    if stamp is not None:
        parsed = parse_timestamps(frame[stamp].reset_index(drop=True))
        times_all = pd.DatetimeIndex(parsed.array)
        for i in np.flatnonzero(times_all.isna()).tolist():
            problem[i] = f"the column {stamp!r} holds {frame[stamp].iloc[i]!r}, not a date."
    quantities = served.predictor.metadata.get("quantities", {})
    x = np.empty((n, len(variables)))
    for j, name in enumerate(variables):
        column = frame[found[name]].reset_index(drop=True)
        if column.dtype == bool:
            numeric = pd.Series(np.nan, index=column.index)
        elif pd.api.types.is_numeric_dtype(column):
            numeric = column.astype("float64")
        else:
            numeric = to_numeric_column(column)[0]
        values = numeric.to_numpy(dtype=np.float64)
        kind = quantities.get(name, q.OTHER)
        impossible = q.impossible(kind, values)  # the one check, on the one table of ranges
        for i in np.flatnonzero(~np.isfinite(values) | impossible).tolist():
            if i in problem:
                continue
            cell = column.iloc[i]
            if not np.isfinite(values[i]):
                missing = cell is None or (isinstance(cell, float) and np.isnan(cell))
                problem[i] = (
                    f"the column {name!r} is missing or not finite."
                    if missing or str(cell).strip() == ""
                    else f"the column {name!r} must be a number, got {cell!r}."
                )
            else:
                problem[i] = f"the column {name!r} = {values[i]:g} is physically impossible."
        x[:, j] = values
    good = np.ones(n, dtype=bool)
    good[list(problem)] = False
    rejected = []
    for i in sorted(problem):
        entry: dict = {"row": i, "erreur": f"{upload.where(i)}: {problem[i]}"}
        if upload.first_line is not None:
            entry["line"] = upload.first_line + i
        rejected.append(entry)
    if stamp is not None:
        times = times_all[good]
    return Checked(x if good.all() else x[good], good, times, rejected, warnings)


class RejectedRow(BaseModel):
    row: int = Field(description="0-based row of the upload")
    line: int | None = Field(None, description="file line (files only)")
    erreur: str


class BatchResult(BaseModel):
    """Scores per row of the upload, ``null`` where a row was rejected (temperatures [°C]).
    Documents the answer; it is rendered by orjson straight from the numpy arrays."""

    model_id: str
    transformer_id: str
    rows: int
    rows_scored: int
    parse_ms: float
    score_ms: float
    temperature_predite: list[float | None]
    borne_basse: list[float | None]
    borne_haute: list[float | None]
    niveau_alerte: list[LevelName | None]
    rejected: list[RejectedRow]
    warnings: list[str]


_UPLOAD_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "array", "items": Reading.model_json_schema()},
            "example": [READING_EXAMPLE],
        },
        "text/csv": {"schema": {"type": "string"}},
    },
}


def _spread(values: np.ndarray, good: np.ndarray) -> np.ndarray | list:
    """Scored values back at their rows, ``None`` (JSON null) where a row was rejected."""
    if good.all():
        return values if values.dtype.kind == "f" else values.tolist()
    out: list = [None] * len(good)
    for i, value in zip(np.flatnonzero(good), values.tolist(), strict=True):
        out[i] = value
    return out


@router.post(
    "/v1/predict/batch", response_model=BatchResult, openapi_extra={"requestBody": _UPLOAD_BODY}
)
async def predict_batch(
    request: Request,
    principal: Reader,
    models: ModelsDep,
    transformer_id: str | None = None,
    series: bool = False,
    all_or_nothing: bool = False,
) -> Response:
    """Score many readings: a JSON array of reading objects, or any file ``train`` reads
    (CSV with ``,`` or ``;`` and a decimal comma, xlsx, Parquet) as the body or a multipart
    ``file``. Rows are independent readings in steady state, or one time series in increasing
    ``timestamp`` order with ``series=true`` (thermal inertia from the file itself).

    Columns the model does not use (the measured target, say) are ignored and listed in
    ``warnings``. A row with a bad cell is listed in ``rejected`` by its file line (``row`` for
    a JSON array) and scored as ``null``, the other rows are scored; ``all_or_nothing=true``
    (and ``series=true``, which needs every step) refuse the whole upload instead (422).
    Answers ``temperature_predite``, ``niveau_alerte``, ``borne_basse``, ``borne_haute`` [°C],
    ``rows``, ``rows_scored`` and the server-side times ``parse_ms`` / ``score_ms``."""
    start = time.perf_counter()
    settings = request.app.state.settings
    served = served_for(models, transformer_id) if transformer_id else default_served(models)
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
        upload = await run_in_threadpool(_parse, raw, content_type, filename)
        checked = _validate(upload, served)
        if checked.rejected and (all_or_nothing or series or not checked.good.any()):
            more = len(checked.rejected) - 1
            also = f" ({more} other rows rejected too)" if more else ""
            raise InputError(checked.rejected[0]["erreur"] + also)
        t1 = time.perf_counter()
        out = await run_in_threadpool(batch_predict, served, checked.x, checked.times, series)
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
        target=served.transformer_id, inputs=inputs_hash(raw), model=served.model_id,
        rows=len(checked.x),
        latency_ms=round((time.perf_counter() - start) * 1e3, 3),
    )  # fmt: skip
    body = {
        "model_id": served.model_id,
        "transformer_id": served.transformer_id,
        "rows": len(checked.good),
        "rows_scored": len(checked.x),
        "parse_ms": round((t1 - t0) * 1e3, 3),
        "score_ms": round((t2 - t1) * 1e3, 3),
        "temperature_predite": _spread(out["predicted"], checked.good),
        "borne_basse": _spread(out["lower"], checked.good),
        "borne_haute": _spread(out["upper"], checked.good),
        "niveau_alerte": _spread(out["level"], checked.good),
        "rejected": checked.rejected,
        "warnings": checked.warnings,
    }
    return Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
    )
