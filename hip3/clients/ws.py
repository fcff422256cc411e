"""WsClient: the venue's websocket (hyperliquid-api.md §4) over trio-websocket.

Runs inside the caller's nursery (``async with open_ws_client(url) as ws:`` or
``ws = await nursery.start(WsClient(url).run)``). What it guarantees:

* **Subscriptions with acks.** :meth:`WsClient.subscribe` sends the subscribe message and waits for
  the ``subscriptionResponse`` ack. The venue normalises the echoed subscription (fields added or
  dropped), so an ack matches when every key present in both has the same value (§4.1).
* **One bounded queue per subscription** between the connection and its consumer, with an explicit
  slow-consumer policy chosen per subscription:

  - ``SlowConsumerPolicy.BACKPRESSURE`` (default for user streams: ``userFills``, ``orderUpdates``,
    ``userEvents``, ...): when the queue is full the reader waits for the consumer. Nothing is ever
    dropped, at the price that a stuck consumer stalls the whole connection (and eventually the
    venue closes it; the reconnect snapshot then brings the data back).
  - ``SlowConsumerPolicy.DROP_OLDEST`` (default for market data: ``l2Book``, ``allMids``, ``bbo``,
    ``trades``, ...): each message is a full current view (§4.3), so when the queue is full the
    oldest queued message is discarded and counted in ``stats.dropped[key]``.

* **Heartbeat.** ``{"method":"ping"}`` every 50 s; the venue closes a connection that has not sent
  anything for 60 s (§4.2). If nothing at all arrives within ``pong_timeout_secs`` after a ping the
  connection is considered dead and replaced.
* **Reconnect** with jittered exponential backoff; every subscription is re-sent. Each consumer
  first receives a ``WsEvent(kind="reconnected")`` notice and then the fresh ack snapshot, flagged
  ``is_snapshot=True`` — the venue replays missed time-series data in that snapshot (§4.3), so a
  consumer that de-duplicates fills by ``(coin, tid)`` loses nothing. Channels without snapshots
  (``orderUpdates``, ``userEvents``) must be reconciled over REST on the notice.
* **post** over the socket with id correlation and a per-request timeout. If the request was sent
  and no answer came (timeout, connection lost), :class:`~hip3.clients.outcome.SentNoAnswerError`
  is raised and the caller must resolve the outcome (never re-post blindly).
* **Malformed or unknown messages** are counted in :class:`WsStats`, logged once (with a sample)
  per kind, and skipped; the connection lives on.

Consumers receive each message inside :class:`WsEvent`: ``raw`` is the frame as received and
``data`` the venue's JSON of its ``data``. Without a journal the client routes a data frame from
one msgspec scan (channel, ``coin``/``user``/``dex``, ``isSnapshot``; nothing built) and ``data``
is parsed only when a consumer reads it: the bot's feeds decode ``raw`` straight into domain
records (:mod:`hip3.wire.frames`), so a frame is parsed once. With a journal every frame is
parsed in full and recorded as before.
"""

from __future__ import annotations

import collections
import enum
import itertools
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Literal

import attrs
import msgspec
import orjson
import trio
import trio_websocket

from hip3.clients.backoff import Backoff
from hip3.clients.journal import MessageRecorder
from hip3.clients.outcome import NotSentError, SentNoAnswerError
from hip3.clients.ratelimit import RateLimiter
from hip3.errors import ExchangeError, TransportError, ValidationError

log = logging.getLogger(__name__)

PING_INTERVAL_SECS = 50.0  # the official SDK's choice; the venue's idle cutoff is 60 s (§4.2)

# Subscription type -> channel name(s) of its data messages, where they differ (§4.4).
_CHANNELS: dict[str, tuple[str, ...]] = {
    "userEvents": ("user",),
    "activeAssetCtx": ("activeAssetCtx", "activeSpotAssetCtx"),
    "candle": ("candle",),
}
_MARKET_DATA = frozenset(
    {
        "allMids",
        "l2Book",
        "bbo",
        "trades",
        "candle",
        "activeAssetCtx",
        "allDexsAssetCtxs",
        "fastAssetCtxs",
    }
)
# Keys that tell which subscription of a channel a data message belongs to.
_ROUTING_KEYS = ("coin", "user", "dex")


class SlowConsumerPolicy(enum.Enum):
    BACKPRESSURE = "backpressure"
    DROP_OLDEST = "drop_oldest"


def default_policy(subscription: Mapping[str, Any]) -> SlowConsumerPolicy:
    """DROP_OLDEST for market data (each message is a full view), BACKPRESSURE otherwise."""
    if subscription.get("type") in _MARKET_DATA:
        return SlowConsumerPolicy.DROP_OLDEST
    return SlowConsumerPolicy.BACKPRESSURE


def subscription_key(subscription: Mapping[str, Any]) -> str:
    """Stable text key of a subscription (sorted keys), used in stats."""
    return orjson.dumps(dict(subscription), option=orjson.OPT_SORT_KEYS).decode()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()  # addresses may come back in another case
    return bool(a == b)


def ack_matches(requested: Mapping[str, Any], echoed: Mapping[str, Any]) -> bool:
    """Subset match of an ack's echoed subscription against what we asked for."""
    if requested.get("type") != echoed.get("type"):
        return False
    return all(_same(v, echoed[k]) for k, v in requested.items() if k in echoed)


_LAZY: Any = object()
"""``WsEvent.data`` not parsed yet: it is parsed from ``raw`` when first read."""


class WsEvent:
    """What a consumer receives: a data message (``kind="data"``, ``data`` is the message's data,
    ``is_snapshot`` from the venue's ``isSnapshot``) or a ``kind="reconnected"`` notice that
    precedes the fresh snapshot after a reconnect.

    ``raw`` is the frame exactly as the socket delivered it (data events from a
    :class:`WsClient`). The client routes a frame without building its ``data``; ``data`` is
    parsed from ``raw`` the first time it is read, so a consumer that decodes ``raw`` itself
    (the bot's feeds: :mod:`hip3.wire.frames`) parses each frame once.
    """

    __slots__ = ("_data", "channel", "is_snapshot", "kind", "raw")

    def __init__(
        self,
        kind: Literal["data", "reconnected"],
        channel: str,
        data: Any = None,
        is_snapshot: bool = False,
        raw: str | bytes | None = None,
    ) -> None:
        if data is _LAZY and raw is None:
            raise ValueError("WsEvent: data to be parsed needs raw")
        self.kind = kind
        self.channel = channel
        self._data = data
        self.is_snapshot = is_snapshot
        self.raw = raw

    @property
    def data(self) -> Any:
        if self._data is _LAZY:
            # msgspec, as routing accepted the frame: the same grammar, so this cannot fail
            # (a float beyond range is inf rather than an error).
            self._data = _lazy_decoder.decode(self.raw)["data"]  # type: ignore[arg-type]
        return self._data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WsEvent):
            return NotImplemented
        return (self.kind, self.channel, self.is_snapshot, self.data) == (
            other.kind,
            other.channel,
            other.is_snapshot,
            other.data,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"WsEvent(kind={self.kind!r}, channel={self.channel!r}, data={self.data!r:.200},"
            f" is_snapshot={self.is_snapshot!r})"
        )


class _Envelope(msgspec.Struct, gc=False):
    """A frame's channel, its data left unparsed (msgspec skips over it)."""

    channel: str
    data: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


class _Probe(msgspec.Struct, gc=False, rename={"is_snapshot": "isSnapshot"}):
    """What routing reads of a data object (every other key skipped, not built)."""

    coin: Any = msgspec.UNSET
    user: Any = msgspec.UNSET
    dex: Any = msgspec.UNSET
    is_snapshot: Any = msgspec.UNSET


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_lazy_decoder = msgspec.json.Decoder(float_hook=float)
_probe_decoder = msgspec.json.Decoder(_Probe | list[msgspec.Raw])
_first_probe_decoder = msgspec.json.Decoder(_Probe)
_CONTROL_CHANNELS = frozenset({"pong", "subscriptionResponse", "post", "error"})


def _route(raw: str | bytes) -> tuple[str, dict[str, Any], bool] | None:
    """(channel, routing keys, isSnapshot) of a data frame, from one msgspec scan of the frame
    (no dicts built); None when the frame needs the full parse (control channels, anything
    unusual: the full path decides and counts it exactly as before)."""
    try:
        if not isinstance(raw, str):
            # msgspec does not check the UTF-8 of what it skips: a byte frame is checked
            # here, so that ``data`` parsed later cannot fail (text frames are str already).
            raw.decode("utf-8")
        envelope = _envelope_decoder.decode(raw)
        if envelope.channel in _CONTROL_CHANNELS or envelope.data is msgspec.UNSET:
            return None
        probe = _probe_decoder.decode(envelope.data)
        if isinstance(probe, list):
            if not probe:
                return envelope.channel, {}, False
            probe = _first_probe_decoder.decode(probe[0])
            is_snapshot = False  # a list's isSnapshot is no flag of the message
        else:
            is_snapshot = probe.is_snapshot is True
    except (msgspec.DecodeError, RecursionError, UnicodeError):
        return None  # deep nesting, lone surrogates...: the full path counts it as before
    keys = {
        k: v
        for k, v in (("coin", probe.coin), ("user", probe.user), ("dex", probe.dex))
        if v is not msgspec.UNSET
    }
    return envelope.channel, keys, is_snapshot


@attrs.define
class WsStats:
    messages_in: int = 0
    messages_out: int = 0
    malformed: int = 0
    unknown: int = 0
    errors: int = 0
    reconnects: int = 0
    pings: int = 0
    dropped: dict[str, int] = attrs.field(factory=dict)


class _BoundedQueue:
    """A bounded FIFO with both policies. Owned (and closed) by the WsClient."""

    def __init__(self, maxsize: int, policy: SlowConsumerPolicy) -> None:
        if maxsize < 1:
            raise ValueError("subscription queue maxsize must be >= 1")
        self.maxsize = maxsize
        self.policy = policy
        self._items: collections.deque[WsEvent] = collections.deque()
        self._not_empty = trio.lowlevel.ParkingLot()
        self._not_full = trio.lowlevel.ParkingLot()
        self.closed = False

    def __len__(self) -> int:
        return len(self._items)

    async def put(self, item: WsEvent) -> int:
        """Queue ``item``; returns how many old items were dropped to make room."""
        dropped = 0
        if self.policy is SlowConsumerPolicy.DROP_OLDEST:
            while len(self._items) >= self.maxsize:
                self._items.popleft()
                dropped += 1
        else:
            while len(self._items) >= self.maxsize and not self.closed:
                await self._not_full.park()
        if self.closed:
            return dropped
        self._items.append(item)
        self._not_empty.unpark()
        return dropped

    async def get(self) -> WsEvent:
        while not self._items:
            if self.closed:
                raise trio.EndOfChannel
            await self._not_empty.park()
        item = self._items.popleft()
        self._not_full.unpark()
        return item

    def close(self) -> None:
        self.closed = True
        self._not_empty.unpark_all()
        self._not_full.unpark_all()


class Subscription:
    """A live subscription. Iterate it (``async for event in sub``) to consume events."""

    def __init__(
        self,
        client: WsClient,
        subscription: dict[str, Any],
        policy: SlowConsumerPolicy,
        maxsize: int,
    ) -> None:
        self.client = client
        self.subscription = subscription
        self.key = subscription_key(subscription)
        self.policy = policy
        self.channels = _CHANNELS.get(str(subscription["type"]), (str(subscription["type"]),))
        self._queue = _BoundedQueue(maxsize, policy)

    def __aiter__(self) -> AsyncIterator[WsEvent]:
        return self

    async def __anext__(self) -> WsEvent:
        try:
            return await self._queue.get()
        except trio.EndOfChannel:
            raise StopAsyncIteration from None

    async def receive(self) -> WsEvent:
        """Next event; raises trio.EndOfChannel once unsubscribed or the client stopped."""
        return await self._queue.get()

    @property
    def queued(self) -> int:
        return len(self._queue)

    def accepts(self, channel: str, data: Any) -> bool:
        if channel not in self.channels:
            return False
        probe = data[0] if isinstance(data, list) and data else data
        if not isinstance(probe, dict):
            return True
        return all(
            _same(self.subscription[k], probe[k])
            for k in _ROUTING_KEYS
            if k in self.subscription and k in probe
        )

    async def _deliver(self, event: WsEvent, stats: WsStats) -> None:
        dropped = await self._queue.put(event)
        if dropped:
            stats.dropped[self.key] = stats.dropped.get(self.key, 0) + dropped


@attrs.define
class _PendingAck:
    subscription: dict[str, Any]
    method: str
    done: trio.Event = attrs.field(factory=trio.Event)
    error: str | None = None


@attrs.define
class _PendingPost:
    done: trio.Event = attrs.field(factory=trio.Event)
    response: Any = None
    lost: bool = False  # the connection carrying it went away


class _DeadConnection(Exception):
    """Nothing arrived within pong_timeout_secs of a ping: replace the connection."""


_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    trio_websocket.HandshakeError,
    trio_websocket.ConnectionClosed,
    trio_websocket.ConnectionRejected,
    trio.BrokenResourceError,
    trio.ClosedResourceError,
    OSError,
    _DeadConnection,
)


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        return all(_is_connection_error(e) for e in exc.exceptions)
    return isinstance(exc, _CONNECTION_ERRORS)


class WsClient:
    """See the module docstring. One connection; share a :class:`RateLimiter` across clients."""

    def __init__(
        self,
        url: str,
        *,
        limiter: RateLimiter | None = None,
        backoff: Backoff | None = None,
        recorder: MessageRecorder | None = None,
        ping_interval_secs: float = PING_INTERVAL_SECS,
        pong_timeout_secs: float = 10.0,
        ack_timeout_secs: float = 10.0,
        post_timeout_secs: float = 10.0,
        connect_timeout_secs: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self.limiter = limiter or RateLimiter()
        self.backoff = backoff or Backoff(base_secs=0.5, cap_secs=30.0)
        self.recorder = recorder
        self.ping_interval_secs = ping_interval_secs
        self.pong_timeout_secs = pong_timeout_secs
        self.ack_timeout_secs = ack_timeout_secs
        self.post_timeout_secs = post_timeout_secs
        self.connect_timeout_secs = connect_timeout_secs
        self.stats = WsStats()
        self._rng = rng or random.Random()
        self._subs: list[Subscription] = []
        self._sent_keys: set[str] = set()  # subscriptions sent on the current connection
        self._acks: list[_PendingAck] = []
        self._posts: dict[int, _PendingPost] = {}
        self._post_ids = itertools.count(1)
        self._conn: trio_websocket.WebSocketConnection | None = None
        self._connected = trio.Event()
        self._ever_connected = False
        self._last_rx = 0.0
        self._logged_kinds: set[str] = set()
        self._send_lock = trio.Lock()
        self._cancel_scope: trio.CancelScope | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def run(
        self, *, task_status: trio.TaskStatus[WsClient] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Connect, keep connected and serve until cancelled or :meth:`stop`. Reports started once
        the first connection is up; if the first connection cannot be made within the backoff's
        ``max_attempts`` it raises :class:`TransportError` instead. Later losses reconnect forever
        (the venue disconnects periodically without notice, §4.2)."""
        attempt = 0
        try:
            with trio.CancelScope() as scope:
                self._cancel_scope = scope
                while True:
                    try:
                        async with trio_websocket.open_websocket_url(
                            self.url,
                            connect_timeout=self.connect_timeout_secs,
                            disconnect_timeout=1.0,
                        ) as conn:
                            attempt = 0
                            await self._session(conn, task_status)
                    except Exception as exc:
                        if not _is_connection_error(exc):
                            raise
                        if not self._ever_connected and attempt + 1 >= self.backoff.max_attempts:
                            raise TransportError(
                                f"ws {self.url}: cannot connect ({type(exc).__name__})"
                            ) from exc
                        log.info("ws %s: connection lost (%s)", self.url, type(exc).__name__)
                    self._on_disconnect()
                    if self._ever_connected:
                        self.stats.reconnects += 1
                    delay = self.backoff.delay_secs(attempt, self._rng)
                    attempt += 1
                    await trio.sleep(delay)
        finally:
            self._on_disconnect()
            for ack in self._acks:
                ack.error = "ws client stopped"
                ack.done.set()
            for sub in self._subs:
                sub._queue.close()

    @property
    def connected(self) -> bool:
        """True while a connection is up (False before the first and between reconnects)."""
        return self._connected.is_set()

    def stop(self) -> None:
        """Close the connection for good; :meth:`run` returns and every subscription ends."""
        if self._cancel_scope is not None:
            self._cancel_scope.cancel()

    def _on_disconnect(self) -> None:
        self._conn = None
        self._sent_keys = set()
        if self._connected.is_set():
            self._connected = trio.Event()
        # Posts in flight on the lost connection: their outcome is unknown to us now.
        for pending in self._posts.values():
            pending.lost = True
            pending.done.set()
        self._posts.clear()

    async def _session(
        self, conn: trio_websocket.WebSocketConnection, task_status: trio.TaskStatus[WsClient]
    ) -> None:
        self._conn = conn
        self._last_rx = trio.current_time()
        if self._ever_connected:
            # Tell every consumer before the fresh snapshot arrives, so it can reconcile
            # (channels without a snapshot need a REST look-up, §4.3).
            for sub in list(self._subs):
                await sub._deliver(WsEvent("reconnected", sub.channels[0]), self.stats)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._reader, conn)
            nursery.start_soon(self._heartbeat, lambda: self._send(conn, {"method": "ping"}))
            for sub in list(self._subs):
                await self._send_subscribe(conn, sub)
            self._connected.set()
            if not self._ever_connected:
                self._ever_connected = True
                task_status.started(self)

    async def _heartbeat(self, send_ping: Callable[[], Awaitable[None]]) -> None:
        """Ping every ``ping_interval_secs``; if nothing at all arrives within
        ``pong_timeout_secs`` of a ping, the connection is dead (raises _DeadConnection)."""
        next_ping = trio.current_time() + self.ping_interval_secs
        pong_wait = min(self.pong_timeout_secs, self.ping_interval_secs)
        while True:
            await trio.sleep_until(next_ping)
            ping_at = trio.current_time()
            await send_ping()
            self.stats.pings += 1
            await trio.sleep(pong_wait)
            if self._last_rx < ping_at:
                raise _DeadConnection(f"no message within {pong_wait}s of a ping")
            next_ping = ping_at + self.ping_interval_secs

    async def _send(self, conn: trio_websocket.WebSocketConnection, msg: dict[str, Any]) -> None:
        await self.limiter.acquire_ws_message()
        async with self._send_lock:
            # Journal the message before it leaves: once sent, its answer can be read (and
            # journaled) by the reader task before this task runs again.
            if self.recorder is not None:
                self.recorder.record("out", "ws", msg)
            await conn.send_message(orjson.dumps(msg).decode())
        self.stats.messages_out += 1

    async def _send_subscribe(
        self, conn: trio_websocket.WebSocketConnection, sub: Subscription
    ) -> None:
        # Once per connection: a subscribe() racing a reconnect's resubscription must not send
        # it twice (the venue would answer "Already subscribed" and fail the caller).
        if sub.key in self._sent_keys:
            return
        self._sent_keys.add(sub.key)
        await self._send(conn, {"method": "subscribe", "subscription": sub.subscription})

    async def _wait_connected(self) -> trio_websocket.WebSocketConnection:
        while True:
            conn = self._conn
            if conn is not None and self._connected.is_set() and conn.closed is None:
                return conn
            await self._connected.wait()
            if self._conn is None:
                await trio.lowlevel.checkpoint()  # that event belonged to a dead connection

    # -- incoming --------------------------------------------------------------------------------

    def _log_once(self, kind: str, sample: Any) -> None:
        if kind not in self._logged_kinds:
            self._logged_kinds.add(kind)
            log.warning(
                "ws %s: skipping %s message (logged once), sample: %.300r", self.url, kind, sample
            )

    async def _reader(self, conn: trio_websocket.WebSocketConnection) -> None:
        while True:
            raw = await conn.get_message()
            self._last_rx = trio.current_time()
            self.stats.messages_in += 1
            await self._dispatch(raw)

    async def _dispatch(self, raw: str | bytes) -> None:
        if self.recorder is None:  # the journal records parsed messages: the full path
            routed = _route(raw)
            if routed is not None:
                await self._deliver_routed(raw, *routed)
                return
        try:
            msg = orjson.loads(raw)
        except orjson.JSONDecodeError:
            if raw == "Websocket connection established.":
                return  # the venue's plain-text greeting (§4.1)
            self.stats.malformed += 1
            self._log_once("malformed", raw)
            return
        if not isinstance(msg, dict) or not isinstance(msg.get("channel"), str):
            self.stats.malformed += 1
            self._log_once("malformed", msg)
            return
        if self.recorder is not None:
            self.recorder.record("in", "ws", msg)
        channel: str = msg["channel"]
        data = msg.get("data")
        if channel == "pong":
            return
        if channel == "subscriptionResponse":
            self._on_ack(msg)
        elif channel == "post":
            self._on_post(msg)
        elif channel == "error":
            self._on_error(data)
        elif "data" not in msg:
            self.stats.malformed += 1
            self._log_once("malformed", msg)
        else:
            targets = [sub for sub in self._subs if sub.accepts(channel, data)]
            if not targets:
                self.stats.unknown += 1
                self._log_once(f"unknown channel {channel!r}", msg)
                return
            is_snapshot = isinstance(data, dict) and data.get("isSnapshot") is True
            for sub in targets:
                await sub._deliver(WsEvent("data", channel, data, is_snapshot, raw), self.stats)

    async def _deliver_routed(
        self, raw: str | bytes, channel: str, keys: dict[str, Any], is_snapshot: bool
    ) -> None:
        targets = [sub for sub in self._subs if sub.accepts(channel, keys)]
        if not targets:
            self.stats.unknown += 1
            self._log_once(f"unknown channel {channel!r}", raw)
            return
        for sub in targets:
            await sub._deliver(WsEvent("data", channel, _LAZY, is_snapshot, raw), self.stats)

    def _on_ack(self, msg: dict[str, Any]) -> None:
        data = msg.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("subscription"), dict):
            self.stats.malformed += 1
            self._log_once("malformed ack", msg)
            return
        for ack in self._acks:
            if ack.method == data.get("method") and ack_matches(
                ack.subscription, data["subscription"]
            ):
                self._acks.remove(ack)
                ack.done.set()
                return
        # Acks of resubscriptions after a reconnect have no waiter; nothing to do.

    def _on_post(self, msg: dict[str, Any]) -> None:
        data = msg.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            self.stats.malformed += 1
            self._log_once("malformed post response", msg)
            return
        pending = self._posts.pop(data["id"], None)
        if pending is None:
            self.stats.unknown += 1
            self._log_once("post response for an unknown id", msg)
            return
        pending.response = data.get("response")
        pending.done.set()

    def _on_error(self, data: Any) -> None:
        self.stats.errors += 1
        text = str(data)
        log.warning("ws %s: venue error: %.300s", self.url, text)
        # Post errors end with "id=<n>"; subscription errors carry the subscription's JSON (§4.1).
        tail = text.rsplit("id=", 1)
        post_id = tail[1].strip() if len(tail) == 2 else ""
        # isascii: "²".isdigit() is True but int("²") raises, and venue text must not kill us.
        if post_id.isascii() and post_id.isdigit():
            pending = self._posts.pop(int(post_id), None)
            if pending is not None:
                pending.response = {"type": "error", "payload": text}
                pending.done.set()
            return
        brace = text.find("{")
        if brace < 0:
            return
        try:
            echoed = orjson.loads(text[brace:])
        except orjson.JSONDecodeError:
            return
        if not isinstance(echoed, dict):
            return
        for ack in self._acks:
            if ack_matches(ack.subscription, echoed):
                self._acks.remove(ack)
                ack.error = text
                ack.done.set()
                return

    # -- public API ------------------------------------------------------------------------------

    async def subscribe(
        self,
        subscription: Mapping[str, Any],
        *,
        policy: SlowConsumerPolicy | None = None,
        maxsize: int = 1024,
    ) -> Subscription:
        """Subscribe and wait for the venue's ack. ``policy`` defaults by type (see
        :func:`default_policy`). Raises ExchangeError if the venue refuses it, TransportError if no
        ack arrives within ``ack_timeout_secs``."""
        sub_dict = dict(subscription)
        if "type" not in sub_dict:
            raise ValidationError("a subscription needs a 'type'", field="subscription")
        key = subscription_key(sub_dict)
        if any(s.key == key for s in self._subs):
            raise ValidationError(f"already subscribed to {key}", field="subscription")
        sub = Subscription(self, sub_dict, policy or default_policy(sub_dict), maxsize)
        ack = _PendingAck(sub_dict, "subscribe")
        # Registered before sending: if the connection drops now, the reconnect re-sends it and
        # the new ack releases us.
        self._subs.append(sub)
        self._acks.append(ack)
        try:
            with trio.fail_after(self.ack_timeout_secs):
                conn = await self._wait_connected()
                try:
                    await self._send_subscribe(conn, sub)
                except trio_websocket.ConnectionClosed:
                    pass  # resent by the reconnect
                await ack.done.wait()
        except trio.TooSlowError:
            self._forget(sub, ack)
            raise TransportError(f"ws: no ack for subscription {key}") from None
        except BaseException:
            self._forget(sub, ack)
            raise
        if ack.error is not None:
            self._forget(sub, ack)
            raise ExchangeError(ack.error)
        return sub

    def _forget(self, sub: Subscription, ack: _PendingAck | None) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
        if ack is not None and ack in self._acks:
            self._acks.remove(ack)
        sub._queue.close()

    async def unsubscribe(self, sub: Subscription) -> None:
        """Unsubscribe (waiting for the ack if connected) and end the subscription's iteration."""
        if sub not in self._subs:
            return
        self._subs.remove(sub)
        self._sent_keys.discard(sub.key)
        sub._queue.close()
        conn = self._conn
        if conn is None or not self._connected.is_set():
            return  # nothing to undo: the next connection will not resubscribe it
        ack = _PendingAck(sub.subscription, "unsubscribe")
        self._acks.append(ack)
        try:
            with trio.move_on_after(self.ack_timeout_secs):
                await self._send(conn, {"method": "unsubscribe", "subscription": sub.subscription})
                await ack.done.wait()
        except trio_websocket.ConnectionClosed:
            pass
        finally:
            if ack in self._acks:
                self._acks.remove(ack)

    async def post(
        self,
        kind: Literal["info", "action"],
        payload: Mapping[str, Any],
        *,
        timeout_secs: float | None = None,
    ) -> Any:
        """Send ``payload`` (an exact /info or /exchange body) as a ws ``post`` and return the
        answer: for info, the response data; for action, the /exchange response body.

        Raises NotSentError if no connection was available within the timeout (safe to retry),
        SentNoAnswerError if it was sent and no answer came (resolve, never re-post blindly),
        ExchangeError if the venue answered with an error."""
        timeout = self.post_timeout_secs if timeout_secs is None else timeout_secs
        sent = False
        pending = _PendingPost()
        post_id = next(self._post_ids)
        with trio.move_on_after(timeout):
            # The venue allows 100 posts in flight per IP (§5); wait for a slot, cancellably.
            async with self.limiter.ws_inflight_posts:
                while not sent:
                    conn = await self._wait_connected()
                    self._posts[post_id] = pending
                    msg = {
                        "method": "post",
                        "id": post_id,
                        "request": {"type": kind, "payload": dict(payload)},
                    }
                    if conn.closed is not None:
                        self._posts.pop(post_id, None)
                        continue
                    try:
                        await self._send(conn, msg)
                    except trio_websocket.ConnectionClosed:
                        self._posts.pop(post_id, None)
                        raise SentNoAnswerError(
                            f"ws post id={post_id}: connection closed while sending"
                        ) from None
                    sent = True
                await pending.done.wait()
        self._posts.pop(post_id, None)
        if not pending.done.is_set():
            if sent:
                raise SentNoAnswerError(f"ws post id={post_id}: no answer within {timeout}s")
            raise NotSentError(f"ws post: no connection within {timeout}s")
        if pending.lost:
            raise SentNoAnswerError(f"ws post id={post_id}: connection lost before the answer")
        response = pending.response
        if not isinstance(response, dict):
            raise SentNoAnswerError(f"ws post id={post_id}: malformed answer {response!r:.200}")
        rtype = response.get("type")
        if rtype == "error":
            raise ExchangeError(str(response.get("payload")))
        body = response.get("payload")
        if rtype == "info" and isinstance(body, dict):
            return body.get("data")
        return body


@asynccontextmanager
async def open_ws_client(url: str, **kwargs: Any) -> AsyncIterator[WsClient]:
    """``async with open_ws_client(url) as ws:`` — connected on entry, closed on exit."""
    client = WsClient(url, **kwargs)
    async with trio.open_nursery() as nursery:
        await nursery.start(client.run)
        try:
            yield client
        finally:
            client.stop()
