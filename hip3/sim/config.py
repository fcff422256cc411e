"""The simulator's configuration: markets, dexes, liquidity, fees and faults.

Everything is a frozen attrs class with working defaults, so ``SimConfig()`` is
a complete venue: a main dex (BTC, ETH, SOL) and two HIP-3 dexes (``xyz`` with
``xyz:TSLA`` and ``xyz:NVDA``, ``flx`` with ``flx:GOLD``). :meth:`SimConfig.from_mapping`
reads the ``[sim]`` table of a bot config strictly: an unknown key, a wrong type
or a value out of range is a :class:`~hip3.errors.ConfigError` naming the source
and the dotted key (``"bot.toml: sim.faults.ws_drop: must be in [0, 1]"``).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import attrs

from hip3.errors import ConfigError

__all__ = [
    "FaultConfig",
    "SimBadRequest",
    "SimConfig",
    "SimDex",
    "SimMarket",
    "SimSpotPair",
    "spot_pair_name",
]


class SimBadRequest(Exception):
    """A request the simulator cannot even interpret (malformed, unknown type, wrong field type).

    The message names the offending field; the server answers it with HTTP 422 (or a ws
    ``error``). Requests the venue understands but refuses are normal answers, not this.
    It is the simulated venue's answer, not an error of the library, so it is no
    :class:`~hip3.errors.Hip3Error`: a client of the simulator sees an HTTP 422.
    """


@attrs.frozen
class SimMarket:
    """One perp market. ``name`` carries the dex prefix for HIP-3 markets (``"xyz:TSLA"``)."""

    name: str
    sz_decimals: int
    max_leverage: int
    start_price: Decimal
    volatility: float  # standard deviation of the oracle's relative move per second
    only_isolated: bool = False
    #: the deployer's open-interest cap in USD (OI x oracle); None: the simulator's default
    oi_cap: Decimal | None = None
    #: HIP-3 growth mode: fees, and the volume a trade adds to the account, are 10% of usual
    growth_mode: bool = False


@attrs.frozen
class SimDex:
    """A perp dex: ``name`` ``""`` is the main dex, others are HIP-3 builder dexes.
    ``collateral`` is the token the dex settles in (``collateralToken`` of its meta): USDC,
    or another token (USDH, USDE...) listed in ``spotMeta`` after the spot pairs' bases."""

    name: str
    full_name: str
    deployer: str
    markets: tuple[SimMarket, ...]
    collateral: str = "USDC"
    #: the deployer's fee scale ``s`` (``perpDexs`` ``deployerFeeScale``): users of a builder
    #: dex pay ``1 + s`` times their rate below 1, ``2 s`` from 1 (ignored on the main dex)
    deployer_fee_scale: Decimal = Decimal(1)


@attrs.frozen
class SimSpotPair:
    """One spot pair ``base/USDC``: its token and its market. The first pair is named
    ``"<base>/USDC"`` on the wire, the others ``"@<index>"`` (as PURR/USDC and @1... on the venue);
    the pair's asset id is 10000 + its index."""

    base: str
    sz_decimals: int
    start_price: Decimal
    volatility: float = 0.0003
    wei_decimals: int = 8


def _default_spot() -> tuple[SimSpotPair, ...]:
    return (
        SimSpotPair("PURR", 0, Decimal("0.2"), 0.0004, wei_decimals=5),
        SimSpotPair("HYPE", 2, Decimal("30"), 0.0004),
    )


def spot_pair_name(index: int, pair: SimSpotPair) -> str:
    """The pair's coin name on the wire: ``PURR/USDC`` for the first, ``@<index>`` after."""
    return f"{pair.base}/USDC" if index == 0 else f"@{index}"


@attrs.frozen
class FaultConfig:
    """What the server does to delivery (never to the exchange's truth). All off by default.

    Probabilities are per message (ws) or per request (http); ``channels`` limits the ws
    faults to those channels (empty = every data channel).
    """

    ws_drop: float = 0.0
    ws_duplicate: float = 0.0
    ws_reorder: float = 0.0
    ws_delay: float = 0.0
    ws_delay_ms: int = 300
    channels: tuple[str, ...] = ()
    disconnect_every_secs: float = 0.0  # 0 = never; jittered +-30%
    post_drop: float = 0.0
    post_delay: float = 0.0
    post_delay_ms: int = 1000
    http_429: float = 0.0
    http_5xx: float = 0.0
    http_delay: float = 0.0
    http_delay_ms: int = 500

    def any_enabled(self) -> bool:
        return any(
            getattr(self, name) > 0
            for name in (
                "ws_drop",
                "ws_duplicate",
                "ws_reorder",
                "ws_delay",
                "disconnect_every_secs",
                "post_drop",
                "post_delay",
                "http_429",
                "http_5xx",
                "http_delay",
            )
        )


def _default_dexes() -> tuple[SimDex, ...]:
    return (
        SimDex(
            name="",
            full_name="Hyperliquid",
            deployer="0x0000000000000000000000000000000000000000",
            markets=(
                SimMarket("BTC", 5, 40, Decimal("60000"), 0.0002),
                SimMarket("ETH", 4, 25, Decimal("3000"), 0.0003),
                SimMarket("SOL", 2, 20, Decimal("150"), 0.0004),
            ),
        ),
        SimDex(
            name="xyz",
            full_name="XYZ equities",
            deployer="0x88806a71d74ad0a510b350545c9ae490912f0888",
            markets=(
                SimMarket("xyz:TSLA", 3, 10, Decimal("250"), 0.0003),
                SimMarket("xyz:NVDA", 3, 10, Decimal("180"), 0.0003, only_isolated=True),
            ),
        ),
        SimDex(
            name="flx",
            full_name="Felix commodities",
            deployer="0x2fab552502a6d45920d5741a2f3ebf4c35536352",
            markets=(SimMarket("flx:GOLD", 4, 20, Decimal("2400"), 0.0001),),
        ),
    )


@attrs.frozen
class SimConfig:
    """The whole simulated venue.

    ``lp_size`` is the USD notional of the synthetic liquidity provider's first level on each
    side; level ``k`` (0-based) quotes ``(k + 1) * lp_size``, levels ``lp_spread_bps`` apart, so
    orders from a few hundred to a few thousand USD walk several levels. Accounts are as on the
    venue: only a funded address exists, and the first action of any other signer is refused with
    "User or API Wallet 0x... does not exist." An address is funded by an admin deposit
    (:meth:`~hip3.sim.engine.SimExchange.credit`, ``POST /admin`` ``credit``) or by listing it in
    ``accounts`` (each gets ``starting_balance`` on every dex at start). ``auto_accounts`` is the
    testing shortcut instead: any signer becomes an account funded with ``starting_balance`` at
    first use -- including the phantom address a wrong-network signature recovers, which is why
    it is off by default, in Python as in every ``[sim]`` table (:meth:`from_mapping`: ``hip3
    sim``, the embedded simulator of ``hip3 trade`` and ``connect()``): a test that passes on
    the simulator then also signs as the venue expects. ``schedule_cancel_min_volume`` is the
    traded volume (USD, from the account's fills) the venue requires before it accepts a
    ``scheduleCancel`` time (0: no gate). ``max_batch`` bounds orders/cancels per action.
    Funding is settled every ``funding_interval_ms`` of exchange time (on the hour, as the
    venue): ``szi * oracle * funding_rate`` moves from longs to shorts (0 = no funding).
    """

    dexes: tuple[SimDex, ...] = attrs.field(factory=_default_dexes)
    seed: int = 1
    starting_balance: Decimal = Decimal(100_000)
    tick_ms: int = 200
    lp_levels: int = 10
    lp_size: Decimal = Decimal(250)
    lp_spread_bps: Decimal = Decimal(2)
    taker_fee: Decimal = Decimal("0.00045")
    maker_fee: Decimal = Decimal("0.00015")
    max_open_orders: int = 1000
    userfills_snapshot_size: int = 2000
    max_batch: int = 1000
    auto_accounts: bool = False
    accounts: tuple[str, ...] = ()
    schedule_cancel_min_volume: Decimal = Decimal(1_000_000)
    #: the address request budget's initial buffer (actions, not info): the cap is this plus
    #: 1 per USDC traded; past it one action per 10 s goes through (None: no budget)
    request_budget: int | None = 10_000
    funding_rate: Decimal = Decimal("0.0000125")  # per funding_interval_ms, every market
    funding_interval_ms: int = 3_600_000
    faults: FaultConfig = attrs.field(factory=FaultConfig)
    spot: tuple[SimSpotPair, ...] = attrs.field(factory=_default_spot)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> SimConfig:
        """Build from a TOML-like mapping (the ``[sim]`` table), strictly."""
        return _Reader(source).config(data)

    def markets(self) -> tuple[SimMarket, ...]:
        return tuple(market for dex in self.dexes for market in dex.markets)

    def tokens(self) -> tuple[str, ...]:
        """Every token in ``spotMeta`` index order: USDC, the spot pairs' bases, then the
        dexes' other collateral tokens."""
        names = ["USDC", *(pair.base for pair in self.spot)]
        for dex in self.dexes:
            if dex.collateral not in names:
                names.append(dex.collateral)
        return tuple(names)

    def spot_coins(self) -> tuple[str, ...]:
        """The spot pairs' wire names, in index order."""
        return tuple(spot_pair_name(index, pair) for index, pair in enumerate(self.spot))


# ---------------------------------------------------------------------------
# Strict reading
# ---------------------------------------------------------------------------

_T = TypeVar("_T")
_ADDRESS = re.compile(r"0x[0-9a-f]{40}")

_CONFIG_KEYS = {field.name for field in attrs.fields(SimConfig)}
_FAULT_KEYS = {field.name for field in attrs.fields(FaultConfig)}
_SPOT_KEYS = {field.name for field in attrs.fields(SimSpotPair)}
_DEX_KEYS = {"name", "full_name", "deployer", "markets", "collateral", "deployer_fee_scale"}
_MARKET_KEYS = {field.name for field in attrs.fields(SimMarket)}
_PROBABILITIES = (
    "ws_drop",
    "ws_duplicate",
    "ws_reorder",
    "ws_delay",
    "post_drop",
    "post_delay",
    "http_429",
    "http_5xx",
    "http_delay",
)
_DELAYS_MS = ("ws_delay_ms", "post_delay_ms", "http_delay_ms")


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(message, file=self.source, key=key)

    def table(self, value: Any, key: str, allowed: set[str]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.error(key, f"must be a table, got {type(value).__name__}")
        for name in value:
            if name not in allowed:
                close = difflib.get_close_matches(str(name), sorted(allowed), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.error(f"{key}.{name}", f"unknown key{hint}")
        return value

    def integer(self, value: Any, key: str, low: int, high: int | None = None) -> int:
        if type(value) is not int:
            raise self.error(key, f"must be an integer, got {type(value).__name__}")
        if value < low or (high is not None and value > high):
            bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
            raise self.error(key, f"must be {bound}, got {value}")
        return value

    def number(self, value: Any, key: str, low: float, high: float | None = None) -> float:
        if type(value) not in (int, float):
            raise self.error(key, f"must be a number, got {type(value).__name__}")
        result = float(value)
        if not math.isfinite(result):
            raise self.error(key, "must be finite")
        if result < low or (high is not None and result > high):
            bound = f"in [{low:g}, {high:g}]" if high is not None else f">= {low:g}"
            raise self.error(key, f"must be {bound}, got {value}")
        return result

    def decimal(self, value: Any, key: str, *, positive: bool = False) -> Decimal:
        if type(value) is float:
            result = Decimal(repr(value))
        elif type(value) is int:
            result = Decimal(value)
        elif isinstance(value, str):
            try:
                result = Decimal(value.strip())
            except InvalidOperation:
                raise self.error(key, f"not a number: {value!r}") from None
        else:
            raise self.error(key, f"must be a number, got {type(value).__name__}")
        if not result.is_finite():
            raise self.error(key, "must be finite")
        if result < 0 or (positive and result == 0):
            raise self.error(key, f"must be {'> 0' if positive else '>= 0'}, got {value}")
        return result

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, got {type(value).__name__}")
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if type(value) is not bool:
            raise self.error(key, f"must be true or false, got {type(value).__name__}")
        return value

    def addresses(self, value: Any, key: str) -> tuple[str, ...]:
        found: list[str] = []
        for index, item in enumerate(self.sequence(value, key)):
            text = self.string(item, f"{key}[{index}]").lower()
            if not _ADDRESS.fullmatch(text):
                raise self.error(f"{key}[{index}]", "must be an address (0x + 40 hex digits)")
            if text not in found:
                found.append(text)
        return tuple(found)

    def sequence(self, value: Any, key: str) -> Sequence[Any]:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise self.error(key, f"must be a list, got {type(value).__name__}")
        return value

    # -- sections -------------------------------------------------------------

    def config(self, data: Mapping[str, Any]) -> SimConfig:
        data = self.table(data, "sim", _CONFIG_KEYS)
        defaults = SimConfig()
        kwargs: dict[str, Any] = {}
        readers: dict[str, Any] = {
            "seed": lambda v, k: self.integer(v, k, 0),
            "starting_balance": lambda v, k: self.decimal(v, k),
            "tick_ms": lambda v, k: self.integer(v, k, 1, 60_000),
            "lp_levels": lambda v, k: self.integer(v, k, 0, 20),
            "lp_size": lambda v, k: self.decimal(v, k, positive=True),
            "lp_spread_bps": lambda v, k: self.decimal(v, k, positive=True),
            "taker_fee": lambda v, k: self._fee(v, k),
            "maker_fee": lambda v, k: self._fee(v, k),
            "max_open_orders": lambda v, k: self.integer(v, k, 1),
            "userfills_snapshot_size": lambda v, k: self.integer(v, k, 0, 10_000),
            "max_batch": lambda v, k: self.integer(v, k, 1),
            "auto_accounts": lambda v, k: self.boolean(v, k),
            "accounts": lambda v, k: self.addresses(v, k),
            "schedule_cancel_min_volume": lambda v, k: self.decimal(v, k),
            "request_budget": lambda v, k: self.integer(v, k, 0),
            "funding_rate": lambda v, k: self._rate(v, k),
            "funding_interval_ms": lambda v, k: self.integer(v, k, 1000),
            "faults": lambda v, k: self.faults(v, k),
            "dexes": lambda v, k: self.dexes(v, k),
            "spot": lambda v, k: self.spot_pairs(v, k),
        }
        for name, value in data.items():
            kwargs[name] = readers[name](value, f"sim.{name}")
        result = attrs.evolve(defaults, **kwargs)
        if result.taker_fee < result.maker_fee:
            raise self.error("sim.taker_fee", "must be >= maker_fee")
        return result

    def _fee(self, value: Any, key: str) -> Decimal:
        fee = self.decimal(value, key)
        if fee > Decimal("0.01"):
            raise self.error(key, f"must be in [0, 0.01], got {value}")
        return fee

    def _rate(self, value: Any, key: str) -> Decimal:
        if isinstance(value, str) and value.strip().startswith("-"):
            rate = -self.decimal(value.strip()[1:], key)
        elif type(value) in (int, float) and value < 0:
            rate = -self.decimal(-value, key)
        else:
            rate = self.decimal(value, key)
        if abs(rate) > Decimal("0.01"):
            raise self.error(key, f"must be in [-0.01, 0.01], got {value}")
        return rate

    def faults(self, value: Any, key: str) -> FaultConfig:
        data = self.table(value, key, _FAULT_KEYS)
        kwargs: dict[str, Any] = {}
        for name, raw in data.items():
            where = f"{key}.{name}"
            if name in _PROBABILITIES:
                kwargs[name] = self.number(raw, where, 0.0, 1.0)
            elif name in _DELAYS_MS:
                kwargs[name] = self.integer(raw, where, 0, 600_000)
            elif name == "disconnect_every_secs":
                kwargs[name] = self.number(raw, where, 0.0)
            else:  # channels
                items = self.sequence(raw, where)
                kwargs[name] = tuple(
                    self.string(item, f"{where}[{index}]") for index, item in enumerate(items)
                )
        return FaultConfig(**kwargs)

    def dexes(self, value: Any, key: str) -> tuple[SimDex, ...]:
        items = self.sequence(value, key)
        dexes = tuple(self.dex(item, f"{key}[{index}]") for index, item in enumerate(items))
        if not dexes or dexes[0].name != "":
            raise self.error(key, 'the first dex must be the main dex (name "")')
        names: set[str] = set()
        coins: set[str] = set()
        for index, dex in enumerate(dexes):
            if dex.name in names:
                raise self.error(f"{key}[{index}].name", f"duplicate dex {dex.name!r}")
            names.add(dex.name)
            for position, market in enumerate(dex.markets):
                if market.name in coins:
                    raise self.error(
                        f"{key}[{index}].markets[{position}].name",
                        f"duplicate market {market.name!r}",
                    )
                coins.add(market.name)
        return dexes

    def spot_pairs(self, value: Any, key: str) -> tuple[SimSpotPair, ...]:
        items = self.sequence(value, key)
        pairs: list[SimSpotPair] = []
        for index, item in enumerate(items):
            where = f"{key}[{index}]"
            data = self.table(item, where, _SPOT_KEYS)
            for required in ("base", "sz_decimals", "start_price"):
                if required not in data:
                    raise self.error(f"{where}.{required}", "missing")
            base = self.string(data["base"], f"{where}.base")
            if not (base.isalnum() and base.isupper()) or base == "USDC":
                raise self.error(f"{where}.base", "must be an upper-case token name, not USDC")
            if base in {pair.base for pair in pairs}:
                raise self.error(f"{where}.base", f"duplicate token {base!r}")
            sz_decimals = self.integer(data["sz_decimals"], f"{where}.sz_decimals", 0, 7)
            pairs.append(
                SimSpotPair(
                    base=base,
                    sz_decimals=sz_decimals,
                    start_price=self.decimal(
                        data["start_price"], f"{where}.start_price", positive=True
                    ),
                    volatility=self.number(
                        data.get("volatility", 0.0003), f"{where}.volatility", 0.0, 0.1
                    ),
                    wei_decimals=self.integer(
                        data.get("wei_decimals", 8), f"{where}.wei_decimals", sz_decimals, 18
                    ),
                )
            )
        return tuple(pairs)

    def dex(self, value: Any, key: str) -> SimDex:
        data = self.table(value, key, _DEX_KEYS)
        for required in ("name", "markets"):
            if required not in data:
                raise self.error(f"{key}.{required}", "missing")
        name = self.string(data["name"], f"{key}.name")
        if name and not (name.isalnum() and name.islower() and len(name) <= 6):
            raise self.error(f"{key}.name", "must be 1-6 lowercase letters/digits, or '' (main)")
        deployer = self.string(data.get("deployer", "0x" + "0" * 40), f"{key}.deployer").lower()
        if len(deployer) != 42 or not deployer.startswith("0x"):
            raise self.error(f"{key}.deployer", "must be an address (0x + 40 hex digits)")
        markets_raw = self.sequence(data["markets"], f"{key}.markets")
        markets = tuple(
            self.market(item, f"{key}.markets[{index}]", name)
            for index, item in enumerate(markets_raw)
        )
        if not markets:
            raise self.error(f"{key}.markets", "must list at least one market")
        full_name = self.string(data.get("full_name", name or "main"), f"{key}.full_name")
        collateral = self.string(data.get("collateral", "USDC"), f"{key}.collateral")
        if not (collateral.isalnum() and collateral.isupper()):
            raise self.error(f"{key}.collateral", "must be an upper-case token name")
        if not name and collateral != "USDC":
            raise self.error(f"{key}.collateral", "the main dex settles in USDC")
        scale = Decimal(1)
        if "deployer_fee_scale" in data:
            if not name:
                raise self.error(f"{key}.deployer_fee_scale", "the main dex has no deployer")
            scale = self.decimal(data["deployer_fee_scale"], f"{key}.deployer_fee_scale")
            # setDeployerFees' range (api doc §7): [0, 3], or [0, 10) with growth mode
            if any(market.growth_mode for market in markets):
                if not Decimal(0) <= scale < 10:
                    raise self.error(
                        f"{key}.deployer_fee_scale",
                        "must be from 0 to below 10 (a dex with growth-mode markets)",
                    )
            elif not Decimal(0) <= scale <= 3:
                raise self.error(f"{key}.deployer_fee_scale", "must be from 0 to 3")
        if not name and any(market.growth_mode for market in markets):
            raise self.error(f"{key}.markets", "growth mode is for HIP-3 markets only")
        return SimDex(
            name=name,
            full_name=full_name,
            deployer=deployer,
            markets=markets,
            collateral=collateral,
            deployer_fee_scale=scale,
        )

    def market(self, value: Any, key: str, dex: str) -> SimMarket:
        data = self.table(value, key, _MARKET_KEYS)
        for required in ("name", "sz_decimals", "start_price"):
            if required not in data:
                raise self.error(f"{key}.{required}", "missing")
        name = self.string(data["name"], f"{key}.name")
        prefix, sep, base = name.partition(":")
        if dex and (prefix != dex or not base or ":" in base):
            raise self.error(f"{key}.name", f"must be '{dex}:COIN' on dex {dex!r}")
        if not dex and (sep or not name):
            raise self.error(f"{key}.name", "main-dex markets have no dex prefix")
        return SimMarket(
            name=name,
            sz_decimals=self.integer(data["sz_decimals"], f"{key}.sz_decimals", 0, 5),
            max_leverage=self.integer(data.get("max_leverage", 20), f"{key}.max_leverage", 1, 100),
            start_price=self.decimal(data["start_price"], f"{key}.start_price", positive=True),
            volatility=self.number(data.get("volatility", 0.0002), f"{key}.volatility", 0.0, 0.1),
            only_isolated=self.boolean(data.get("only_isolated", False), f"{key}.only_isolated"),
            oi_cap=(
                None
                if data.get("oi_cap") is None
                else self.decimal(data["oi_cap"], f"{key}.oi_cap", positive=True)
            ),
            growth_mode=self.boolean(data.get("growth_mode", False), f"{key}.growth_mode"),
        )
