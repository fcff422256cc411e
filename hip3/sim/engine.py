"""The simulated exchange: one synchronous, deterministic owner of the venue's truth.

:class:`SimExchange` answers ``/info`` requests and ``/exchange`` actions with the venue's
shapes (hyperliquid-api.md §1, §2, §8) and advances the market with :meth:`SimExchange.tick`.
It does no I/O and never reads the wall clock: time comes from the ``clock`` callable
(milliseconds), randomness from ``random.Random(config.seed)``. The server (hip3.sim.server)
wraps it in HTTP and websockets and publishes the :class:`SimEvent` s it emits.

Rules it enforces, as the venue does:

* every action is signature-checked: the signer is recovered from the *canonical* action
  (decimals normalised, keys in the venue's order), so a different spelling recovers a
  different address and is refused with "User or API Wallet 0x… does not exist.";
  L1 actions are accepted under both the mainnet ("a") and testnet ("b") phantom-agent
  source: the one that recovers a known signer wins, an unknown signer is taken from the
  testnet source (what the official SDK signs against any non-mainnet URL);
* agents (``approveAgent``) act for their master; ``vaultAddress`` acts for a vault or
  sub-account whose leader is the (master of the) signer — ``createSubAccount`` makes one;
* per-signer nonces (the 100 highest kept, no reuse, within (T - 2 days, T + 1 day));
  ``expiresAfter`` in the past is refused;
* orders: tick and lot sizes, $10 minimum, reduce-only, post-only, IOC, margin, open-order
  cap, duplicate cloids; price-time priority matching with self-trade prevention (the
  resting order is cancelled), fills for both sides with one ``tid``, fees, closed pnl.

Spot: each pair of ``config.spot`` is a market named as on the venue (``PURR/USDC`` for the
first, ``@<index>`` after) with asset id 10000 + index. Spot orders spend tokens of the
user's spot wallet (``spotClearinghouseState``): resting ones hold what they would spend,
fills move base and USDC, and the fee is taken from what is received (``feeToken``).
Spot has no positions, leverage, triggers or reduce-only; spot prices may carry
``8 - szDecimals`` decimals. USDC reaches the spot wallet by :meth:`SimExchange.credit_spot`.

A synthetic liquidity provider (address :data:`LP_ADDRESS`) quotes a grid around the
oracle every tick. It is an ordinary account for positions (all positions sum to zero,
the LP included) but its fills and order updates are not streamed.

Funding is settled on every ``funding_interval_ms`` boundary of exchange time (during
:meth:`SimExchange.tick`) into balances, never into positions.

Deliberate simplifications: no liquidations, no TWAP; ``mantissa`` is accepted but not
applied; builder fees are charged but need no ``approveBuilderFee``;
``grouping`` ``normalTpsl`` places its TP/SL children (one-cancels-other) when the parent
fills, ``positionTpsl`` and priority fees are refused; a new account (any signer, with
``auto_accounts``) is funded with ``starting_balance`` on every dex.

The engine is split by concern; :class:`SimExchange` is the public surface and owns one
:class:`~hip3.sim._state.SimState` shared by its collaborators:

* ``_state``: markets, accounts, agents, nonces, exchange time, ledger, events, funding;
* ``_info``: the ``/info`` handlers;
* ``_auth``: signer recovery, nonces, agents and vaults (``approveAgent``…);
* ``_actions``: the ``/exchange`` actions, parsed (with ``_engine_parse``) then applied;
* ``_transfers``: money between wallets (``usdClassTransfer``, ``spotSend``, ``sendAsset``,
  ``subAccountSpotTransfer``);
* ``_matching``: orders, cancels, modifies, TP/SL children, triggers, the LP's quotes;
* ``_engine_wire``: the venue's JSON shapes of orders and account state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from hip3.sim._actions import L1_HANDLERS, Actions
from hip3.sim._auth import Auth
from hip3.sim._engine_parse import Committed, Fields, Reject, is_address, reject
from hip3.sim._info import INFO_HANDLERS, InfoHandlers
from hip3.sim._matching import Matching
from hip3.sim._state import LP_ADDRESS, Context, Json, SimEvent, SimState
from hip3.sim.accounts import NonceSet
from hip3.sim.config import SimBadRequest, SimConfig
from hip3.types import wire_decimal

__all__ = ["LP_ADDRESS", "SimBadRequest", "SimEvent", "SimExchange"]

_USER_SIGNED = frozenset(
    {
        "usdSend",
        "withdraw3",
        "usdClassTransfer",
        "spotSend",
        "sendAsset",
        "userSetAbstraction",
        "userDexAbstraction",
        "approveAgent",
        "approveBuilderFee",
    }
)

_BATCHED = frozenset({"cancel", "cancelByCloid", "batchModify"})
_CANCELS = frozenset({"cancel", "cancelByCloid"})  # the request budget's larger cap
_OVER_BUDGET_INTERVAL_MS = 10_000  # past the budget: one action per 10 s
_CENT = Decimal("0.01")

_ABSTRACTION_MODES = (
    "disabled",
    "default",
    "unifiedAccount",
    "portfolioMargin",
    "dexAbstraction",
)


class SimExchange:
    """A Hyperliquid venue in miniature (see the module docstring for its rules)."""

    def __init__(self, config: SimConfig, *, clock: Callable[[], int]) -> None:
        self.config = config
        self._state = SimState(config, clock=clock)
        self._auth = Auth(self._state)
        self._matching = Matching(self._state)
        self._info = InfoHandlers(self._state, self._auth)
        self._actions = Actions(self._state, self._matching)
        self._user_signed: dict[str, Callable[[Context, Mapping[str, Any]], dict[str, Any]]] = {
            "usdSend": self._actions.apply_usd_send,
            "withdraw3": self._actions.apply_withdraw,
            "usdClassTransfer": self._actions.transfers.apply_usd_class_transfer,
            "spotSend": self._actions.transfers.apply_spot_send,
            "sendAsset": self._actions.transfers.apply_send_asset,
            "userSetAbstraction": self._actions.apply_user_set_abstraction,
            "userDexAbstraction": self._actions.apply_user_dex_abstraction,
            "approveAgent": self._auth.apply_approve_agent,
            "approveBuilderFee": self._auth.apply_approve_builder_fee,
        }
        now = self._state.event_time()
        for market in self._state.markets.values():
            self._matching.refresh_lp(market, now)
        self._state.outbox.clear()

    # -- public surface --------------------------------------------------------

    def add_listener(self, fn: Callable[[SimEvent], None]) -> None:
        self._state.listeners.append(fn)

    @property
    def coins(self) -> tuple[str, ...]:
        """Every market's name, main dex first, in asset order."""
        return tuple(self._state.markets)

    @property
    def dexes(self) -> tuple[str, ...]:
        """Every dex name (``""`` = main) in ``perpDexs`` order."""
        return tuple(self._state.dex_names)

    def credit(self, address: str, amount: Decimal, dex: str = "") -> None:
        """Add ``amount`` USDC to ``address``'s balance on ``dex`` (creating the account)."""
        if not is_address(address):
            raise SimBadRequest(f"address: expected 0x + 40 hex digits, got {address!r}")
        if dex not in self._state.dex_markets:
            raise SimBadRequest(f"dex: unknown dex {dex!r}")
        account = self._state.account(address.lower(), create=True)
        self._state.dex_account(account, dex).balance += Decimal(amount)
        now = self._state.observe_time()
        self._state.ledger(account, now, {"type": "deposit", "usdc": wire_decimal(Decimal(amount))})
        self._state.flush()

    def credit_spot(self, address: str, token: str, amount: Decimal) -> None:
        """Add ``amount`` of spot ``token`` (USDC, a pair's base or a dex's collateral)."""
        if not is_address(address):
            raise SimBadRequest(f"address: expected 0x + 40 hex digits, got {address!r}")
        if token not in self._state.token_index:
            raise SimBadRequest(f"token: unknown spot token {token!r}")
        self._state.account(address.lower(), create=True).move_spot(token, Decimal(amount))

    # -- account abstraction (unified / portfolio mode) --------------------------

    def set_abstraction(self, address: str, mode: str) -> None:
        """Put ``address`` in account mode ``mode`` (``userAbstraction``). In
        ``unifiedAccount`` and ``portfolioMargin`` mode each dex's money is reported in the
        spot wallet (``spotClearinghouseState``: the dex's account value added to the total
        of its collateral token, its margin to the hold) and ``clearinghouseState``'s money
        fields read zero, as they carry no meaning there. Only the reports change."""
        if not is_address(address):
            raise SimBadRequest(f"address: expected 0x + 40 hex digits, got {address!r}")
        if mode not in _ABSTRACTION_MODES:
            raise SimBadRequest(f"mode: expected one of {', '.join(_ABSTRACTION_MODES)}")
        self._state.account(address.lower(), create=True)
        if mode == "default":
            self._state.abstraction.pop(address.lower(), None)
        else:
            self._state.abstraction[address.lower()] = mode

    def halt(self, coin: str, halted: bool, *, delist: bool = False) -> None:
        """Halt (or resume) trading of perp ``coin``, as a HIP-3 deployer's ``haltTrading``:
        every order on it is cancelled and every position settled at the mark (fills with
        ``dir`` "Settlement"); while halted, orders are refused and the LP does not quote.
        ``delist`` halts for good (``isDelisted`` in meta, orders ``delistedCanceled``)."""
        market = self._state.markets.get(coin)
        if market is None or market.spot:
            raise SimBadRequest(f"coin: unknown perp coin {coin!r}")
        if market.delisted:
            raise SimBadRequest(f"coin: {coin!r} is delisted")
        now = self._state.observe_time()
        if not halted:
            if delist:
                raise SimBadRequest("halted: a delisting cannot be resumed")
            market.halted = False
            self._matching.refresh_lp(market, now)
            self._state.flush()
            return
        market.halted = True
        market.delisted = delist
        status = "delistedCanceled" if delist else "canceled"
        for order in [*market.book.orders(), *market.triggers.values()]:
            self._matching.cancel(order, status, now)
        market.lp_orders.clear()
        market.lp_mark = None
        for account in list(self._state.accounts.values()):
            self._matching.settle_position(market, account, now)
        self._state.flush()

    def set_oracle(self, coin: str, px: Decimal) -> None:
        """Move ``coin``'s oracle (and so its mark) to ``px`` for tests and demos; the next
        :meth:`tick` requotes the LP and fires the triggers the move crossed."""
        market = self._state.markets.get(coin)
        if market is None:
            raise SimBadRequest(f"coin: unknown coin {coin!r}")
        market.set_oracle(Decimal(px))

    def create_vault(self, leader: str, name: str) -> str:
        """Create a sub-account/vault led by ``leader``; its address (as ``createSubAccount``)."""
        leader = leader.lower()
        self._state.account(leader, create=True)
        return self._state.make_vault(leader, name)

    def truth(self) -> dict[str, Any]:
        """What really is: ``{"positions": {user: {coin: "szi"}}, "fills", "trades", "orders",
        "time"}`` — non-zero positions of every account (the LP included, so each coin sums to
        zero), fills delivered to users (LP excluded), trades, users' open orders."""
        positions: dict[str, dict[str, str]] = {}
        for address, account in self._state.accounts.items():
            held = {
                coin: wire_decimal(position.szi)
                for dex_account in account.dexes.values()
                for coin, position in dex_account.positions.items()
                if position.szi != 0
            }
            if held:
                positions[address] = held
        open_orders = sum(
            len(account.open_orders)
            for account in self._state.accounts.values()
            if account is not self._state.lp
        )
        return {
            "positions": positions,
            "fills": self._state.user_fills,
            "trades": self._state.trades,
            "orders": open_orders,
            "time": max(self._state.clock(), self._state.time),
        }

    def positions_of(self, address: str) -> dict[str, Decimal]:
        """``address``'s non-zero perp positions on every dex, now (the venue's truth)."""
        account = self._state.accounts.get(address.lower())
        if account is None:
            return {}
        return {
            coin: position.szi
            for dex_account in account.dexes.values()
            for coin, position in dex_account.positions.items()
            if position.szi != 0
        }

    def info(self, request: Mapping[str, Any]) -> Json:
        """The venue's answer to an ``/info`` request; SimBadRequest if it is malformed."""
        if not isinstance(request, Mapping):
            raise SimBadRequest("request: expected a JSON object")
        kind = request.get("type")
        if not isinstance(kind, str):
            raise SimBadRequest("type: expected a string naming the info request")
        handler = INFO_HANDLERS.get(kind)
        if handler is None:
            raise SimBadRequest(f"type: unknown info request type {kind!r}")
        return handler(self._info, request)

    def exchange(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The venue's envelope for one signed action; refusals are ``{"status":"err"}``."""
        try:
            response = self._exchange(body)
        except Reject as rejection:
            self._state.outbox.clear()
            return {"status": "err", "response": rejection.text}
        self._state.flush()
        if isinstance(response, Committed):
            return {"status": "err", "response": response.text}
        return {"status": "ok", "response": response}

    def _exchange(self, body: Mapping[str, Any]) -> dict[str, Any] | Committed:
        if not isinstance(body, Mapping):
            reject("Invalid request: expected a JSON object")
        envelope = Fields(body, "")
        action_fields = envelope.get_obj("action")
        action = action_fields.data
        kind = action_fields.get_str("type")
        nonce = envelope.req_int("nonce")
        signature = body.get("signature")
        if not isinstance(signature, Mapping):
            reject("Invalid request: signature: expected an object with r, s, v")
        vault = body.get("vaultAddress")
        if vault is not None and not is_address(vault):
            reject("Invalid request: vaultAddress: expected an address or null")
        expires_after = envelope.get_int("expiresAfter", optional=True)
        now = max(self._state.clock(), self._state.time)
        parsed: Any = None
        weight = 1
        if kind in _USER_SIGNED:
            context = self._auth.verify_user_signed(
                action, kind, nonce, signature, vault, expires_after, now
            )
        else:
            handler = L1_HANDLERS.get(kind)
            if handler is None:
                reject(f"Invalid action: type: unknown action type {kind!r}")
            parsed, canonical = handler[0](self._actions, action)
            context = self._auth.verify_l1(canonical, nonce, signature, vault, expires_after, now)
            # A batch of n orders or cancels counts n requests for the address (api doc §5).
            if kind == "order":
                weight = len(parsed[0])
            elif kind in _BATCHED:
                weight = len(parsed)
        self._state.nonces.setdefault(context.signer, NonceSet())
        context = attrs.evolve(context, now=self._state.event_time())
        self._spend_request_budget(context.user, kind, weight, context.now)
        result: dict[str, Any] | Committed
        if kind in _USER_SIGNED:
            result = self._user_signed[kind](context, action)
        else:
            result = L1_HANDLERS[kind][1](self._actions, context, parsed)
        # Only an accepted action uses its nonce: a refusal changes nothing.
        self._state.nonces[context.signer].use(nonce)
        account = self._state.accounts[context.user]
        account.n_actions += weight
        account.last_action_ms = context.now
        return result

    def _spend_request_budget(self, user: str, kind: str, weight: int, now: int) -> None:
        """Refuse an action past the address's request budget (api doc §5): 10000 plus 1
        per USDC traded, larger for cancels; once exhausted, one action per 10 s passes."""
        initial = self._state.config.request_budget
        account = self._state.accounts.get(user)
        if initial is None or account is None:
            return
        cap = account.request_cap(initial, cancel=kind in _CANCELS)
        used = account.n_actions + weight
        if used <= cap:
            return
        last = account.last_action_ms
        if last is None or now - last >= _OVER_BUDGET_INTERVAL_MS:
            return
        reject(
            f"Too many cumulative requests sent ({used} > {cap}) for cumulative volume traded "
            f"${account.cum_volume.quantize(_CENT):f}. Place taker orders to free up 1 request "
            "per USDC traded."
        )

    def tick(self) -> None:
        """Advance to ``clock()``: oracle walk, LP quotes, triggers, scheduled cancels."""
        now = self._state.event_time()
        elapsed = now - self._state.last_tick
        self._state.last_tick = now
        for market in self._state.markets.values():
            # Spot prices draw from their own generator: adding pairs leaves perp paths alone.
            market.walk(self._state.spot_rng if market.spot else self._state.rng, elapsed)
        for market in self._state.markets.values():
            self._matching.refresh_lp(market, now)
        for market in self._state.markets.values():
            if market.triggers:
                self._matching.fire_triggers(market, now)
        if self._state.schedules:
            self._matching.run_schedules(now)
        while self._state.next_funding <= now:
            self._state.settle_funding(self._state.next_funding)
            self._state.next_funding += self._state.config.funding_interval_ms
        self._state.flush()
