"""Live updates to open pages by server-sent events (``GET /events``).

One poller per worker process reads the store every :data:`POLL_S` seconds — new alerts (by
id) and, for the transformers whose page is open, new readings and predictions — and fans
them out to the subscribed browsers. Reading the store rather than hooking the write path
means every writer (HTTP push, the SCADA monitor, another worker behind nginx) is seen the
same way, and the cost is one indexed query per poll plus one per open transformer page,
whatever the number of browsers. The poller stops when the last browser leaves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import StreamingResponse

from thermowatch.dashboard.auth import Viewer, viewer
from thermowatch.dashboard.render import age_text, when
from thermowatch.learn.levels import LEVEL_NAMES
from thermowatch.report.i18n import t
from thermowatch.store import overview
from thermowatch.store.transformers import get_transformer

log = logging.getLogger("thermowatch.dashboard.events")
router = APIRouter(include_in_schema=False)
POLL_S = 0.5  # new alerts and readings reach the page within this plus the network [s]
HEARTBEAT_S = 15.0  # a comment line keeps proxies from closing an idle stream [s]
QUEUE_MAX = 1000  # a browser that stops reading is dropped rather than grow memory


@dataclass(eq=False)
class Subscriber:
    """One open page: the transformer it shows (None: fleet/alerts) and its queue."""

    transformer_id: str | None
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_MAX))


@dataclass
class _Watch:
    variable: str | None
    last_reading: datetime | None
    last_prediction: datetime | None


class LiveFeed:
    """The poller and its subscribers (one per process, on ``app.state``)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.subscribers: set[Subscriber] = set()
        self.last_alert_id: int | None = None
        self.watches: dict[str, _Watch] = {}
        self._task: asyncio.Task | None = None

    async def subscribe(self, transformer_id: str | None) -> Subscriber:
        sub = Subscriber(transformer_id)
        if self.last_alert_id is None:
            self.last_alert_id = await asyncio.to_thread(overview.last_alert_id, self.engine)
        if transformer_id is not None and transformer_id not in self.watches:
            self.watches[transformer_id] = await asyncio.to_thread(self._watch, transformer_id)
        self.subscribers.add(sub)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="dashboard-live")
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)
        if sub.transformer_id and not any(
            s.transformer_id == sub.transformer_id for s in self.subscribers
        ):
            self.watches.pop(sub.transformer_id, None)

    def _watch(self, transformer_id: str) -> _Watch:
        from thermowatch.store.predictions import latest_prediction
        from thermowatch.store.readings import latest_reading_time

        tr = get_transformer(self.engine, transformer_id)
        pred = latest_prediction(self.engine, transformer_id)
        return _Watch(
            tr.target_variable,
            latest_reading_time(self.engine, transformer_id),
            pred.ts if pred else None,
        )

    async def _run(self) -> None:
        while self.subscribers:
            try:
                events = await asyncio.to_thread(self.poll_once)
            except Exception:  # a database hiccup must not end the stream: try again
                log.exception("live poll failed")
                events = []
            for event in events:
                self._fan_out(event)
            await asyncio.sleep(POLL_S)

    def poll_once(self) -> list[tuple[str, str | None, dict]]:
        """Read what is new since the last poll: ``(kind, transformer_id, payload)`` events."""
        events: list[tuple[str, str | None, dict]] = []
        for a in overview.alerts_after(self.engine, self.last_alert_id or 0):
            self.last_alert_id = max(self.last_alert_id or 0, a.id)
            events.append(("alert", None, {
                "id": a.id, "transformer_id": a.transformer_id, "level": a.level,
                "kind": a.kind, "message": a.message, "raised_at": a.raised_at,
            }))  # fmt: skip
        for tid, w in list(self.watches.items()):
            since = w.last_reading or datetime(1970, 1, 1, tzinfo=UTC)
            rows = overview.readings_since(
                self.engine, tid, since, [w.variable] if w.variable else []
            )
            preds = overview.predictions_since(
                self.engine, tid, w.last_prediction or datetime(1970, 1, 1, tzinfo=UTC)
            )
            points: dict[datetime, dict] = {}
            for ts, _, value in rows:
                points.setdefault(ts, {"measured": None, "predicted": None})["measured"] = value
                w.last_reading = max(w.last_reading or ts, ts)
            for ts, value, *_ in preds:
                points.setdefault(ts, {"measured": None, "predicted": None})["predicted"] = value
                w.last_prediction = max(w.last_prediction or ts, ts)
            for ts in sorted(points):
                events.append(("reading", tid, {
                    "transformer_id": tid, "t": ts.timestamp(), "at": ts, **points[ts],
                }))  # fmt: skip
        return events

    def _fan_out(self, event: tuple[str, str | None, dict]) -> None:
        kind, tid, _ = event
        for sub in list(self.subscribers):
            if kind == "reading" and sub.transformer_id != tid:
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                self.unsubscribe(sub)


def feed_of(app) -> LiveFeed:
    feed = getattr(app.state, "dashboard_feed", None)
    if feed is None:
        feed = app.state.dashboard_feed = LiveFeed(app.state.engine)
    return feed


def encode(kind: str, payload: dict, lang: str) -> bytes:
    """One SSE message, with the texts the page shows in the viewer's language."""
    data = dict(payload)
    if kind == "alert":
        data["level_text"] = t(f"ui.level.{data['level']}", lang) if data["level"] in (
            LEVEL_NAMES) else data["level"]  # fmt: skip
        data["raised_at_text"] = when(data.pop("raised_at"), lang)
    else:
        data["age_text"] = age_text(data.pop("at"), lang)
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


@router.get("/events")
async def events(
    request: Request,
    who: Annotated[Viewer, Depends(viewer)],
    transformer: str | None = None,
) -> StreamingResponse:
    """The live stream of one page (``?transformer=ID`` for a transformer page)."""
    feed = feed_of(request.app)
    if transformer is not None:
        await asyncio.to_thread(get_transformer, request.app.state.engine, transformer)
    sub = await feed.subscribe(transformer)
    lang = who.lang

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 2000\n\n"
            while True:
                try:
                    kind, _, payload = await asyncio.wait_for(sub.queue.get(), HEARTBEAT_S)
                except TimeoutError:
                    if await request.is_disconnected():
                        break
                    yield b": ping\n\n"
                    continue
                yield encode(kind, payload, lang)
        finally:
            feed.unsubscribe(sub)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
