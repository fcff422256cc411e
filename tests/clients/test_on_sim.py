"""The clients against hip3.sim over real loopback sockets, no faults: typed answers for every
info request, real signed orders on the main dex and a HIP-3 dex, agent wallets, vaults,
expiresAfter, nonces under concurrency, ws post and the journal hook."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
import trio

from hip3.bot.book import book_from_frame, book_from_l2
from hip3.clients import (
    CancelSuccess,
    ExchangeClient,
    Filled,
    InfoClient,
    NonceGenerator,
    PlaceOrder,
    Rejected,
    Resting,
)
from hip3.domain import OrderStatus
from hip3.errors import ExchangeError
from hip3.journal import CaptureWriter
from hip3.journal.replay import replay_async
from hip3.signing import PrivateKey
from hip3.sim.config import FaultConfig
from hip3.types import Cloid, Side
from hip3.wire import models as m
from hip3.wire.frames import decode_user_fills_frame
from hip3.wire.to_domain import fills_from_json

from .simkit import ACCOUNT, DEXES, KEY, next_data, running_venue, tids


async def test_every_info_request_answers_a_typed_object_per_dex() -> None:
    async with running_venue() as venue:
        info = venue.info
        dexs = await info.perp_dexs()
        assert dexs[0] is None and [d.name for d in dexs[1:] if d] == ["xyz", "flx"]
        for dex in DEXES:
            meta = await info.meta(dex)
            assert isinstance(meta, m.Meta) and meta.universe
            assert all(a.name.startswith(f"{dex}:") == bool(dex) for a in meta.universe)
            meta2, ctxs = await info.meta_and_asset_ctxs(dex)
            assert meta2.universe == meta.universe and len(ctxs) == len(meta.universe)
            assert all(isinstance(c, m.AssetCtx) for c in ctxs)
            mids = await info.all_mids(dex)
            # The main dex's mids also carry the spot pairs, as on the venue.
            spot = {"PURR/USDC", "@1"} if not dex else set()
            assert set(mids) == {a.name for a in meta.universe} | spot
            state = await info.clearinghouse_state(ACCOUNT, dex)
            assert isinstance(state, m.ClearinghouseState) and state.asset_positions == []
            assert await info.open_orders(ACCOUNT, dex) == []
            assert await info.frontend_open_orders(ACCOUNT, dex) == []
        book = await info.l2_book("xyz:TSLA")
        assert isinstance(book, m.L2Book) and book.coin == "xyz:TSLA"
        bids, asks = book.levels
        assert Decimal(bids[0].px) < Decimal(asks[0].px)
        assert await info.user_fills(ACCOUNT) == []
        assert await info.user_fills_by_time(ACCOUNT, 0) == []
        unknown = await info.order_status(ACCOUNT, Cloid.from_int(7))
        assert unknown.status == "unknownOid" and unknown.order is None
        assert await info.order_update(ACCOUNT, Cloid.from_int(7)) is None
        limit = await info.user_rate_limit(ACCOUNT)
        assert isinstance(limit, m.UserRateLimit) and limit.n_requests_cap >= 10_000
        raw = await info.raw({"type": "allMids", "dex": "xyz"})
        typed = await info.all_mids("xyz")
        assert {coin: Decimal(px) for coin, px in raw.items()} == typed
        assert all(isinstance(px, Decimal) for px in typed.values())  # decoded from the strings


async def test_universe_gives_the_main_dex_and_hip3_asset_ids() -> None:
    async with running_venue() as venue:
        universe = await venue.info.universe(DEXES)
        assert universe.asset("BTC") == 0 and universe.asset("SOL") == 2
        assert universe.asset("xyz:TSLA") == 110_000 and universe.asset("xyz:NVDA") == 110_001
        assert universe.asset("flx:GOLD") == 120_000
        assert universe.market("xyz:NVDA").only_isolated


async def test_orders_on_the_main_and_a_hip3_dex_return_typed_results() -> None:
    async with running_venue() as venue:
        ex = venue.exchange()
        cloid = Cloid.from_int(1)
        resting_btc, resting_tsla, bad_tick = await ex.place_orders(
            [
                venue.maker("BTC", True),
                _with_cloid(venue.maker("xyz:TSLA", False), cloid),
                PlaceOrder("BTC", Side.BUY, Decimal("60000.05"), Decimal("0.001")),
            ]
        )
        assert isinstance(resting_btc, Resting) and resting_btc.cloid is not None
        assert isinstance(resting_tsla, Resting) and resting_tsla.cloid == cloid
        assert isinstance(bad_tick, Rejected) and "price" in bad_tick.error.lower()
        assert [o.oid for o in await venue.info.open_orders(ACCOUNT, "xyz")] == [resting_tsla.oid]
        assert [o.oid for o in await venue.info.open_orders(ACCOUNT)] == [resting_btc.oid]

        [filled_btc, filled_tsla] = await ex.place_orders(
            [venue.taker("BTC", True), venue.taker("xyz:TSLA", False)]
        )
        assert isinstance(filled_btc, Filled) and filled_btc.total_sz > 0
        assert isinstance(filled_tsla, Filled) and filled_tsla.avg_px is not None
        main = await venue.info.account_snapshot(ACCOUNT, "")
        xyz = await venue.info.account_snapshot(ACCOUNT, "xyz")
        assert set(main.positions) == {"BTC"} and set(xyz.positions) == {"xyz:TSLA"}
        assert main.positions["BTC"].szi == filled_btc.total_sz
        assert xyz.positions["xyz:TSLA"].szi == -filled_tsla.total_sz
        fills = await venue.info.user_fills(ACCOUNT)
        assert {f.coin for f in fills} == {"BTC", "xyz:TSLA"}
        assert [f.time for f in fills] == sorted(f.time for f in fills)

        assert isinstance(await ex.cancel_by_cloid("xyz:TSLA", cloid), CancelSuccess)
        assert isinstance(await ex.cancel("BTC", resting_btc.oid), CancelSuccess)
        again = await ex.cancel("BTC", resting_btc.oid)
        assert isinstance(again, Rejected)
        update = await venue.info.order_update(ACCOUNT, cloid)
        assert update is not None and update.order_status is OrderStatus.CANCELLED


def _with_cloid(order: PlaceOrder, cloid: Cloid) -> PlaceOrder:
    return attrs.evolve(order, cloid=cloid)


async def test_modify_replaces_the_order_and_cancel_all_works_per_dex() -> None:
    async with running_venue() as venue:
        ex = venue.exchange()
        [first] = await ex.place_orders([venue.maker("xyz:TSLA", True)])
        assert isinstance(first, Resting)
        new = _with_cloid(venue.order("xyz:TSLA", True, "60", "-0.06"), Cloid.from_int(99))
        modified = await ex.modify(first.oid, new)
        assert isinstance(modified, Resting) and modified.cloid == Cloid.from_int(99)
        [still_open] = await venue.info.open_orders(ACCOUNT, "xyz")
        assert Decimal(still_open.limit_px) == new.limit_px
        await ex.place_orders([venue.maker("BTC", True), venue.maker("BTC", False)])
        assert await ex.cancel_all(dex="xyz") == 1
        assert len(await venue.info.open_orders(ACCOUNT)) == 2
        assert await ex.cancel_all(["BTC"]) == 2
        assert venue.truth()["orders"] == 0


async def test_an_agent_wallet_trades_for_its_master_and_a_vault_for_its_leader() -> None:
    async with running_venue() as venue:
        master = venue.exchange()
        agent_key = PrivateKey.from_hex("0x" + "a9" * 32)
        await master.approve_agent(agent_key.address, "bot")
        agent = venue.exchange(key=agent_key, nonces=NonceGenerator())
        assert agent.signer_address == agent_key.address != agent.user == ACCOUNT
        [placed] = await agent.place_orders([venue.maker("xyz:TSLA", True)])
        assert isinstance(placed, Resting)
        assert [o.oid for o in await venue.info.open_orders(ACCOUNT, "xyz")] == [placed.oid]
        assert await venue.info.open_orders(agent_key.address, "xyz") == []

        vault = venue.sim.exchange.create_vault(ACCOUNT, "sub one")  # type: ignore[attr-defined]
        for_vault = venue.exchange(vault_address=vault)
        [in_vault] = await for_vault.place_orders([venue.taker("BTC", True)])
        assert isinstance(in_vault, Filled)
        positions = await venue.info.account_snapshot(vault, "")
        assert positions.positions["BTC"].szi == in_vault.total_sz
        assert "BTC" not in (await venue.info.account_snapshot(ACCOUNT, "")).positions


async def test_expires_after_is_signed_and_an_expired_action_is_refused() -> None:
    async with running_venue() as venue:
        ex = venue.exchange(expires_after_ms=30_000)
        [ok] = await ex.place_orders([venue.maker("BTC", True)])
        assert isinstance(ok, Resting)
        now_ms = venue.sim.exchange.truth()["time"]
        stale = venue.exchange(
            expires_after_ms=1_000, nonces=NonceGenerator(lambda: now_ms - 60_000)
        )
        with pytest.raises(ExchangeError):
            await stale.place_orders([venue.maker("BTC", True)])
        assert venue.truth()["orders"] == 1


async def test_concurrent_senders_over_http_and_ws_get_unique_nonces_all_accepted() -> None:
    async with running_venue() as venue, venue.ws() as ws:
        over_http = venue.exchange()
        over_ws = venue.exchange(ws=ws)  # same NonceGenerator: one signer
        results: list[object] = []

        async def place(client: ExchangeClient, i: int) -> None:
            results.extend(await client.place_orders([venue.maker("BTC", i % 2 == 0, "20")]))

        async with trio.open_nursery() as nursery:
            for i in range(30):
                nursery.start_soon(place, over_ws if i % 3 else over_http, i)
        assert len(results) == 30 and all(isinstance(r, Resting) for r in results)
        assert venue.truth()["orders"] == 30


async def test_ws_post_answers_info_and_actions_with_the_http_shapes() -> None:
    async with running_venue() as venue, venue.ws() as ws:
        book = await ws.post("info", {"type": "l2Book", "coin": "flx:GOLD"})
        assert book["coin"] == "flx:GOLD" and len(book["levels"]) == 2
        ex = venue.exchange(ws=ws)
        [filled] = await ex.place_orders([venue.taker("flx:GOLD", True)])
        assert isinstance(filled, Filled)
        assert ws.stats.malformed == 0 and ws.stats.unknown == 0


async def test_user_fills_subscription_snapshot_then_live_fills(tmp_path: Path) -> None:
    async with running_venue() as venue:
        ex = venue.exchange()
        [before] = await ex.place_orders([venue.taker("BTC", True)])
        assert isinstance(before, Filled)
        async with venue.ws() as ws:
            sub = await ws.subscribe({"type": "userFills", "user": ACCOUNT})
            snapshot = await next_data(sub)
            assert snapshot.is_snapshot and tids([snapshot])
            [after] = await ex.place_orders([venue.taker("xyz:TSLA", True)])
            assert isinstance(after, Filled)
            live = await next_data(sub)
            assert not live.is_snapshot
            assert {f["coin"] for f in live.data["fills"]} == {"xyz:TSLA"}
            # The exact frame rides along, and decodes in one pass to the same fills.
            assert live.raw is not None and orjson.loads(live.raw)["data"] == live.data
            decoded = decode_user_fills_frame(live.raw)
            assert decoded.fills == fills_from_json(live.data["fills"])
            assert not decoded.is_snapshot and decode_user_fills_frame(snapshot.raw).is_snapshot


async def test_a_capture_of_a_session_replays_to_the_venues_positions(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    with CaptureWriter(path) as journal:
        # A plain venue, then clients of its simulator that all write the capture.
        async with (
            running_venue() as plain,
            InfoClient(plain.sim.url, recorder=journal) as info,
            plain.ws(recorder=journal) as ws,
        ):
            universe = await info.universe(DEXES)
            sub = await ws.subscribe({"type": "userFills", "user": ACCOUNT})
            await next_data(sub)
            ex = ExchangeClient(
                plain.sim.url, KEY, ACCOUNT, universe=universe, info=info, ws=ws, mainnet=False
            )
            results = await ex.place_orders(
                [plain.taker("BTC", True), plain.taker("xyz:TSLA", False)]
            )
            results += await ex.place_orders([plain.taker("BTC", False, "30")])
            assert all(isinstance(r, Filled) for r in results)
            truth = plain.truth()
            expected = {coin: Decimal(sz) for coin, sz in truth["positions"][ACCOUNT].items()}
            seen: set[int] = set()
            while len(seen) < truth["fills"]:
                seen |= tids([await next_data(sub)])
    replayed = await replay_async(path)
    assert replayed.positions == expected
    assert replayed.malformed_lines == 0 and replayed.malformed_messages == 0


async def test_l2book_and_all_mids_subscriptions_stream_full_views() -> None:
    async with running_venue() as venue, venue.ws() as ws:
        books = await ws.subscribe({"type": "l2Book", "coin": "xyz:TSLA"})
        mids = await ws.subscribe({"type": "allMids", "dex": "xyz"})
        events = [await next_data(books) for _ in range(3)]
        times = [e.data["time"] for e in events]
        assert all(book_from_frame(e.raw) == book_from_l2(e.data) for e in events)
        assert times == sorted(times)
        assert set((await next_data(mids)).data["mids"]) == {"xyz:TSLA", "xyz:NVDA"}
        await ws.unsubscribe(books)
        with trio.fail_after(5):
            leftover = [e async for e in books]  # the iteration ends once unsubscribed
        assert all(e.channel == "l2Book" for e in leftover)


class Recorder:
    """The journal hook's signature (hip3.journal.CaptureWriter.record), kept in memory."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def record(
        self, direction: str, via: str, msg: Any, *, id: int | None = None, path: str | None = None
    ) -> None:
        self.lines.append({"dir": direction, "via": via, "msg": msg, "id": id, "path": path})


async def test_journal_hook_pairs_http_lines_by_id_and_keeps_whole_ws_messages() -> None:
    recorder = Recorder()
    async with running_venue() as venue:
        async with InfoClient(venue.sim.url, recorder=recorder) as info:
            await info.all_mids("xyz")
        out, answer = recorder.lines
        assert out["dir"] == "out" and out["path"] == "/info"
        assert out["msg"] == {"type": "allMids", "dex": "xyz"}
        assert answer["dir"] == "in" and answer["id"] == out["id"] and answer["path"] is None
        recorder.lines.clear()
        async with venue.ws(recorder=recorder) as ws:
            await ws.subscribe({"type": "allMids", "dex": "flx"})
            await ws.post("info", {"type": "allMids"})
        kinds = {
            (line["dir"], line["msg"].get("method") or line["msg"].get("channel"))
            for line in recorder.lines
        }
        assert {("out", "subscribe"), ("in", "subscriptionResponse")} <= kinds
        assert {("out", "post"), ("in", "post")} <= kinds
        assert all(line["via"] == "ws" and line["id"] is None for line in recorder.lines)


async def test_unsubscribe_ends_iteration_and_a_reconnect_does_not_resubscribe_it() -> None:
    async with running_venue(FaultConfig(disconnect_every_secs=0.2)) as venue, venue.ws() as ws:
        sub = await ws.subscribe({"type": "l2Book", "coin": "ETH"})
        await next_data(sub)
        await ws.unsubscribe(sub)
        with trio.fail_after(5):
            queued = [event async for event in sub]  # what was queued, then the iteration ends
            assert all(e.kind == "reconnected" or e.data["coin"] == "ETH" for e in queued)
            while ws.stats.reconnects < 2:
                await trio.sleep(0.05)
        # Had the reconnect resubscribed it, the venue would now say "Already subscribed".
        again = await ws.subscribe({"type": "l2Book", "coin": "ETH"})
        assert (await next_data(again)).data["coin"] == "ETH"
        assert ws.stats.errors == 0


async def test_two_clients_of_one_signer_never_send_the_same_nonce() -> None:
    """An HTTP and a second client of the same key, no generator given: placements interleaved
    as fast as they go are all accepted (the venue refuses a duplicate nonce)."""
    from hip3.clients import ExchangeClient, InfoClient, PlaceOrder
    from hip3.clients.nonce import NonceGenerator
    from hip3.signing import PrivateKey
    from hip3.sim import SimConfig, open_simulator

    key = PrivateKey.from_hex("0x" + "5e" * 32)
    async with (
        open_simulator(SimConfig(auto_accounts=True, seed=3)) as sim,
        InfoClient(sim.url) as info,
    ):
        sim.credit(key.address, Decimal(10_000))
        universe = await info.universe([""])
        first, second = (
            ExchangeClient(sim.url, key, key.address, universe=universe, info=info, mainnet=False)
            for _ in range(2)
        )
        assert first.nonces is second.nonces is NonceGenerator.for_signer(key.address)
        bid = Decimal(30_000)  # far under the market: every order rests
        results = []
        async with trio.open_nursery() as nursery:

            async def place(client: ExchangeClient) -> None:
                for _ in range(10):
                    order = PlaceOrder("BTC", Side.BUY, bid, Decimal("0.001"), tif="Alo")
                    results.extend(await client.place_orders([order]))

            nursery.start_soon(place, first)
            nursery.start_soon(place, second)
    assert len(results) == 20
    assert all(type(r).__name__ == "Resting" for r in results), results


async def test_a_ws_post_is_journaled_before_its_answer_can_be() -> None:
    # The out line is written before the message leaves, so the reader task cannot
    # journal the answer first (replay would then see the fill before the order).
    lines: list[tuple[str, Any]] = []

    class Recorder:
        def record(self, direction: str, via: str, msg: Any, **_: Any) -> None:
            lines.append((direction, msg))

    async with running_venue() as venue, venue.ws(recorder=Recorder()) as ws:
        for _ in range(20):
            await ws.post("info", {"type": "l2Book", "coin": "BTC"})
    posts = [
        (direction, msg["id"] if direction == "out" else msg["data"]["id"])
        for direction, msg in lines
        if msg.get("method") == "post" or msg.get("channel") == "post"
    ]
    assert len(posts) == 40
    for index, (direction, post_id) in enumerate(posts):
        if direction == "in":
            assert ("out", post_id) in posts[:index]
