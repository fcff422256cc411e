"""A small HTTP/1.1 server on trio and h11 for the bot's operational endpoints.

GET only, one request per connection turn, keep-alive honoured; each connection is
a task in the server's nursery and a slow or broken client only costs its own task.
Bodies are built by a ``handler(path) -> (status, content_type, body)`` coroutine.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import h11
import trio

__all__ = ["Handler", "serve_http"]

log = logging.getLogger(__name__)

#: ``await handler(path)`` -> (status code, content type, body)
Handler = Callable[[str], Awaitable[tuple[int, str, bytes]]]

_MAX_REQUEST_BYTES = 16 * 1024
_READ_TIMEOUT_SECS = 10.0


async def serve_http(
    handler: Handler,
    host: str,
    port: int,
    *,
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Listen on ``host:port`` (0: any free port) and serve until cancelled.

    Reports the bound ``(host, port)`` once listening.
    """
    listeners = await trio.open_tcp_listeners(port, host=host)
    sockname = listeners[0].socket.getsockname()
    bound = (str(sockname[0]), int(sockname[1]))
    log.info("serving metrics and health on http://%s:%d", *bound)
    async with trio.open_nursery() as nursery:
        task_status.started(bound)
        await nursery.start(trio.serve_listeners, _connection_handler(handler), listeners)


def _connection_handler(handler: Handler) -> Callable[[trio.SocketStream], Awaitable[None]]:
    async def serve(stream: trio.SocketStream) -> None:
        async with stream:
            try:
                await _serve_connection(handler, stream)
            except (trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError):
                pass  # the client went away or stalled: its connection only
            except h11.ProtocolError as exc:
                log.debug("bad HTTP request on the metrics port: %s", exc)

    return serve


async def _serve_connection(handler: Handler, stream: trio.SocketStream) -> None:
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_REQUEST_BYTES)
    while True:
        request = await _next_event(conn, stream)
        if not isinstance(request, h11.Request):
            return  # ConnectionClosed
        while not isinstance(await _next_event(conn, stream), h11.EndOfMessage):
            pass  # a GET has no body; anything sent is read and ignored
        method = request.method.decode("ascii", "replace")
        path = request.target.decode("ascii", "replace").split("?", 1)[0]
        if method not in ("GET", "HEAD"):
            status, ctype, body = 405, "text/plain; charset=utf-8", b"GET only\n"
        else:
            status, ctype, body = await handler(path)
        headers = [("content-type", ctype), ("content-length", str(len(body)))]
        out = conn.send(h11.Response(status_code=status, headers=headers)) or b""
        if method != "HEAD":
            out += conn.send(h11.Data(data=body)) or b""
        out += conn.send(h11.EndOfMessage()) or b""
        await stream.send_all(out)
        if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
            return
        conn.start_next_cycle()


async def _next_event(conn: h11.Connection, stream: trio.SocketStream) -> object:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        with trio.fail_after(_READ_TIMEOUT_SECS):
            data = await stream.receive_some(4096)
        conn.receive_data(data)
