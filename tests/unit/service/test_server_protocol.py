"""The HTTP protocol of ``thermowatch serve``: one write per response, same bytes, same order."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import httpx
import pytest
import uvicorn
import uvloop

from thermowatch.service.server import PROTOCOL, CoalescingTransport


class CountingTransport:
    """A real TCP transport, with its ``write`` calls counted."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self.transport.write(data)

    def __getattr__(self, name: str):
        return getattr(self.transport, name)


async def _connected_pair() -> tuple[asyncio.Transport, asyncio.StreamReader, tuple]:
    """A real loopback TCP connection: the server side's transport, the client's reader, and
    what must stay referenced (the listening server, the client's writer)."""
    loop = asyncio.get_running_loop()
    made: asyncio.Future = loop.create_future()

    class Server(asyncio.Protocol):
        def connection_made(self, transport):
            made.set_result(transport)

    server = await loop.create_server(Server, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    return await made, reader, (server, writer)


#: asyncio's own loop, and uvloop (what ``serve`` runs).
LOOPS = pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])


@LOOPS
def test_writes_of_one_loop_turn_leave_as_one_write_in_order(run):
    async def main():
        real, reader, server = await _connected_pair()
        counting = CountingTransport(real)
        out = CoalescingTransport(counting, asyncio.get_running_loop())
        out.write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n")
        out.write(bytearray(b"hel"))
        out.write(memoryview(b"lo"))
        assert counting.writes == []  # held until the turn ends
        assert out.get_write_buffer_size() == 43
        await asyncio.sleep(0)
        assert counting.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"]
        got = await asyncio.wait_for(reader.readexactly(43), 5)
        out.write(b"second")  # a later turn: a write of its own
        await asyncio.sleep(0)
        assert counting.writes[1:] == [b"second"]
        assert await asyncio.wait_for(reader.readexactly(6), 5) == b"second"
        out.close()
        server[0].close()
        return got

    assert run(main()).endswith(b"\r\n\r\nhello")


@LOOPS
def test_close_sends_what_is_held_and_abort_drops_it(run):
    async def main():
        real, reader, server = await _connected_pair()
        out = CoalescingTransport(real, asyncio.get_running_loop())
        out.write(b"last words")
        out.close()  # before the turn ends: still sent, then EOF
        assert await asyncio.wait_for(reader.read(), 5) == b"last words"
        real2, reader2, server2 = await _connected_pair()
        out2 = CoalescingTransport(real2, asyncio.get_running_loop())
        out2.write(b"never sent")
        out2.abort()
        await asyncio.sleep(0)  # the pending flush finds nothing (and a closed transport)
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            await asyncio.wait_for(reader2.readexactly(1), 5)
        server[0].close()
        server2[0].close()

    run(main())


async def _app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = (await receive()).get("body", b"")
    if scope["path"] == "/stream":  # no content-length: chunked, three body messages
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"a" * 10, b"b" * 70_000, b""):
            await send({"type": "http.response.body", "body": part, "more_body": part != b""})
        return
    answer = b"echo:" + body
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(answer)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture
def served_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(_app, port=port, http=PROTOCOL, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield port
    server.should_exit = True
    thread.join(10)


def test_uvicorn_serves_keep_alive_pipelined_and_chunked_answers(served_port):
    url = f"http://127.0.0.1:{served_port}"
    with httpx.Client() as client:  # keep-alive: every answer on one connection
        for i in range(20):
            assert client.post(url + "/", content=f"n{i}").text == f"echo:n{i}"
        streamed = client.get(url + "/stream")
        assert streamed.content == b"a" * 10 + b"b" * 70_000
    with socket.create_connection(("127.0.0.1", served_port), timeout=5) as raw:
        request = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n"
        raw.sendall(request + b"p1" + request + b"p2")  # pipelined
        data = b""
        while data.count(b"echo:") < 2 or not data.endswith(b"echo:p2"):
            chunk = raw.recv(65536)
            assert chunk, data
            data += chunk
        first, second = data.split(b"HTTP/1.1 200 OK")[1:]
        assert first.endswith(b"echo:p1") and second.endswith(b"echo:p2")
