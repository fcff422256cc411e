"""The simulator's ``/exchange`` actions: each L1 action is parsed (validated, canonical
form to recover the signer from) and then applied; the user-signed transfers are applied here
too. :data:`L1_HANDLERS` maps an action ``type`` to its (parse, apply) pair.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from hip3.sim._engine_parse import Committed, Fields, is_address, is_cloid, parse_order, reject
from hip3.sim._matching import Matching
from hip3.sim._state import DAY_MS, Context, SimState
from hip3.sim._transfers import Transfers
from hip3.types import wire_decimal

_SCHEDULE_MIN_MS = 5000
_SCHEDULE_MAX_PER_DAY = 10
_CENT = Decimal("0.01")
_USER_ABSTRACTIONS = ("disabled", "unifiedAccount", "portfolioMargin")
_AGENT_ABSTRACTIONS = {"i": "disabled", "u": "unifiedAccount", "p": "portfolioMargin"}


class Actions:
    """One ``parse_<action>`` and one ``apply_<action>`` per L1 action, and the user-signed
    transfers; orders and cancels go through :class:`~hip3.sim._matching.Matching`."""

    def __init__(self, state: SimState, matching: Matching) -> None:
        self._state = state
        self._matching = matching
        self.transfers = Transfers(state)

    def parse_orders(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        fields = Fields(action, "")
        raw_orders = self.batch(fields, "orders")
        if not raw_orders:
            reject("Invalid action: orders: empty order batch")
        specs = [parse_order(raw, f"orders[{index}]") for index, raw in enumerate(raw_orders)]
        grouping = action.get("grouping")
        if grouping not in ("na", "normalTpsl"):
            reject(f"Invalid action: grouping: 'na' or 'normalTpsl' supported, got {grouping!r}")
        if grouping == "normalTpsl":
            parent, children = specs[0], specs[1:]
            if (
                not children
                or parent.trigger is not None
                or any(
                    child.trigger is None
                    or not child.reduce_only
                    or child.is_buy == parent.is_buy
                    or child.asset != parent.asset
                    for child in children
                )
            ):
                reject(
                    "Invalid TP/SL orders: normalTpsl is a limit parent followed by reduce-only "
                    "trigger orders on the other side of the same asset."
                )
        builder: tuple[str, int] | None = None
        canonical: dict[str, Any] = {
            "type": "order",
            "orders": [spec.canonical() for spec in specs],
            "grouping": grouping,
        }
        if action.get("builder") is not None:
            builder_fields = fields.get_obj("builder")
            address = builder_fields.get_str("b")
            fee = builder_fields.req_int("f")
            if not is_address(address):
                reject("Invalid action: builder.b: expected an address")
            if not 0 <= fee <= 100:
                reject("Builder fee too high: at most 100 (0.1%) on perps")
            builder = (address.lower(), fee)
            canonical["builder"] = {"b": address.lower(), "f": fee}
        return (specs, builder, grouping == "normalTpsl"), canonical

    def apply_orders(self, context: Context, parsed: Any) -> dict[str, Any]:
        specs, builder, tpsl_group = parsed
        if not tpsl_group:
            statuses = [self._matching.place(context, spec, builder) for spec in specs]
            return {"type": "order", "data": {"statuses": statuses}}
        # normalTpsl: the children are placed iff the parent fills (api doc §6).
        parent_status = self._matching.place(context, specs[0], builder)
        children = specs[1:]
        child_statuses: list[Any]
        entry = parent_status.get("resting") or parent_status.get("filled")
        parent = self._state.accounts[context.user].orders[entry["oid"]] if entry else None
        if parent is None:
            error = {"error": "TP/SL not placed: the parent order was rejected."}
            child_statuses = [error] * len(children)
        elif parent.status == "open":
            parent.children = tuple(children)
            child_statuses = ["waitingForFill"] * len(children)
        elif parent.status == "filled":
            child_statuses = self._matching.place_children(parent, tuple(children), context.now)
        else:
            error = {"error": "TP/SL not placed: the parent order did not fill."}
            child_statuses = [error] * len(children)
        return {"type": "order", "data": {"statuses": [parent_status, *child_statuses]}}

    def batch(self, fields: Fields, name: str) -> list[Any]:
        """The action's list ``name`` (orders, cancels, modifies), at most ``max_batch`` long."""
        items = fields.get_list(name)
        if len(items) > self._state.config.max_batch:
            reject(f"Too many {name} in one action: {len(items)} > {self._state.config.max_batch}")
        return items

    def parse_cancel(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        fields = Fields(action, "")
        raw = self.batch(fields, "cancels")
        cancels = []
        for index, item in enumerate(raw):
            entry = Fields(item, f"cancels[{index}]")
            cancels.append((entry.req_int("a"), entry.req_int("o")))
        canonical: dict[str, Any] = {
            "type": "cancel",
            "cancels": [{"a": asset, "o": oid} for asset, oid in cancels],
        }
        if action.get("f") is not None and fields.get_bool("f"):
            # "f" is part of the signed action only when true (api doc §2.4): a client that
            # signed "f": false hashed something else and recovers another address.
            canonical["f"] = True
        return cancels, canonical

    def apply_cancel(self, context: Context, cancels: Any) -> dict[str, Any]:
        account = self._state.accounts[context.user]
        statuses = [
            self._matching.cancel_one(context, account.open_orders.get(oid), asset)
            for asset, oid in cancels
        ]
        return {"type": "cancel", "data": {"statuses": statuses}}

    def parse_cancel_by_cloid(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        fields = Fields(action, "")
        raw = self.batch(fields, "cancels")
        cancels = []
        for index, item in enumerate(raw):
            entry = Fields(item, f"cancels[{index}]")
            asset = entry.req_int("asset")
            cloid = entry.get_str("cloid")
            if not is_cloid(cloid):
                reject(f"Invalid action: cancels[{index}].cloid: expected '0x' and 32 hex digits")
            cancels.append((asset, cloid.lower()))
        canonical = {
            "type": "cancelByCloid",
            "cancels": [{"asset": asset, "cloid": cloid} for asset, cloid in cancels],
        }
        return cancels, canonical

    def apply_cancel_by_cloid(self, context: Context, cancels: Any) -> dict[str, Any]:
        account = self._state.accounts[context.user]
        statuses = []
        for asset, cloid in cancels:
            oid = account.cloids.get(cloid)
            order = account.open_orders.get(oid) if oid is not None else None
            statuses.append(self._matching.cancel_one(context, order, asset))
        return {"type": "cancel", "data": {"statuses": statuses}}

    def parse_modify_target(self, value: Any, path: str) -> int | str:
        if type(value) is int:
            return value
        if is_cloid(value):
            assert isinstance(value, str)
            return value.lower()
        reject(f"Invalid action: {path}: expected an oid or a cloid")

    def parse_modify(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        target = self.parse_modify_target(action.get("oid"), "oid")
        spec = parse_order(action.get("order"), "order")
        canonical: dict[str, Any] = {"type": "modify", "oid": target, "order": spec.canonical()}
        if action.get("a") is True:  # always_place; signed only when true (api doc §2.5)
            canonical["a"] = True
        return (target, spec), canonical

    def apply_modify(self, context: Context, parsed: Any) -> dict[str, Any] | Committed:
        target, spec = parsed
        order = self._matching.modify_target(context, target)
        if order is None:
            reject("Cannot modify canceled or filled order")
        status = self._matching.modify(context, order, spec)
        if "error" in status:
            # A modify is cancel + place: the old order stays cancelled, the refusal is reported.
            return Committed(str(status["error"]))
        return {"type": "default"}

    def parse_batch_modify(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        raw = self.batch(Fields(action, ""), "modifies")
        modifies = []
        for index, item in enumerate(raw):
            entry = Fields(item, f"modifies[{index}]")
            target = self.parse_modify_target(entry.data.get("oid"), f"modifies[{index}].oid")
            modifies.append(
                (target, parse_order(entry.data.get("order"), f"modifies[{index}].order"))
            )
        canonical = {
            "type": "batchModify",
            "modifies": [{"oid": target, "order": spec.canonical()} for target, spec in modifies],
        }
        return modifies, canonical

    def apply_batch_modify(self, context: Context, modifies: Any) -> dict[str, Any]:
        statuses = []
        for target, spec in modifies:
            order = self._matching.modify_target(context, target)
            if order is None:
                statuses.append({"error": "Cannot modify canceled or filled order"})
            else:
                statuses.append(self._matching.modify(context, order, spec))
        return {"type": "order", "data": {"statuses": statuses}}

    def parse_schedule_cancel(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        time_ms = Fields(action, "").get_int("time", optional=True)
        canonical: dict[str, Any] = {"type": "scheduleCancel"}
        if time_ms is not None:
            canonical["time"] = time_ms
        return time_ms, canonical

    def apply_schedule_cancel(self, context: Context, time_ms: Any) -> dict[str, Any]:
        if time_ms is None:
            self._state.schedules.pop(context.user, None)
            return {"type": "default"}
        account = self._state.accounts[context.user]
        required = self._state.config.schedule_cancel_min_volume
        if account.cum_volume < required:
            # As the venue: the dead-man's switch is for accounts that traded enough.
            reject(
                "Cannot set scheduled cancel time until enough volume traded. "
                f"Required: ${required:f}. Traded: ${account.cum_volume.quantize(_CENT):f}."
            )
        if time_ms < context.now + _SCHEDULE_MIN_MS:
            reject("Scheduled cancel time too early, must be at least 5 seconds from now.")
        if account.schedule_triggers.get(context.now // DAY_MS, 0) >= _SCHEDULE_MAX_PER_DAY:
            reject("Too many scheduled cancel triggers today (max 10).")
        self._state.schedules[context.user] = time_ms
        return {"type": "default"}

    def parse_update_leverage(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        fields = Fields(action, "")
        asset = fields.req_int("asset")
        is_cross = fields.get_bool("isCross")
        leverage = fields.req_int("leverage")
        canonical = {
            "type": "updateLeverage",
            "asset": asset,
            "isCross": is_cross,
            "leverage": leverage,
        }
        return (asset, is_cross, leverage), canonical

    def apply_update_leverage(self, context: Context, parsed: Any) -> dict[str, Any]:
        asset, is_cross, leverage = parsed
        market = self._state.market_for(asset)
        if not 1 <= leverage <= market.spec.max_leverage:
            reject(f"Invalid leverage value: {leverage} (max {market.spec.max_leverage}x).")
        if is_cross and market.spec.only_isolated:
            reject("Cross margin is not allowed for this asset.")
        dex_account = self._state.dex_account(self._state.accounts[context.user], market.dex)
        coin = market.coin
        old_cross, _ = dex_account.leverage_of(coin, self._state.default_leverage[coin])
        position = dex_account.positions.get(coin)
        marks = self._state.marks()
        if position is not None:
            if old_cross != is_cross:
                reject("Cannot switch leverage type with open position.")
            required = abs(position.szi) * marks[coin] / leverage
            if is_cross:
                trial = dict(dex_account.leverage)
                dex_account.leverage[coin] = (True, leverage)
                if dex_account.available(marks, self._state.default_leverage) < 0:
                    dex_account.leverage.clear()
                    dex_account.leverage.update(trial)
                    reject("Insufficient margin to update leverage.")
            else:
                upnl = (marks[coin] - position.entry_px) * position.szi
                extra = required - (position.iso_margin + upnl)
                if extra > 0:
                    if dex_account.available(marks, self._state.default_leverage) < extra:
                        reject("Insufficient margin to update leverage.")
                    position.iso_margin += extra
                    dex_account.balance -= extra
        dex_account.leverage[coin] = (is_cross, leverage)
        return {"type": "default"}

    def parse_update_isolated_margin(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        fields = Fields(action, "")
        asset = fields.req_int("asset")
        is_buy = fields.get_bool("isBuy")
        ntli = fields.req_int("ntli")
        canonical = {"type": "updateIsolatedMargin", "asset": asset, "isBuy": is_buy, "ntli": ntli}
        return (asset, ntli), canonical

    def apply_update_isolated_margin(self, context: Context, parsed: Any) -> dict[str, Any]:
        asset, ntli = parsed
        market = self._state.market_for(asset)
        coin = market.coin
        dex_account = self._state.dex_account(self._state.accounts[context.user], market.dex)
        position = dex_account.positions.get(coin)
        is_cross, leverage = dex_account.leverage_of(coin, self._state.default_leverage[coin])
        if position is None or is_cross:
            reject("Cannot update margin: no isolated position.")
        amount = Decimal(ntli).scaleb(-6)
        marks = self._state.marks()
        if amount > 0 and dex_account.available(marks, self._state.default_leverage) < amount:
            reject("Insufficient margin to add to isolated position.")
        if amount < 0:
            upnl = (marks[coin] - position.entry_px) * position.szi
            required = abs(position.szi) * marks[coin] / leverage
            if position.iso_margin + upnl + amount < required:
                reject("Insufficient isolated margin to remove.")
        position.iso_margin += amount
        dex_account.balance -= amount
        return {"type": "default"}

    def parse_create_sub_account(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        name = Fields(action, "").get_str("name")
        if not 1 <= len(name) <= 64:
            reject("Invalid action: name: expected 1 to 64 characters")
        return name, {"type": "createSubAccount", "name": name}

    def apply_create_sub_account(self, context: Context, name: Any) -> dict[str, Any]:
        if context.user in self._state.vault_leaders:
            reject("Sub-accounts cannot create sub-accounts.")
        sub_account = self._state.make_vault(context.user, name)
        self._state.sub_accounts[sub_account] = name
        return {"type": "createSubAccount", "data": sub_account}

    def parse_sub_account_transfer(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        fields = Fields(action, "")
        sub = fields.get_str("subAccountUser")
        is_deposit = fields.get_bool("isDeposit")
        micro = fields.get_int("usd")
        if not is_address(sub):
            reject("Invalid action: subAccountUser: expected an address")
        assert micro is not None
        if micro <= 0:
            reject("Invalid action: usd: must be positive")
        canonical = {
            "type": "subAccountTransfer",
            "subAccountUser": sub,
            "isDeposit": is_deposit,
            "usd": micro,
        }
        return (sub.lower(), is_deposit, Decimal(micro).scaleb(-6)), canonical

    def apply_sub_account_transfer(self, context: Context, parsed: Any) -> dict[str, Any]:
        sub, is_deposit, amount = parsed
        if (
            self._state.sub_accounts.get(sub) is None
            or self._state.vault_leaders.get(sub) != context.user
        ):
            reject("Invalid sub-account transfer: not a sub-account of the signer.")
        source, target = (context.user, sub) if is_deposit else (sub, context.user)
        self.withdraw_from(source, amount)
        self._state.dex_account(self._state.accounts[target], "").balance += amount
        delta = {
            "type": "subAccountTransfer",
            "usdc": wire_decimal(amount),
            "user": source,
            "destination": target,
        }
        self._state.ledger(self._state.accounts[source], context.now, delta)
        self._state.ledger(self._state.accounts[target], context.now, delta)
        return {"type": "default"}

    def parse_set_referrer(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        code = Fields(action, "").get_str("code")
        if not code:
            reject("Invalid action: code: expected a referral code")
        return code, {"type": "setReferrer", "code": code}

    def apply_set_referrer(self, context: Context, code: Any) -> dict[str, Any]:
        if context.user in self._state.referrers:
            reject("Referrer already set.")
        self._state.referrers[context.user] = code
        return {"type": "default"}

    def parse_sub_account_spot_transfer(
        self, action: Mapping[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        return self.transfers.parse_sub_account_spot_transfer(action)

    def apply_sub_account_spot_transfer(self, context: Context, parsed: Any) -> dict[str, Any]:
        return self.transfers.apply_sub_account_spot_transfer(context, parsed)

    # -- account abstraction modes (userAbstraction / userDexAbstraction) --

    def abstraction_target(self, context: Context, action: Mapping[str, Any]) -> str:
        """The ``user`` a user-signed abstraction action names: the signer or one of its
        sub-accounts."""
        user = Fields(action, "").get_str("user")
        if not is_address(user):
            reject("Invalid action: user: expected an address")
        user = user.lower()
        if user != context.user and self._state.vault_leaders.get(user) != context.user:
            reject("Invalid action: user: must be the signer or one of its sub-accounts")
        return user

    def apply_user_set_abstraction(
        self, context: Context, action: Mapping[str, Any]
    ) -> dict[str, Any]:
        user = self.abstraction_target(context, action)
        mode = Fields(action, "").get_str("abstraction")
        if mode not in _USER_ABSTRACTIONS:
            reject(f"Invalid action: abstraction: expected one of {', '.join(_USER_ABSTRACTIONS)}")
        self._state.abstraction[user] = mode
        return {"type": "default"}

    def apply_user_dex_abstraction(
        self, context: Context, action: Mapping[str, Any]
    ) -> dict[str, Any]:
        user = self.abstraction_target(context, action)
        enabled = Fields(action, "").get_bool("enabled")
        self.set_dex_abstraction(user, enabled)
        return {"type": "default"}

    def set_dex_abstraction(self, user: str, enabled: bool) -> None:
        if enabled:
            self._state.abstraction[user] = "dexAbstraction"
        elif self._state.abstraction.get(user) == "dexAbstraction":
            self._state.abstraction[user] = "disabled"

    def parse_agent_set_abstraction(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        code = Fields(action, "").get_str("abstraction")
        mode = _AGENT_ABSTRACTIONS.get(code)
        if mode is None:
            reject("Invalid action: abstraction: expected 'i' (disabled), 'u' (unified) or 'p'")
        return mode, {"type": "agentSetAbstraction", "abstraction": code}

    def apply_agent_set_abstraction(self, context: Context, mode: Any) -> dict[str, Any]:
        self._state.abstraction[context.user] = mode
        return {"type": "default"}

    def parse_agent_enable_dex_abstraction(
        self, action: Mapping[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        return None, {"type": "agentEnableDexAbstraction"}

    def apply_agent_enable_dex_abstraction(self, context: Context, parsed: Any) -> dict[str, Any]:
        self.set_dex_abstraction(context.user, True)
        return {"type": "default"}

    def parse_noop(self, action: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        return None, {"type": "noop"}

    def apply_noop(self, context: Context, parsed: Any) -> dict[str, Any]:
        return {"type": "default"}

    # -- user-signed actions --

    def apply_usd_send(self, context: Context, action: Mapping[str, Any]) -> dict[str, Any]:
        fields = Fields(action, "")
        destination = fields.get_str("destination")
        amount = fields.get_decimal("amount")
        if not is_address(destination):
            reject("Invalid action: destination: expected an address")
        if amount <= 0:
            reject("Invalid action: amount: must be positive")
        self.withdraw_from(context.user, amount)
        target = self._state.account(destination.lower(), create=True)
        self._state.dex_account(target, "").balance += amount
        delta = {
            "type": "internalTransfer",
            "usdc": wire_decimal(amount),
            "user": context.user,
            "destination": target.address,
            "fee": "0.0",
        }
        self._state.ledger(self._state.accounts[context.user], context.now, delta)
        self._state.ledger(target, context.now, delta)
        return {"type": "default"}

    def apply_withdraw(self, context: Context, action: Mapping[str, Any]) -> dict[str, Any]:
        fields = Fields(action, "")
        if not is_address(fields.get_str("destination")):
            reject("Invalid action: destination: expected an address")
        amount = fields.get_decimal("amount")
        if amount <= 0:
            reject("Invalid action: amount: must be positive")
        self.withdraw_from(context.user, amount)
        delta = {
            "type": "withdraw",
            "usdc": wire_decimal(amount),
            "nonce": context.now,
            "fee": "1.0",
        }
        self._state.ledger(self._state.accounts[context.user], context.now, delta)
        return {"type": "default"}

    def withdraw_from(self, user: str, amount: Decimal) -> None:
        dex_account = self._state.dex_account(self._state.accounts[user], "")
        if dex_account.available(self._state.marks(), self._state.default_leverage) < amount:
            reject("Insufficient balance for withdrawal or transfer.")
        dex_account.balance -= amount


_Parse = Callable[[Actions, Mapping[str, Any]], tuple[Any, dict[str, Any]]]
_Apply = Callable[[Actions, Context, Any], "dict[str, Any] | Committed"]

L1_HANDLERS: dict[str, tuple[_Parse, _Apply]] = {
    "order": (Actions.parse_orders, Actions.apply_orders),
    "cancel": (Actions.parse_cancel, Actions.apply_cancel),
    "cancelByCloid": (Actions.parse_cancel_by_cloid, Actions.apply_cancel_by_cloid),
    "modify": (Actions.parse_modify, Actions.apply_modify),
    "batchModify": (Actions.parse_batch_modify, Actions.apply_batch_modify),
    "scheduleCancel": (Actions.parse_schedule_cancel, Actions.apply_schedule_cancel),
    "updateLeverage": (Actions.parse_update_leverage, Actions.apply_update_leverage),
    "updateIsolatedMargin": (
        Actions.parse_update_isolated_margin,
        Actions.apply_update_isolated_margin,
    ),
    "createSubAccount": (
        Actions.parse_create_sub_account,
        Actions.apply_create_sub_account,
    ),
    "subAccountTransfer": (
        Actions.parse_sub_account_transfer,
        Actions.apply_sub_account_transfer,
    ),
    "subAccountSpotTransfer": (
        Actions.parse_sub_account_spot_transfer,
        Actions.apply_sub_account_spot_transfer,
    ),
    "setReferrer": (Actions.parse_set_referrer, Actions.apply_set_referrer),
    "agentSetAbstraction": (
        Actions.parse_agent_set_abstraction,
        Actions.apply_agent_set_abstraction,
    ),
    "agentEnableDexAbstraction": (
        Actions.parse_agent_enable_dex_abstraction,
        Actions.apply_agent_enable_dex_abstraction,
    ),
    "noop": (Actions.parse_noop, Actions.apply_noop),
}
