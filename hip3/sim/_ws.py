"""One simulated websocket connection: a reader, a writer, and the faults between them.

Everything sent to the client goes through one bounded queue drained by one writer task, the
only code that writes to the socket; the faults of :mod:`hip3.sim.faults` are applied there, at
the last moment, so a dropped or delayed message never changes what the engine did.

Slow consumers: messages are queued without waiting (the engine must never block on a
client, and an ack must be queued in the same step as the subscription it acknowledges). When
a connection's queue is full the connection is cut, as a real venue does with a client that
does not keep up; the client reconnects and its ``userFills`` snapshot covers the gap.
"""

from __future__ import annotations

import enum
import heapq
import math
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import trio
import wsproto
import wsproto.events as ws_events
import wsproto.utilities
from wsproto.connection import ConnectionState, ConnectionType

from hip3.sim.faults import PostFate, WsFate, WsFaults

__all__ = ["OutKind", "Outgoing", "WsSession"]

GREETING = "Websocket connection established."  # the venue's first (plain-text) frame (§4.1)
_RECEIVE_BYTES = 64 * 1024
MAX_MESSAGE_CHARS = 1024 * 1024


class OutKind(enum.Enum):
    DATA = "data"  # subscription data: faultable per channel
    CONTROL = "control"  # acks, pong, errors, snapshots: never faulted
    POST = "post"  # post answers: may be dropped or delayed


@attrs.frozen
class Outgoing:
    kind: OutKind
    channel: str
    text: str


@attrs.frozen
class _Frame:
    """A protocol-level frame (pong, close reply) the writer must send."""

    event: ws_events.Event


class CloseReason(enum.Enum):
    CLIENT = "client closed"
    SLOW_CONSUMER = "slow consumer"
    IDLE = "idle"
    INJECTED = "injected disconnect"
    SHUTDOWN = "server shutdown"


TextHandler = Callable[["WsSession", str], Awaitable[None]]


class WsSession:
    """A websocket connection after the 101; :meth:`run` returns when it is over."""

    def __init__(
        self,
        number: int,
        stream: trio.abc.Stream,
        initial: bytes,
        *,
        faults: WsFaults,
        on_text: TextHandler,
        buffer_size: int,
        idle_timeout_secs: float,
        post_delay_secs: float,
        ws_delay_secs: float,
    ) -> None:
        self.number = number
        self.subscriptions: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.close_reason: CloseReason | None = None
        self._stream = stream
        self._initial = initial
        self._ws = wsproto.connection.Connection(ConnectionType.SERVER)
        self._faults = faults
        self._on_text = on_text
        self._send, self._receive = trio.open_memory_channel[Outgoing | _Frame](buffer_size)
        self._idle_timeout_secs = idle_timeout_secs
        self._post_delay_secs = post_delay_secs
        self._ws_delay_secs = ws_delay_secs
        self._scope = trio.CancelScope()

    # -- queueing (any task) ---------------------------------------------------------------------

    def offer(self, kind: OutKind, channel: str, text: str) -> None:
        """Queue a message without waiting; a full queue cuts the connection (slow consumer)."""
        if self.close_reason is not None:
            return
        try:
            self._send.send_nowait(Outgoing(kind, channel, text))
        except trio.WouldBlock:
            self.close(CloseReason.SLOW_CONSUMER)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            pass

    def close(self, reason: CloseReason) -> None:
        """Cut the connection (abruptly: no close frame)."""
        if self.close_reason is None:
            self.close_reason = reason
        self._scope.cancel()

    # -- the connection --------------------------------------------------------------------------

    async def run(self) -> None:
        with self._scope:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._write_loop)
                await self._read_loop()
                # The client went away (or closed): the writer has nothing left to do.
                nursery.cancel_scope.cancel()
        if self.close_reason in (CloseReason.INJECTED, CloseReason.SLOW_CONSUMER):
            _reset_on_close(self._stream)

    async def _read_loop(self) -> None:
        if self._initial:
            self._ws.receive_data(self._initial)
        parts: list[Any] = []  # the fragments of the message being received
        size = 0
        while True:
            for event in self._ws.events():
                if isinstance(event, ws_events.Message):
                    parts.append(event.data)
                    size += len(event.data)
                    if size > MAX_MESSAGE_CHARS:
                        await self._send.send(_Frame(ws_events.CloseConnection(1009)))
                        return
                    if event.message_finished:
                        text = _join(parts)
                        parts, size = [], 0
                        await self._on_text(self, text)
                elif isinstance(event, ws_events.Ping):
                    await self._send.send(_Frame(event.response()))
                elif isinstance(event, ws_events.CloseConnection):
                    self.close_reason = self.close_reason or CloseReason.CLIENT
                    await self._send.send(_Frame(event.response()))
                    await trio.sleep_forever()  # the writer ends the connection after the reply
            try:
                data = await self._stream.receive_some(_RECEIVE_BYTES)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                data = b""
            if not data:
                self.close_reason = self.close_reason or CloseReason.CLIENT
                return
            try:
                self._ws.receive_data(bytes(data))
            except wsproto.utilities.RemoteProtocolError:
                self.close_reason = self.close_reason or CloseReason.CLIENT
                return

    async def _write_loop(self) -> None:
        writer = _Writer(self)
        await writer.run()
        self._scope.cancel()


class _Writer:
    """The writer task's state: delayed and held messages, idle and disconnect deadlines."""

    def __init__(self, session: WsSession) -> None:
        self.session = session
        self.delayed: list[tuple[float, int, Outgoing]] = []
        self.held: dict[str, tuple[float, Outgoing]] = {}
        self.seq = 0
        self.last_sent = trio.current_time()
        after = session._faults.next_disconnect_secs()
        self.disconnect_at = math.inf if after is None else self.last_sent + after

    async def run(self) -> None:
        s = self.session
        await self.send_text(GREETING)
        while True:
            idle_at = self.last_sent + s._idle_timeout_secs
            wake = min(idle_at, self.disconnect_at, *(due for due, _ in self.held.values()))
            if self.delayed:
                wake = min(wake, self.delayed[0][0])
            item: Outgoing | _Frame | None = None
            with trio.move_on_at(wake):
                item = await s._receive.receive()
            now = trio.current_time()
            if now >= self.disconnect_at:
                s._faults.count_disconnect()
                s.close_reason = CloseReason.INJECTED
                return
            while self.delayed and self.delayed[0][0] <= now:
                await self.send_text(heapq.heappop(self.delayed)[2].text)
            for channel, (due, held) in list(self.held.items()):
                if due <= now:
                    del self.held[channel]
                    await self.send_text(held.text)
            if item is None:
                if now >= self.last_sent + s._idle_timeout_secs:
                    s.close_reason = CloseReason.IDLE
                    await self.send_event(ws_events.CloseConnection(1000, "idle"))
                    return
                continue
            if isinstance(item, _Frame):
                await self.send_event(item.event)
                if isinstance(item.event, ws_events.CloseConnection):
                    return
                continue
            await self.deliver(item, now)

    async def deliver(self, item: Outgoing, now: float) -> None:
        faults = self.session._faults
        if item.kind is OutKind.CONTROL:
            await self.send_text(item.text)
        elif item.kind is OutKind.POST:
            post_fate = faults.post_fate()
            if post_fate is PostFate.DELAY:
                self.delay(item, now + self.session._post_delay_secs)
            elif post_fate is PostFate.DELIVER:
                await self.send_text(item.text)
        elif item.channel in self.held:
            # This message overtakes the one held back: the swap completes.
            _, held = self.held.pop(item.channel)
            await self.send_text(item.text)
            await self.send_text(held.text)
        else:
            fate = faults.data_fate(item.channel)
            if fate is WsFate.DELIVER:
                await self.send_text(item.text)
            elif fate is WsFate.DUPLICATE:
                await self.send_text(item.text)
                await self.send_text(item.text)
            elif fate is WsFate.DELAY:
                self.delay(item, now + self.session._ws_delay_secs)
            elif fate is WsFate.REORDER:
                # Released after the next message of its channel, or after ws_delay_ms if
                # none comes, so a reordered message is never lost.
                self.held[item.channel] = (now + self.session._ws_delay_secs, item)

    def delay(self, item: Outgoing, due: float) -> None:
        self.seq += 1
        heapq.heappush(self.delayed, (due, self.seq, item))

    async def send_text(self, text: str) -> None:
        await self.send_event(ws_events.TextMessage(data=text))

    async def send_event(self, event: ws_events.Event) -> None:
        ws = self.session._ws
        if ws.state is not ConnectionState.OPEN and not isinstance(
            event, ws_events.CloseConnection
        ):
            # The client has begun closing: what was still queued for it is dropped (wsproto
            # refuses to send it) and the close reply, queued after it, ends the connection.
            await trio.lowlevel.checkpoint()
            return
        try:
            data = ws.send(event)
        except wsproto.utilities.LocalProtocolError:  # a second close: nothing left to say
            await trio.lowlevel.checkpoint()
            return
        try:
            await self.session._stream.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            self.session.close_reason = self.session.close_reason or CloseReason.CLIENT
            self.session._scope.cancel()
            await trio.lowlevel.checkpoint()
            return
        self.last_sent = trio.current_time()


def _join(parts: list[Any]) -> str:
    if parts and isinstance(parts[0], str):
        return "".join(parts)
    return b"".join(bytes(part) for part in parts).decode("utf-8", "replace")


def _reset_on_close(stream: trio.abc.Stream) -> None:
    """Make the coming close a TCP reset (SO_LINGER 0): an abrupt cut, not a goodbye."""
    if isinstance(stream, trio.SocketStream):
        try:
            stream.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
