"""The models being served, one per transformer, and their hot reload.

Sources: ``--model DIR`` serves one artifact for the default transformer (reloaded when its
files change); otherwise each transformer's champion in the registry
(:func:`thermowatch.store.models.champion`). Every load goes through
:func:`thermowatch.learn.artifact.load_model`, which checks the files against ``SHA256SUMS``;
a registered model must also match the registry's ``sha256``, the digest of its
``SHA256SUMS`` file (:func:`artifact_digest`), so a tamperer who rewrites the sums is caught
too. A refused artifact is logged once (one line, no traceback) and counted; the previous
model keeps serving.

A ``--model DIR`` has no registry row to compare with, and a file editor can recompute
``SHA256SUMS``. So with a signing key (``model_key``) every load must carry a valid
``SIGNATURE`` (:mod:`thermowatch.learn.signing`); without one, the digest the operator started
the service with (``model_sha256``, set by ``thermowatch serve``, else the first one loaded) is
pinned: a changed artifact is refused until it is signed or the service restarted.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from thermowatch.learn.artifact import SUMS, Predictor
from thermowatch.learn.signing import SIGNATURE, verify_signature
from thermowatch.live.champion import artifact_digest, load_verified
from thermowatch.service.fastpath import SteadyState
from thermowatch.service.metrics import DB_ERRORS, MODEL_INFO, MODEL_REFUSED, MODEL_RELOADS
from thermowatch.store.tables import ModelStatus, model_versions

log = logging.getLogger("thermowatch.service.models")
#: The transformer a ``--model DIR`` artifact answers for when no ``default_transformer`` is set.
DIR_TRANSFORMER = "TR-01"


def _files_signature(directory: Path) -> str:
    """Cheap change detector for a served directory: sizes and mtimes of its files."""
    parts = []
    for name in ("model.json", "metadata.json", SUMS, SIGNATURE):
        try:
            st = (directory / name).stat()
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{name}:missing")
    return "|".join(parts)


def thresholds_in_force(engine: Any, transformer_id: str, predictor: Predictor) -> Any:
    """The transformer's thresholds as stored with its state (resolved once by the live path),
    else :func:`~thermowatch.learn.thresholds.resolve_thresholds` on its stored row and this
    model: ``/predict`` answers the level every other reader shows."""
    from thermowatch.learn.thresholds import resolve_thresholds, target_kind

    configured = None
    if engine is not None:
        try:
            from thermowatch.store.state import read_state
            from thermowatch.store.transformers import get_transformer

            state = read_state(engine, transformer_id)
            if state is not None:
                return state.as_thresholds()
            configured = get_transformer(engine, transformer_id).thresholds
        except Exception as exc:  # store away or transformer unknown: the model's own
            log.debug("%s: thresholds from the model (%s)", transformer_id, exc)
    target = predictor.metadata.get("target")
    return resolve_thresholds(configured, predictor.thresholds, target_kind(target))


@dataclass(frozen=True)
class Served:
    """One loaded model and its closed-form steady-state path."""

    transformer_id: str
    predictor: Predictor
    fast: SteadyState
    artifact_path: str
    signature: str
    thresholds: Any = None  # in force for this transformer (:func:`thresholds_in_force`)

    @property
    def model_id(self) -> str:
        return self.predictor.model_id

    @cached_property
    def quantities(self) -> dict[str, str]:
        """The quantity of each input (whose physical range it is checked against), in the
        model's order: read once per loaded model rather than per request (``/predict``)."""
        from thermowatch.data import quantities as q

        kinds = self.predictor.metadata.get("quantities", {})
        return {name: kinds.get(name, q.OTHER) for name in self.predictor.variables}

    @cached_property
    def history_minutes(self) -> float:
        """How much history the model's filters need [min] (0: none)."""
        return float(self.predictor.metadata.get("history_minutes", 0.0))

    @cached_property
    def target_quantity(self) -> str:
        """The quantity the model predicts (winding temperature unless its metadata says)."""
        from thermowatch.data import quantities as q

        meta = self.predictor.metadata
        return meta.get("quantities", {}).get(meta.get("target")) or q.WINDING_TEMPERATURE


class ModelHolder:
    """Thread-safe map transformer → :class:`Served`, refreshed by :meth:`poll`."""

    def __init__(
        self,
        engine: Engine | None,
        model_dir: str | None,
        default_transformer: str | None,
        signing_key: bytes | None = None,
        pinned_sha256: str | None = None,
    ) -> None:
        self.engine = engine
        self.model_dir = Path(model_dir) if model_dir else None
        self.default_transformer = default_transformer
        #: The transformer a ``model_dir`` artifact is served for.
        self.dir_transformer = default_transformer or DIR_TRANSFORMER
        self.signing_key = signing_key
        self.pinned_sha256 = pinned_sha256  # a --model DIR without a key: this digest only
        self._served: dict[str, Served] = {}
        self._refused: dict[str, str] = {}  # transformer -> signature refused (log once)
        self._lock = threading.Lock()
        self._registry_down = False
        self.last_error: str | None = None

    def get(self, transformer_id: str) -> Served | None:
        return self._served.get(transformer_id)

    def default(self) -> Served | None:
        """The model answering ``POST /predict``: the configured default transformer's, else the
        only one served (the original service served one model); ``None`` when there is no
        such model or several could be meant."""
        if self.default_transformer is not None:
            return self._served.get(self.default_transformer)
        served = list(self._served.values())
        return served[0] if len(served) == 1 else None

    def all(self) -> dict[str, Served]:
        return dict(self._served)

    @property
    def ready(self) -> bool:
        return bool(self._served)

    def _install(
        self, transformer_id: str, directory: Path, signature: str, expected: str | None
    ) -> None:
        old = self._served.get(transformer_id)
        try:
            # load_verified: the registry's (or the pinned start-up) digest, then every file.
            predictor = load_verified(directory, expected)
            if self.signing_key is not None and expected is None:  # no registry digest to trust
                verify_signature(directory, self.signing_key)
            served = Served(
                transformer_id,
                predictor,
                SteadyState(predictor),
                str(directory),
                signature,
                thresholds_in_force(self.engine, transformer_id, predictor),
            )
        except Exception as exc:  # malformed metadata too: refused once, never a traceback loop
            if self._refused.get(transformer_id) != signature:
                MODEL_REFUSED.inc()
                log.error(
                    "model artifact refused for %s: %s; still serving %s",
                    transformer_id,
                    exc,
                    old.model_id if old else "nothing",
                )
                self._refused[transformer_id] = signature
            self.last_error = str(exc)
            return
        self._served[transformer_id] = served
        self._refused.pop(transformer_id, None)
        MODEL_RELOADS.inc()
        if old is not None:
            MODEL_INFO.labels(transformer_id, old.model_id).set(0)
        MODEL_INFO.labels(transformer_id, served.model_id).set(1)
        log.info("serving model %s for %s", served.model_id, transformer_id)

    def poll(self) -> None:
        """Load what changed since the last poll (blocking: call it from a thread)."""
        with self._lock:
            if self.model_dir is not None:
                signature = _files_signature(self.model_dir)
                current = self._served.get(self.dir_transformer)
                if (current is None or current.signature != signature) and self._refused.get(
                    self.dir_transformer
                ) != signature:
                    expected = None if self.signing_key is not None else self.pinned_sha256
                    self._install(self.dir_transformer, self.model_dir, signature, expected)
                    if self.signing_key is None and self.pinned_sha256 is None:
                        served = self._served.get(self.dir_transformer)
                        if served is not None:  # pin what the service started with
                            self.pinned_sha256 = artifact_digest(self.model_dir)
                return
            if self.engine is None:
                return
            c = model_versions.c
            q = select(c.transformer_id, c.id, c.artifact_path, c.sha256).where(
                c.status == ModelStatus.CHAMPION.value
            )
            try:
                with self.engine.connect() as conn:
                    rows = conn.execute(q).all()
            except Exception as exc:
                DB_ERRORS.labels("model_registry").inc()
                if not self._registry_down:  # one line per outage, not a traceback per poll
                    log.error(
                        "cannot read the model registry (%s); keeping the current models", exc
                    )
                self._registry_down = True
                return
            if self._registry_down:
                log.warning("the model registry answers again")
                self._registry_down = False
            for tid, model_id, path, sha in rows:
                signature = f"{model_id}:{sha}"
                current = self._served.get(tid)
                if current is not None and current.signature == signature:
                    continue
                if self._refused.get(tid) == signature:
                    continue
                self._install(tid, Path(path), signature, sha)
