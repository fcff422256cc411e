"""/metrics and /healthz of a bot trading on the simulator, scraped over real HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest
import trio
import trio.testing
from prometheus_client.parser import text_string_to_metric_families

from hip3.bot import Bot
from hip3.ops.http import serve_http
from hip3.sim import SimConfig, SimServer
from tests.e2e.harness import fills_seen, run_bot_on_sim


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


async def test_a_trading_bot_serves_metrics_that_move_and_healthz(
    autojump_clock: trio.testing.MockClock,
) -> None:
    scrapes: list[dict[Any, float]] = []
    health: list[tuple[int, dict[str, Any]]] = []

    async def scrape(sim: SimServer, bot: Bot) -> None:
        while bot.metrics_address is None or not bot.running:
            await trio.sleep(0.01)
        host, port = bot.metrics_address
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as http:
            first = await http.get("/metrics")
            assert first.status_code == 200
            assert first.headers["content-type"].startswith("text/plain")
            scrapes.append(_samples(first.text))
            answer = await http.get("/healthz")
            health.append((answer.status_code, orjson.loads(answer.content)))
            while fills_seen(bot) < 4:
                await trio.sleep(0.05)
            await trio.sleep(1.5)  # a resync tick or more after the fills
            scrapes.append(_samples((await http.get("/metrics")).text))
            assert (await http.get("/nowhere")).status_code == 404
            assert (await http.post("/metrics")).status_code == 405

    run = await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=11),
        secs=3,
        during=scrape,
        until=lambda bot: len(scrapes) == 2,
        metrics_port=0,
    )
    assert len(scrapes) == 2
    before, after = scrapes
    # The figures are the bot's own stats, read at scrape time, and they moved.
    assert _value(after, "hip3_tracker_fills_applied_total") > 0
    assert _value(after, "hip3_tracker_fills_applied_total") > _value(
        before, "hip3_tracker_fills_applied_total"
    )
    assert _value(after, "hip3_tracker_fills_applied_total") <= run.summary.fills
    assert _value(after, "hip3_executor_intents_total") > 0
    assert _value(after, "hip3_intents_total", kind="place", outcome="resting") > 0
    assert _value(after, "hip3_ws_messages_in_total") > _value(before, "hip3_ws_messages_in_total")
    assert _value(after, "hip3_tracker_snapshots_adopted_total") >= 2
    assert _value(after, "hip3_resync_ticks_total") >= 1
    assert _value(after, "hip3_ws_connected") == 1
    assert _value(after, "hip3_bot_running") == 1
    assert _value(after, "hip3_bot_info", mode="trading") == 1
    assert _value(after, "hip3_dead_mans_switch_window_seconds") == 30
    assert _value(after, "hip3_tracker_drift_events_total") == 0
    assert _value(after, "hip3_rate_limit_capacity", budget="rest") == 1200
    assert 0 <= _value(after, "hip3_rate_limit_available", budget="rest") <= 1200
    assert ("hip3_post_answers_lost_total", ()) in after
    assert ("hip3_feed_malformed_total", ()) in after
    assert ("hip3_oldest_unconfirmed_fill_age_seconds", ()) in after
    assert health == [
        (
            200,
            {
                "status": "ok",
                "running": True,
                "feeds_connected": True,
                "mode": "trading",
                "reasons": [],
            },
        )
    ]
    # Its port closed with the bot.
    host, port = run.bot.metrics_address or ("", 0)
    with pytest.raises(OSError):
        await trio.open_tcp_stream(host, port)


async def test_healthz_is_503_with_reasons_while_the_bot_is_not_running(
    autojump_clock: trio.testing.MockClock,
) -> None:
    from hip3.bot.strategies import MarketMaker, MarketMakerParams
    from hip3.ops.metrics import serve_bot_metrics

    bot = Bot(
        base_url="http://127.0.0.1:1",
        ws_url="ws://127.0.0.1:1",
        account="0x" + "11" * 20,
        markets=["BTC"],
        strategy=MarketMaker(MarketMakerParams()),
    )
    async with trio.open_nursery() as nursery:
        host, port = await nursery.start(serve_bot_metrics, bot, "127.0.0.1", 0)
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as http:
            answer = await http.get("/healthz")
            assert answer.status_code == 503
            body = answer.json()
            assert body["status"] == "unavailable"
            assert body["running"] is False and body["feeds_connected"] is False
            assert len(body["reasons"]) == 2
            # Metrics of a bot that has not started: zeros, not an error.
            samples = _samples((await http.get("/metrics")).text)
            assert _value(samples, "hip3_bot_running") == 0
            assert _value(samples, "hip3_ws_connected") == 0
            # HEAD gets the headers only; keep-alive serves the next request.
            head = await http.head("/healthz")
            assert head.status_code == 503 and head.content == b""
        nursery.cancel_scope.cancel()


async def test_the_http_server_survives_garbage_and_a_stalled_client(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async def handler(path: str) -> tuple[int, str, bytes]:
        return 200, "text/plain", path.encode()

    async with trio.open_nursery() as nursery:
        host, port = await nursery.start(serve_http, handler, "127.0.0.1", 0)
        garbage = await trio.open_tcp_stream(host, port)
        await garbage.send_all(b"\x00\x01 not http at all\r\n\r\n")
        assert (await garbage.receive_some(100)) in (b"",)  # closed, nothing sent
        stalled = await trio.open_tcp_stream(host, port)
        await stalled.send_all(b"GET /a HTTP/1.1\r\n")  # never finishes its headers
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as http:
            answer = await http.get("/x?y=1")
            assert answer.status_code == 200 and answer.text == "/x"
        await trio.sleep(11)  # past the read timeout: the stalled one is dropped
        assert await stalled.receive_some(100) == b""
        await garbage.aclose()
        await stalled.aclose()
        nursery.cancel_scope.cancel()


def test_the_metrics_section_of_a_config() -> None:
    from hip3.config import ConfigError, config_from_dict

    assert config_from_dict({}).metrics.port is None  # off by default
    config = config_from_dict({"metrics": {"port": 9464}})
    assert (config.metrics.port, config.metrics.host) == (9464, "127.0.0.1")
    for bad, key in (
        ({"port": "x"}, "metrics.port"),
        ({"port": 70000}, "metrics.port"),
        ({"prot": 1}, "metrics.prot"),
        ({"host": 1}, "metrics.host"),
    ):
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            config_from_dict({"metrics": bad})


def test_build_bot_passes_the_metrics_port() -> None:
    from hip3.app.run import build_bot
    from hip3.bot.settings import MetricsSettings
    from hip3.config import config_from_dict

    config = config_from_dict(
        {"mode": "observe", "markets": ["BTC"], "metrics": {"port": 0, "host": "0.0.0.0"}}
    )
    endpoint = type(
        "E", (), {"http_url": "http://127.0.0.1:9", "ws_url": "ws://127.0.0.1:9", "mainnet": False}
    )()
    bot = build_bot(
        config, endpoint=endpoint, key=None, account="0x" + "11" * 20, universe=None, journal=None
    )
    assert bot.settings.metrics == MetricsSettings(port=0, host="0.0.0.0")


async def test_request_budget_gates_pnl_and_fees_per_token_are_scraped(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A bot trading BTC (USDC) and xyz:TSLA: the address's request budget, the gates'
    refusals, the dead-man's switch and PnL/fees per collateral token, over HTTP."""
    from hip3.app.monitor import FillMonitor
    from hip3.clients import InfoClient

    monitor = FillMonitor()
    seen: dict[str, Any] = {}

    async def scrape(sim: SimServer, bot: Bot) -> None:
        while bot.metrics_address is None or not bot.running:
            await trio.sleep(0.01)
        host, port = bot.metrics_address
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as http:
            while fills_seen(bot) < 3:
                await trio.sleep(0.05)
            # Stop trading: the kill switch cancels every order; later intents are refused
            # by its gate. Then nothing fills any more and the figures stand still.
            await bot.kill("test: freeze the figures")
            await trio.sleep(2)
            text = (await http.get("/metrics")).text
            seen["samples"] = _samples(text)
            seen["fees"] = dict(monitor.fees)
            seen["pnl"] = dict(monitor.realized_pnl)
            seen["rejections"] = {k: dict(v) for k, v in bot.ledger.rejections.items()}
            async with InfoClient(sim.url) as info:
                seen["budget"] = await info.user_rate_limit(bot.user)

    await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=5, schedule_cancel_min_volume=Decimal(0)),
        secs=3,
        during=scrape,
        until=lambda bot: "samples" in seen,
        metrics_port=0,
        journal=monitor,
    )
    samples = seen["samples"]
    # The venue's request budget for the address, asked by the metrics task.
    budget = seen["budget"]
    used = _value(samples, "hip3_request_budget_used")
    cap = _value(samples, "hip3_request_budget_cap")
    assert 1 <= used <= budget.n_requests_used
    assert 10_000 <= cap <= budget.n_requests_cap
    assert _value(samples, "hip3_request_budget_surplus") == 0
    assert _value(samples, "hip3_account_volume_usd") >= 0
    assert _value(samples, "hip3_request_budget_age_seconds") >= 0
    assert _value(samples, "hip3_request_budget_errors_total") == 0
    # The client's gates: every gate has a series; the counts are the ledger's.
    gate_counts: dict[str, int] = {}
    for reasons in seen["rejections"].values():
        for why, count in reasons.items():
            if why.startswith("gate "):
                gate_counts[why[5:]] = gate_counts.get(why[5:], 0) + count
    for gate in ("kill_switch", "rate_limit", "stale_data", "max_position"):
        assert _value(samples, "hip3_gate_rejections_total", gate=gate) == gate_counts.get(gate, 0)
    assert _value(samples, "hip3_gate_rejections_total", gate="kill_switch") > 0
    assert _value(samples, "hip3_rate_limit_reserve") == 0
    # The positions were checked against the venue at start (the baseline) and since.
    assert 0 <= _value(samples, "hip3_positions_confirmed_age_seconds") <= 60
    # The venue accepts the dead-man's switch (its $1M volume gate is off here).
    assert _value(samples, "hip3_dead_mans_switch_protected") == 1
    # PnL and fees per collateral token, exactly the monitor's, token by token.
    assert seen["fees"], "the run had fills"
    for token, amount in seen["fees"].items():
        assert _value(samples, "hip3_fees", token=token) == float(amount)
    for token, amount in seen["pnl"].items():
        assert _value(samples, "hip3_realized_pnl", token=token) == float(amount)
    labelled = {dict(labels)["token"] for (name, labels) in samples if name == "hip3_fees"}
    assert labelled == set(seen["fees"])


async def test_the_rate_limit_gate_refusals_are_counted(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A reserve above the client's whole budget: the rate_limit gate refuses every order,
    and /metrics says so (and the reserve), while the budget is still asked of the venue."""
    from hip3.risk import RiskLimits

    seen: dict[str, Any] = {}

    async def scrape(sim: SimServer, bot: Bot) -> None:
        while bot.metrics_address is None or not bot.running:
            await trio.sleep(0.01)
        host, port = bot.metrics_address
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as http:
            while True:  # until a rejection and the first budget answer are both in
                samples = _samples((await http.get("/metrics")).text)
                if bot.ledger.rejections and ("hip3_request_budget_cap", ()) in samples:
                    break
                await trio.sleep(0.1)
            seen["samples"] = samples

    await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=6),
        secs=1,
        during=scrape,
        until=lambda bot: "samples" in seen,
        metrics_port=0,
        risk_limits=RiskLimits(min_rate_budget=1e9),
    )
    samples = seen["samples"]
    assert _value(samples, "hip3_gate_rejections_total", gate="rate_limit") >= 1
    assert _value(samples, "hip3_rate_limit_reserve") == 1e9
    assert _value(samples, "hip3_tracker_fills_applied_total") == 0
    assert _value(samples, "hip3_request_budget_cap") >= 10_000
