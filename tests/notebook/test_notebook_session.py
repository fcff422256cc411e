"""hip3.notebook: blocking calls on a simulator, plain objects, records, bots, replay, no leaks."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pytest

import hip3.notebook as hn
from hip3.errors import Hip3Error

BOT = {
    "mode": "trading",
    "network": "sim",
    "markets": ["BTC", "xyz:TSLA"],
    "position_resync_interval_secs": 1,
    "strategy": {
        "interval_secs": 0.2,
        "params": {"half_spread_bps": 1, "order_notional_usd": 200, "tif": "Gtc"},
    },
}


def _hip3_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("hip3")]


def test_session_reads_trades_and_closes_without_leaking_threads() -> None:
    before = threading.active_count()
    with hn.connect("sim") as s:
        assert s.sim is not None and s.url.startswith("http://127.0.0.1:")
        book = s.book("BTC")
        assert book.best_bid is not None and book.best_ask is not None
        assert book.best_bid < book.best_ask and book.mid is not None
        rows = book.records()
        assert {r["side"] for r in rows} == {"bid", "ask"} and isinstance(rows[0]["px"], float)

        through = (book.best_ask * Decimal("1.01")).quantize(Decimal(1))
        filled = s.place("BTC", "buy", "0.001", through, tif="Ioc")
        assert filled.status == "filled" and filled.filled_sz == Decimal("0.001")
        tsla = s.book("xyz:TSLA")
        assert tsla.best_bid is not None
        low = (tsla.best_bid * Decimal("0.9")).quantize(Decimal("0.01"))
        resting = s.place("xyz:TSLA", "buy", "1", low)
        assert resting.status == "resting" and resting.oid is not None

        positions = s.positions()
        assert [(p.coin, p.size) for p in positions] == [("BTC", Decimal("0.001"))]
        assert positions.records()[0]["size"] == 0.001
        assert positions.records(exact=True)[0]["size"] == Decimal("0.001")
        fills = s.fills()
        assert [(f.coin, f.side, f.sz) for f in fills] == [("BTC", "buy", Decimal("0.001"))]
        assert [o.oid for o in s.open_orders()] == [resting.oid]

        assert s.cancel("xyz:TSLA", oid=resting.oid).status == "cancelled"
        assert s.open_orders() == []
        again = s.cancel("xyz:TSLA", oid=resting.oid)
        assert again.status == "rejected" and again.error
        rejected = s.place("BTC", "buy", "0.001", "1")  # far from the mark: the venue refuses
        assert rejected.status == "rejected" and rejected.error
    assert not _hip3_threads()
    assert threading.active_count() == before
    with pytest.raises(Hip3Error, match="closed"):
        s.book("BTC")


def test_bot_runs_in_the_background_and_stops_with_a_summary(tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    with hn.connect("sim") as s:
        bot = s.start_bot({**BOT, "journal": {"path": str(capture)}})
        assert bot.running and bot.account == s.address
        state = bot.state()
        assert state.mode == "trading"
        import time

        time.sleep(2.5)
        assert bot.state().orders.placed > 0
        summary = bot.stop()
        assert not bot.running
        assert summary.positions_match and summary.drift_events == 0
        # the bot traded the session's own account on the session's simulator
        session_positions = {p.coin: p.size for p in s.positions()}
        assert session_positions == summary.exchange_positions
        with pytest.raises(Hip3Error, match="stopped"):
            bot.state()

        table = s.replay(capture)
    assert table.positions == summary.positions
    rows = table.records()
    assert len(rows) > 10
    kinds = {r["kind"] for r in rows}
    assert "userFills" in kinds or "orderUpdates" in kinds
    assert {"line", "t_ms", "dir", "via", "kind", "coins", "n_fills"} <= set(rows[0])
    assert table.summary()["positions"] == {
        coin: format(sz.normalize(), "f") for coin, sz in summary.positions.items()
    }
    # replay without a session gives the same table
    assert hn.replay(capture).positions == table.positions
    assert not _hip3_threads()


def test_closing_a_session_stops_its_running_bot() -> None:
    s = hn.connect("sim")
    bot = s.start_bot(BOT)
    s.close()
    assert not bot.running
    assert bot.summary is not None and bot.summary.positions_match
    s.close()  # idempotent
    assert not _hip3_threads()


def test_a_bad_bot_config_raises_at_start_and_the_session_lives_on() -> None:
    with hn.connect("sim") as s:
        with pytest.raises(Hip3Error, match=r"markets\[0\]"):
            s.start_bot({**BOT, "markets": ["xyz:NOPE"]})
        assert s.book("BTC").best_bid is not None


def test_read_only_session_refuses_to_trade() -> None:
    with hn.connect("sim") as s, hn.connect(s.url, address=s.address) as viewer:
        assert viewer.positions() == []
        with pytest.raises(Hip3Error, match="no key"):
            viewer.place("BTC", "buy", "0.001", "60000")


def test_bad_arguments_are_hip3_errors() -> None:
    with pytest.raises(Hip3Error, match="network: must be"):
        hn.connect("devnet")
    with hn.connect("sim") as s:
        with pytest.raises(Hip3Error, match="side must be"):
            s.place("BTC", "up", "0.001", "60000")
        with pytest.raises(Hip3Error, match="exactly one"):
            s.cancel("BTC")


def test_bot_with_a_duration_stops_by_itself() -> None:
    with hn.connect("sim") as s:
        bot = s.start_bot(BOT, duration=1.5)
        summary = bot.wait(timeout_secs=60)
        assert not bot.running
        assert summary.duration_secs >= 1.5 and summary.positions_match
        assert bot.stop() is summary  # stopping a finished bot just returns its summary
