"""The simulator's transfers of money between wallets: the perp<->spot class transfer
(``usdClassTransfer``), spot tokens to another user (``spotSend``), collateral between dexes
and users (``sendAsset``) and spot tokens to a sub-account (``subAccountSpotTransfer``).

Every transfer checks what the source can spare (a perp dex's free margin, a spot balance
less what resting orders hold) and records one ledger update for each side, as the venue's
``userNonFundingLedgerUpdates`` shows it (delta types ``accountClassTransfer``,
``spotTransfer``, ``send``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hip3.sim._engine_parse import Fields, is_address, reject
from hip3.sim._state import Context, SimState, token_id
from hip3.sim.accounts import Account
from hip3.types import wire_decimal

_ZERO = Decimal(0)
SPOT = "spot"  # sendAsset's name of the spot wallet; "" is the main perp dex


class Transfers:
    """The user-signed transfers (applied after the signer is verified) and the L1
    ``subAccountSpotTransfer`` (parse, then apply)."""

    def __init__(self, state: SimState) -> None:
        self._state = state

    # -- the wallets ------------------------------------------------------------

    def take_perp(self, account: Account, dex: str, amount: Decimal) -> None:
        """Remove ``amount`` of ``dex``'s collateral, refusing more than its free margin."""
        dex_account = self._state.dex_account(account, dex)
        free = dex_account.available(self._state.marks(), self._state.default_leverage)
        if free < amount:
            reject("Insufficient balance for withdrawal or transfer.")
        dex_account.balance -= amount

    def take_spot(self, account: Account, token: str, amount: Decimal) -> None:
        """Remove ``amount`` of spot ``token``, refusing more than is free of order holds."""
        free = account.spot.get(token, _ZERO) - account.spot_hold.get(token, _ZERO)
        if free < amount:
            reject(f"Insufficient {token} spot balance for transfer.")
        account.move_spot(token, -amount)

    def usdc_value(self, token: str, amount: Decimal) -> str:
        """What ``amount`` of ``token`` is worth in USDC at its spot pair's mark."""
        if token == "USDC":
            return wire_decimal(amount)
        for coin, base in self._state.spot_base.items():
            if base == token:
                return wire_decimal(amount * self._state.markets[coin].oracle)
        return "0.0"

    def spot_token(self, spec: str, path: str) -> str:
        """The token named by ``NAME:0x<tokenId>`` (what ``spotMeta`` lists), or by a bare
        name where the action allows one."""
        name, sep, given_id = spec.partition(":")
        if name not in self._state.token_index:
            reject(f"Invalid action: {path}: unknown spot token {name!r}")
        if sep and given_id.lower() != token_id(name):
            reject(f"Invalid action: {path}: {given_id!r} is not the token id of {name}")
        return name

    def amount(self, fields: Fields, key: str = "amount") -> Decimal:
        amount = fields.get_decimal(key)
        if amount <= 0:
            reject(f"Invalid action: {key}: must be positive")
        return amount

    def led_by(self, sub: str, leader: str) -> Account:
        """The sub-account ``sub`` of ``leader``; refused otherwise."""
        if (
            self._state.sub_accounts.get(sub) is None
            or self._state.vault_leaders.get(sub) != leader
        ):
            reject("Invalid sub-account transfer: not a sub-account of the signer.")
        return self._state.accounts[sub]

    # -- usdClassTransfer --------------------------------------------------------

    def apply_usd_class_transfer(
        self, context: Context, action: Mapping[str, Any]
    ) -> dict[str, Any]:
        fields = Fields(action, "")
        text = fields.get_str("amount")
        to_perp = fields.get_bool("toPerp")
        # "<amount> subaccount:<address>" moves a sub-account's money (the SDK's vault_address).
        number, _, sub = text.partition(" subaccount:")
        account = self._state.accounts[context.user]
        if sub:
            if not is_address(sub):
                reject("Invalid action: amount: subaccount: expected an address")
            account = self.led_by(sub.lower(), context.user)
        amount = self.amount(Fields({"amount": number}, ""))
        if to_perp:
            self.take_spot(account, "USDC", amount)
            self._state.dex_account(account, "").balance += amount
        else:
            self.take_perp(account, "", amount)
            account.move_spot("USDC", amount)
        delta = {"type": "accountClassTransfer", "usdc": wire_decimal(amount), "toPerp": to_perp}
        self._state.ledger(account, context.now, delta)
        return {"type": "default"}

    # -- spotSend ----------------------------------------------------------------

    def apply_spot_send(self, context: Context, action: Mapping[str, Any]) -> dict[str, Any]:
        fields = Fields(action, "")
        destination = fields.get_str("destination")
        if not is_address(destination):
            reject("Invalid action: destination: expected an address")
        token = self.spot_token(fields.get_str("token"), "token")
        amount = self.amount(fields)
        source = self._state.accounts[context.user]
        self.take_spot(source, token, amount)
        target = self._state.account(destination.lower(), create=True)
        target.move_spot(token, amount)
        delta = self.spot_transfer_delta(source, target, token, amount, context.now)
        self._state.ledger(source, context.now, delta)
        self._state.ledger(target, context.now, delta)
        return {"type": "default"}

    def spot_transfer_delta(
        self, source: Account, target: Account, token: str, amount: Decimal, nonce: int
    ) -> dict[str, Any]:
        return {
            "type": "spotTransfer",
            "token": token,
            "amount": wire_decimal(amount),
            "usdcValue": self.usdc_value(token, amount),
            "user": source.address,
            "destination": target.address,
            "fee": "0.0",
            "nativeTokenFee": "0.0",
            "nonce": nonce,
        }

    # -- sendAsset ---------------------------------------------------------------

    def apply_send_asset(self, context: Context, action: Mapping[str, Any]) -> dict[str, Any]:
        fields = Fields(action, "")
        destination = fields.get_str("destination")
        if not is_address(destination):
            reject("Invalid action: destination: expected an address")
        source_dex = fields.get_str("sourceDex")
        destination_dex = fields.get_str("destinationDex")
        for key, dex in (("sourceDex", source_dex), ("destinationDex", destination_dex)):
            if dex != SPOT and dex not in self._state.dex_markets:
                reject(f"Invalid action: {key}: unknown dex {dex!r} ('' main, 'spot', a dex)")
        token = self.spot_token(fields.get_str("token"), "token")
        for key, dex in (("sourceDex", source_dex), ("destinationDex", destination_dex)):
            if dex != SPOT and self._state.collateral[dex] != token:
                collateral = self._state.collateral[dex]
                reject(f"Invalid action: token: {key} {dex!r} holds {collateral}, not {token}")
        amount = self.amount(fields)
        source = self._state.accounts[context.user]
        from_sub = action.get("fromSubAccount") or ""
        if from_sub:
            if not isinstance(from_sub, str) or not is_address(from_sub):
                reject("Invalid action: fromSubAccount: expected an address or ''")
            source = self.led_by(from_sub.lower(), context.user)
        target = self._state.account(destination.lower(), create=True)
        if source is target and source_dex == destination_dex:
            reject("Invalid action: a transfer needs another wallet or another dex")
        if source_dex == SPOT:
            self.take_spot(source, token, amount)
        else:
            self.take_perp(source, source_dex, amount)
        if destination_dex == SPOT:
            target.move_spot(token, amount)
        else:
            self._state.dex_account(target, destination_dex).balance += amount
        delta = {
            "type": "send",
            "user": source.address,
            "destination": target.address,
            "sourceDex": source_dex,
            "destinationDex": destination_dex,
            "token": token,
            "amount": wire_decimal(amount),
            "usdcValue": self.usdc_value(token, amount),
            "fee": "0.0",
            "nativeTokenFee": "0.0",
            "nonce": context.now,
        }
        self._state.ledger(source, context.now, delta)
        if target is not source:
            self._state.ledger(target, context.now, delta)
        return {"type": "default"}

    # -- subAccountSpotTransfer (L1) ---------------------------------------------

    def parse_sub_account_spot_transfer(
        self, action: Mapping[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        fields = Fields(action, "")
        sub = fields.get_str("subAccountUser")
        if not is_address(sub):
            reject("Invalid action: subAccountUser: expected an address")
        is_deposit = fields.get_bool("isDeposit")
        token_text = fields.get_str("token")
        amount_text = fields.get_str("amount")
        token = self.spot_token(token_text, "token")
        amount = self.amount(fields)
        canonical = {
            "type": "subAccountSpotTransfer",
            "subAccountUser": sub,
            "isDeposit": is_deposit,
            "token": token_text,
            "amount": amount_text,
        }
        return (sub.lower(), is_deposit, token, amount), canonical

    def apply_sub_account_spot_transfer(self, context: Context, parsed: Any) -> dict[str, Any]:
        sub_address, is_deposit, token, amount = parsed
        sub = self.led_by(sub_address, context.user)
        leader = self._state.accounts[context.user]
        source, target = (leader, sub) if is_deposit else (sub, leader)
        self.take_spot(source, token, amount)
        target.move_spot(token, amount)
        delta = self.spot_transfer_delta(source, target, token, amount, context.now)
        self._state.ledger(source, context.now, delta)
        self._state.ledger(target, context.now, delta)
        return {"type": "default"}
