"""Wire classes: the venue's JSON, field for field, as frozen attrs classes.

Every class here mirrors one JSON object of the Hyperliquid API
(hyperliquid-api.md §1, §2, §4). Attribute names are the snake_case form of
the venue's camelCase keys (the converter maps them; a field whose JSON name
is not plain camelCase says so in its ``metadata={"wire": ...}``). Values keep
the venue's types: decimal amounts stay **strings** (turning them into
Decimals is :mod:`hip3.wire.to_domain`'s job, done only when a value is used),
ids and timestamps stay ints.

Optional fields follow one rule so that wire JSON -> objects -> wire JSON is
the identity:

* a key the venue sometimes omits defaults to ``None`` and is omitted again
  when ``None`` (``cloid`` on fills, ``isSnapshot``, ``builderFee``...);
* a key the venue sends as ``null`` has no default and ``None`` is written
  back as ``null`` (``liquidationPx``, ``midPx``, ``tif``...);
* the few keys that are sometimes absent *and* sometimes ``null`` (``twapId``
  on fills: absent in 2023 recordings, ``null`` today) default to
  :data:`ABSENT`, a falsy sentinel that is omitted on output.

FAST PATH. The classes of the hot ws channels (:class:`WsUserFills`,
:class:`WireFill`, :class:`L2Book`, :class:`WsBasicOrder`, :class:`WsOrder`,
:class:`WsTrade`) are frozen subclasses of a private mutable slotted class
holding their fields. attrs' frozen ``__init__`` stores each field through
``object.__setattr__`` (about 3x the cost of a plain slot store), which made
a typed fill slower to build than ``json.loads`` of it; the converter instead
builds the mutable storage object and then sets its ``__class__`` to the
frozen subclass (same slots, no new ones, so CPython allows it). The result
is an ordinary frozen instance: equal, hashable and immutable like one made
by the constructor. :class:`L2Level`, forty to a book message, is the one
``typing.NamedTuple``: even that builder costs a Python call per object,
while the converter makes a level with ``tuple.__new__`` straight from C.

Unknown keys are ignored (the venue adds fields over time). All classes except
:class:`L2Level` (an immutable tuple) are ``attrs.frozen`` (slotted,
immutable, hashable when their fields are).
"""

from __future__ import annotations

import enum
from typing import Any, Final, Literal, NamedTuple, TypeAlias

import attrs

__all__ = [
    "ABSENT",
    "Absent",
    "ActiveAssetCtx",
    "AllMids",
    "AssetCtx",
    "AssetInfo",
    "AssetPosition",
    "Candle",
    "ClearinghouseState",
    "CumFunding",
    "ErrorStatus",
    "ExchangeResponse",
    "ExchangeResponseBody",
    "ExtraAgent",
    "FilledInfo",
    "FilledStatus",
    "FrontendOrder",
    "FundingDelta",
    "FundingRecord",
    "L2Book",
    "L2Level",
    "Leverage",
    "Liquidation",
    "MarginSummary",
    "MarginTable",
    "MarginTier",
    "Meta",
    "MetaAndAssetCtxs",
    "OpenOrder",
    "OrderStatusOrder",
    "OrderStatusResponse",
    "PerpDex",
    "PerpDexs",
    "Position",
    "RestingInfo",
    "RestingStatus",
    "SpotMeta",
    "SpotPair",
    "SpotToken",
    "StatusEntry",
    "StatusesData",
    "UserFundingEntry",
    "UserRateLimit",
    "UserRole",
    "VaultEquity",
    "WireFill",
    "WsAllMids",
    "WsBasicOrder",
    "WsClearinghouseState",
    "WsError",
    "WsL2Book",
    "WsLiquidation",
    "WsMessage",
    "WsNonUserCancel",
    "WsNotification",
    "WsOrder",
    "WsOrderUpdates",
    "WsPlainText",
    "WsPong",
    "WsPost",
    "WsPostInfoPayload",
    "WsPostResponse",
    "WsSubscriptionResponse",
    "WsTrade",
    "WsTrades",
    "WsUnknown",
    "WsUserEvents",
    "WsUserFills",
    "WsUserFundings",
    "wire_name",
]


class Absent(enum.Enum):
    """The type of :data:`ABSENT`: "the venue did not send this key"."""

    ABSENT = "ABSENT"

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = Absent.ABSENT
"""Marks a key that was missing (as opposed to present with ``null``)."""


def _wire(name: str) -> dict[str, str]:
    """Field metadata for a JSON key that is not the camelCase of the attribute."""
    return {"wire": name}


def wire_name(attribute: attrs.Attribute[Any]) -> str:
    """The JSON key of an attrs field: explicit metadata, else camelCase of the name."""
    explicit = attribute.metadata.get("wire")
    if explicit is not None:
        return str(explicit)
    head, *rest = attribute.name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# ---------------------------------------------------------------------------
# /info: meta, perpDexs, metaAndAssetCtxs, allMids, spotMeta (§1.2-1.5, §1.14)
# ---------------------------------------------------------------------------


@attrs.frozen
class AssetInfo:
    """One entry of ``meta.universe``; its position in the array is the asset index."""

    name: str
    sz_decimals: int
    max_leverage: int
    margin_table_id: int | None = None
    only_isolated: bool | None = None
    is_delisted: bool | None = None
    margin_mode: str | None = None
    growth_mode: str | None = None
    last_growth_mode_change_time: str | None = None


@attrs.frozen
class MarginTier:
    lower_bound: str
    max_leverage: int


@attrs.frozen
class MarginTable:
    description: str
    margin_tiers: list[MarginTier]


@attrs.frozen
class Meta:
    """``{"type":"meta","dex":...}``. 2023 recordings lack ``marginTables``/``collateralToken``."""

    universe: list[AssetInfo]
    margin_tables: list[tuple[int, MarginTable]] | None = None
    collateral_token: int | None = None


@attrs.frozen
class PerpDex:
    """One builder-deployed dex of ``perpDexs`` (element 0 of that array is ``null``)."""

    name: str
    full_name: str
    deployer: str
    oracle_updater: str | None
    fee_recipient: str | None
    asset_to_streaming_oi_cap: list[tuple[str, str]] | None = None
    asset_to_funding_multiplier: list[tuple[str, str]] | None = None
    sub_deployers: list[Any] | None = None
    deployer_fee_scale: str | None = None
    last_deployer_fee_scale_change_time: str | None = None
    asset_to_funding_interest_rate: list[Any] | None = None


PerpDexs: TypeAlias = list[PerpDex | None]
"""``perpDexs``: index 0 is ``None`` (the main dex); position = perp_dex_index."""


@attrs.frozen
class AssetCtx:
    """One perp's market context; ``metaAndAssetCtxs[1][i]`` belongs to ``universe[i]``."""

    day_ntl_vlm: str
    funding: str
    impact_pxs: list[str] | None
    mark_px: str
    mid_px: str | None
    open_interest: str
    oracle_px: str
    premium: str | None
    prev_day_px: str
    day_base_vlm: str | None = None


MetaAndAssetCtxs: TypeAlias = tuple[Meta, list[AssetCtx]]
AllMids: TypeAlias = dict[str, str]


@attrs.frozen
class SpotToken:
    name: str
    sz_decimals: int
    wei_decimals: int
    index: int
    token_id: str
    is_canonical: bool
    evm_contract: Any = ABSENT
    full_name: Any = ABSENT


@attrs.frozen
class SpotPair:
    """A spot market; its asset id is ``10000 + index`` (hyperliquid-api.md §0.2)."""

    name: str
    tokens: list[int]
    index: int
    is_canonical: bool


@attrs.frozen
class SpotMeta:
    tokens: list[SpotToken]
    universe: list[SpotPair]


# ---------------------------------------------------------------------------
# /info: account state (§1.6-1.9, §1.13)
# ---------------------------------------------------------------------------


@attrs.frozen
class Leverage:
    """``{"type":"cross","value":n}`` or ``{"type":"isolated","value":n,"rawUsd":s}``."""

    type: Literal["cross", "isolated"]
    value: int
    raw_usd: str | None = None


@attrs.frozen
class CumFunding:
    all_time: str
    since_open: str
    since_change: str


@attrs.frozen
class Position:
    """``assetPositions[i].position``; 2023 recordings have ``maxTradeSzs``, no ``cumFunding``."""

    coin: str
    szi: str
    entry_px: str | None
    position_value: str
    unrealized_pnl: str
    return_on_equity: str
    liquidation_px: str | None
    leverage: Leverage
    margin_used: str
    max_leverage: int | None = None
    cum_funding: CumFunding | None = None
    max_trade_szs: list[str] | None = None


@attrs.frozen
class AssetPosition:
    type: str
    position: Position


@attrs.frozen
class MarginSummary:
    account_value: str
    total_ntl_pos: str
    total_raw_usd: str
    total_margin_used: str


@attrs.frozen
class ClearinghouseState:
    """``clearinghouseState`` for one dex. ``time`` (ms) is missing from 2023 recordings."""

    asset_positions: list[AssetPosition]
    margin_summary: MarginSummary
    cross_margin_summary: MarginSummary
    withdrawable: str
    cross_maintenance_margin_used: str | None = None
    time: int | None = None


@attrs.frozen
class OpenOrder:
    """``openOrders`` entry; ``sz`` is the remaining size."""

    coin: str
    side: str
    limit_px: str
    sz: str
    oid: int
    timestamp: int
    orig_sz: str | None = None
    cloid: str | None = None
    reduce_only: bool | None = None


@attrs.frozen
class FrontendOrder:
    """``frontendOpenOrders`` entry (also the inner order of ``orderStatus``/``historicalOrders``)."""

    coin: str
    side: str
    limit_px: str
    sz: str
    oid: int
    timestamp: int
    trigger_condition: str
    is_trigger: bool
    trigger_px: str
    children: list[FrontendOrder]
    is_position_tpsl: bool
    reduce_only: bool
    order_type: str
    orig_sz: str
    tif: str | None
    cloid: str | Absent | None = ABSENT


@attrs.frozen
class OrderStatusOrder:
    """``{"order": {...}, "status": "...", "statusTimestamp": ms}``."""

    order: FrontendOrder
    status: str
    status_timestamp: int


@attrs.frozen
class OrderStatusResponse:
    """``orderStatus``: ``{"status":"order","order":{...}}`` or ``{"status":"unknownOid"}``."""

    status: str
    order: OrderStatusOrder | None = None


@attrs.frozen
class Liquidation:
    """``liquidation`` on a liquidation fill; docs type ``markPx`` as a number, live it is a string."""

    method: str
    mark_px: str | float | None = None
    liquidated_user: str | None = None


@attrs.define
class _WireFillSlots:
    """Storage of :class:`WireFill`; only the converter's fast path instantiates it (see FAST PATH)."""

    coin: str
    px: str
    sz: str
    side: str
    time: int
    start_position: str
    dir: str
    closed_pnl: str
    hash: str
    oid: int
    crossed: bool
    fee: str
    tid: int | None = None
    fee_token: str | None = None
    cloid: str | None = None
    builder_fee: str | None = None
    liquidation: Liquidation | None = None
    twap_id: int | Absent | None = ABSENT


@attrs.frozen
class WireFill(_WireFillSlots):
    """A fill as ``userFills``/``userFillsByTime`` and the ws channels send it (§1.8).

    ``tid``/``feeToken`` are missing from 2023 recordings; ``cloid`` only when
    the order had one; ``builderFee`` only when non-zero; ``liquidation`` only
    on liquidation fills; ``twapId`` present (often ``null``) on current fills.
    """


@attrs.frozen
class UserRateLimit:
    cum_vlm: str
    n_requests_used: int
    n_requests_cap: int
    n_requests_surplus: int | None = None


class L2Level(NamedTuple):
    """One book level: ``{"px", "sz", "n"}`` (price, total size, number of orders).

    A typed immutable tuple rather than an attrs class: a book message is forty
    of these, and a tuple subclass is the cheapest immutable object CPython
    builds (see FAST PATH). ``level.px`` etc. read like an attrs class; being a
    tuple, a level also unpacks (``px, sz, n = level``) and compares equal to a
    plain ``(px, sz, n)`` tuple. The converter maps it to and from the venue's
    JSON object.
    """

    px: str
    sz: str
    n: int


@attrs.define
class _L2BookSlots:
    """Storage of :class:`L2Book`; only the converter's fast path instantiates it (see FAST PATH)."""

    coin: str
    time: int
    levels: tuple[list[L2Level], list[L2Level]]


@attrs.frozen
class L2Book(_L2BookSlots):
    """``l2Book`` (info and ws): ``levels[0]`` bids descending, ``levels[1]`` asks ascending."""


WsL2Book: TypeAlias = L2Book
"""The ws ``l2Book`` channel's data has the info response's shape."""


@attrs.frozen
class Candle:
    open_time: int = attrs.field(metadata=_wire("t"))
    close_time: int = attrs.field(metadata=_wire("T"))
    coin: str = attrs.field(metadata=_wire("s"))
    interval: str = attrs.field(metadata=_wire("i"))
    open: str = attrs.field(metadata=_wire("o"))
    close: str = attrs.field(metadata=_wire("c"))
    high: str = attrs.field(metadata=_wire("h"))
    low: str = attrs.field(metadata=_wire("l"))
    volume: str = attrs.field(metadata=_wire("v"))
    trades: int = attrs.field(metadata=_wire("n"))


@attrs.frozen
class FundingRecord:
    """``fundingHistory`` entry (market funding)."""

    coin: str
    funding_rate: str
    premium: str
    time: int


@attrs.frozen
class FundingDelta:
    type: str
    coin: str
    usdc: str
    szi: str
    funding_rate: str
    n_samples: int | Absent | None = ABSENT


@attrs.frozen
class UserFundingEntry:
    """``userFunding`` entry (the account's funding payments)."""

    time: int
    hash: str
    delta: FundingDelta


@attrs.frozen
class ExtraAgent:
    name: str
    address: str
    valid_until: int


@attrs.frozen
class UserRole:
    role: str


@attrs.frozen
class VaultEquity:
    vault_address: str
    equity: str
    locked_until_timestamp: int | None = None


# ---------------------------------------------------------------------------
# /exchange responses (§2.2-2.7)
# ---------------------------------------------------------------------------


@attrs.frozen
class RestingInfo:
    oid: int
    cloid: str | None = None


@attrs.frozen
class FilledInfo:
    total_sz: str
    avg_px: str
    oid: int
    cloid: str | None = None


@attrs.frozen
class RestingStatus:
    """``{"resting": {"oid", "cloid"?}}``."""

    resting: RestingInfo


@attrs.frozen
class FilledStatus:
    """``{"filled": {"totalSz", "avgPx", "oid", "cloid"?}}``."""

    filled: FilledInfo


@attrs.frozen
class ErrorStatus:
    """``{"error": "<venue text>"}`` (an order or cancel the venue refused)."""

    error: str


StatusEntry: TypeAlias = RestingStatus | FilledStatus | ErrorStatus | str
"""One element of ``statuses``: the objects above, or a bare string
(``"success"`` for cancels, ``"waitingForFill"``/``"waitingForTrigger"`` for TP/SL legs)."""


@attrs.frozen
class StatusesData:
    statuses: list[StatusEntry]


@attrs.frozen
class ExchangeResponseBody:
    """``response`` of an ok answer: ``{"type": "order"|"cancel"|"default"|..., "data"?}``.

    ``data`` is :class:`StatusesData` when it has ``statuses``; other shapes
    (``twapOrder``'s ``{"status": ...}``) are kept as the venue's JSON.
    """

    type: str
    data: StatusesData | dict[str, Any] | None = None


@attrs.frozen
class ExchangeResponse:
    """``{"status":"ok","response":{...}}`` or ``{"status":"err","response":"<text>"}``."""

    status: Literal["ok", "err"]
    response: ExchangeResponseBody | str


# ---------------------------------------------------------------------------
# WebSocket messages (§4). parse_ws_message returns the class of the channel's data.
# ---------------------------------------------------------------------------


@attrs.frozen
class WsSubscriptionResponse:
    """Channel ``subscriptionResponse``: the ack echoing (a normalised copy of) the subscription."""

    method: str
    subscription: dict[str, Any]


@attrs.define
class _WsUserFillsSlots:
    """Storage of :class:`WsUserFills`; only the converter's fast path instantiates it (see FAST PATH)."""

    user: str
    fills: list[WireFill]
    is_snapshot: bool | None = None


@attrs.frozen
class WsUserFills(_WsUserFillsSlots):
    """Channel ``userFills``. ``is_snapshot`` is ``True`` on the replay sent on every subscribe;
    streaming messages send ``false`` or omit it (``None`` here)."""


@attrs.define
class _WsBasicOrderSlots:
    """Storage of :class:`WsBasicOrder`; only the converter's fast path instantiates it (see FAST PATH)."""

    coin: str
    side: str
    limit_px: str
    sz: str
    oid: int
    timestamp: int
    orig_sz: str
    cloid: str | None = None
    reduce_only: bool | None = None


@attrs.frozen
class WsBasicOrder(_WsBasicOrderSlots):
    pass


@attrs.define
class _WsOrderSlots:
    """Storage of :class:`WsOrder`; only the converter's fast path instantiates it (see FAST PATH)."""

    order: WsBasicOrder
    status: str
    status_timestamp: int


@attrs.frozen
class WsOrder(_WsOrderSlots):
    pass


@attrs.frozen
class WsOrderUpdates:
    """Channel ``orderUpdates``: the data is a JSON array of :class:`WsOrder`."""

    orders: list[WsOrder]


@attrs.frozen
class WsLiquidation:
    """``userEvents`` liquidation; the venue spells these keys in snake_case."""

    lid: int
    liquidator: str
    liquidated_user: str = attrs.field(metadata=_wire("liquidated_user"))
    liquidated_ntl_pos: str = attrs.field(metadata=_wire("liquidated_ntl_pos"))
    liquidated_account_value: str = attrs.field(metadata=_wire("liquidated_account_value"))


@attrs.frozen
class WsNonUserCancel:
    coin: str
    oid: int


@attrs.frozen
class WsUserFunding:
    time: int
    coin: str
    usdc: str
    szi: str
    funding_rate: str
    n_samples: int | Absent | None = ABSENT


@attrs.frozen
class WsUserEvents:
    """Channel ``user`` (subscription ``userEvents``): exactly one key is present."""

    fills: list[WireFill] | None = None
    funding: WsUserFunding | None = None
    liquidation: WsLiquidation | None = None
    non_user_cancel: list[WsNonUserCancel] | None = None


@attrs.frozen
class WsAllMids:
    mids: dict[str, str]
    dex: str | None = None


@attrs.define
class _WsTradeSlots:
    """Storage of :class:`WsTrade`; only the converter's fast path instantiates it (see FAST PATH)."""

    coin: str
    side: str
    px: str
    sz: str
    hash: str
    time: int
    tid: int
    users: tuple[str, str]


@attrs.frozen
class WsTrade(_WsTradeSlots):
    pass


@attrs.frozen
class WsTrades:
    """Channel ``trades``: the data is a JSON array of :class:`WsTrade`."""

    trades: list[WsTrade]


@attrs.frozen
class WsUserFundings:
    user: str
    fundings: list[WsUserFunding]
    is_snapshot: bool | None = None


@attrs.frozen
class WsClearinghouseState:
    dex: str
    user: str
    clearinghouse_state: ClearinghouseState


@attrs.frozen
class WsNotification:
    notification: str


@attrs.frozen
class ActiveAssetCtx:
    coin: str
    ctx: dict[str, Any]


@attrs.frozen
class WsPostInfoPayload:
    """An info answer over ws post: ``{"type": <info type>, "data": <the /info body>}``."""

    type: str
    data: Any


@attrs.frozen
class WsPostResponse:
    """``{"type":"info","payload":{...}}``, ``{"type":"action","payload":<exchange response>}``
    or ``{"type":"error","payload":"<text>"}``."""

    type: Literal["info", "action", "error"]
    payload: WsPostInfoPayload | ExchangeResponse | str


@attrs.frozen
class WsPost:
    """Channel ``post``: the answer to the ws post request with the same ``id``."""

    id: int
    response: WsPostResponse


@attrs.frozen
class WsPong:
    """Channel ``pong`` (answer to ``{"method":"ping"}``; has no data)."""


@attrs.frozen
class WsError:
    """Channel ``error``: the data is the venue's text."""

    text: str


@attrs.frozen
class WsUnknown:
    """A well-formed message on a channel hip3 does not model; kept as the venue's JSON."""

    channel: str
    data: Any


@attrs.frozen
class WsPlainText:
    """A non-JSON text frame, e.g. ``"Websocket connection established."`` on connect."""

    text: str


WsMessage: TypeAlias = (
    WsSubscriptionResponse
    | WsUserFills
    | WsOrderUpdates
    | WsUserEvents
    | L2Book
    | WsAllMids
    | WsTrades
    | WsUserFundings
    | WsClearinghouseState
    | WsNotification
    | ActiveAssetCtx
    | WsPost
    | WsPong
    | WsError
    | WsUnknown
    | WsPlainText
)
