"""OpenTelemetry spans from intent to fill on the simulator; no-ops without opentelemetry."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import trio
import trio.testing

from hip3 import tracing
from hip3.bot import Bot
from hip3.clients import ExchangeClient, InfoClient, NonceGenerator, PlaceOrder
from hip3.sim import SimConfig, SimServer
from hip3.types import Side
from tests.e2e.harness import NOISE_KEY, run_bot_on_sim, trio_clock_ms
from tests.ops.test_order_events import RestOnce

sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = sdk_trace.TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_tracer_provider(provider)
    try:
        yield exporter
    finally:
        tracing.use_tracer_provider(None)


def _named(exporter: InMemorySpanExporter, name: str) -> list[Any]:
    return [s for s in exporter.get_finished_spans() if s.name == name]


async def test_a_resting_order_is_one_trace_from_intent_to_its_fills(
    autojump_clock: trio.testing.MockClock, spans: InMemorySpanExporter
) -> None:
    done: list[bool] = []

    def placed() -> list[Any]:
        return [
            s for s in _named(spans, "hip3.intent")
            if s.attributes.get("hip3.kind") == "place"
            and s.attributes.get("hip3.status") == "resting"
        ]  # fmt: skip

    async def take(sim: SimServer, bot: Bot) -> None:
        while not placed():
            await trio.sleep(0.05)
        px = Decimal(placed()[0].attributes["hip3.px"])
        async with InfoClient(sim.url) as info:
            taker = ExchangeClient(
                sim.url, NOISE_KEY, NOISE_KEY.address, universe=await info.universe([""]),
                info=info, mainnet=False, nonces=NonceGenerator(trio_clock_ms()),
            )  # fmt: skip
            for count in (1, 2):
                await taker.place_orders(
                    [PlaceOrder("BTC", Side.SELL, px, Decimal("0.001"), tif="Ioc")]
                )
                while len(_named(spans, "hip3.fill")) < count:
                    await trio.sleep(0.05)
        done.append(True)

    await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=3, tick_ms=3_600_000),
        secs=0.5,
        strategy=RestOnce(),
        noise=False,
        during=take,
        until=lambda bot: bool(done),
    )
    (intent,) = placed()
    assert intent.attributes["hip3.coin"] == "BTC" and intent.attributes["hip3.side"] == "B"
    assert intent.attributes["hip3.sz"] == "0.002" and intent.attributes["hip3.oid"] > 0
    trace_id = intent.context.trace_id
    children = {
        s.name: s
        for s in spans.get_finished_spans()
        if s.parent is not None and s.parent.span_id == intent.context.span_id
    }
    assert {"hip3.sign", "hip3.post"} <= set(children)
    post = children["hip3.post"]
    assert [(e.name, dict(e.attributes or {})) for e in post.events] == [
        ("hip3.answer", {"status": "ok"})
    ]
    assert children["hip3.sign"].end_time <= post.start_time  # signed, then sent
    fills = [s for s in _named(spans, "hip3.fill") if s.context.trace_id == trace_id]
    assert [f.attributes["hip3.status"] for f in fills] == ["partiallyFilled", "filled"]
    assert all(f.parent is not None and f.parent.span_id == intent.context.span_id for f in fills)
    assert [f.attributes["hip3.remaining_sz"] for f in fills] == ["0.001", "0"]
    assert all(f.start_time >= post.end_time for f in fills)
    # The order ended: no context is kept for it.
    assert intent.attributes["hip3.cloid"] not in tracing._contexts


def test_without_opentelemetry_the_helpers_are_no_ops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    tracing.use_tracer_provider(None)
    try:
        calls: list[int] = []

        @tracing.traced("x")
        def work(n: int) -> int:
            calls.append(n)
            return n + 1

        assert work(1) == 2 and calls == [1]
        assert tracing._get_tracer() is None
        tracing.fill_span("0x" + "00" * 16, {"px": Decimal(1)})  # nothing, no error
        tracing.forget("0x" + "00" * 16)
    finally:
        tracing.use_tracer_provider(None)


def test_with_the_api_but_no_provider_set_up_no_span_is_made() -> None:
    from opentelemetry import trace

    tracing.use_tracer_provider(None)
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)  # none set
    assert tracing._get_tracer() is None


def test_importing_hip3_imports_no_opentelemetry() -> None:
    code = (
        "import sys, hip3.bot, hip3.clients.exchange, hip3.executor, hip3.ops.events\n"
        "print('opentelemetry' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
