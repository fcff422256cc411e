"""One account read whole, through the typed clients: what ``hip3 positions | orders |
fills | cancel-all`` print and what the notebook's ``Session`` returns.

Every read goes through :class:`~hip3.clients.InfoClient`, whose answers the wire
models decode strictly (:mod:`hip3.wire.models`): a fill whose side is not ``"B"`` or
``"A"``, or that has no ``fee``, is a :class:`~hip3.errors.WireError` naming the field,
never a silent sell or a zero fee. The rows below are what a person or a DataFrame
wants from those answers: exact Decimals, sides as ``"buy"``/``"sell"``, the dex named,
and :meth:`to_json` with decimals as the venue's plain text.

    >>> async with InfoClient(url) as info:
    ...     dexes = await account_dexes(info)            # "" (main) and every HIP-3 dex
    ...     rows = await positions(info, account, dexes)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from hip3.app.summary import decimal_text
from hip3.clients import ExchangeClient, InfoClient
from hip3.config import Config, config_from_dict
from hip3.domain import CancelSuccess, Rejected
from hip3.errors import ExchangeError, ValidationError
from hip3.types import Side
from hip3.wire import models as m

__all__ = [
    "AccountFill",
    "AccountOrder",
    "AccountPosition",
    "CancelAllReport",
    "CancelRefusal",
    "account_dexes",
    "cancel_all",
    "fills",
    "network_config",
    "open_orders",
    "positions",
]

NETWORK_NAMES = ("sim", "testnet", "mainnet")


def network_config(
    network: str,
    *,
    source: str,
    sim: Mapping[str, Any] | None = None,
    field: str = "network",
) -> Config:
    """The config of a venue named by one word: ``sim`` (an embedded simulator, with the
    ``[sim]`` table ``sim``), ``testnet``, ``mainnet``, or the ``http(s)://`` URL of a
    venue (its websocket is ``ws(s)://.../ws``). Raises :class:`ValidationError` naming
    ``field`` for anything else."""
    if network in NETWORK_NAMES:
        doc: dict[str, Any] = {"network": network}
        if sim is not None:
            doc["sim"] = dict(sim)
        return config_from_dict(doc, source=source)
    if network.startswith(("http://", "https://")):
        ws = "ws" + network[len("http") :].rstrip("/") + "/ws"
        return config_from_dict({"network": {"http_url": network, "ws_url": ws}}, source=source)
    raise ValidationError(
        f"must be sim, testnet, mainnet or an http(s) URL; got {network!r}", field=field
    )


async def account_dexes(info: InfoClient, markets: Sequence[str] = ()) -> list[str]:
    """The dexes to look at: those of ``markets`` (``"xyz:TSLA"`` -> ``"xyz"``, ``"BTC"``
    -> ``""``) when given, else the main dex ``""`` and every dex of ``perpDexs``."""
    if markets:
        return list(dict.fromkeys(m.split(":", 1)[0] if ":" in m else "" for m in markets))
    return ["", *(dex.name for dex in await info.perp_dexs() if dex is not None and dex.name)]


@attrs.frozen
class _Row:
    """A row of an account view: :meth:`to_json` gives its fields with decimals as the
    venue's plain text and the main dex as ``"main"``."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if isinstance(value, Decimal):
                value = decimal_text(value)
            elif field.name == "dex":
                value = value or "main"
            out[field.name] = value
        return out


def _side(side: Side) -> str:
    return "buy" if side is Side.BUY else "sell"


@attrs.frozen
class AccountPosition(_Row):
    """One open position (``clearinghouseState.assetPositions``); ``size`` is signed."""

    coin: str
    dex: str
    size: Decimal
    entry_px: Decimal | None
    unrealized_pnl: Decimal | None
    liquidation_px: Decimal | None
    margin_used: Decimal | None
    leverage: int | None
    #: ``"cross"`` or ``"isolated"``
    margin: str | None = None

    @classmethod
    def from_wire(cls, dex: str, p: m.Position) -> AccountPosition:
        return cls(
            coin=p.coin,
            dex=dex,
            size=p.szi,
            entry_px=p.entry_px,
            unrealized_pnl=p.unrealized_pnl,
            liquidation_px=p.liquidation_px,
            margin_used=p.margin_used,
            leverage=p.leverage.value,
            margin=p.leverage.type,
        )


@attrs.frozen
class AccountOrder(_Row):
    """One open order (``frontendOpenOrders``: trigger orders included); ``sz`` is what
    remains of ``orig_sz``."""

    coin: str
    side: str  # "buy" | "sell"
    limit_px: Decimal
    sz: Decimal
    orig_sz: Decimal | None
    oid: int
    cloid: str | None
    timestamp_ms: int
    order_type: str | None = None
    reduce_only: bool = False

    @classmethod
    def from_wire(cls, o: m.FrontendOrder) -> AccountOrder:
        return cls(
            coin=o.coin,
            side=_side(o.side),
            limit_px=o.limit_px,
            sz=o.sz,
            orig_sz=o.orig_sz,
            oid=o.oid,
            cloid=o.cloid or None,  # absent and null alike
            timestamp_ms=o.timestamp,
            order_type=o.order_type,
            reduce_only=o.reduce_only,
        )


@attrs.frozen
class AccountFill(_Row):
    """One trade of the account (``userFills``), in the tokens the venue names:
    ``closed_pnl`` in the market's collateral, ``fee`` in ``fee_token``."""

    coin: str
    side: str  # "buy" | "sell"
    px: Decimal
    sz: Decimal
    time_ms: int
    dir: str
    closed_pnl: Decimal
    fee: Decimal
    oid: int
    tid: int | None
    cloid: str | None
    crossed: bool
    fee_token: str | None = None

    @classmethod
    def from_wire(cls, f: m.WireFill) -> AccountFill:
        return cls(
            coin=f.coin,
            side=_side(f.side),
            px=f.px,
            sz=f.sz,
            time_ms=f.time,
            dir=f.dir,
            closed_pnl=f.closed_pnl,
            fee=f.fee,
            oid=f.oid,
            tid=f.tid,
            cloid=f.cloid,
            crossed=f.crossed,
            fee_token=f.fee_token,
        )


async def positions(info: InfoClient, account: str, dexes: Sequence[str]) -> list[AccountPosition]:
    """The account's open positions on each of ``dexes``, by dex then coin."""
    rows: list[AccountPosition] = []
    for dex in dexes:
        state = await info.clearinghouse_state(account, dex)
        held = [entry.position for entry in state.asset_positions if entry.position.szi != 0]
        rows.extend(AccountPosition.from_wire(dex, p) for p in sorted(held, key=lambda p: p.coin))
    return rows


async def open_orders(info: InfoClient, account: str, dexes: Sequence[str]) -> list[AccountOrder]:
    """The account's open orders on each of ``dexes``, as the venue lists them."""
    rows: list[AccountOrder] = []
    for dex in dexes:
        rows.extend(
            AccountOrder.from_wire(o) for o in await info.frontend_open_orders(account, dex)
        )
    return rows


async def fills(info: InfoClient, account: str, limit: int | None = None) -> list[AccountFill]:
    """The account's most recent fills on every dex (the venue keeps 2000), oldest first;
    ``limit`` keeps the newest ``limit``."""
    got = sorted(await info.user_fills(account), key=lambda f: (f.time, f.tid or 0))
    if limit is not None:
        if limit < 1:
            raise ValidationError(f"must be at least 1; got {limit}", field="limit")
        got = got[-limit:]
    return [AccountFill.from_wire(f) for f in got]


@attrs.frozen
class CancelRefusal(_Row):
    """One order the venue would not cancel, with its reason."""

    dex: str
    coin: str
    oid: int
    reason: str


@attrs.frozen
class CancelAllReport:
    """What :func:`cancel_all` did: cancels the venue accepted per dex (``"main"`` for
    the main dex), and every order it refused to cancel (those are still open)."""

    cancelled: dict[str, int]
    refused: list[CancelRefusal]

    @property
    def total(self) -> int:
        return sum(self.cancelled.values())


async def cancel_all(
    client: ExchangeClient, info: InfoClient, account: str, dexes: Sequence[str]
) -> CancelAllReport:
    """Cancel every open order of ``account`` on each of ``dexes`` (one batch per dex).

    A batch the venue refuses as a whole (an unknown signer, a key that is not the
    account's agent) is a refusal of each of its orders, with the venue's text."""
    cancelled: dict[str, int] = {}
    refused: list[CancelRefusal] = []
    for dex in dexes:
        targets: list[tuple[str, int]] = [
            (o.coin, o.oid) for o in await info.open_orders(account, dex)
        ]
        try:
            results = await client.cancel_many(list(targets))
        except ExchangeError as exc:  # the whole action refused: each order stays open
            results = [Rejected(exc.text)] * len(targets)
        cancelled[dex or "main"] = 0
        for (coin, oid), result in zip(targets, results, strict=True):
            if isinstance(result, CancelSuccess):
                cancelled[dex or "main"] += 1
            else:
                refused.append(CancelRefusal(dex, coin, oid, result.error))
    return CancelAllReport(cancelled, refused)
