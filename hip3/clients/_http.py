"""A lean HTTP/1.1 transport for httpx on trio: the request path of every ``/info`` and ``/exchange``.

httpx's default transport (httpcore + h11) spends about a millisecond of Python per small
request on a loaded machine: pool bookkeeping, an event state machine, headers and body written
in two sends. The venue's API is the simplest HTTP there is (a JSON POST, a JSON answer), so
:class:`LeanTransport` does just that: one write per request, a response read into one buffer
(``Content-Length``, chunked, or until close), kept-alive connections reused. httpx stays the
client: URLs, headers, timeouts, content decoding, env proxies (mounted by httpx in front of this
transport) and the exception types callers map to "not sent" / "sent, no answer".

Error mapping (what :meth:`hip3.clients.InfoClient.post_json` relies on):

* connecting fails or times out -> ``httpx.ConnectError`` / ``httpx.ConnectTimeout``: nothing sent;
* anything after the first byte left -> ``httpx.WriteError``/``WriteTimeout``/``ReadError``/
  ``ReadTimeout``/``RemoteProtocolError``: the request may have been processed.

An idle kept-alive connection that became readable (the server closed it, or sent something
unsolicited) is dropped before reuse instead of being written to, so a request is never lost
to a connection the server already gave up. A connection is only put back after a complete,
keep-alive response; any failure or cancellation closes it.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import trio

MAX_HEADER_BYTES = 64 * 1024
_RECEIVE_BYTES = 64 * 1024
_NO_BODY_STATUS = frozenset({204, 304})

Origin = tuple[bytes, str, int]


class _Connection:
    __slots__ = ("buffer", "socket", "stream")

    def __init__(self, stream: trio.abc.Stream, socket: Any) -> None:
        self.stream = stream
        self.socket = socket  # the trio socket under it, to probe idleness
        self.buffer = bytearray()

    def idle_ok(self) -> bool:
        """Still usable after sitting idle: nothing to read (EOF or junk would be readable)."""
        try:
            return not self.buffer and not self.socket.is_readable()
        except OSError:
            return False


def _timeouts(request: httpx.Request) -> dict[str, float | None]:
    timeout: dict[str, float | None] = request.extensions.get("timeout", {})
    return timeout


def _seconds(value: float | None) -> float:
    return float("inf") if value is None else value


class LeanTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over trio sockets (TLS for https) with a small keep-alive pool per origin.

    ``ssl_context`` defaults to httpx's (certificate verification on, certifi's roots).
    """

    def __init__(self, *, max_idle_per_origin: int = 8, ssl_context: ssl.SSLContext | None = None):
        self.max_idle_per_origin = max_idle_per_origin
        self._ssl_context = ssl_context
        self._idle: dict[Origin, list[_Connection]] = {}
        self._closed = False

    # -- connections -----------------------------------------------------------------------------

    async def _connect(self, origin: Origin, request: httpx.Request) -> _Connection:
        scheme, host, port = origin
        timeout = _timeouts(request).get("connect")
        try:
            with trio.fail_after(_seconds(timeout)):
                tcp = await trio.open_tcp_stream(host, port)
                if scheme == b"https":
                    context = self._tls_context()
                    tls = trio.SSLStream(tcp, context, server_hostname=host, https_compatible=True)
                    try:
                        await tls.do_handshake()
                    except BaseException:
                        await trio.aclose_forcefully(tcp)
                        raise
                    return _Connection(tls, tcp.socket)
                return _Connection(tcp, tcp.socket)
        except trio.TooSlowError as exc:
            raise httpx.ConnectTimeout(f"connect to {host}:{port} timed out") from exc
        except (OSError, trio.BrokenResourceError, ssl.SSLError) as exc:
            raise httpx.ConnectError(f"connect to {host}:{port}: {exc}") from exc

    def _tls_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            # The same trust as httpx's default transport (certifi, SSL_CERT_FILE/DIR), HTTP/1.1.
            context = httpx.create_ssl_context()
            context.set_alpn_protocols(["http/1.1"])
            self._ssl_context = context
        return self._ssl_context

    def _take_idle(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.idle_ok():
                return connection
            connection.socket.close()
        return None

    def _put_idle(self, origin: Origin, connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if self._closed or len(idle) >= self.max_idle_per_origin:
            connection.socket.close()
        else:
            idle.append(connection)

    # -- one exchange ----------------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        if self._closed:
            raise httpx.ConnectError("transport is closed")
        scheme = url.raw_scheme
        port = url.port or (443 if scheme == b"https" else 80)
        origin: Origin = (scheme, url.host, port)
        body = await request.aread()
        head = [request.method.encode("ascii"), b" ", url.raw_path, b" HTTP/1.1\r\n"]
        framed = bool(body)
        for name, value in request.headers.raw:
            lowered = name.lower()
            if lowered in (b"content-length", b"transfer-encoding"):
                framed = True  # re-framed below: the body is read whole, so it has a length
                continue
            head += (name, b": ", value, b"\r\n")
        if framed:
            head.append(b"Content-Length: %d\r\n" % len(body))
        head.append(b"\r\n")
        payload = b"".join(head) + body

        connection = self._take_idle(origin) or await self._connect(origin, request)
        reusable = False
        try:
            timeouts = _timeouts(request)
            try:
                with trio.fail_after(_seconds(timeouts.get("write"))):
                    await connection.stream.send_all(payload)
            except trio.TooSlowError as exc:
                raise httpx.WriteTimeout("request write timed out") from exc
            except (OSError, trio.BrokenResourceError, ssl.SSLError) as exc:
                raise httpx.WriteError(f"request write failed: {exc}") from exc
            try:
                with trio.fail_after(_seconds(timeouts.get("read"))):
                    status, headers, content, keep_alive = await _read_response(
                        connection, head_only=request.method == "HEAD"
                    )
            except trio.TooSlowError as exc:
                raise httpx.ReadTimeout("response read timed out") from exc
            except (OSError, trio.BrokenResourceError, ssl.SSLError) as exc:
                raise httpx.ReadError(f"response read failed: {exc}") from exc
            reusable = keep_alive
        finally:
            if reusable:
                self._put_idle(origin, connection)
            else:
                connection.socket.close()
        return httpx.Response(
            status,
            headers=headers,
            stream=httpx.ByteStream(content),
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for connection in idle:
                connection.socket.close()
        self._idle.clear()


async def _fill(connection: _Connection) -> None:
    data = await connection.stream.receive_some(_RECEIVE_BYTES)
    if not data:
        raise httpx.RemoteProtocolError("server closed the connection before a full response")
    connection.buffer += data


async def _read_line(connection: _Connection, limit: int) -> bytes:
    while True:
        end = connection.buffer.find(b"\r\n")
        if end >= 0:
            line = bytes(connection.buffer[:end])
            del connection.buffer[: end + 2]
            return line
        if len(connection.buffer) > limit:
            raise httpx.RemoteProtocolError("response line too long")
        await _fill(connection)


async def _read_exact(connection: _Connection, size: int) -> bytes:
    while len(connection.buffer) < size:
        await _fill(connection)
    data = bytes(connection.buffer[:size])
    del connection.buffer[:size]
    return data


async def _read_response(
    connection: _Connection, *, head_only: bool
) -> tuple[int, list[tuple[bytes, bytes]], bytes, bool]:
    """(status, raw headers, body, keep-alive) of one response; interim 1xx are skipped."""
    while True:
        buffer = connection.buffer
        while (end := buffer.find(b"\r\n\r\n")) < 0:
            if len(buffer) > MAX_HEADER_BYTES:
                raise httpx.RemoteProtocolError("response headers too large")
            await _fill(connection)
        block = bytes(buffer[:end])
        del buffer[: end + 4]
        status_line, *lines = block.split(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise httpx.RemoteProtocolError(f"malformed status line {status_line[:60]!r}")
        status = int(parts[1])
        if 100 <= status < 200:
            continue
        headers: list[tuple[bytes, bytes]] = []
        length: int | None = None
        chunked = False
        keep_alive = parts[0] == b"HTTP/1.1"
        for line in lines:
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip():
                raise httpx.RemoteProtocolError(f"malformed header line {line[:60]!r}")
            value = value.strip()
            headers.append((name, value))
            lowered = name.lower()
            if lowered == b"content-length":
                if not value.isdigit() or (length is not None and int(value) != length):
                    raise httpx.RemoteProtocolError("invalid Content-Length")
                length = int(value)
            elif lowered == b"transfer-encoding":
                chunked = value.lower().endswith(b"chunked")
            elif lowered == b"connection":
                tokens = {token.strip() for token in value.lower().split(b",")}
                if b"close" in tokens:
                    keep_alive = False
                elif b"keep-alive" in tokens:
                    keep_alive = True
        if head_only or status in _NO_BODY_STATUS:
            return status, headers, b"", keep_alive
        if chunked:
            return status, headers, await _read_chunked(connection), keep_alive
        if length is not None:
            return status, headers, await _read_exact(connection, length), keep_alive
        # No framing: the body runs until the server closes.
        while True:
            data = await connection.stream.receive_some(_RECEIVE_BYTES)
            if not data:
                body = bytes(connection.buffer)
                connection.buffer.clear()
                return status, headers, body, False
            connection.buffer += data


async def _read_chunked(connection: _Connection) -> bytes:
    body = bytearray()
    while True:
        size_line = (await _read_line(connection, 1024)).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise httpx.RemoteProtocolError("malformed chunk size") from None
        if size < 0:
            raise httpx.RemoteProtocolError("malformed chunk size")
        if size == 0:
            while await _read_line(connection, MAX_HEADER_BYTES):  # trailers, then a blank line
                pass
            return bytes(body)
        body += await _read_exact(connection, size)
        if await _read_exact(connection, 2) != b"\r\n":
            raise httpx.RemoteProtocolError("chunk not followed by CRLF")


__all__ = ["MAX_HEADER_BYTES", "LeanTransport"]
