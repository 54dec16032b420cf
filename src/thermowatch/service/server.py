"""The HTTP protocol ``thermowatch serve`` gives uvicorn: httptools, one ``write`` per response.

uvicorn's httptools protocol writes a response's status line and headers as soon as the
application sends ``http.response.start``, then the body in a second ``write``: two system
calls and two TCP segments per answer, and a second wake-up of the client. On loopback those
two calls were a third of a worker's busy time under ``POST /predict`` load (py-spy). Here the
connection's writes of one turn of the event loop are joined and sent by one ``write`` at the
end of that turn: the same bytes, in the same order, in one segment. Nothing else changes
(parsing, flow control, keep-alive, limits are uvicorn's).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: What ``uvicorn.run(http=...)`` is given (an import string: it reaches spawned workers).
PROTOCOL = "thermowatch.service.server:CoalescingHttpToolsProtocol"


class CoalescingTransport:
    """A transport whose writes are held until the loop's current turn ends, then sent as one.

    ``close`` and ``write_eof`` send what is held first; ``abort`` drops it (as the real
    transport drops its own buffer). Everything else is the real transport's.
    """

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        """Send what is held, in one ``write``."""
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending = []
        if not self._transport.is_closing():
            self._transport.write(data)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing through a :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # flow control watches the real transport
        self.transport = CoalescingTransport(transport, self.loop)  # type: ignore[assignment]
