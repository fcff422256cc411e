"""hip3.clients._http.LeanTransport: framing, keep-alive, stale connections and error mapping.

A scripted HTTP server on a real loopback socket answers each request with the bytes a test
chooses (the simulator only ever answers well-formed, Content-Length framed responses); the
last test runs the whole order path on the simulator.
"""

from __future__ import annotations

import gzip
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
import trio.testing

from hip3.clients import InfoClient, NotSentError, SentNoAnswerError
from hip3.clients._http import LeanTransport
from hip3.types import Side

# (request bytes received so far on this connection, request index) -> raw answer or None to
# close without answering. The server reads one request (headers + Content-Length body) first.
Script = Callable[[bytes, int], bytes | None]


def ok(body: bytes, *extra: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in extra)
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body


class Server:
    def __init__(
        self,
        script: Script,
        *,
        close_after_answer: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.script = script
        self.close_after_answer = close_after_answer
        self.tls = tls
        self.connections = 0
        self.requests: list[bytes] = []
        self.url = ""

    async def _read_request(self, stream: Any, buffer: bytearray) -> bytes | None:
        while b"\r\n\r\n" not in buffer:
            data = await stream.receive_some(65536)
            if not data:
                return None
            buffer += data
        end = buffer.index(b"\r\n\r\n") + 4
        length = 0
        for line in bytes(buffer[:end]).split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        while len(buffer) < end + length:
            buffer += await stream.receive_some(65536)
        request = bytes(buffer[: end + length])
        del buffer[: end + length]
        return request

    async def _handle(self, tcp: trio.SocketStream) -> None:
        self.connections += 1
        buffer = bytearray()
        stream: Any = tcp
        if self.tls is not None:
            stream = trio.SSLStream(tcp, self.tls, server_side=True, https_compatible=True)
            try:
                await stream.do_handshake()
            except trio.BrokenResourceError:
                await trio.aclose_forcefully(tcp)
                return
        async with stream:
            while True:
                try:
                    request = await self._read_request(stream, buffer)
                except trio.BrokenResourceError:
                    return
                if request is None:
                    return
                self.requests.append(request)
                answer = self.script(request, len(self.requests) - 1)
                if answer is None:
                    return
                try:
                    await stream.send_all(answer)
                except trio.BrokenResourceError:
                    return
                if self.close_after_answer:
                    return

    async def serve(self, *, task_status: trio.TaskStatus[Server]) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"
        task_status.started(self)  # the listeners already accept connections
        await trio.serve_listeners(self._handle, listeners)


async def start(
    nursery: trio.Nursery, script: Script, *, close_after_answer: bool = False
) -> Server:
    server: Server = await nursery.start(
        Server(script, close_after_answer=close_after_answer).serve
    )
    return server


def lean_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=LeanTransport(), timeout=5.0)


async def test_keep_alive_reuses_one_connection_and_sends_one_request_each(
    nursery: trio.Nursery,
) -> None:
    server = await start(nursery, lambda req, i: ok(b'{"n": %d}' % i))
    async with InfoClient(server.url) as info:
        assert isinstance(info.http._transport, LeanTransport)
        for n in range(20):
            assert await info.post_json("/info", {"type": "allMids"}) == {"n": n}
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"POST /info HTTP/1.1\r\n")
    assert b"\r\ncontent-type: application/json\r\n" in first.lower()
    assert first.endswith(b'{"type":"allMids"}')


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
            b"abcde",
        ),
        (b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"after-interim"), b"after-interim"),
        (ok(gzip.compress(b"zipped" * 50), "Content-Encoding: gzip"), b"zipped" * 50),
        (ok(b"split" * 30000), b"split" * 30000),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b""),
    ],
    ids=["chunked", "interim-1xx", "gzip", "large", "no-content"],
)
async def test_response_framings(nursery: trio.Nursery, answer: bytes, expected: bytes) -> None:
    server = await start(nursery, lambda req, i: answer)
    async with lean_client() as http:
        for _ in range(2):  # the second request proves the connection was left clean
            response = await http.post(server.url + "/x", content=b"{}")
            assert response.content == expected
    assert server.connections == 1


async def test_streamed_request_body_is_sent_with_a_length(nursery: trio.Nursery) -> None:
    server = await start(nursery, lambda req, i: ok(b"ok"))

    async def parts() -> AsyncIterator[bytes]:
        yield b'{"a":'
        yield b"1}"

    async with lean_client() as http:
        assert (await http.post(server.url + "/x", content=parts())).content == b"ok"
        assert (await http.get(server.url + "/y")).content == b"ok"
    streamed, plain_get = server.requests
    assert b"content-length: 7\r\n" in streamed.lower()
    assert b"transfer-encoding" not in streamed.lower()
    assert streamed.endswith(b'\r\n\r\n{"a":1}')
    assert (
        plain_get.startswith(b"GET /y HTTP/1.1\r\n") and b"content-length" not in plain_get.lower()
    )


async def test_unframed_body_runs_until_close_and_is_not_reused(nursery: trio.Nursery) -> None:
    server = await start(
        nursery, lambda req, i: b"HTTP/1.1 200 OK\r\n\r\nbody-%d" % i, close_after_answer=True
    )
    async with lean_client() as http:
        first = await http.post(server.url + "/x", content=b"{}")
        second = await http.post(server.url + "/x", content=b"{}")
    assert (first.content, second.content) == (b"body-0", b"body-1")
    assert server.connections == 2


async def test_connection_close_answer_is_not_reused(nursery: trio.Nursery) -> None:
    server = await start(nursery, lambda req, i: ok(b"%d" % i, "Connection: close"))
    async with lean_client() as http:
        for _ in range(2):
            await http.post(server.url + "/x", content=b"{}")
    assert server.connections == 2


async def test_idle_connection_closed_by_the_server_is_replaced(nursery: trio.Nursery) -> None:
    # The server answers (Content-Length framed, so the client keeps the connection) and then
    # closes it, as a venue's idle timeout would.
    server = await start(nursery, lambda req, i: ok(b"%d" % i), close_after_answer=True)
    async with lean_client() as http:
        assert (await http.post(server.url + "/x", content=b"{}")).content == b"0"
        transport = http._transport
        assert isinstance(transport, LeanTransport)
        (idle,) = next(iter(transport._idle.values()))
        await trio.lowlevel.wait_readable(idle.socket)  # the server's EOF has arrived
        assert not idle.idle_ok()
        # Not written to (that request would be lost): a fresh connection carries it.
        assert (await http.post(server.url + "/x", content=b"{}")).content == b"1"
    assert server.connections == 2
    assert len(server.requests) == 2


async def test_connection_refused_is_not_sent() -> None:
    listener = trio.socket.socket()
    await listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    async with InfoClient(f"http://127.0.0.1:{port}") as info:
        with pytest.raises(NotSentError):
            await info.post_json("/exchange", {"type": "order"})


@pytest.mark.parametrize(
    "answer",
    [None, b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", b"garbage\r\n\r\n"],
    ids=["closed-without-answer", "truncated-body", "malformed-status"],
)
async def test_sent_but_no_valid_answer_is_sent_no_answer(
    nursery: trio.Nursery, answer: bytes | None
) -> None:
    server = await start(nursery, lambda req, i: answer, close_after_answer=True)
    async with InfoClient(server.url) as info:
        with pytest.raises(SentNoAnswerError):
            await info.post_json("/exchange", {"type": "order"})
    assert len(server.requests) == 1  # it did arrive: "sent", not "not sent"


async def test_read_timeout_on_mock_clock(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    server = await start(nursery, lambda req, i: b"")  # reads the request, never answers
    async with InfoClient(server.url, timeout_secs=3.0) as info:
        started = trio.current_time()
        with pytest.raises(SentNoAnswerError):
            await info.post_json("/exchange", {"type": "order"})
        assert trio.current_time() - started == pytest.approx(3.0, abs=0.01)


async def test_cancelled_request_closes_its_connection(nursery: trio.Nursery) -> None:
    def script(req: bytes, i: int) -> bytes | None:
        return ok(b"late") if i else b""  # the first request is never answered

    server = await start(nursery, script)
    async with lean_client() as http:
        with trio.move_on_after(0.2) as scope:
            await http.post(server.url + "/x", content=b"{}")
        assert scope.cancelled_caught
        assert (await http.post(server.url + "/x", content=b"{}")).content == b"late"
    assert server.connections == 2  # the abandoned connection was not reused


async def test_idle_pool_is_bounded(nursery: trio.Nursery) -> None:
    gate = trio.Event()
    server = await start(nursery, lambda req, i: ok(b"x"))
    transport = LeanTransport(max_idle_per_origin=2)
    async with httpx.AsyncClient(transport=transport) as http:

        async def one() -> None:
            await gate.wait()
            await http.post(server.url + "/x", content=b"{}")

        async with trio.open_nursery() as inner:
            for _ in range(5):
                inner.start_soon(one)
            await trio.testing.wait_all_tasks_blocked()
            gate.set()
        assert sum(len(idle) for idle in transport._idle.values()) == 2
    assert transport._idle == {}


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_https_keep_alive_and_untrusted_certificate(
    nursery: trio.Nursery, tmp_path: Path
) -> None:
    cert, key = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    server: Server = await nursery.start(
        Server(lambda req, i: ok(b"tls-%d" % i), tls=server_context).serve
    )
    trusting = ssl.create_default_context(cafile=str(cert))
    async with httpx.AsyncClient(transport=LeanTransport(ssl_context=trusting)) as http:
        for n in range(3):
            assert (await http.post(server.url + "/x", content=b"{}")).content == b"tls-%d" % n
    assert server.connections == 1
    # The default context verifies certificates: a self-signed one is refused before sending.
    async with InfoClient(server.url) as info:
        with pytest.raises(NotSentError):
            await info.post_json("/exchange", {"type": "order"})
    assert len(server.requests) == 3


async def test_unsupported_scheme_and_closed_transport() -> None:
    transport = LeanTransport()
    with pytest.raises(httpx.UnsupportedProtocol):
        await transport.handle_async_request(httpx.Request("GET", "ftp://example.invalid/x"))
    await transport.aclose()
    with pytest.raises(httpx.ConnectError):
        await transport.handle_async_request(httpx.Request("GET", "http://127.0.0.1:1/x"))


async def test_order_round_trip_on_the_simulator(nursery: trio.Nursery) -> None:
    from hip3.clients import ExchangeClient, PlaceOrder
    from hip3.signing import PrivateKey
    from hip3.sim import SimConfig, open_simulator
    from hip3.wire.to_domain import Resting

    key = PrivateKey.from_hex("0x" + "5e" * 32)
    async with (
        open_simulator(SimConfig(auto_accounts=True, seed=3)) as sim,
        InfoClient(sim.url) as info,
    ):
        universe = await info.universe([""])
        exchange = ExchangeClient(
            sim.url, key, key.address, universe=universe, info=info, mainnet=False
        )
        mid = Decimal((await info.post_json("/info", {"type": "allMids"}))["BTC"])
        px = universe.market("BTC").round_price(mid * Decimal("0.9"))
        outcomes = []
        for _ in range(5):
            (outcome,) = await exchange.place_orders(
                [PlaceOrder("BTC", Side.BUY, px, Decimal("0.001"), tif="Alo")]
            )
            outcomes.append(outcome)
        assert all(isinstance(o, Resting) for o in outcomes)
        open_orders = await info.open_orders(key.address)
        assert len(open_orders) == 5
