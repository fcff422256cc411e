"""Prometheus metrics and ``/healthz`` for a running :class:`~hip3.bot.Bot`.

Nothing is counted twice: :class:`BotCollector` reads the bot's own stats objects
(tracker, executor, ws client, feeds, resync, FillWatch, rate limiter) when scraped,
into a registry of the bot's own (never prometheus-client's global one), and
:func:`serve_bot_metrics` serves it with :func:`prometheus_client.generate_latest`
from a trio task in the bot's nursery -- prometheus-client's thread server is not used.

The tracker lives in an actor: its stats are asked for (``await``) just before each
scrape renders, so a scrape shows the tracker as of that moment.

``/healthz`` answers 200 when the bot is running (started, not stopping) and its
websocket is connected, 503 otherwise; the JSON body says which.

The venue's request budget of the address (``userRateLimit``: requests used, the cap
its volume earns) costs a request to know, so it is not asked at scrape time: a task
beside the server asks every ``budget_every_secs`` (60 s by default) while the bot
runs, and scrapes show the latest answer with its age.

Needs the ``metrics`` extra: ``pip install 'hip3[metrics]'``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import orjson
import trio
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hip3.errors import Hip3Error
from hip3.ops.http import serve_http
from hip3.risk.gates import GATES

if TYPE_CHECKING:
    from hip3.bot.bot import Bot
    from hip3.wire.models import UserRateLimit

__all__ = [
    "BUDGET_EVERY_SECS",
    "CONTENT_TYPE",
    "BotCollector",
    "bot_health",
    "serve_bot_metrics",
]

log = logging.getLogger(__name__)

#: How often the address's request budget (``userRateLimit``) is asked while the bot runs.
BUDGET_EVERY_SECS = 60.0
_BUDGET_TIMEOUT_SECS = 10.0

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: TrackerStats fields that are levels, not running counts.
_TRACKER_GAUGES = frozenset(
    {"dedup_size", "dedup_capacity", "open_orders", "tracked_orders", "unconfirmed_orders"}
)


class BotCollector(Collector):
    """Reads one bot's stats at scrape time. Call :meth:`refresh` (async) before a scrape
    so the tracker's figures are current; the rest is read during :meth:`collect`."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._tracker_stats: dict[str, float] = {}
        self._oldest_unconfirmed_ms: int | None = None
        self._last_drift_ms: int | None = None  # the newest unexplained drift event's time
        #: the latest ``userRateLimit`` answer and when (trio time) it came
        self.budget: UserRateLimit | None = None
        self._budget_at: float | None = None
        self.budget_errors = 0

    async def refresh(self) -> None:
        """Ask the tracker actor for its counters (nothing when the bot is not running)."""
        tracker = self.bot._tracker
        if tracker is None:
            return
        stats = await tracker.stats()
        self._tracker_stats = _int_fields(stats)
        self._oldest_unconfirmed_ms = await tracker.oldest_unconfirmed_age_ms()
        unexplained = [e.time_ms for e in await tracker.drift_events() if not e.explained]
        self._last_drift_ms = max(unexplained, default=None)

    async def poll_request_budget(
        self,
        every_secs: float = BUDGET_EVERY_SECS,
        *,
        timeout_secs: float = _BUDGET_TIMEOUT_SECS,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Ask the venue for the address's request budget every ``every_secs`` while the
        bot runs (until cancelled); a failed or slow answer is counted, never raised."""
        task_status.started()
        while True:
            info = self.bot._info
            if self.bot.running and info is not None:
                try:
                    with trio.fail_after(timeout_secs):
                        self.budget = await info.user_rate_limit(self.bot.user)
                    self._budget_at = trio.current_time()
                except (Hip3Error, trio.TooSlowError) as exc:
                    self.budget_errors += 1
                    log.debug("userRateLimit for the metrics failed: %s", exc)
                await trio.sleep(every_secs)
            else:
                await trio.sleep(min(every_secs, 0.5))  # not running yet: look again soon

    def collect(self) -> Iterator[Metric]:
        bot = self.bot
        mode = GaugeMetricFamily("hip3_bot_info", "The bot's mode (always 1)", labels=["mode"])
        mode.add_metric([bot.mode.value], 1)
        yield mode
        yield _gauge(
            "hip3_bot_running",
            "1 while the bot runs (started, not stopping)",
            1 if bot.running else 0,
        )
        yield from self._tracker()
        yield from self._executor()
        yield from self._ws()
        yield from self._resync()
        yield from self._rate_limits()
        yield from self._request_budget()
        yield from self._pnl()
        window = bot.settings.risk.dead_mans_switch_secs if bot.mode.value == "trading" else None
        yield _gauge(
            "hip3_dead_mans_switch_window_seconds",
            "The scheduleCancel window the bot keeps armed (0: not armed by this bot)",
            window or 0,
        )
        switch = bot.dead_mans_switch
        yield _gauge(
            "hip3_dead_mans_switch_protected",
            "1 while the venue accepts the bot's scheduleCancel; 0: UNPROTECTED (refused), "
            "arming, or no switch kept",
            1 if switch is not None and switch.status.protected else 0,
        )

    def _tracker(self) -> Iterator[Metric]:
        for name, value in sorted(self._tracker_stats.items()):
            if name in _TRACKER_GAUGES:
                yield _gauge(f"hip3_tracker_{name}", f"tracker {name.replace('_', ' ')}", value)
            else:
                yield _counter(f"hip3_tracker_{name}", f"tracker {name.replace('_', ' ')}", value)
        age = self._oldest_unconfirmed_ms
        yield _gauge(
            "hip3_oldest_unconfirmed_fill_age_seconds",
            "How long the oldest fill the venue reported but the bot has not received "
            "has been missing (0: none missing)",
            (age or 0) / 1000,
        )

    def _executor(self) -> Iterator[Metric]:
        bot = self.bot
        for name, value in sorted(_int_fields(bot.executor_stats).items()):
            yield _counter(f"hip3_executor_{name}", f"executor {name.replace('_', ' ')}", value)
        intents = CounterMetricFamily(
            "hip3_intents", "Intents ended, by kind and outcome", labels=["kind", "outcome"]
        )
        for kind, by_status in sorted(bot.ledger.intents_json().items()):
            for label, count in sorted(by_status.items()):
                intents.add_metric([kind, label], count)
        yield intents
        outcomes = CounterMetricFamily(
            "hip3_intent_outcomes", "Intents ended, by outcome", labels=["outcome"]
        )
        for status, count in bot.outcome_counts.items():
            outcomes.add_metric([status.value], count)
        yield outcomes
        client = bot._exchange_client
        yield _counter(
            "hip3_post_answers_lost",
            "Orders whose post answer never came (resolved by cloid)",
            client.unknown_outcomes if client is not None else 0,
        )
        yield _counter(
            "hip3_fill_deliveries",
            "Fills the feeds handed over, duplicates and snapshot replays included",
            bot.fill_deliveries,
        )
        yield _counter(
            "hip3_backfilled_fills", "Fills fetched over REST before resyncs", bot._backfilled
        )

    def _ws(self) -> Iterator[Metric]:
        bot = self.bot
        ws = bot._ws
        yield _gauge(
            "hip3_ws_connected",
            "1 while the websocket is connected",
            1 if ws is not None and ws.connected else 0,
        )
        if ws is not None:
            stats = ws.stats
            for name, value in sorted(_int_fields(stats).items()):
                yield _counter(f"hip3_ws_{name}", f"websocket {name.replace('_', ' ')}", value)
            dropped = CounterMetricFamily(
                "hip3_ws_dropped_events",
                "Events dropped for slow consumers, by channel",
                labels=["channel"],
            )
            for channel, count in sorted(stats.dropped.items()):
                dropped.add_metric([channel], count)
            yield dropped
        feeds = bot._feeds
        yield _counter(
            "hip3_feed_malformed",
            "Feed messages that could not be decoded (counted and skipped)",
            feeds.malformed if feeds is not None else 0,
        )

    def _resync(self) -> Iterator[Metric]:
        bot = self.bot
        if bot._resync is not None:
            for name, value in sorted(_int_fields(bot._resync.stats).items()):
                yield _counter(f"hip3_resync_{name}", f"resync {name.replace('_', ' ')}", value)
            adopted_at = bot._resync.last_adopted_at
            if adopted_at is not None:
                yield _gauge(
                    "hip3_positions_confirmed_age_seconds",
                    "Seconds since a venue snapshot was last adopted: the longest a position "
                    "that differs from the venue's could have gone unseen",
                    trio.current_time() - adopted_at,
                )
        if self._last_drift_ms is not None:
            yield _gauge(
                "hip3_drift_age_seconds",
                "Seconds since the latest unexplained drift (a resync found a position "
                "differing from the tracker's, not accounted for by late fills)",
                max(0, bot.clock_ms() - self._last_drift_ms) / 1000,
            )
        if bot._fill_watch is not None:
            for name, value in sorted(_int_fields(bot._fill_watch.stats).items()):
                yield _counter(
                    f"hip3_fillwatch_{name}", f"fill watch {name.replace('_', ' ')}", value
                )

    def _rate_limits(self) -> Iterator[Metric]:
        info = self.bot._info
        if info is None:
            return
        limiter = info.limiter
        available = GaugeMetricFamily(
            "hip3_rate_limit_available",
            "Tokens left in the client-side budget (rest: request weight per minute; "
            "ws_messages: messages per minute)",
            labels=["budget"],
        )
        capacity = GaugeMetricFamily(
            "hip3_rate_limit_capacity", "The budget's capacity", labels=["budget"]
        )
        waited = CounterMetricFamily(
            "hip3_rate_limit_waited_seconds",
            "Time spent waiting for the budget",
            labels=["budget"],
        )
        for name, bucket in (("rest", limiter.rest), ("ws_messages", limiter.ws_messages)):
            available.add_metric([name], max(bucket.available, 0.0))
            capacity.add_metric([name], bucket.capacity)
            waited.add_metric([name], bucket.waited_secs)
        yield available
        yield capacity
        yield waited

    def _request_budget(self) -> Iterator[Metric]:
        bot = self.bot
        gates = CounterMetricFamily(
            "hip3_gate_rejections",
            "Intents the bot's risk gates refused before sending, by gate (rate_limit: the "
            "client-side request budget would fall below the reserve)",
            labels=["gate"],
        )
        by_gate = dict.fromkeys(GATES, 0)
        for reasons in bot.ledger.rejections.values():
            for why, count in reasons.items():
                if why.startswith("gate "):
                    gate = why.removeprefix("gate ")
                    by_gate[gate] = by_gate.get(gate, 0) + count
        for gate, count in by_gate.items():
            gates.add_metric([gate], count)
        yield gates
        yield _gauge(
            "hip3_rate_limit_reserve",
            "Request weight the rate_limit gate keeps in reserve (orders are refused below it)",
            bot.settings.risk.limits.min_rate_budget,
        )
        yield _counter(
            "hip3_request_budget_errors",
            "userRateLimit questions that failed or timed out",
            self.budget_errors,
        )
        budget = self.budget
        if budget is None or self._budget_at is None:
            return  # not asked yet: no figures rather than made-up zeros
        yield _gauge(
            "hip3_request_budget_used",
            "Requests the venue counts against the address (userRateLimit nRequestsUsed)",
            budget.n_requests_used,
        )
        yield _gauge(
            "hip3_request_budget_cap",
            "The address's request cap (nRequestsCap: a base plus one per USD traded)",
            budget.n_requests_cap,
        )
        if budget.n_requests_surplus is not None:
            yield _gauge(
                "hip3_request_budget_surplus",
                "Requests above the cap the venue still allows (nRequestsSurplus)",
                budget.n_requests_surplus,
            )
        yield _gauge(
            "hip3_account_volume_usd",
            "The address's cumulative traded volume (userRateLimit cumVlm)",
            _float(budget.cum_vlm),
        )
        yield _gauge(
            "hip3_request_budget_age_seconds",
            "How old the request budget figures are",
            max(trio.current_time() - self._budget_at, 0.0),
        )

    def _pnl(self) -> Iterator[Metric]:
        # The fill monitor the app layer passes as the bot's journal keeps PnL and fees
        # per collateral token (USDC, USDH, ...); amounts of different tokens never add.
        monitor = self.bot.journal
        realized = getattr(monitor, "realized_pnl", None)
        fees = getattr(monitor, "fees", None)
        if not isinstance(realized, Mapping) or not isinstance(fees, Mapping):
            return
        pnl = GaugeMetricFamily(
            "hip3_realized_pnl",
            "Realised PnL of the fills this run, per collateral token",
            labels=["token"],
        )
        for token, amount in sorted(realized.items()):
            pnl.add_metric([token], _float(amount))
        yield pnl
        paid = GaugeMetricFamily(
            "hip3_fees", "Fees paid this run (negative: rebates), per token", labels=["token"]
        )
        for token, amount in sorted(fees.items()):
            paid.add_metric([token], _float(amount))
        yield paid


def bot_health(bot: Bot) -> tuple[bool, dict[str, Any]]:
    """(healthy, the JSON body): running and its websocket connected."""
    ws = bot._ws
    connected = ws is not None and ws.connected
    reasons = []
    if not bot.running:
        reasons.append("the bot is not running (starting, stopping or stopped)")
    if not connected:
        reasons.append("the websocket feeds are not connected")
    healthy = not reasons
    body = {
        "status": "ok" if healthy else "unavailable",
        "running": bot.running,
        "feeds_connected": connected,
        "mode": bot.mode.value,
        "reasons": reasons,
    }
    return healthy, body


async def serve_bot_metrics(
    bot: Bot,
    host: str = "127.0.0.1",
    port: int = 9464,
    *,
    budget_every_secs: float = BUDGET_EVERY_SECS,
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``/metrics`` and ``/healthz`` for ``bot`` until cancelled; reports the bound
    ``(host, port)`` (pass port 0 for any free one). The request budget is asked every
    ``budget_every_secs`` while the bot runs."""
    registry = CollectorRegistry(auto_describe=False)
    collector = BotCollector(bot)
    registry.register(collector)

    async def handle(path: str) -> tuple[int, str, bytes]:
        if path == "/metrics":
            await collector.refresh()
            return 200, CONTENT_TYPE, generate_latest(registry)
        if path == "/healthz":
            healthy, body = bot_health(bot)
            return (200 if healthy else 503), "application/json", orjson.dumps(body) + b"\n"
        return 404, "text/plain; charset=utf-8", b"not found: try /metrics or /healthz\n"

    async with trio.open_nursery() as nursery:
        await nursery.start(collector.poll_request_budget, budget_every_secs)
        await serve_http(handle, host, port, task_status=task_status)
        nursery.cancel_scope.cancel()


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


def _float(value: Any) -> float:
    """A venue amount (Decimal or its text) as the float Prometheus carries."""
    return float(value if isinstance(value, Decimal | float | int) else Decimal(str(value)))


def _int_fields(stats: Any) -> dict[str, float]:
    """The numeric fields of a stats object (attrs class or mapping); text ones left out."""
    if stats is None:
        return {}
    items = stats.items() if isinstance(stats, Mapping) else attrs.asdict(stats).items()
    return {
        k: v
        for k, v in items
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    }
