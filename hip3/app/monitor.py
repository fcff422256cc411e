"""FillMonitor: watches the bot's traffic for the live view (recent fills, realised PnL).

It is a :class:`~hip3.clients.MessageRecorder` placed in front of the journal: every
message still reaches the capture file unchanged, and the account's ``userFills``
pushes are read on the way past. Fills are counted once per ``tid`` (the venue's
trade id), so a duplicated or replayed push (chaos runs do that on purpose) does not
inflate the counts; the subscribe snapshot (``isSnapshot``) is history from before the
run and only marks its trades as seen. The bot's REST backfills (``userFillsByTime``
answers, fetched before each resync) are read too: a fill whose push was lost on the
websocket still reaches the counts, PnL and fees, once.

Position accounting stays the tracker's job; this only feeds what people look at.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import attrs

from hip3.clients import MessageRecorder

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
        }


class FillMonitor:
    """A journal tee that remembers the last ``recent`` fills and sums PnL and fees."""

    def __init__(self, *, downstream: MessageRecorder | None = None, recent: int = 50) -> None:
        self.downstream = downstream
        self.recent: deque[FillRecord] = deque(maxlen=recent)
        self.fills = 0
        self.duplicates = 0
        self.realized_pnl = Decimal(0)
        self.fees = Decimal(0)
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
            record = _record(raw)
            if record is None:
                continue
            self.fills += 1
            self.realized_pnl += record.closed_pnl
            self.fees += record.fee
            self.recent.append(record)


def _record(raw: dict[str, Any]) -> FillRecord | None:
    try:
        return FillRecord(
            coin=str(raw["coin"]),
            side="buy" if raw.get("side") == "B" else "sell",
            px=Decimal(str(raw["px"])),
            sz=Decimal(str(raw["sz"])),
            time_ms=int(raw.get("time", 0)),
            tid=raw.get("tid"),
            oid=raw.get("oid"),
            closed_pnl=Decimal(str(raw.get("closedPnl", "0"))),
            fee=Decimal(str(raw.get("fee", "0"))),
            crossed=bool(raw.get("crossed", False)),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation):
        return None  # the tracker's parser counts malformed fills; the view just skips them
