"""The simulator's signatures, nonces and agents.

Recovers the signer of an L1 or user-signed action (both phantom-agent sources for L1),
resolves agents to their master and vaults to their leader, checks the per-signer nonce
window, and applies ``approveAgent`` and ``approveBuilderFee``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hip3.errors import SigningError
from hip3.signing import recover_l1_signer, recover_user_signed_signer
from hip3.sim._engine_parse import Fields, is_address, reject
from hip3.sim._state import LP_ADDRESS, Context, SimState

_NONCE_PAST_MS = 2 * 24 * 3600 * 1000
_NONCE_FUTURE_MS = 24 * 3600 * 1000
_MAX_NAMED_AGENTS = 3


class Auth:
    """Who signed an action and whom it acts for; nonces; agent and builder approvals."""

    def __init__(self, state: SimState) -> None:
        self._state = state

    # -- verification --

    def check_nonce(self, signer: str, nonce: int, now: int) -> None:
        if not now - _NONCE_PAST_MS < nonce < now + _NONCE_FUTURE_MS:
            reject(f"Invalid nonce: nonce {nonce} is outside the allowed window around {now}")
        nonces = self._state.nonces.get(signer)
        if nonces is not None:
            problem = nonces.check(nonce)
            if problem is not None:
                reject(problem)

    def agent_master(self, address: str, now: int) -> str | None:
        entry = self._state.agents.get(address)
        if entry is None:
            return None
        master, _name, valid_until = entry
        if valid_until is not None and valid_until <= now:
            return None
        return master

    def verify_l1(
        self,
        canonical: Mapping[str, Any],
        nonce: int,
        signature: Mapping[str, Any],
        vault: str | None,
        expires_after: int | None,
        now: int,
    ) -> Context:
        vault = vault.lower() if vault is not None else None
        # Testnet first (what the SDK signs off mainnet); the mainnet source is only recovered
        # when the first signer is not one the venue knows (a recovery is the costly part).
        candidates: list[str] = []
        chosen: tuple[str, str, bool] | None = None  # signer, master, mainnet
        for mainnet in (False, True):
            try:
                signer = recover_l1_signer(
                    canonical,
                    nonce=nonce,
                    signature=signature,
                    vault_address=vault,
                    expires_after=expires_after,
                    mainnet=mainnet,
                )
            except SigningError as exc:
                reject(f"Invalid signature: {exc}")
            candidates.append(signer)
            master = self.agent_master(signer, now)
            if master is None and signer in self._state.accounts and signer != LP_ADDRESS:
                master = signer
            if master is not None and (
                vault is None or self._state.vault_leaders.get(vault) == master
            ):
                chosen = (signer, master, mainnet)
                break
        if chosen is None:
            signer = candidates[0]
            if vault is not None or not self._state.config.auto_accounts or signer == LP_ADDRESS:
                reject(f"User or API Wallet {signer} does not exist.")
            chosen = (signer, signer, False)
        signer, master, mainnet = chosen
        if expires_after is not None and expires_after < now:
            reject(f"Action expired: expiresAfter {expires_after} < {now}")
        self.check_nonce(signer, nonce, now)
        user = vault if vault is not None else master
        self._state.account(user, create=True)
        return Context(user=user, signer=signer, now=now, mainnet=mainnet)

    def verify_user_signed(
        self,
        action: Mapping[str, Any],
        kind: str,
        nonce: int,
        signature: Mapping[str, Any],
        vault: str | None,
        expires_after: int | None,
        now: int,
    ) -> Context:
        chain = action.get("hyperliquidChain")
        if chain not in ("Mainnet", "Testnet"):
            reject("Invalid action: hyperliquidChain: expected 'Mainnet' or 'Testnet'")
        if expires_after is not None:
            reject(f"expiresAfter is not supported for {kind}")
        if vault is not None:
            reject(f"vaultAddress is not supported for {kind}")
        inner_nonce = action.get(
            "time" if kind in ("usdSend", "spotSend", "withdraw3") else "nonce"
        )
        if type(inner_nonce) is not int:
            reject("Invalid action: nonce: expected an integer time/nonce field in the action")
        if inner_nonce != nonce:
            reject(
                f"Invalid nonce: action nonce {inner_nonce} does not match request nonce {nonce}"
            )
        try:
            signer = recover_user_signed_signer(action, signature)
        except SigningError as exc:
            reject(f"Invalid signature: {exc}")
        if signer == LP_ADDRESS or self.agent_master(signer, now) is not None:
            reject(f"User or API Wallet {signer} does not exist.")
        if signer not in self._state.accounts and not self._state.config.auto_accounts:
            reject(f"User or API Wallet {signer} does not exist.")
        self.check_nonce(signer, nonce, now)
        self._state.account(signer, create=True)
        return Context(user=signer, signer=signer, now=now, mainnet=chain == "Mainnet")

    # -- agent and builder-fee approvals ----------------------------------------

    def apply_approve_agent(self, context: Context, action: Mapping[str, Any]) -> dict[str, Any]:
        fields = Fields(action, "")
        agent = fields.get_str("agentAddress")
        if not is_address(agent):
            reject("Invalid action: agentAddress: expected an address")
        agent = agent.lower()
        name = action.get("agentName") or ""
        if not isinstance(name, str):
            reject("Invalid action: agentName: expected a string")
        valid_until: int | None = None
        base_name, sep, until = name.partition(" valid_until ")
        if sep:
            if not until.isdigit():
                reject("Invalid action: agentName: valid_until must be a ms timestamp")
            valid_until = int(until)
        if agent == context.user or agent in self._state.vault_leaders:
            reject("Invalid agent address.")
        owned = [(a, n) for a, (m, n, _) in self._state.agents.items() if m == context.user]
        replaced = [a for a, n in owned if n == base_name]
        named = [a for a, n in owned if n]
        if base_name and not replaced and len(named) >= _MAX_NAMED_AGENTS:
            reject("Too many named agents (max 3); reuse a name to replace one.")
        for old in replaced:
            del self._state.agents[old]
        self._state.agents[agent] = (context.user, base_name, valid_until)
        return {"type": "default"}

    def apply_approve_builder_fee(
        self, context: Context, action: Mapping[str, Any]
    ) -> dict[str, Any]:
        fields = Fields(action, "")
        builder = fields.get_str("builder")
        if not is_address(builder):
            reject("Invalid action: builder: expected an address")
        self._state.builder_approvals[(context.user, builder.lower())] = fields.get_str(
            "maxFeeRate"
        )
        return {"type": "default"}
