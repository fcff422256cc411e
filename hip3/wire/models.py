"""Wire classes: the venue's JSON, field for field, as frozen msgspec Structs.

Every class here mirrors one JSON object of the Hyperliquid API
(hyperliquid-api.md §1, §2, §4). Attribute names are the snake_case form of
the venue's camelCase keys (``rename="camel"``; a field whose JSON name is not
plain camelCase says so with ``msgspec.field(name=...)``). msgspec decodes the
venue's bytes straight into these classes (:mod:`hip3.wire.codec`), in one
pass, with every JSON type checked:

* amounts are :class:`~decimal.Decimal`, decoded from the venue's decimal
  **strings** only (fields typed :data:`WireDecimal`): a JSON number, a
  ``null`` where a value is required, ``"NaN"``/``"Infinity"`` or text that is
  no number is refused with the field's path. Written back they are strings
  again, in plain notation (:func:`hip3.wire.codec.dumps`: the venue's text
  survives). A text already seen gives the same (immutable) Decimal object;
* sides are :class:`~hip3.types.Side` (``"B"``/``"A"``); ids and timestamps
  are ints, never coerced from strings.

Optional fields follow one rule so that wire JSON -> objects -> wire JSON is
the identity:

* a key the venue sometimes omits defaults to ``None`` and is omitted again
  when ``None`` (``cloid`` on fills, ``isSnapshot``, ``builderFee``...);
* a key the venue sends as ``null`` has no default and ``None`` is written
  back as ``null`` (``liquidationPx``, ``midPx``, ``tif``...);
* the few keys that are sometimes absent *and* sometimes ``null`` (``twapId``
  on fills: absent in 2023 recordings, ``null`` today) default to
  :data:`ABSENT` (msgspec's ``UNSET``), a falsy sentinel omitted on output.

Unknown keys are ignored (the venue adds fields over time). Every class is a
frozen Struct: immutable, compared field by field, hashable when its fields
are. The hot ws classes (fills, books, orders, trades) do not take part in
garbage collection (``gc=False``: they hold no reference cycles).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

import msgspec
from msgspec.structs import force_setattr

from hip3.types import Side

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
    "SpotBalance",
    "SpotClearinghouseState",
    "SpotMeta",
    "SpotPair",
    "SpotToken",
    "StatusEntry",
    "StatusesData",
    "UserFundingEntry",
    "UserRateLimit",
    "UserRole",
    "VaultEquity",
    "WireDecimal",
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
    "dec_hook",
    "split_location",
]

Absent: TypeAlias = msgspec.UnsetType
"""The type of :data:`ABSENT`: "the venue did not send this key"."""

ABSENT: Final = msgspec.UNSET
"""Marks a key that was missing (as opposed to present with ``null``); falsy, never written."""

if TYPE_CHECKING:
    WireDecimal: TypeAlias = Decimal
else:

    class WireDecimal(Decimal):
        """A :class:`~decimal.Decimal` the venue sent as a decimal string.

        msgspec decodes fields typed ``WireDecimal`` through :func:`dec_hook` (strings
        only, finite). It is a Decimal in every respect (equal, same hash, ``repr``
        ``Decimal('1.5')``, arithmetic gives plain Decimals); the subclass only exists
        because msgspec's own Decimal decoding also takes JSON numbers and ``"NaN"``.
        (Measured: a hook returning this subclass costs 1.15x msgspec's native Decimal
        decoding; one returning plain Decimals behind an ABC marker cost 3.5x.) To
        encode these with msgspec, pass ``builtin_types=(Decimal, WireDecimal)`` or use
        :func:`hip3.wire.codec.dumps`. Type checkers see ``Decimal`` itself."""

        __slots__ = ()


_JSON_TYPE_NAMES: Final = {
    type(None): "null",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
}


_known_decimals: dict[str, Decimal] = {}
"""Decimals already made, by their text: prices and sizes repeat from one message to the
next (a book's levels, ``"0.0"`` fees and PnLs), and a dict lookup costs about a third of
parsing the text again. Decimals are immutable, so sharing one is safe. Bounded: cleared
when full, and only short texts are kept."""

_KNOWN_DECIMALS_MAX: Final = 16_384
_KNOWN_DECIMAL_TEXT_MAX: Final = 40


def dec_hook(type_: type, value: Any) -> Any:
    """msgspec's hook for the types it does not know: :data:`WireDecimal` here.

    A decimal is a JSON string holding a finite number (``Decimal``'s syntax):
    a JSON number is refused (it may already have lost digits in a float), so
    are ``"NaN"``, ``"Infinity"`` and text that is no number."""
    if type_ is WireDecimal:
        if type(value) is str:
            known = _known_decimals.get(value)
            return _new_decimal(value) if known is None else known
        got = _JSON_TYPE_NAMES.get(type(value), type(value).__name__)
        raise TypeError(f"expected a decimal string, got {got}")
    raise TypeError(f"hip3 has no decoder for {type_!r}")


def _new_decimal(text: str) -> Decimal:
    try:
        result = WireDecimal(text)
    except InvalidOperation:
        raise ValueError(f"not a decimal number: {text!r:.40}") from None
    if not result.is_finite():
        raise ValueError(f"not a finite number: {text!r:.40}")
    if len(text) <= _KNOWN_DECIMAL_TEXT_MAX:
        if len(_known_decimals) >= _KNOWN_DECIMALS_MAX:
            _known_decimals.clear()
        _known_decimals[text] = result
    return result


def _at(message: str, path: str) -> str:
    """``message`` located at ``path`` below the object raising it from ``__post_init__``.

    msgspec appends the object's own location (`` - at `$.data.x` ``) to what a
    ``__post_init__`` raises; :func:`hip3.wire.codec.wire_error` joins the two."""
    return f"{message} - at `${path}`"


_LOCATION: Final = re.compile(r" - at `\$([^`]*)`")


def split_location(text: str) -> tuple[str, str]:
    """A msgspec error message as ``(message, path)``: ``path`` joins every
    `` - at `$...` `` suffix, outermost first (``".data.fills[3].tid"``)."""
    found = _LOCATION.search(text)
    if found is None:
        return text, ""
    return text[: found.start()], "".join(reversed(_LOCATION.findall(text, found.start())))


def _convert_at(value: Any, cls: Any, path: str) -> Any:
    """``value`` (plain JSON) as ``cls``, an error keeping its path below ``path``."""
    try:
        return msgspec.convert(value, cls, dec_hook=dec_hook)
    except msgspec.ValidationError as exc:
        message, inner = split_location(str(exc))
        raise ValueError(_at(message, path + inner)) from None


class _Wire(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    """Base of the wire classes: frozen, camelCase keys, defaults omitted on output.

    (Subclasses inherit the settings; they repeat ``frozen=True`` for type checkers.)"""


# ---------------------------------------------------------------------------
# /info: meta, perpDexs, metaAndAssetCtxs, allMids, spotMeta (§1.2-1.5, §1.14)
# ---------------------------------------------------------------------------


class AssetInfo(_Wire, frozen=True):
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


class MarginTier(_Wire, frozen=True):
    lower_bound: WireDecimal
    max_leverage: int


class MarginTable(_Wire, frozen=True):
    description: str
    margin_tiers: list[MarginTier]


class Meta(_Wire, frozen=True):
    """``{"type":"meta","dex":...}``. 2023 recordings lack ``marginTables``/``collateralToken``."""

    universe: list[AssetInfo]
    margin_tables: list[tuple[int, MarginTable]] | None = None
    collateral_token: int | None = None


class PerpDex(_Wire, frozen=True):
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


class AssetCtx(_Wire, frozen=True):
    """One perp's market context; ``metaAndAssetCtxs[1][i]`` belongs to ``universe[i]``."""

    day_ntl_vlm: WireDecimal
    funding: WireDecimal
    impact_pxs: list[WireDecimal] | None
    mark_px: WireDecimal
    mid_px: WireDecimal | None
    open_interest: WireDecimal
    oracle_px: WireDecimal
    premium: WireDecimal | None
    prev_day_px: WireDecimal
    day_base_vlm: WireDecimal | None = None


MetaAndAssetCtxs: TypeAlias = tuple[Meta, list[AssetCtx]]
AllMids: TypeAlias = dict[str, WireDecimal]


class SpotToken(_Wire, frozen=True):
    name: str
    sz_decimals: int
    wei_decimals: int
    index: int
    token_id: str
    is_canonical: bool
    evm_contract: Any = ABSENT
    full_name: Any = ABSENT


class SpotPair(_Wire, frozen=True):
    """A spot market; its asset id is ``10000 + index`` (hyperliquid-api.md §0.2)."""

    name: str
    tokens: list[int]
    index: int
    is_canonical: bool


class SpotMeta(_Wire, frozen=True):
    tokens: list[SpotToken]
    universe: list[SpotPair]


# ---------------------------------------------------------------------------
# /info: account state (§1.6-1.9, §1.13)
# ---------------------------------------------------------------------------


class Leverage(_Wire, frozen=True):
    """``{"type":"cross","value":n}`` or ``{"type":"isolated","value":n,"rawUsd":s}``."""

    type: Literal["cross", "isolated"]
    value: int
    raw_usd: WireDecimal | None = None


class CumFunding(_Wire, frozen=True):
    all_time: WireDecimal
    since_open: WireDecimal
    since_change: WireDecimal


class Position(_Wire, frozen=True):
    """``assetPositions[i].position``; 2023 recordings have ``maxTradeSzs``, no ``cumFunding``."""

    coin: str
    szi: WireDecimal
    entry_px: WireDecimal | None
    position_value: WireDecimal
    unrealized_pnl: WireDecimal
    return_on_equity: WireDecimal
    liquidation_px: WireDecimal | None
    leverage: Leverage
    margin_used: WireDecimal
    max_leverage: int | None = None
    cum_funding: CumFunding | None = None
    max_trade_szs: list[WireDecimal] | None = None


class AssetPosition(_Wire, frozen=True):
    type: str
    position: Position


class MarginSummary(_Wire, frozen=True):
    account_value: WireDecimal
    total_ntl_pos: WireDecimal
    total_raw_usd: WireDecimal
    total_margin_used: WireDecimal


class ClearinghouseState(_Wire, frozen=True):
    """``clearinghouseState`` for one dex. ``time`` (ms) is missing from 2023 recordings."""

    asset_positions: list[AssetPosition]
    margin_summary: MarginSummary
    cross_margin_summary: MarginSummary
    withdrawable: WireDecimal
    cross_maintenance_margin_used: WireDecimal | None = None
    time: int | None = None


class OpenOrder(_Wire, frozen=True):
    """``openOrders`` entry; ``sz`` is the remaining size."""

    coin: str
    side: Side
    limit_px: WireDecimal
    sz: WireDecimal
    oid: int
    timestamp: int
    orig_sz: WireDecimal | None = None
    cloid: str | None = None
    reduce_only: bool | None = None


class FrontendOrder(_Wire, frozen=True):
    """``frontendOpenOrders`` entry (also the inner order of ``orderStatus``/``historicalOrders``)."""

    coin: str
    side: Side
    limit_px: WireDecimal
    sz: WireDecimal
    oid: int
    timestamp: int
    trigger_condition: str
    is_trigger: bool
    trigger_px: WireDecimal
    children: list[FrontendOrder]
    is_position_tpsl: bool
    reduce_only: bool
    order_type: str
    orig_sz: WireDecimal
    tif: str | None
    cloid: str | Absent | None = ABSENT


class OrderStatusOrder(_Wire, frozen=True):
    """``{"order": {...}, "status": "...", "statusTimestamp": ms}``."""

    order: FrontendOrder
    status: str
    status_timestamp: int


class OrderStatusResponse(_Wire, frozen=True):
    """``orderStatus``: ``{"status":"order","order":{...}}`` or ``{"status":"unknownOid"}``."""

    status: str
    order: OrderStatusOrder | None = None


class Liquidation(_Wire, frozen=True):
    """``liquidation`` on a liquidation fill; docs type ``markPx`` as a number, live it is a string."""

    method: str
    mark_px: str | float | None = None
    liquidated_user: str | None = None


class WireFill(_Wire, frozen=True, gc=False):
    """A fill as ``userFills``/``userFillsByTime`` and the ws channels send it (§1.8).

    ``tid``/``feeToken`` are missing from 2023 recordings; ``cloid`` only when
    the order had one; ``builderFee`` only when non-zero; ``liquidation`` only
    on liquidation fills; ``twapId`` present (often ``null``) on current fills.
    """

    coin: str
    px: WireDecimal
    sz: WireDecimal
    side: Side
    time: int
    start_position: WireDecimal
    dir: str
    closed_pnl: WireDecimal
    hash: str
    oid: int
    crossed: bool
    fee: WireDecimal
    tid: int | None = None
    fee_token: str | None = None
    cloid: str | None = None
    builder_fee: WireDecimal | None = None
    liquidation: Liquidation | None = None
    twap_id: int | Absent | None = ABSENT


class UserRateLimit(_Wire, frozen=True):
    cum_vlm: WireDecimal
    n_requests_used: int
    n_requests_cap: int
    n_requests_surplus: int | None = None


class L2Level(_Wire, frozen=True, gc=False):
    """One book level: ``{"px", "sz", "n"}`` (price, total size, number of orders).

    Unpacks like the tuple it used to be: ``px, sz, n = level``."""

    px: WireDecimal
    sz: WireDecimal
    n: int

    def __iter__(self) -> Any:
        return iter((self.px, self.sz, self.n))


class L2Book(_Wire, frozen=True, gc=False):
    """``l2Book`` (info and ws): ``levels[0]`` bids descending, ``levels[1]`` asks ascending."""

    coin: str
    time: int
    levels: tuple[list[L2Level], list[L2Level]]


WsL2Book: TypeAlias = L2Book
"""The ws ``l2Book`` channel's data has the info response's shape."""


class Candle(_Wire, frozen=True):
    open_time: int = msgspec.field(name="t")
    close_time: int = msgspec.field(name="T")
    coin: str = msgspec.field(name="s")
    interval: str = msgspec.field(name="i")
    open: WireDecimal = msgspec.field(name="o")
    close: WireDecimal = msgspec.field(name="c")
    high: WireDecimal = msgspec.field(name="h")
    low: WireDecimal = msgspec.field(name="l")
    volume: WireDecimal = msgspec.field(name="v")
    trades: int = msgspec.field(name="n")


class FundingRecord(_Wire, frozen=True):
    """``fundingHistory`` entry (market funding)."""

    coin: str
    funding_rate: WireDecimal
    premium: WireDecimal
    time: int


class FundingDelta(_Wire, frozen=True):
    type: str
    coin: str
    usdc: WireDecimal
    szi: WireDecimal
    funding_rate: WireDecimal
    n_samples: int | Absent | None = ABSENT


class UserFundingEntry(_Wire, frozen=True):
    """``userFunding`` entry (the account's funding payments)."""

    time: int
    hash: str
    delta: FundingDelta


class ExtraAgent(_Wire, frozen=True):
    name: str
    address: str
    valid_until: int


class UserRole(_Wire, frozen=True):
    """``userRole``: ``{"role": ..., "data"?: {"user"|"master": address}}``."""

    role: str
    data: dict[str, Any] | None = None


class SpotBalance(_Wire, frozen=True):
    """One token of ``spotClearinghouseState.balances``; ``hold`` is tied up by orders (or
    margin, in unified/portfolio mode)."""

    coin: str
    total: WireDecimal
    hold: WireDecimal | None = None
    token: int | None = None
    entry_ntl: WireDecimal | None = None


class SpotClearinghouseState(_Wire, frozen=True):
    """``spotClearinghouseState``: the account's spot wallet."""

    balances: list[SpotBalance]


class VaultEquity(_Wire, frozen=True):
    vault_address: str
    equity: WireDecimal
    locked_until_timestamp: int | None = None


# ---------------------------------------------------------------------------
# /exchange responses (§2.2-2.7)
# ---------------------------------------------------------------------------


class RestingInfo(_Wire, frozen=True):
    oid: int
    cloid: str | None = None


class FilledInfo(_Wire, frozen=True):
    total_sz: WireDecimal
    avg_px: WireDecimal
    oid: int
    cloid: str | None = None


class RestingStatus(_Wire, frozen=True):
    """``{"resting": {"oid", "cloid"?}}``."""

    resting: RestingInfo


class FilledStatus(_Wire, frozen=True):
    """``{"filled": {"totalSz", "avgPx", "oid", "cloid"?}}``."""

    filled: FilledInfo


class ErrorStatus(_Wire, frozen=True):
    """``{"error": "<venue text>"}`` (an order or cancel the venue refused)."""

    error: str


StatusEntry: TypeAlias = RestingStatus | FilledStatus | ErrorStatus | str
"""One element of ``statuses``: the objects above, or a bare string
(``"success"`` for cancels, ``"waitingForFill"``/``"waitingForTrigger"`` for TP/SL legs)."""

_STATUS_CLASSES: Final[dict[str, type[_Wire]]] = {
    "resting": RestingStatus,
    "filled": FilledStatus,
    "error": ErrorStatus,
}

# msgspec cannot tell untagged objects apart inside a union: these fields are decoded as
# plain JSON and typed by the class's __post_init__ (type checkers see the real types).
if TYPE_CHECKING:
    _Statuses: TypeAlias = list[StatusEntry]
    _ResponseData: TypeAlias = "StatusesData | dict[str, Any] | None"
    _PostPayload: TypeAlias = "WsPostInfoPayload | ExchangeResponse | str"
else:
    _Statuses = list[str | dict[str, Any]]
    _ResponseData = dict[str, Any] | None
    _PostPayload = Any


def _status_entry(entry: Any, index: int) -> StatusEntry:
    if type(entry) is dict:
        for key, cls in _STATUS_CLASSES.items():
            if key in entry:
                return _convert_at(entry, cls, f".statuses[{index}]")  # type: ignore[no-any-return]
        raise ValueError(
            _at(
                f"expected 'resting', 'filled', 'error' or a string, got {entry!r:.80}",
                f".statuses[{index}]",
            )
        )
    return entry  # type: ignore[no-any-return]


class StatusesData(_Wire, frozen=True):
    statuses: _Statuses

    def __post_init__(self) -> None:
        statuses: list[Any] = self.statuses  # plain JSON when msgspec made it
        if any(type(entry) is dict for entry in statuses):
            force_setattr(self, "statuses", [_status_entry(e, i) for i, e in enumerate(statuses)])


class ExchangeResponseBody(_Wire, frozen=True):
    """``response`` of an ok answer: ``{"type": "order"|"cancel"|"default"|..., "data"?}``.

    ``data`` is :class:`StatusesData` when it has ``statuses``; other shapes
    (``twapOrder``'s ``{"status": ...}``) are kept as the venue's JSON.
    """

    type: str
    data: _ResponseData = None

    def __post_init__(self) -> None:
        data = self.data
        if type(data) is dict and "statuses" in data:
            force_setattr(self, "data", _convert_at(data, StatusesData, ".data"))


class ExchangeResponse(_Wire, frozen=True):
    """``{"status":"ok","response":{...}}`` or ``{"status":"err","response":"<text>"}``.

    An ``ok`` answer whose ``response`` is text keeps the venue's text."""

    status: Literal["ok", "err"]
    response: ExchangeResponseBody | str

    def __post_init__(self) -> None:
        if self.status == "err" and not isinstance(self.response, str):
            raise TypeError(_at("expected a string, got an object", ".response"))


# ---------------------------------------------------------------------------
# WebSocket messages (§4). parse_ws_message returns the class of the channel's data.
# ---------------------------------------------------------------------------


class WsSubscriptionResponse(_Wire, frozen=True):
    """Channel ``subscriptionResponse``: the ack echoing (a normalised copy of) the subscription."""

    method: str
    subscription: dict[str, Any]


class WsUserFills(_Wire, frozen=True, gc=False):
    """Channel ``userFills``. ``is_snapshot`` is ``True`` on the replay sent on every subscribe;
    streaming messages send ``false`` or omit it (``None`` here)."""

    user: str
    fills: list[WireFill]
    is_snapshot: bool | None = None


class WsBasicOrder(_Wire, frozen=True, gc=False):
    coin: str
    side: Side
    limit_px: WireDecimal
    sz: WireDecimal
    oid: int
    timestamp: int
    orig_sz: WireDecimal
    cloid: str | None = None
    reduce_only: bool | None = None


class WsOrder(_Wire, frozen=True, gc=False):
    order: WsBasicOrder
    status: str
    status_timestamp: int


class WsOrderUpdates(_Wire, frozen=True):
    """Channel ``orderUpdates``: the data is a JSON array of :class:`WsOrder`."""

    orders: list[WsOrder]


class WsLiquidation(_Wire, frozen=True):
    """``userEvents`` liquidation; the venue spells these keys in snake_case."""

    lid: int
    liquidator: str
    liquidated_user: str = msgspec.field(name="liquidated_user")
    liquidated_ntl_pos: WireDecimal = msgspec.field(name="liquidated_ntl_pos")
    liquidated_account_value: WireDecimal = msgspec.field(name="liquidated_account_value")


class WsNonUserCancel(_Wire, frozen=True):
    coin: str
    oid: int


class WsUserFunding(_Wire, frozen=True):
    time: int
    coin: str
    usdc: WireDecimal
    szi: WireDecimal
    funding_rate: WireDecimal
    n_samples: int | Absent | None = ABSENT


class WsUserEvents(_Wire, frozen=True):
    """Channel ``user`` (subscription ``userEvents``): exactly one key is present."""

    fills: list[WireFill] | None = None
    funding: WsUserFunding | None = None
    liquidation: WsLiquidation | None = None
    non_user_cancel: list[WsNonUserCancel] | None = None


class WsAllMids(_Wire, frozen=True):
    mids: dict[str, WireDecimal]
    dex: str | None = None


class WsTrade(_Wire, frozen=True, gc=False):
    coin: str
    side: Side
    px: WireDecimal
    sz: WireDecimal
    hash: str
    time: int
    tid: int
    users: tuple[str, str]


class WsTrades(_Wire, frozen=True):
    """Channel ``trades``: the data is a JSON array of :class:`WsTrade`."""

    trades: list[WsTrade]


class WsUserFundings(_Wire, frozen=True):
    user: str
    fundings: list[WsUserFunding]
    is_snapshot: bool | None = None


class WsClearinghouseState(_Wire, frozen=True):
    dex: str
    user: str
    clearinghouse_state: ClearinghouseState


class WsNotification(_Wire, frozen=True):
    notification: str


class ActiveAssetCtx(_Wire, frozen=True):
    coin: str
    ctx: dict[str, Any]


class WsPostInfoPayload(_Wire, frozen=True):
    """An info answer over ws post: ``{"type": <info type>, "data": <the /info body>}``."""

    type: str
    data: Any


_POST_PAYLOADS: Final[dict[str, Any]] = {"info": WsPostInfoPayload, "action": ExchangeResponse}


class WsPostResponse(_Wire, frozen=True):
    """``{"type":"info","payload":{...}}``, ``{"type":"action","payload":<exchange response>}``
    or ``{"type":"error","payload":"<text>"}``."""

    type: Literal["info", "action", "error"]
    payload: _PostPayload

    def __post_init__(self) -> None:
        payload = self.payload
        cls: Any = _POST_PAYLOADS.get(self.type, str)
        if isinstance(payload, cls):
            return
        if cls is str:
            got = _JSON_TYPE_NAMES.get(type(payload), type(payload).__name__)
            raise TypeError(_at(f"expected a string, got {got}", ".payload"))
        force_setattr(self, "payload", _convert_at(payload, cls, ".payload"))


class WsPost(_Wire, frozen=True):
    """Channel ``post``: the answer to the ws post request with the same ``id``."""

    id: int
    response: WsPostResponse


class WsPong(_Wire, frozen=True):
    """Channel ``pong`` (answer to ``{"method":"ping"}``; has no data)."""


class WsError(_Wire, frozen=True):
    """Channel ``error``: the data is the venue's text."""

    text: str


class WsUnknown(_Wire, frozen=True):
    """A well-formed message on a channel hip3 does not model; kept as the venue's JSON."""

    channel: str
    data: Any


class WsPlainText(_Wire, frozen=True):
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
