"""hip3.app.account reads one account whole through the typed clients, for the CLI and
the notebook alike: positions on every dex, open orders, fills, cancel-all with the
venue's refusals. Against the simulator over loopback, and a scripted venue for answers
the simulator never gives (a fill with an unknown side or no fee)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio

from hip3.app import account
from hip3.clients import Filled, InfoClient, Resting
from hip3.errors import ValidationError, WireError
from hip3.signing import PrivateKey
from tests.clients.fakevenue import Venue as ScriptedVenue
from tests.clients.fakevenue import fill
from tests.clients.simkit import ACCOUNT, DEXES, FAST, Venue, running_venue


@pytest.fixture
async def traded() -> AsyncIterator[tuple[Venue, int]]:
    """A simulator on which ACCOUNT holds BTC (main dex) and xyz:TSLA (a HIP-3 dex),
    sold some flx:GOLD, and rests one bid on xyz:TSLA; yields it and that bid's oid."""
    async with running_venue() as venue:
        ex = venue.exchange()
        for order in (
            venue.taker("BTC", True, "300"),
            venue.taker("xyz:TSLA", True, "200"),
            venue.taker("flx:GOLD", False, "150"),
        ):
            [result] = await ex.place_orders([order])
            assert isinstance(result, Filled)
        [resting] = await ex.place_orders([venue.maker("xyz:TSLA", True, "100")])
        assert isinstance(resting, Resting)
        yield venue, resting.oid


async def test_positions_on_every_dex_match_the_venues_clearinghouse_states(
    traded: tuple[Venue, int],
) -> None:
    venue, _ = traded
    dexes = await account.account_dexes(venue.info)
    assert dexes == list(DEXES)  # the main dex first, then every dex of perpDexs
    rows = await account.positions(venue.info, ACCOUNT, dexes)
    assert [(r.dex, r.coin) for r in rows] == [("", "BTC"), ("xyz", "xyz:TSLA"),
                                                ("flx", "flx:GOLD")]  # fmt: skip
    for row in rows:
        state = await venue.info.clearinghouse_state(ACCOUNT, row.dex)
        [held] = [p.position for p in state.asset_positions if p.position.coin == row.coin]
        assert row.size == held.szi and row.entry_px == held.entry_px
        assert row.leverage == held.leverage.value and row.margin == held.leverage.type
    assert rows[2].size < 0  # sold: a signed size
    as_json = rows[0].to_json()
    assert as_json["dex"] == "main" and as_json["size"] == format(rows[0].size, "f")


async def test_the_markets_of_a_config_narrow_the_dexes(traded: tuple[Venue, int]) -> None:
    venue, _ = traded
    dexes = await account.account_dexes(venue.info, ["xyz:TSLA", "BTC", "xyz:NVDA"])
    assert dexes == ["xyz", ""]
    rows = await account.positions(venue.info, ACCOUNT, dexes)
    assert {r.coin for r in rows} == {"xyz:TSLA", "BTC"}


async def test_open_orders_and_fills_are_typed_rows(traded: tuple[Venue, int]) -> None:
    venue, oid = traded
    [order] = await account.open_orders(venue.info, ACCOUNT, list(DEXES))
    assert (order.coin, order.side, order.oid) == ("xyz:TSLA", "buy", oid)
    assert order.sz == order.orig_sz and not order.reduce_only
    assert order.cloid is not None and order.cloid.startswith("0x") and len(order.cloid) == 34
    fills = await account.fills(venue.info, ACCOUNT)
    assert [f.side for f in fills] and {f.side for f in fills} <= {"buy", "sell"}
    assert [f.time_ms for f in fills] == sorted(f.time_ms for f in fills)  # oldest first
    newest = await account.fills(venue.info, ACCOUNT, limit=1)
    assert newest == fills[-1:] and newest[0].coin == "flx:GOLD" and newest[0].side == "sell"
    assert all(f.fee_token == "USDC" and f.fee > 0 for f in fills)
    with pytest.raises(ValidationError, match="limit: must be at least 1"):
        await account.fills(venue.info, ACCOUNT, limit=0)


async def test_cancel_all_cancels_every_dex_and_names_each_refusal(
    traded: tuple[Venue, int],
) -> None:
    venue, oid = traded
    # a key that is neither the account nor its agent: every cancel refused, all still open
    stranger = venue.exchange(key=PrivateKey.from_hex("0x" + "77" * 32))
    report = await account.cancel_all(stranger, venue.info, ACCOUNT, list(DEXES))
    assert report.total == 0 and [(r.dex, r.coin, r.oid) for r in report.refused] == [
        ("xyz", "xyz:TSLA", oid)
    ]
    assert report.refused[0].reason  # the venue's own text
    assert len(await account.open_orders(venue.info, ACCOUNT, list(DEXES))) == 1
    own = await account.cancel_all(venue.exchange(), venue.info, ACCOUNT, list(DEXES))
    assert own.cancelled == {"main": 0, "xyz": 1, "flx": 0} and own.refused == []
    assert await account.open_orders(venue.info, ACCOUNT, list(DEXES)) == []


@pytest.mark.parametrize(
    ("broken", "field"),
    [({"side": "X"}, "side"), ({"fee": None}, "fee"), ({"px": 101.5}, "px")],
)
async def test_a_fill_the_wire_model_refuses_is_an_error_never_a_guess(
    nursery: trio.Nursery, broken: dict[str, object], field: str
) -> None:
    # Before, a side "X" read as a sell and a missing fee as 0: now the read fails, naming it.
    venue: ScriptedVenue = await nursery.start(ScriptedVenue().serve)
    venue.fills = [fill(1), {**fill(2), **broken}]
    if broken.get("fee", "") is None:
        del venue.fills[1]["fee"]
    async with InfoClient(venue.url, backoff=FAST) as info:
        with pytest.raises(WireError) as raised:
            await account.fills(info, "0x" + "ab" * 20)
    assert field in str(raised.value)


def test_a_network_is_a_name_or_a_url_and_nothing_else() -> None:
    assert account.network_config("testnet", source="t").network.name == "testnet"
    custom = account.network_config("http://127.0.0.1:3001/", source="t").network
    assert (custom.http_url, custom.ws_url) == ("http://127.0.0.1:3001", "ws://127.0.0.1:3001/ws")
    sim = account.network_config("sim", source="t", sim={"seed": 4})
    assert sim.network.name == "sim" and sim.sim.seed == 4
    with pytest.raises(ValidationError, match=r"^--network: must be sim, testnet, mainnet"):
        account.network_config("devnet", source="t", field="--network")
