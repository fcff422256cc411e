"""Accounts as on the venue, and the venue's gate on the dead-man's switch.

Only a funded address exists: an admin deposit or ``[sim] accounts`` funds one, and the first
action of any other signer is refused with the venue's "User or API Wallet 0x… does not
exist." -- a wrong-network signature included, which recovers an address nobody holds.
``scheduleCancel`` is refused until the account traded ``schedule_cancel_min_volume``.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.clients import ExchangeClient, InfoClient, NonceGenerator
from hip3.errors import ConfigError, ExchangeError
from hip3.signing import PrivateKey
from hip3.sim import SimConfig, open_simulator
from hip3.wire import actions
from tests.sim.test_engine_support import BTC, KEYS, TSLA, Venue, quiet_config

FIRST = PrivateKey.from_hex(KEYS[0]).address
SECOND = PrivateKey.from_hex(KEYS[1]).address


def _does_not_exist(answer: dict[str, Any], address: str) -> bool:
    return answer == {"status": "err", "response": f"User or API Wallet {address} does not exist."}


def test_a_sim_table_refuses_unknown_signers_unless_it_opts_in() -> None:
    assert SimConfig.from_mapping({}).auto_accounts is False
    assert SimConfig.from_mapping({"auto_accounts": True}).auto_accounts is True
    config = SimConfig.from_mapping({"accounts": [FIRST.upper().replace("0X", "0x"), FIRST]})
    assert config.accounts == (FIRST,)  # lower-cased, once


def test_hip3_sim_refuses_unknown_signers_by_default() -> None:
    from hip3_cli.sim import load_sim_config

    config = load_sim_config(None)
    assert config.auto_accounts is False and config.accounts == ()
    assert config.schedule_cancel_min_volume == Decimal(1_000_000)


def test_a_bad_account_address_names_its_key() -> None:
    with pytest.raises(ConfigError, match=r"sim\.accounts\[1\]: must be an address"):
        SimConfig.from_mapping({"accounts": [FIRST, "0x12"]})
    with pytest.raises(ConfigError, match=r"sim\.accounts: must be a list"):
        SimConfig.from_mapping({"accounts": FIRST})


def test_an_unfunded_signer_is_refused_and_leaves_no_account() -> None:
    venue = Venue(quiet_config(auto_accounts=False))
    trader = venue.trader(0)
    answer = trader.act(actions.order_action([actions.order_wire(BTC, True, "59000", "0.001")]))
    assert _does_not_exist(answer, FIRST)
    assert venue.info("userRole", user=FIRST) == {"role": "missing"}
    state = venue.info("clearinghouseState", user=FIRST)
    assert Decimal(state["marginSummary"]["accountValue"]) == 0


def test_listed_accounts_are_funded_on_every_dex_and_trade() -> None:
    venue = Venue(quiet_config(auto_accounts=False, accounts=(FIRST,)))
    trader = venue.trader(0)
    for dex in ("", "xyz", "flx"):
        state = venue.info("clearinghouseState", user=FIRST, dex=dex)
        assert Decimal(state["marginSummary"]["accountValue"]) == Decimal(100_000)
    assert "resting" in trader.order(BTC, True, "59000", "0.001")
    assert "resting" in trader.order(TSLA, True, "200", "0.1")
    # the other key was never funded
    other = venue.trader(1).act(actions.order_action([actions.order_wire(BTC, True, "1", "1")]))
    assert _does_not_exist(other, SECOND)


def test_an_admin_deposit_makes_the_account_exist() -> None:
    venue = Venue(quiet_config(auto_accounts=False))
    venue.exchange.credit(SECOND, Decimal(5000))
    assert "resting" in venue.trader(1).order(BTC, True, "59000", "0.01")


def test_a_wrong_network_signature_is_refused_without_a_phantom_account() -> None:
    venue = Venue(quiet_config(auto_accounts=False, accounts=(FIRST,)))
    for mainnet in (False, True):
        # A signature over another action (as one for another chain): it recovers an
        # address nobody holds, which must not become an account.
        body = venue.trader(0, mainnet=mainnet).signed(
            actions.order_action([actions.order_wire(BTC, True, "59000", "1")])
        )
        body["action"]["orders"][0]["s"] = "0.002"
        answer = venue.exchange.exchange(body)
        phantom = answer["response"].split()[4]
        assert _does_not_exist(answer, phantom) and phantom != FIRST
        assert venue.info("userRole", user=phantom) == {"role": "missing"}
    send = {
        "type": "usdSend",
        "hyperliquidChain": "Testnet",
        "signatureChainId": "0x66eee",
        "destination": SECOND,
        "amount": "1",
        "time": venue.next_nonce(),
    }
    stranger = venue.trader(2)
    assert _does_not_exist(stranger.user_signed(send), stranger.address)
    assert venue.info("userRole", user=stranger.address) == {"role": "missing"}
    assert venue.info("userRole", user=FIRST) == {"role": "user"}


# ---------------------------------------------------------------------------
# scheduleCancel: the venue's $1M gate and 10 triggers a day
# ---------------------------------------------------------------------------


def _gate_text(required: str, traded: str) -> str:
    return (
        "Cannot set scheduled cancel time until enough volume traded. "
        f"Required: ${required}. Traded: ${traded}."
    )


def test_schedule_cancel_is_refused_below_a_million_traded_by_default() -> None:
    venue = Venue(quiet_config(accounts=(FIRST,)))
    trader = venue.trader(0)
    answer = trader.act(actions.schedule_cancel_action(venue.clock.ms + 60_000))
    assert answer == {"status": "err", "response": _gate_text("1000000", "0.00")}
    # unsetting is always allowed (there is nothing to protect)
    assert trader.act(actions.schedule_cancel_action(None))["status"] == "ok"


def test_schedule_cancel_counts_the_accounts_own_fills() -> None:
    venue = Venue(quiet_config(schedule_cancel_min_volume=Decimal(100)))
    maker, taker = venue.trader(0), venue.trader(1)
    maker.order(BTC, False, "60000", "0.001")  # $60 rests
    taker.order(BTC, True, "60000", "0.001", tif="Ioc")  # both sides trade $60
    for trader in (maker, taker):
        answer = trader.act(actions.schedule_cancel_action(venue.clock.ms + 60_000))
        assert answer == {"status": "err", "response": _gate_text("100", "60.00")}
    maker.order(BTC, False, "60000", "0.001")
    taker.order(BTC, True, "60000", "0.001", tif="Ioc")  # $120 each now
    for trader in (maker, taker):
        assert trader.act(actions.schedule_cancel_action(venue.clock.ms + 60_000)) == {
            "status": "ok",
            "response": {"type": "default"},
        }
    outsider = venue.trader(2)  # never traded
    answer = outsider.act(actions.schedule_cancel_action(venue.clock.ms + 60_000))
    assert answer["response"] == _gate_text("100", "0.00")


def test_at_most_ten_triggers_a_day() -> None:
    venue = Venue(quiet_config(schedule_cancel_min_volume=Decimal(0)))
    trader = venue.trader(0)
    for _ in range(10):
        assert trader.act(actions.schedule_cancel_action(venue.clock.ms + 5000))["status"] == "ok"
        venue.tick(5000)  # it fires (a trigger), with or without orders
    answer = trader.act(actions.schedule_cancel_action(venue.clock.ms + 5000))
    assert answer == {
        "status": "err",
        "response": "Too many scheduled cancel triggers today (max 10).",
    }
    venue.tick(24 * 3600 * 1000)  # a new UTC day
    assert trader.act(actions.schedule_cancel_action(venue.clock.ms + 5000))["status"] == "ok"


def test_the_gate_threshold_is_read_from_the_sim_table() -> None:
    assert SimConfig().schedule_cancel_min_volume == Decimal(1_000_000)
    config = SimConfig.from_mapping({"schedule_cancel_min_volume": 0})
    assert config.schedule_cancel_min_volume == 0
    with pytest.raises(ConfigError, match=r"sim\.schedule_cancel_min_volume: must be >= 0"):
        SimConfig.from_mapping({"schedule_cancel_min_volume": -1})


# ---------------------------------------------------------------------------
# Over loopback, as a client sees it
# ---------------------------------------------------------------------------


async def test_a_client_of_hip3_sim_is_refused_until_an_admin_deposit() -> None:
    key = PrivateKey.from_hex(KEYS[3])
    async with (
        open_simulator(SimConfig.from_mapping({"seed": 3})) as sim,
        InfoClient(sim.url) as info,
    ):
        universe = await info.universe([""])
        client = ExchangeClient(
            sim.url,
            key,
            key.address,
            universe=universe,
            info=info,
            mainnet=False,
            nonces=NonceGenerator(lambda: time.time_ns() // 1_000_000),
        )
        with pytest.raises(ExchangeError, match=f"User or API Wallet {key.address} does not exist"):
            await client.schedule_cancel(None)
        sim.credit(key.address, Decimal(1000))
        await client.schedule_cancel(None)  # now it exists
        with pytest.raises(ExchangeError, match=re.escape("Required: $1000000. Traded: $0.00.")):
            await client.schedule_cancel(time.time_ns() // 1_000_000 + 60_000)


# ---------------------------------------------------------------------------
# Open-interest caps, as configured, enforced and answered from the state
# ---------------------------------------------------------------------------


def _capped_config(cap: str) -> Any:
    config = quiet_config()
    dexes = list(config.dexes)
    xyz = dexes[1]
    markets = tuple(
        attrs.evolve(m, oi_cap=Decimal(cap)) if m.name == "xyz:TSLA" else m for m in xyz.markets
    )
    dexes[1] = attrs.evolve(xyz, markets=markets)
    return attrs.evolve(config, dexes=tuple(dexes))


def test_an_oi_cap_refuses_position_increases_and_is_answered_from_the_state() -> None:
    venue = Venue(_capped_config("1000"))  # xyz:TSLA at 250: 4 TSLA of open interest
    maker, taker = venue.trader(0), venue.trader(1)
    limits = venue.info("perpDexLimits", dex="xyz")
    assert ["xyz:TSLA", "1000.0"] in limits["coinToOiCap"]
    assert venue.info("perpsAtOpenInterestCap", dex="xyz") == []
    maker.order(TSLA, False, "250", "4")
    assert "filled" in taker.order(TSLA, True, "250", "4", tif="Ioc")
    assert venue.info("perpsAtOpenInterestCap", dex="xyz") == ["xyz:TSLA"]
    text = "Order would increase open interest while open interest is capped asset=110000"
    assert taker.order(TSLA, True, "200", "0.1") == {"error": text}
    assert maker.order(TSLA, False, "300", "0.1") == {"error": text}  # a bigger short
    assert "resting" in taker.order(TSLA, False, "300", "1")  # reduces: allowed
    statuses = [u["status"] for b in venue.events_of("orderUpdates", taker.address) for u in b]
    assert "positionIncreaseAtOpenInterestCapRejected" in statuses


def test_a_market_oi_cap_is_read_from_the_sim_table() -> None:
    table = {
        "dexes": [
            {"name": "", "markets": [{"name": "BTC", "sz_decimals": 5, "start_price": 60000}]},
            {
                "name": "xyz",
                "markets": [
                    {"name": "xyz:TSLA", "sz_decimals": 3, "start_price": 250, "oi_cap": 5000}
                ],
            },
        ]
    }
    config = SimConfig.from_mapping(table)
    assert config.dexes[1].markets[0].oi_cap == Decimal(5000)
    assert config.dexes[0].markets[0].oi_cap is None
    table["dexes"][1]["markets"][0]["oi_cap"] = 0  # type: ignore[index]
    with pytest.raises(ConfigError, match=r"markets\[0\]\.oi_cap: must be > 0"):
        SimConfig.from_mapping(table)


async def test_the_embedded_simulator_funds_the_runs_own_account_only() -> None:
    from hip3.app import open_venue
    from hip3.config import config_from_dict

    config = config_from_dict({"markets": ["BTC"]})  # network "sim": an embedded simulator
    async with open_venue(config, fund=FIRST.upper().replace("0X", "0x")) as (_endpoint, sim):
        assert sim.config.auto_accounts is False and sim.config.accounts == (FIRST,)
        state = sim.exchange.info({"type": "clearinghouseState", "user": FIRST})
        assert Decimal(state["marginSummary"]["accountValue"]) == Decimal(100_000)
        assert sim.exchange.info({"type": "userRole", "user": SECOND}) == {"role": "missing"}


@settings(derandomize=True, max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),  # trader
            st.booleans(),  # buy
            st.sampled_from(["245", "250", "255"]),  # price
            st.sampled_from(["0.5", "1", "2", "3"]),  # size
            st.sampled_from(["Gtc", "Ioc"]),
        ),
        min_size=10,
        max_size=40,
    )
)
def test_no_position_grows_while_the_market_is_at_its_cap(
    orders: list[tuple[int, bool, str, str, str]],
) -> None:
    """Whatever the order flow, an order that grows its trader's position is accepted only
    while the market is below its cap, and the open interest passes the cap only by the
    fills of the order that crossed it."""
    venue = Venue(_capped_config("500"))  # 2 TSLA at 250
    traders = [venue.trader(index) for index in range(3)]
    for index, is_buy, px, sz, tif in orders:
        trader = traders[index]
        before = _tsla_position(venue, trader.address)
        capped_before = venue.info("perpsAtOpenInterestCap", dex="xyz") == ["xyz:TSLA"]
        status = trader.order(TSLA, is_buy, px, sz, tif=tif)
        grows = abs(before + (Decimal(sz) if is_buy else -Decimal(sz))) > abs(before)
        if capped_before and grows:
            assert "error" in status and "open interest is capped" in status["error"]
            assert _tsla_position(venue, trader.address) == before
        else:
            assert "open interest is capped" not in str(status)


def _tsla_position(venue: Venue, address: str) -> Decimal:
    state = venue.info("clearinghouseState", user=address, dex="xyz")
    for entry in state["assetPositions"]:
        if entry["position"]["coin"] == "xyz:TSLA":
            return Decimal(entry["position"]["szi"])
    return Decimal(0)
