"""Session: hip3 for Jupyter, blocking calls over a trio loop in a background thread."""

from __future__ import annotations

import os
import secrets
import threading
import warnings
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import attrs
import trio

from hip3.app import Endpoint, LiveState, RunningBot, TradeSummary, account, run_from_config
from hip3.app.account import network_config
from hip3.clients import ExchangeClient, InfoClient
from hip3.config import Config, config_from_dict, load_config
from hip3.errors import NotRunningError, StopTimeoutError, ValidationError
from hip3.journal import ReplayResult, read_capture, replay_async
from hip3.notebook._portal import Portal
from hip3.notebook.records import (
    Book,
    BookLevel,
    Fill,
    OpenOrder,
    OrderResult,
    Position,
    Records,
    ReplayRow,
)
from hip3.signing import PrivateKey
from hip3.tracker import DEFAULT_DEDUP_CAPACITY
from hip3.types import Cloid, PlaceOrder, Side, to_decimal
from hip3.wire.models import L2Level

__all__ = ["BotHandle", "ReplayTable", "Session", "connect", "replay"]


def connect(
    network: str = "sim",
    key: str | PrivateKey | None = None,
    *,
    address: str | None = None,
    sim: Mapping[str, Any] | None = None,
) -> Session:
    """Open a session on ``network``: ``"sim"`` (an embedded simulator, started now),
    ``"testnet"``, ``"mainnet"`` or an ``http(s)://`` URL of a venue.

    ``key`` signs orders (hex string or PrivateKey; on the simulator a throwaway one is
    generated when omitted); ``address`` is the account (default: the key's). ``sim``
    is a ``[sim]`` table for the embedded simulator (seed, dexes, faults...).
    """
    return Session(network, key=key, address=address, sim=sim)


class Session:
    """A connection to a venue. Every method blocks and returns plain objects.

    Close it (or use ``with connect(...) as s:``): that stops any bot it started,
    the embedded simulator and the background thread.
    """

    def __init__(
        self,
        network: str = "sim",
        *,
        key: str | PrivateKey | None = None,
        address: str | None = None,
        sim: Mapping[str, Any] | None = None,
    ) -> None:
        config = network_config(network, source="connect()", sim=sim)
        self.network = network
        if key is not None:
            self._key: PrivateKey | None = PrivateKey.coerce(key)
        elif config.network.name == "sim":
            self._key = PrivateKey(secrets.token_bytes(32))
        else:
            self._key = None
        account = address or (self._key.address if self._key is not None else None)
        if account is None:
            raise ValidationError("give key= (to trade) or address= (to look)")
        self.address = account.lower()
        self._config = config
        self._exchange: ExchangeClient | None = None
        self._bots: list[BotHandle] = []
        self._portal = Portal()
        try:
            self._endpoint, self._info, self._sim = self._portal.start(self._serve)
        except BaseException:
            self._portal.close()
            raise

    def __repr__(self) -> str:
        state = "closed" if self._portal.closed else self._endpoint.http_url
        return f"Session(network={self.network!r}, address={self.address}, {state})"

    async def _serve(self, task_status: trio.TaskStatus[tuple[Endpoint, InfoClient, Any]]) -> None:
        from hip3.app.run import open_venue

        async with (
            open_venue(self._config, fund=self.address) as (endpoint, sim),
            InfoClient(endpoint.http_url) as info,
        ):
            task_status.started((endpoint, info, sim))
            await trio.sleep_forever()

    # -- looking -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The venue's HTTP URL (the embedded simulator's loopback port on ``sim``)."""
        url: str = self._endpoint.http_url
        return url

    @property
    def sim(self) -> Any:
        """The embedded :class:`hip3.sim.SimServer` (None on other networks)."""
        return self._sim

    def _dexes(self) -> list[str]:
        return self._portal.run(account.account_dexes, self._info)

    def positions(self) -> Records[Position]:
        """Open positions on every dex (``clearinghouseState`` per dex)."""
        rows = self._portal.run(account.positions, self._info, self.address, self._dexes())
        return Records(rows)

    def fills(self, limit: int | None = None) -> Records[Fill]:
        """The account's recent fills, oldest first (``userFills``)."""
        return Records(self._portal.run(account.fills, self._info, self.address, limit))

    def open_orders(self) -> Records[OpenOrder]:
        """Open orders on every dex (``frontendOpenOrders`` per dex: triggers included)."""
        rows = self._portal.run(account.open_orders, self._info, self.address, self._dexes())
        return Records(rows)

    def book(self, coin: str) -> Book:
        """The ``l2Book`` of ``coin`` (``"BTC"``, ``"xyz:TSLA"``), read through the typed
        wire model (a malformed answer is a WireError naming the field)."""
        l2 = self._portal.run(self._info.l2_book, coin)

        def side(name: str, levels: list[L2Level]) -> tuple[BookLevel, ...]:
            return tuple(BookLevel(name, i, lv.px, lv.sz, lv.n) for i, lv in enumerate(levels))

        return Book(coin=l2.coin, time_ms=l2.time, bids=side("bid", l2.levels[0]),
                    asks=side("ask", l2.levels[1]))  # fmt: skip

    # -- trading -----------------------------------------------------------------------------

    def _exchange_client(self) -> ExchangeClient:
        if self._key is None:
            raise ValidationError("this session has no key: connect(..., key=...) to trade")
        if self._exchange is None:
            key = self._key
            dexes = self._dexes()

            async def build() -> ExchangeClient:
                universe = await self._info.universe(dexes)
                return ExchangeClient(
                    self._endpoint.http_url,
                    key,
                    self.address,
                    universe=universe,
                    mainnet=self._endpoint.mainnet,
                    info=self._info,
                )

            self._exchange = self._portal.run(build)
        return self._exchange

    def place(
        self,
        coin: str,
        side: str | Side,
        size: Decimal | str | float,
        price: Decimal | str | float,
        *,
        tif: str = "Gtc",
        reduce_only: bool = False,
    ) -> OrderResult:
        """Place one limit order; ``side`` is buy/sell (or b/a), ``tif`` Gtc, Ioc or Alo."""
        is_buy = _is_buy(side)
        if tif not in ("Gtc", "Ioc", "Alo"):
            raise ValidationError(f"tif must be Gtc, Ioc or Alo; got {tif!r}")
        cloid = Cloid.random()
        request = PlaceOrder(
            coin,
            Side.from_is_buy(is_buy),
            limit_px=to_decimal(price, field="price"),
            sz=to_decimal(size, field="size"),
            tif=tif,
            reduce_only=reduce_only,
            cloid=cloid,
        )
        client = self._exchange_client()
        (outcome,) = self._portal.run(client.place_orders, [request])
        return _order_result(coin, cloid, outcome)

    def cancel(self, coin: str, *, oid: int | None = None, cloid: str | None = None) -> OrderResult:
        """Cancel one order by ``oid`` or ``cloid``; ``status`` is cancelled or rejected."""
        if (oid is None) == (cloid is None):
            raise ValidationError("give exactly one of oid= or cloid=")
        client = self._exchange_client()
        if oid is not None:
            result = self._portal.run(client.cancel, coin, oid)
        else:
            assert cloid is not None
            result = self._portal.run(client.cancel_by_cloid, coin, Cloid.from_str(cloid))
        error = getattr(result, "error", None)
        return OrderResult(
            status="rejected" if error else "cancelled",
            coin=coin,
            cloid=cloid or "",
            oid=oid,
            error=error,
        )

    def cancel_all(self) -> int:
        """Cancel every open order on every dex; returns how many the venue cancelled.

        Orders the venue refused to cancel are still open: a warning names each one."""
        client = self._exchange_client()
        report = self._portal.run(
            account.cancel_all, client, self._info, self.address, self._dexes()
        )
        for refusal in report.refused:
            warnings.warn(
                f"cancel refused, still open: {refusal.coin} oid {refusal.oid}: {refusal.reason}",
                stacklevel=2,
            )
        return report.total

    # -- bots and captures -------------------------------------------------------------------

    def start_bot(
        self,
        config: str | os.PathLike[str] | Config | Mapping[str, Any],
        *,
        duration: float | None = None,
    ) -> BotHandle:
        """Start the bot a config describes, in the background; returns its handle.

        ``config`` is a file, a :class:`~hip3.config.Config` or a dict shaped like the
        TOML. On a ``sim`` session a config with ``network = "sim"`` trades on this
        session's simulator, with this session's key and account. With ``duration``
        (seconds) it stops by itself; :meth:`BotHandle.wait` returns its summary.
        """
        cfg = _as_config(config)
        sim = None
        key = None
        if cfg.network.name == "sim" and self._sim is not None:
            sim, key = self._sim, self._key
        handle = BotHandle(self._portal, cfg, sim=sim, key=key, duration=duration)
        self._bots.append(handle)
        return handle

    def replay(self, capture: str | os.PathLike[str]) -> ReplayTable:
        """A capture file as one row per message, plus what the tracker ends with."""
        return self._portal.run(_replay, capture, DEFAULT_DEDUP_CAPACITY)

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Stop running bots (cleanly), the simulator and the background thread."""
        if self._portal.closed:
            return
        try:
            for bot in self._bots:
                if bot.running:
                    bot.stop()
        finally:
            self._portal.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- research (hip3.notebook.research, hip3.notebook.plots) ------------------------------

    def fills_frame(
        self, limit: int | None = None, *, as_float: bool = False, backend: str | None = None
    ) -> Any:
        """:meth:`fills` as a pandas frame (polars when pandas is not installed; ``backend``
        picks one). Prices, sizes, fees and PnL are Decimal objects unless ``as_float``."""
        from hip3.notebook.research import fills_frame

        return fills_frame(self.fills(limit), as_float=as_float, backend=backend)

    def store(self, path: str | os.PathLike[str] | None = None, *, table: str = "fills") -> Any:
        """This account's rows of the :mod:`hip3.store` table (``fills``, ``orders``,
        ``trades``; ``books``: every row) as a DuckDB relation: ``.df()``, ``.pl()``,
        ``.filter(...)``; see :func:`hip3.notebook.research.store_relation`."""
        from hip3.notebook.research import store_relation

        return store_relation(self.address, path, table=table)


def _as_config(config: str | os.PathLike[str] | Config | Mapping[str, Any]) -> Config:
    if isinstance(config, Config):
        return config
    if isinstance(config, Mapping):
        return config_from_dict(config, source="<notebook>")
    return load_config(Path(config))


def _is_buy(side: str | Side) -> bool:
    if isinstance(side, Side):
        return side is Side.BUY
    text = side.lower()
    if text in ("buy", "b", "bid", "long"):
        return True
    if text in ("sell", "a", "ask", "s", "short"):
        return False
    raise ValidationError(f"side must be buy or sell; got {side!r}")


def _order_result(coin: str, cloid: Cloid, outcome: Any) -> OrderResult:
    name = type(outcome).__name__
    if name == "Resting":
        return OrderResult("resting", coin, cloid.hex, oid=outcome.oid)
    if name == "Filled":
        return OrderResult(
            "filled",
            coin,
            cloid.hex,
            oid=outcome.oid,
            filled_sz=outcome.total_sz,
            avg_px=outcome.avg_px,
        )
    if name == "Rejected":
        return OrderResult("rejected", coin, cloid.hex, error=outcome.error)
    if name == "Resolved":
        status = outcome.status.value if outcome.status is not None else "unknown"
        return OrderResult(status, coin, cloid.hex, oid=outcome.oid, filled_sz=outcome.filled_sz)
    return OrderResult("unknown", coin, cloid.hex, error=f"unexpected outcome {name}")


class BotHandle:
    """A bot running in a session's background loop."""

    def __init__(
        self, portal: Portal, config: Config, *, sim: Any, key: Any, duration: float | None
    ) -> None:
        self._portal = portal
        self.config = config
        self.duration = duration
        self._done = threading.Event()
        self._summary: TradeSummary | None = None
        self._error: BaseException | None = None
        self._running: RunningBot = portal.start(self._run, sim, key)

    async def _run(self, sim: Any, key: Any, task_status: trio.TaskStatus[RunningBot]) -> None:
        status = _StartedFlag(task_status)
        try:
            self._summary = await run_from_config(
                self.config,
                duration=self.duration,
                sim=sim,
                key=key,
                task_status=cast(Any, status),
            )
        except Exception as exc:
            if not status.called:
                raise  # nursery.start re-raises it to the caller of start_bot
            self._error = exc  # reported by wait()/stop(); the session's loop lives on
        finally:
            self._done.set()

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    @property
    def account(self) -> str:
        return self._running.account

    def state(self) -> LiveState:
        """Positions, open orders, recent fills and counters now."""
        if not self.running:
            raise NotRunningError("the bot has stopped; see .summary")
        return self._portal.run(self._running.state)

    def stop(self, timeout_secs: float = 60.0) -> TradeSummary:
        """Stop cleanly (cancel orders, final resync) and return the summary."""
        if self.running:
            self._portal.run_sync(self._running.stop)
        return self.wait(timeout_secs)

    def wait(self, timeout_secs: float | None = None) -> TradeSummary:
        """Block until the bot has finished (a config ``duration`` or :meth:`stop`)."""
        if not self._done.wait(timeout_secs):
            raise StopTimeoutError("the bot is still running")
        if self._error is not None:
            raise self._error
        assert self._summary is not None
        return self._summary

    @property
    def summary(self) -> TradeSummary | None:
        return self._summary

    def divergence(self) -> Any:
        """The :class:`~hip3.app.divergence.DivergenceMeter` of a bot on the embedded
        simulator (its ``timeline`` feeds :func:`hip3.notebook.plots.plot_divergence`);
        None on other venues."""
        return self._running.divergence


class _StartedFlag:
    """Forwards ``started`` to the real task status and remembers that it was called."""

    def __init__(self, inner: trio.TaskStatus[RunningBot]) -> None:
        self._inner = inner
        self.called = False

    def started(self, value: RunningBot) -> None:
        self.called = True
        self._inner.started(value)


@attrs.frozen
class ReplayTable:
    """A replayed capture: ``rows`` (one per message) and the tracker's ``result``."""

    rows: Records[ReplayRow]
    result: ReplayResult

    @property
    def positions(self) -> dict[str, Decimal]:
        return dict(self.result.positions)

    def records(self, *, exact: bool = False) -> list[dict[str, Any]]:
        return self.rows.records(exact=exact)

    def summary(self) -> dict[str, Any]:
        """What ``hip3 replay --json`` prints."""
        return self.result.to_json()


def replay(
    capture: str | os.PathLike[str], *, dedup_capacity: int = DEFAULT_DEDUP_CAPACITY
) -> ReplayTable:
    """Replay a capture file without a session (its own short-lived background loop)."""
    with Portal(name="hip3-replay") as portal:
        table: ReplayTable = portal.run(_replay, capture, dedup_capacity)
    return table


async def _replay(capture: str | os.PathLike[str], dedup_capacity: int) -> ReplayTable:
    result = await replay_async(capture, dedup_capacity=dedup_capacity)
    rows: Records[ReplayRow] = Records()
    for line in read_capture(capture):
        rows.append(_replay_row(line))
    return ReplayTable(rows=rows, result=result)


def _replay_row(line: Any) -> ReplayRow:
    msg = line.msg if isinstance(line.msg, dict) else {}
    kind = "?"
    coins: list[str] = []
    n_fills = 0
    snapshot = False
    if line.via == "ws":
        if "channel" in msg:
            kind = str(msg["channel"])
            data = msg.get("data")
            if isinstance(data, dict):
                snapshot = bool(data.get("isSnapshot", False))
                fills = data.get("fills")
                if isinstance(fills, list):
                    n_fills = len(fills)
                    coins = [str(f.get("coin")) for f in fills if isinstance(f, dict)]
                elif "coin" in data:
                    coins = [str(data["coin"])]
                if kind == "post":
                    kind = "post response"
        elif "method" in msg:
            kind = str(msg["method"])
            sub = msg.get("subscription") or {}
            if isinstance(sub, dict) and "type" in sub:
                kind = f"{kind} {sub['type']}"
                if "coin" in sub:
                    coins = [str(sub["coin"])]
            request = msg.get("request")
            if isinstance(request, dict):
                payload = request.get("payload") or {}
                action = payload.get("action") if isinstance(payload, dict) else None
                if isinstance(action, dict):
                    kind = f"post {action.get('type', '?')}"
                elif isinstance(payload, dict) and "type" in payload:
                    kind = f"post {payload['type']}"
    elif line.dir == "out":
        action = msg.get("action")
        kind = str(action.get("type", "?")) if isinstance(action, dict) else str(msg.get("type"))
        if "coin" in msg:
            coins = [str(msg["coin"])]
    else:
        kind = "response"
        first = line.msg[0] if isinstance(line.msg, list) and line.msg else None
        if isinstance(first, dict) and "tid" in first:
            n_fills = len(line.msg)
    return ReplayRow(
        line=line.line_no,
        t_ms=line.t,
        dir=line.dir,
        via=line.via,
        kind=kind,
        id=line.id if line.id is not None else msg.get("id"),
        coins=",".join(dict.fromkeys(coins)),
        n_fills=n_fills,
        is_snapshot=snapshot,
    )
