"""FillMonitor: watches the bot's traffic for the live view (recent fills, realised PnL).

It is a :class:`~hip3.clients.MessageRecorder` placed in front of the journal: every
message still reaches the capture file unchanged, and the account's ``userFills``
pushes are read on the way past. Fills are counted once per ``tid`` (the venue's
trade id), so a duplicated or replayed push (chaos runs do that on purpose) does not
inflate the counts; the subscribe snapshot (``isSnapshot``) is history from before the
run and only marks its trades as seen. The bot's REST backfills (``userFillsByTime``
answers, fetched before each resync) are read too: a fill whose push was lost on the
websocket still reaches the counts, PnL and fees, once.

PnL and fees are kept per token, never added across tokens: a fill's closed PnL is in
its market's collateral token (``collateral_of(coin)``: USDC on the main dex, the dex's
own token, such as USDH, on some HIP-3 dexes) and its fee in the fill's ``feeToken``.

Position accounting stays the tracker's job; this only feeds what people look at.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import attrs

from hip3.clients import MessageRecorder
from hip3.tracker.state import dex_of

__all__ = ["FillMonitor", "FillRecord"]

_TIDS_REMEMBERED = 100_000
_BACKFILLS_PENDING = 64


@attrs.frozen
class FillRecord:
    """One of the account's trades as the live view shows it."""

    coin: str
    side: str  # "buy" | "sell"
    px: Decimal
    sz: Decimal
    time_ms: int
    tid: int | None
    oid: int | None
    closed_pnl: Decimal
    fee: Decimal
    crossed: bool
    #: the token ``closed_pnl`` is in (the market's collateral) and the one ``fee`` is in
    pnl_token: str = "USDC"
    fee_token: str = "USDC"

    def to_json(self) -> dict[str, Any]:
        return {
            "coin": self.coin,
            "side": self.side,
            "px": str(self.px),
            "sz": str(self.sz),
            "time_ms": self.time_ms,
            "tid": self.tid,
            "oid": self.oid,
            "closed_pnl": str(self.closed_pnl),
            "fee": str(self.fee),
            "crossed": self.crossed,
            "pnl_token": self.pnl_token,
            "fee_token": self.fee_token,
        }


class FillMonitor:
    """A journal tee that remembers the last ``recent`` fills and sums PnL and fees, each
    per token (``{token: amount}``)."""

    def __init__(
        self,
        *,
        downstream: MessageRecorder | None = None,
        recent: int = 50,
        collateral_of: Callable[[str], str | None] | None = None,
    ) -> None:
        self.downstream = downstream
        self.recent: deque[FillRecord] = deque(maxlen=recent)
        self.fills = 0
        self.duplicates = 0
        #: the token a coin's PnL is in (None: not known, see :func:`_record`)
        self.collateral_of: Callable[[str], str | None] = collateral_of or (lambda coin: None)
        self.realized_pnl: dict[str, Decimal] = {}
        self.fees: dict[str, Decimal] = {}
        self._tids: OrderedDict[Any, None] = OrderedDict()
        # ids of the account's userFillsByTime requests whose answers are still to come;
        # bounded, since a request that failed never gets an answer line
        self._backfills: OrderedDict[int, None] = OrderedDict()

    def record(
        self,
        direction: Literal["in", "out"],
        via: Literal["ws", "http"],
        msg: Any,
        *,
        id: int | None = None,
        path: str | None = None,
    ) -> None:
        if self.downstream is not None:
            self.downstream.record(direction, via, msg, id=id, path=path)
        if via == "http" and id is not None:
            if direction == "out" and isinstance(msg, dict):
                if msg.get("type") == "userFillsByTime":
                    self._backfills[id] = None
                    if len(self._backfills) > _BACKFILLS_PENDING:
                        self._backfills.popitem(last=False)
            elif direction == "in" and id in self._backfills:
                del self._backfills[id]
                if isinstance(msg, list):
                    self._fills(msg, history=False)
            return
        if (
            direction == "in"
            and via == "ws"
            and isinstance(msg, dict)
            and msg.get("channel") == "userFills"
            and isinstance(msg.get("data"), dict)
        ):
            self._user_fills(msg["data"])

    def _user_fills(self, data: dict[str, Any]) -> None:
        fills = data.get("fills")
        if isinstance(fills, list):
            self._fills(fills, history=bool(data.get("isSnapshot")))

    def _fills(self, fills: list[Any], *, history: bool) -> None:
        """Count each trade once; ``history`` trades (a subscribe snapshot) are only marked."""
        for raw in fills:
            if not isinstance(raw, dict):
                continue
            identity = raw.get("tid")
            if identity is None:
                identity = (raw.get("hash"), raw.get("oid"), raw.get("time"), raw.get("px"))
            if identity in self._tids:
                self.duplicates += 1
                continue
            self._tids[identity] = None
            if len(self._tids) > _TIDS_REMEMBERED:
                self._tids.popitem(last=False)
            if history:
                continue
            record = _record(raw, self.collateral_of)
            if record is None:
                continue
            self.fills += 1
            _add(self.realized_pnl, record.pnl_token, record.closed_pnl)
            _add(self.fees, record.fee_token, record.fee)
            self.recent.append(record)


def _add(amounts: dict[str, Decimal], token: str, amount: Decimal) -> None:
    amounts[token] = amounts.get(token, Decimal(0)) + amount


def _record(raw: dict[str, Any], collateral_of: Callable[[str], str | None]) -> FillRecord | None:
    """A fill for the view. Its PnL token is ``collateral_of(coin)``; for a coin that
    names none, a perp fill's ``feeToken`` (a perp fee is paid in the dex's collateral),
    else USDC."""
    try:
        coin = str(raw["coin"])
        raw_fee_token = raw.get("feeToken")
        fee_token = raw_fee_token if isinstance(raw_fee_token, str) and raw_fee_token else None
        pnl_token = collateral_of(coin)
        if pnl_token is None:
            pnl_token = fee_token if fee_token and dex_of(coin) is not None else "USDC"
        return FillRecord(
            coin=coin,
            side="buy" if raw.get("side") == "B" else "sell",
            px=Decimal(str(raw["px"])),
            sz=Decimal(str(raw["sz"])),
            time_ms=int(raw.get("time", 0)),
            tid=raw.get("tid"),
            oid=raw.get("oid"),
            closed_pnl=Decimal(str(raw.get("closedPnl", "0"))),
            fee=Decimal(str(raw.get("fee", "0"))),
            crossed=bool(raw.get("crossed", False)),
            pnl_token=pnl_token,
            fee_token=fee_token or pnl_token,
        )
    except (KeyError, TypeError, ValueError, InvalidOperation):
        return None  # the tracker's parser counts malformed fills; the view just skips them
