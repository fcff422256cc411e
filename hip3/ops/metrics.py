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

Needs the ``metrics`` extra: ``pip install 'hip3[metrics]'``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import orjson
import trio
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hip3.ops.http import serve_http

if TYPE_CHECKING:
    from hip3.bot.bot import Bot

__all__ = ["CONTENT_TYPE", "BotCollector", "bot_health", "serve_bot_metrics"]

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

    async def refresh(self) -> None:
        """Ask the tracker actor for its counters (nothing when the bot is not running)."""
        tracker = self.bot._tracker
        if tracker is None:
            return
        stats = await tracker.stats()
        self._tracker_stats = _int_fields(stats)
        self._oldest_unconfirmed_ms = await tracker.oldest_unconfirmed_age_ms()

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
        window = bot.dead_mans_switch_secs if bot.mode.value == "trading" else None
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
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``/metrics`` and ``/healthz`` for ``bot`` until cancelled; reports the bound
    ``(host, port)`` (pass port 0 for any free one)."""
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

    await serve_http(handle, host, port, task_status=task_status)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


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
