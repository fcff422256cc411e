"""HTTP/1.1 over one trio stream with h11: keep-alive, and the hand-off of a websocket upgrade.

Why h11 by hand rather than an ASGI server: the simulator must be able to misbehave like a
real venue on the wire — close a connection instead of answering, stall an answer, cut a
websocket without a close frame — and share one port between HTTP and the websocket. With
h11 and wsproto (both already dependencies of httpx and trio-websocket) every byte on the
socket is ours to withhold, and nothing new has to be installed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import attrs
import h11
import trio
from wsproto.utilities import generate_accept_token

__all__ = ["HttpRequest", "HttpResponse", "serve_http_connection"]

MAX_BODY_BYTES = 4 * 1024 * 1024
_RECEIVE_BYTES = 64 * 1024


@attrs.frozen
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes


@attrs.frozen
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/json"

    @classmethod
    def text(cls, status: int, text: str) -> HttpResponse:
        return cls(status, text.encode(), "text/plain; charset=utf-8")


# None: close the connection without answering (a lost response).
RequestHandler = Callable[[HttpRequest], Awaitable[HttpResponse | None]]
# Called with the stream and the bytes already read past the upgrade request.
UpgradeHandler = Callable[[trio.abc.Stream, bytes], Awaitable[None]]


class _ClientGone(Exception):
    """The peer closed or broke the connection; nothing more to do."""


async def serve_http_connection(
    stream: trio.abc.Stream,
    handle_request: RequestHandler,
    handle_websocket: UpgradeHandler,
    *,
    websocket_path: str = "/ws",
) -> None:
    """Serve requests on ``stream`` until the client closes it (keep-alive in between).

    A ``GET websocket_path`` with ``Upgrade: websocket`` is answered ``101`` and the stream is
    handed to ``handle_websocket``. The caller owns (and closes) the stream.
    """
    conn = h11.Connection(h11.SERVER)
    try:
        while True:
            event = await _next_event(conn, stream)
            if isinstance(event, h11.ConnectionClosed):
                return
            assert isinstance(event, h11.Request)
            request = HttpRequest(
                method=event.method.decode("ascii", "replace"),
                path=event.target.decode("ascii", "replace").split("?", 1)[0],
                headers=_headers(event.headers),
                body=b"",
            )
            if _is_websocket_upgrade(request):
                if request.path != websocket_path:
                    await _respond(conn, stream, HttpResponse.text(404, "Not Found"))
                    return
                await _accept_websocket(conn, stream, request, handle_websocket)
                return
            body = await _read_body(conn, stream)
            if body is None:
                await _respond(conn, stream, HttpResponse.text(413, "Payload Too Large"))
                return
            response = await handle_request(attrs.evolve(request, body=body))
            if response is None:
                return
            await _respond(conn, stream, response)
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return
            conn.start_next_cycle()
    except h11.RemoteProtocolError:
        if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            try:
                await _respond(conn, stream, HttpResponse.text(400, "Bad Request"))
            except (h11.LocalProtocolError, _ClientGone):
                pass
    except _ClientGone:
        return


async def _next_event(conn: h11.Connection, stream: trio.abc.Stream) -> h11.Event:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event  # type: ignore[return-value]
        try:
            data = await stream.receive_some(_RECEIVE_BYTES)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            raise _ClientGone from exc
        conn.receive_data(bytes(data))


async def _read_body(conn: h11.Connection, stream: trio.abc.Stream) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        event = await _next_event(conn, stream)
        if isinstance(event, h11.Data):
            size += len(event.data)
            if size > MAX_BODY_BYTES:
                return None
            chunks.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage):
            return b"".join(chunks)
        elif isinstance(event, h11.ConnectionClosed):
            raise _ClientGone


async def _respond(conn: h11.Connection, stream: trio.abc.Stream, response: HttpResponse) -> None:
    headers = [
        ("content-type", response.content_type),
        ("content-length", str(len(response.body))),
        ("server", "hip3-sim"),
    ]
    data = conn.send(h11.Response(status_code=response.status, headers=headers))
    data += conn.send(h11.Data(data=response.body)) or b""
    data += conn.send(h11.EndOfMessage()) or b""
    await _send(stream, data or b"")


async def _send(stream: trio.abc.Stream, data: bytes) -> None:
    try:
        await stream.send_all(data)
    except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
        raise _ClientGone from exc


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def _is_websocket_upgrade(request: HttpRequest) -> bool:
    connection = {part.strip().lower() for part in request.headers.get("connection", "").split(",")}
    return "upgrade" in connection and request.headers.get("upgrade", "").lower() == "websocket"


async def _accept_websocket(
    conn: h11.Connection,
    stream: trio.abc.Stream,
    request: HttpRequest,
    handle_websocket: UpgradeHandler,
) -> None:
    key = request.headers.get("sec-websocket-key", "")
    if request.method != "GET" or not key:
        await _respond(conn, stream, HttpResponse.text(400, "Bad websocket handshake"))
        return
    # Let h11 see the end of the (bodyless) request so it knows the switch is on.
    while conn.their_state is h11.SEND_BODY:
        event = await _next_event(conn, stream)
        if isinstance(event, h11.ConnectionClosed):
            return
    accept = generate_accept_token(key.encode("ascii")).decode("ascii")
    # No extensions are offered back, so the client must not compress (no permessage-deflate).
    switch = h11.InformationalResponse(
        status_code=101,
        headers=[
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-accept", accept),
        ],
    )
    await _send(stream, conn.send(switch) or b"")
    trailing, _closed = conn.trailing_data
    await handle_websocket(stream, bytes(trailing))
