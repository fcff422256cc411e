"""The tradable markets and their asset ids (hyperliquid-api.md §0.2).

Asset ids are what actions carry (``"a"``/``"asset"``); coins are what fills,
books and positions carry. A :class:`Universe` maps one to the other, built
from the venue's own answers:

* main perp dex: asset = index in ``meta`` (dex ``""``) ``universe``;
* HIP-3 dex: asset = ``100000 + 10000 * perp_dex_index + index``, where
  ``perp_dex_index`` is the dex's position in the ``perpDexs`` array (element 0
  is ``null``, the main dex), so the first builder dex starts at 110000 — the
  official SDK assigns the same ids;
* spot: asset = ``10000 + spotMeta.universe[k].index`` (not the token index).

Delisted markets keep their slot (ids do not shift) and are marked.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any

import attrs

from hip3.errors import ValidationError, WireError
from hip3.types import Coin, round_price, round_size, validate_price, validate_size
from hip3.wire import models as m
from hip3.wire.codec import structure

__all__ = ["HIP3_ASSET_BASE", "HIP3_DEX_STRIDE", "SPOT_ASSET_BASE", "Market", "Universe"]

SPOT_ASSET_BASE = 10_000
HIP3_ASSET_BASE = 100_000
HIP3_DEX_STRIDE = 10_000


#: growth mode's cut: fees, rebates, volume and request-budget contributions are 10% of usual
GROWTH_MODE_FACTOR = Decimal("0.1")


def fee_multiplier(deployer_fee_scale: Decimal | None, growth_mode: bool = False) -> Decimal:
    """The venue's multiplier on a user's fee rates for a HIP-3 market whose dex has
    ``deployer_fee_scale`` (None: not a HIP-3 market, 1): ``1 + s`` below 1, ``2 s`` from
    1; times 0.1 in growth mode."""
    if deployer_fee_scale is None:
        multiplier = Decimal(1)
    elif deployer_fee_scale < 1:
        multiplier = 1 + deployer_fee_scale
    else:
        multiplier = 2 * deployer_fee_scale
    return multiplier * GROWTH_MODE_FACTOR if growth_mode else multiplier


@attrs.frozen(slots=True)
class Market:
    """One market's identity and trading rules."""

    coin: Coin
    asset: int
    dex: str
    sz_decimals: int
    max_leverage: int
    is_spot: bool = False
    only_isolated: bool = False
    is_delisted: bool = False
    margin_mode: str | None = None
    #: the token the market settles in: PnL, fees, margin and notional are amounts of it
    #: (its dex's ``collateralToken``; spot markets: the quote token)
    collateral_token: str = "USDC"
    #: a HIP-3 dex's ``deployerFeeScale`` (``perpDexs``); None on the main dex and spot
    deployer_fee_scale: Decimal | None = None
    #: HIP-3 growth mode (``growthMode: "enabled"`` in the dex's meta)
    growth_mode: bool = False

    @property
    def fee_multiplier(self) -> Decimal:
        """What the venue multiplies the account's fee rates by on this market.

        A HIP-3 market charges ``1 + s`` times the rate when its dex's deployer fee scale
        ``s`` is below 1, else ``2 s`` (the default ``s = 1`` doubles the fee, half of it
        to the deployer); growth mode cuts the result by 90%. Validator-operated perps
        and spot: 1.
        """
        return fee_multiplier(self.deployer_fee_scale, self.growth_mode)

    @property
    def volume_weight(self) -> Decimal:
        """How much of a trade's notional counts toward the account's volume (fee tier,
        request budget): a tenth in growth mode, all of it elsewhere."""
        return GROWTH_MODE_FACTOR if self.growth_mode else Decimal(1)

    def round_price(
        self, price: Decimal | str | int | float, *, rounding: str = ROUND_HALF_EVEN
    ) -> Decimal:
        """The nearest price the venue accepts for this market (5 sig figs, decimal cap)."""
        return round_price(price, self.sz_decimals, spot=self.is_spot, rounding=rounding)

    def round_size(
        self, size: Decimal | str | int | float, *, rounding: str = ROUND_DOWN
    ) -> Decimal:
        """Size cut to this market's ``szDecimals`` (down by default)."""
        return round_size(size, self.sz_decimals, rounding=rounding)

    def check_order(
        self,
        price: Decimal | str | int | float,
        size: Decimal | str | int | float,
        *,
        round_values: bool = False,
    ) -> tuple[Decimal, Decimal]:
        """``(price, size)`` valid for this market, or ValidationError naming the field.

        With ``round_values`` the values are first rounded (price to nearest,
        size down); a size that rounds to zero is still an error.
        """
        if round_values:
            price = self.round_price(price)
            size = self.round_size(size)
        px = validate_price(price, self.sz_decimals, spot=self.is_spot)
        sz = validate_size(size, self.sz_decimals)
        return px, sz


def _structured(value: Any, cls: type, kind: str) -> Any:
    if isinstance(value, cls):
        return value
    return structure(value, cls, kind=kind)


class Universe:
    """coin <-> asset id <-> :class:`Market`, for the main dex, HIP-3 dexes and spot."""

    __slots__ = ("_by_asset", "_by_coin", "_collateral", "_dexes")

    def __init__(
        self,
        markets: Iterable[Market],
        dexes: Sequence[str] = ("",),
        collateral: Mapping[str, str] | None = None,
    ) -> None:
        self._by_coin: dict[str, Market] = {}
        self._by_asset: dict[int, Market] = {}
        for market in markets:
            if market.coin in self._by_coin:
                raise ValidationError(f"duplicate market {market.coin!r}", field="coin")
            if market.asset in self._by_asset:
                raise ValidationError(f"duplicate asset id {market.asset}", field="asset")
            self._by_coin[market.coin] = market
            self._by_asset[market.asset] = market
        self._dexes = tuple(dexes)
        self._collateral: dict[str, str] = dict(collateral or {})
        for market in self._by_coin.values():
            if not market.is_spot:
                self._collateral.setdefault(market.dex, market.collateral_token)

    @classmethod
    def from_meta(
        cls,
        perp_dexs: Sequence[Any] | None,
        metas: Mapping[str, Any],
        spot_meta: Any = None,
        *,
        tokens: Mapping[int, str] | None = None,
    ) -> Universe:
        """Build from ``perpDexs`` and ``meta`` per dex (``""`` = main), optionally ``spotMeta``.

        Each argument may be the venue's JSON or the structured wire class.
        ``perp_dexs`` may be None when only the main dex is used. A dex's
        ``collateralToken`` (a token index) is named through ``tokens`` (index ->
        name) or ``spot_meta``'s tokens; index 0 is USDC. A non-USDC index that
        neither names -> WireError.
        """
        token_names: dict[int, str] = {0: "USDC"}
        if spot_meta is not None:
            spot_meta = _structured(spot_meta, m.SpotMeta, "spotMeta")
            token_names.update({token.index: token.name for token in spot_meta.tokens})
        token_names.update(tokens or {})
        dexes: list[m.PerpDex | None]
        if perp_dexs is None:
            dexes = [None]
        elif all(d is None or isinstance(d, m.PerpDex) for d in perp_dexs):
            dexes = list(perp_dexs)
        else:
            dexes = structure(perp_dexs, m.PerpDexs, kind="perpDexs")
        dex_index: dict[str, int] = {"": 0}
        fee_scales: dict[str, Decimal] = {}
        for index, dex in enumerate(dexes):
            if dex is not None and index > 0:
                dex_index[dex.name] = index
                fee_scales[dex.name] = _fee_scale(dex)
        markets: list[Market] = []
        collateral: dict[str, str] = {}
        for dex_name, raw_meta in metas.items():
            if dex_name not in dex_index:
                known = ", ".join(repr(d) for d in dex_index)
                raise ValidationError(
                    f"dex {dex_name!r} is not in perpDexs (known: {known})", field="dex"
                )
            meta: m.Meta = _structured(raw_meta, m.Meta, "meta")
            token_index = meta.collateral_token or 0
            token = token_names.get(token_index)
            if token is None:
                raise WireError(
                    f"dex {dex_name!r} settles in token {token_index}, which spotMeta does not name",
                    kind="meta",
                    field="collateralToken",
                )
            collateral[dex_name] = token
            perp_dex_index = dex_index[dex_name]
            base = 0 if perp_dex_index == 0 else HIP3_ASSET_BASE + HIP3_DEX_STRIDE * perp_dex_index
            for index, info in enumerate(meta.universe):
                coin = Coin(info.name)
                if coin.dex != dex_name:
                    raise WireError(
                        f"coin {info.name!r} does not belong to dex {dex_name!r}",
                        kind="meta",
                        field=f"universe[{index}].name",
                    )
                markets.append(
                    Market(
                        coin=coin,
                        asset=base + index,
                        dex=dex_name,
                        sz_decimals=info.sz_decimals,
                        max_leverage=info.max_leverage,
                        only_isolated=bool(info.only_isolated),
                        is_delisted=bool(info.is_delisted),
                        margin_mode=info.margin_mode,
                        collateral_token=token,
                        deployer_fee_scale=fee_scales.get(dex_name),
                        growth_mode=info.growth_mode == "enabled",
                    )
                )
        if spot_meta is not None:
            markets.extend(_spot_markets(spot_meta))
        return cls(markets, dexes=tuple(metas), collateral=collateral)

    # -- lookups ------------------------------------------------------------

    def market(self, coin: str) -> Market:
        """The market named ``coin``; unknown -> ValidationError(field="coin") with close names."""
        market = self._by_coin.get(coin)
        if market is None:
            close = difflib.get_close_matches(coin, list(self._by_coin), n=5, cutoff=0.6)
            if not close:
                lowered = coin.lower()
                close = [
                    c
                    for c in self._by_coin
                    if c.lower() == lowered or c.lower().endswith(":" + lowered)
                ]
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValidationError(f"unknown coin {coin!r}{hint}", field="coin")
        return market

    def asset(self, coin: str) -> int:
        """The asset id actions use for ``coin``."""
        return self.market(coin).asset

    def coin(self, asset: int) -> Coin:
        """The coin of asset id ``asset``; unknown -> ValidationError(field="asset")."""
        market = self._by_asset.get(asset)
        if market is None:
            raise ValidationError(f"unknown asset id {asset}", field="asset")
        return market.coin

    def market_for_asset(self, asset: int) -> Market:
        return self.market(self.coin(asset))

    def markets(self, dex: str | None = None) -> list[Market]:
        """All markets (of one dex if given; spot markets have dex ``""`` and ``is_spot``)."""
        return [mk for mk in self._by_coin.values() if dex is None or mk.dex == dex]

    def collateral_token(self, dex: str) -> str:
        """The token perp dex ``dex`` settles in (``collateralToken`` of its meta); a dex
        this universe was not built with -> ValidationError(field="dex")."""
        token = self._collateral.get(dex)
        if token is None:
            if dex in self._dexes or dex == "":
                return "USDC"
            raise ValidationError(f"unknown dex {dex!r}", field="dex")
        return token

    @property
    def dexes(self) -> tuple[str, ...]:
        """The perp dexes this universe was built with (``""`` = main)."""
        return self._dexes

    def __contains__(self, coin: object) -> bool:
        return coin in self._by_coin

    def __iter__(self) -> Iterator[Market]:
        return iter(self._by_coin.values())

    def __len__(self) -> int:
        return len(self._by_coin)

    def __repr__(self) -> str:
        return f"Universe({len(self)} markets, dexes={list(self._dexes)!r})"


def _spot_markets(spot_meta: m.SpotMeta) -> list[Market]:
    tokens = {token.index: token for token in spot_meta.tokens}
    markets = []
    for pair in spot_meta.universe:
        if not pair.tokens:
            raise WireError("spot pair without tokens", kind="spotMeta", field="universe.tokens")
        base_token = tokens.get(pair.tokens[0])
        if base_token is None:
            raise WireError(
                f"spot pair {pair.name!r} names unknown token {pair.tokens[0]}",
                kind="spotMeta",
                field="universe.tokens",
            )
        quote = tokens.get(pair.tokens[1]) if len(pair.tokens) > 1 else None
        markets.append(
            Market(
                coin=Coin(pair.name),
                asset=SPOT_ASSET_BASE + pair.index,
                dex="",
                sz_decimals=base_token.sz_decimals,
                max_leverage=1,
                is_spot=True,
                collateral_token=quote.name if quote is not None else "USDC",
            )
        )
    return markets


def _fee_scale(dex: m.PerpDex) -> Decimal:
    """A builder dex's ``deployerFeeScale``; 1 (the venue's default) when not given."""
    if dex.deployer_fee_scale is None:
        return Decimal(1)
    try:
        scale = Decimal(dex.deployer_fee_scale)
    except ArithmeticError:
        scale = Decimal("NaN")
    if not scale.is_finite() or scale < 0:
        raise WireError(
            f"dex {dex.name!r}: deployerFeeScale {dex.deployer_fee_scale!r} is not a scale >= 0",
            kind="perpDexs",
            field="deployerFeeScale",
        )
    return scale
