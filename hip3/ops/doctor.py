"""Preflight checks before money moves (``hip3 doctor``).

Each check ends ``pass``, ``warn`` or ``fail`` with what was found and, unless it
passed, how to fix it. A venue that does not answer an info request (an older
venue, the simulator) makes that check a warning naming the request, never a crash.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

import attrs

from hip3.clients import InfoClient
from hip3.errors import Hip3Error

__all__ = ["Check", "Status", "run_checks"]

Status = Literal["pass", "warn", "fail"]

#: The venue refuses scheduleCancel until an account has traded this much (USD).
DEAD_MANS_SWITCH_VOLUME = Decimal(1_000_000)
#: Warn when the signed actions' clock is this far from the venue's (ms); fail beyond the
#: expiry window the bot signs with (10 s by default).
SKEW_WARN_MS = 1_000
SKEW_FAIL_MS = 5_000
AGENT_EXPIRY_WARN_MS = 7 * 24 * 3600 * 1000


@attrs.frozen
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


class _NoAnswer(Exception):
    def __init__(self, request: str, why: str) -> None:
        super().__init__(f"venue did not answer {request}: {why}")
        self.request = request


async def _ask(info: InfoClient, body: Mapping[str, Any]) -> Any:
    try:
        return await info.post_info(body)
    except Hip3Error as exc:
        raise _NoAnswer(str(body["type"]), str(exc)[:120]) from None


def _unanswered(name: str, exc: _NoAnswer, fix: str = "") -> Check:
    return Check(name, "warn", str(exc), fix or "check by hand in the venue's UI")


async def run_checks(
    info: InfoClient,
    *,
    network: str,
    mainnet: bool,
    account: str,
    signer: str | None,
    dexes: Sequence[str],
    builder: str | None = None,
    clock_ms: Callable[[], int] | None = None,
) -> list[Check]:
    """Every check, in order; stops after ``network`` if the venue cannot be reached."""
    now_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
    account = account.lower()
    checks: list[Check] = []
    try:
        await info.post_json("/info", {"type": "perpDexs"})
    except Hip3Error as exc:
        return [
            Check("network", "fail", f"cannot reach {info.base_url}: {exc}",
                  "check network.name / http_url and the connection")
        ]  # fmt: skip
    chain = "Mainnet" if mainnet else "Testnet"
    if (network == "mainnet") != mainnet and network in ("mainnet", "testnet"):
        checks.append(Check("network", "fail", f"{network} endpoint but signing for {chain}",
                            "set network.mainnet to match the venue"))  # fmt: skip
    else:
        checks.append(
            Check("network", "pass", f"{info.base_url} answers; actions are signed for {chain}")
        )
    checks.append(await _clock(info, account, now_ms))
    checks.append(await _agent(info, account, signer, now_ms))
    checks.append(await _abstraction(info, account))
    checks.extend(await _collateral(info, dexes))
    checks.append(await _dead_mans_switch(info, account))
    if builder is not None:
        checks.append(await _builder(info, account, builder.lower()))
    return checks


async def _clock(info: InfoClient, account: str, now_ms: Callable[[], int]) -> Check:
    before = now_ms()
    try:
        answer = await _ask(info, {"type": "clearinghouseState", "user": account})
    except _NoAnswer as exc:
        return _unanswered("clock", exc)
    after = now_ms()
    venue_ms = answer.get("time") if isinstance(answer, Mapping) else None
    if not isinstance(venue_ms, int):
        return Check("clock", "warn", "venue did not answer clearinghouseState with a time")
    skew = venue_ms - (before + after) // 2
    detail = f"local clock is {-skew:+d} ms from the venue's (round trip {after - before} ms)"
    if abs(skew) > SKEW_FAIL_MS:
        return Check("clock", "fail", detail, "sync the clock (NTP): signed actions expire")
    if abs(skew) > SKEW_WARN_MS:
        return Check("clock", "warn", detail, "sync the clock (NTP)")
    return Check("clock", "pass", detail)


async def _agent(
    info: InfoClient, account: str, signer: str | None, now_ms: Callable[[], int]
) -> Check:
    if signer is None:
        return Check("signer", "warn", "no key configured: nothing can be signed",
                     "set account.key_env or account.key_file for trading")  # fmt: skip
    signer = signer.lower()
    if signer == account:
        return Check("signer", "pass", "the key is the account's own")
    try:
        role = await _ask(info, {"type": "userRole", "user": signer})
    except _NoAnswer as exc:
        return _unanswered("signer", exc)
    data = role.get("data") if isinstance(role, Mapping) else None
    master = data.get("user") if isinstance(data, Mapping) else None
    if (
        not isinstance(role, Mapping)
        or role.get("role") != "agent"
        or str(master).lower() != account
    ):
        what = role.get("role") if isinstance(role, Mapping) else role
        return Check("signer", "fail", f"the key {signer} is not an agent of {account} (role: {what})",
                     "approve it as an API wallet of the account (approveAgent)")  # fmt: skip
    try:
        agents = await _ask(info, {"type": "extraAgents", "user": account})
    except _NoAnswer as exc:
        return Check("signer", "warn", f"an agent of {account}; expiry unknown ({exc})")
    for agent in agents if isinstance(agents, list) else []:
        if isinstance(agent, Mapping) and str(agent.get("address", "")).lower() == signer:
            until = agent.get("validUntil")
            if isinstance(until, int) and until - now_ms() < AGENT_EXPIRY_WARN_MS:
                days = (until - now_ms()) / 86_400_000
                return Check("signer", "warn", f"agent {agent.get('name')!r} expires in {days:.1f} days",
                             "approve a fresh agent before it expires")  # fmt: skip
            expiry = f"valid until {until} ms" if isinstance(until, int) else "no expiry"
            return Check("signer", "pass", f"agent {agent.get('name')!r} of {account}, {expiry}")
    return Check("signer", "pass", f"an agent of {account} (not listed in extraAgents)")


async def _abstraction(info: InfoClient, account: str) -> Check:
    try:
        mode = await _ask(info, {"type": "userAbstraction", "user": account})
    except _NoAnswer as exc:
        return _unanswered("account mode", exc)
    return Check("account mode", "pass", f"account abstraction: {mode}")


async def _collateral(info: InfoClient, dexes: Sequence[str]) -> list[Check]:
    try:
        spot = await _ask(info, {"type": "spotMeta"})
        tokens = {t["index"]: t["name"] for t in spot.get("tokens", []) if isinstance(t, Mapping)}
    except (_NoAnswer, AttributeError, KeyError, TypeError):
        tokens = {}
    checks = []
    for dex in dexes:
        name = f"collateral {dex or 'main'}"
        try:
            meta = await _ask(info, {"type": "meta", "dex": dex})
        except _NoAnswer as exc:
            checks.append(_unanswered(name, exc))
            continue
        index = meta.get("collateralToken") if isinstance(meta, Mapping) else None
        if not isinstance(index, int):
            checks.append(Check(name, "warn", "venue did not answer meta with a collateralToken"))
        elif index not in tokens:
            checks.append(Check(name, "warn", f"collateral token #{index} not in spotMeta",
                                "hold that token before trading this dex"))  # fmt: skip
        else:
            checks.append(Check(name, "pass", f"margined in {tokens[index]} (token #{index})"))
    return checks


async def _dead_mans_switch(info: InfoClient, account: str) -> Check:
    name = "dead-man's switch"
    try:
        fees = await _ask(info, {"type": "userFees", "user": account})
    except _NoAnswer as exc:
        return _unanswered(name, exc, "scheduleCancel needs $1M traded: check the account's volume")
    volume = Decimal(0)
    try:
        for day in fees.get("dailyUserVlm", []):
            volume += Decimal(str(day.get("userCross", 0))) + Decimal(str(day.get("userAdd", 0)))
    except (AttributeError, ArithmeticError, TypeError, ValueError):
        return Check(name, "warn", "venue answered userFees without a readable dailyUserVlm")
    if volume >= DEAD_MANS_SWITCH_VOLUME:
        return Check(name, "pass", f"recent volume {volume:.0f} USD: scheduleCancel is allowed")
    return Check(name, "warn",
                 f"recent volume {volume:.0f} USD (< 1M; userFees lists recent days only): the "
                 "venue may refuse scheduleCancel",
                 "set risk.dead_man_switch_secs = 0 until the account has traded $1M")  # fmt: skip


async def _builder(info: InfoClient, account: str, builder: str) -> Check:
    try:
        fee = await _ask(info, {"type": "maxBuilderFee", "user": account, "builder": builder})
    except _NoAnswer as exc:
        return _unanswered("builder", exc)
    if isinstance(fee, int) and fee > 0:
        return Check("builder", "pass", f"{builder} approved up to {fee / 10:g} bps")
    return Check("builder", "fail", f"{builder} is not approved (maxBuilderFee {fee})",
                 "sign approveBuilderFee for it from the account")  # fmt: skip
