"""run_from_config: a validated :class:`~hip3.config.Config` -> a running :class:`~hip3.bot.Bot`.

This is the assembly the CLI (``hip3 trade``) and the notebook facade share:

1. the venue: for ``network = "sim"`` the embedded simulator is started in-process on a
   free loopback port (``hip3.sim.open_simulator``) and stopped with the run; otherwise
   the testnet/mainnet presets or the configured URLs;
2. the key: from ``account.key_env`` / ``account.key_file``; on the simulator with none
   configured, a throwaway key generated now (it exists only in this process and is
   never printed); the traded account is ``account.address`` or the key's own;
3. the markets are checked against the venue's universe (an unknown coin is a
   :class:`~hip3.errors.ConfigError` naming ``markets[i]``), then the bot is built with
   the strategy, risk limits, resync interval, dedup capacity and journal of the config;
4. it runs until ``duration`` passes, :meth:`RunningBot.stop` is called, or the caller is
   cancelled (then nothing more is sent: the venue's dead man's switch cancels the
   orders); a clean stop cancels the open orders, offers a final resync and asks the
   exchange for its positions (``clearinghouseState`` per dex);
5. the result is a :class:`~hip3.app.summary.TradeSummary`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import secrets
import time
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal
from typing import Any

import attrs
import trio

from hip3.app.divergence import DivergenceMeter, sample_divergence
from hip3.app.monitor import FillMonitor
from hip3.app.summary import LiveState, OrderCounts, TradeSummary
from hip3.bot import Book, Bot, BotSummary, Mode, Strategy, StrategyContext
from hip3.bot.strategies import MarketMaker
from hip3.clients import MAINNET, TESTNET, InfoClient, MessageRecorder, Network, NotSentError
from hip3.config import Config, check_runnable, resolve_private_key
from hip3.domain import AccountSnapshot, Fill
from hip3.errors import (
    ConfigError,
    ExchangeError,
    Hip3Error,
    StopTimeoutError,
    TransportError,
)
from hip3.executor import Intent
from hip3.journal import CaptureWriter
from hip3.signing import PrivateKey
from hip3.sim import SimServer, open_simulator
from hip3.universe import Universe

__all__ = ["Endpoint", "RunningBot", "endpoint_for", "open_venue", "run_from_config"]

log = logging.getLogger(__name__)

OnUpdate = Callable[[LiveState], None]


#: Where a venue answers: the same class as :class:`hip3.clients.Network` (``name`` is
#: sim, testnet, mainnet or custom), kept under this name for the app's callers.
Endpoint = Network


def endpoint_for(config: Config) -> Network:
    """The venue of a non-sim config (the simulator's is known once it runs)."""
    net = config.network
    if net.name == "testnet":
        return TESTNET
    if net.name == "mainnet":
        return MAINNET
    if net.name == "custom" and net.http_url and net.ws_url:
        return Network("custom", net.http_url, net.ws_url, net.mainnet)
    raise ConfigError(
        f"network {net.name!r} has no fixed endpoint", file=config.source, key="network"
    )


@contextlib.asynccontextmanager
async def open_venue(
    config: Config, *, sim: SimServer | None = None, fund: str | None = None
) -> AsyncIterator[tuple[Network, SimServer | None]]:
    """The config's venue as (endpoint, simulator or None); an embedded one lives as long.

    On ``network = "sim"`` a running ``sim`` is reused, else one is started from the
    config's ``[sim]`` table. An embedded simulator refuses unknown signers as the venue
    does; ``fund`` is the account it funds at start (``[sim] accounts``), the run's own.
    """
    if config.network.name != "sim":
        yield endpoint_for(config), None
        return
    if sim is not None:
        yield _sim_network(sim), sim
        return
    sim_config = config.sim
    if fund is not None and fund.lower() not in sim_config.accounts:
        sim_config = attrs.evolve(sim_config, accounts=(*sim_config.accounts, fund.lower()))
    async with open_simulator(sim_config) as server:
        log.info("embedded simulator at %s", server.url)
        yield _sim_network(server), server


def _sim_network(server: SimServer) -> Network:
    return Network("sim", server.url, server.ws_url, mainnet=False)


def signing_key(config: Config, key: PrivateKey | str | None = None) -> PrivateKey | None:
    """The key the bot signs with: given, configured, or (simulator only) a throwaway.

    Observe and paper modes on a real network need no key when ``account.address`` is set.
    """
    if key is not None:
        return PrivateKey.coerce(key)
    acct = config.account
    if config.mode is not Mode.TRADING and acct.address and not (acct.key_env or acct.key_file):
        return None
    text = resolve_private_key(config)
    if text is None:  # the simulator: a fresh account every run
        return PrivateKey(secrets.token_bytes(32))
    return PrivateKey.from_hex(text)


def account_of(config: Config, key: PrivateKey | None) -> str:
    if config.account.address:
        return config.account.address
    if key is None:
        raise ConfigError("set account.address or a key", file=config.source, key="account")
    return key.address


class RunningBot:
    """Handle on a run started by :func:`run_from_config` (what ``task_status`` reports)."""

    def __init__(
        self,
        *,
        bot: Bot,
        config: Config,
        endpoint: Network,
        monitor: FillMonitor,
        sim: SimServer | None,
    ) -> None:
        self.bot = bot
        self.config = config
        self.endpoint = endpoint
        self.monitor = monitor
        self.sim = sim
        self.started_at = time.monotonic()
        self.stop_requested = trio.Event()
        self.interrupted = False
        #: how long the tracker differed from the venue's truth (embedded simulator only)
        self.divergence: DivergenceMeter | None = None

    @property
    def account(self) -> str:
        return self.bot.user

    def stop(self, *, interrupted: bool = False) -> None:
        """Ask for a clean shutdown (cancel orders, final resync, summary)."""
        self.interrupted = self.interrupted or interrupted
        self.stop_requested.set()

    async def state(self) -> LiveState:
        """Positions, open orders, recent fills and counters now."""
        tracker = self.bot.tracker
        positions = {c: sz for c, sz in (await tracker.positions()).items() if sz != 0}
        open_orders = [o for o in await tracker.open_orders() if not o.status.is_terminal]
        stats = await tracker.stats()
        # The same per-order counts the final summary reports (not outcomes by status).
        orders = OrderCounts.from_tally(
            await self.bot.order_tally(),
            unknown_outcomes=self.bot.executor_stats.unknown_outcomes,
        )
        return LiveState(
            elapsed_secs=time.monotonic() - self.started_at,
            mode=self.bot.mode.value,
            account=self.account,
            positions=positions,
            open_orders=open_orders,
            recent_fills=list(self.monitor.recent),
            # paper fills never cross the wire: the tracker counts them
            fills=(stats.fills_applied if self.bot.mode is Mode.PAPER else self.monitor.fills),
            realized_pnl=dict(self.monitor.realized_pnl),
            fees=dict(self.monitor.fees),
            orders=orders,
            # The tracker's count is already net of drift later explained.
            drift_events=stats.drift_events,
            own_fills=stats.own_fills,
            foreign_fills=stats.foreign_fills,
            foreign_open_orders=sum(1 for o in open_orders if not o.own),
            unconfirmed_age_secs=_secs(await self.bot.oldest_unconfirmed_age_ms()),
            max_divergence_secs=(
                None if self.divergence is None else self.divergence.report().max_divergence_secs
            ),
            dead_mans_switch=(
                None if (dms := self.bot.dead_mans_switch) is None else dms.status.describe()
            ),
            snapshots_adopted=stats.snapshots_adopted,
            snapshots_deferred=stats.snapshots_deferred,
            duplicates_dropped=stats.duplicates_dropped,
            stopping=self.stop_requested.is_set(),
        )


def _secs(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


class QuiescingStrategy:
    """Delegates to a strategy until :meth:`quiesce`, then asks for nothing new.

    A clean stop closes the bot's market-data feed, but events already buffered for the
    strategy are still delivered and each could ask for a requote; after the stop those
    intents only lengthen the shutdown. The wrapped strategy's ``on_stop`` (cancel its
    quotes) still runs.
    """

    def __init__(self, inner: Strategy) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", type(inner).__name__)
        self.quiet = False

    def quiesce(self) -> None:
        self.quiet = True

    def on_start(self, ctx: StrategyContext) -> Sequence[Intent]:
        return self.inner.on_start(ctx)

    def on_book(self, book: Book, ctx: StrategyContext) -> Sequence[Intent]:
        return () if self.quiet else self.inner.on_book(book, ctx)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> Sequence[Intent]:
        return () if self.quiet else self.inner.on_fill(fill, ctx)

    def on_timer(self, ctx: StrategyContext) -> Sequence[Intent]:
        return () if self.quiet else self.inner.on_timer(ctx)

    def on_stop(self, ctx: StrategyContext) -> Sequence[Intent]:
        return self.inner.on_stop(ctx)


def build_bot(
    config: Config,
    *,
    endpoint: Network,
    key: PrivateKey | None,
    account: str,
    universe: Universe,
    journal: MessageRecorder | None,
) -> Bot:
    """The Bot a config describes (no I/O)."""
    params = config.strategy.params
    return Bot(
        base_url=endpoint.http_url,
        ws_url=endpoint.ws_url,
        account=account,
        markets=list(config.markets),
        strategy=QuiescingStrategy(MarketMaker(params)),
        mode=config.mode,
        key=key,
        vault_address=config.account.vault,
        mainnet=endpoint.mainnet,
        settings=config.bot_settings(),
        journal=journal,
        universe=universe,
    )


async def probe(info: InfoClient, endpoint: Network) -> None:
    """One quick request, so a venue that cannot be reached fails at once, by name.

    Only "no connection" is fatal here; a venue that answers at all (even 429 or 5xx)
    is up, and the retrying requests that follow deal with the rest.
    """
    try:
        with trio.fail_after(10):
            await info.post_json("/info", {"type": "perpDexs"})
    except (NotSentError, trio.TooSlowError) as exc:
        reason = str(exc) or type(exc).__name__
        raise TransportError(f"cannot reach the venue at {endpoint.http_url}: {reason}") from None
    except (ExchangeError, TransportError) as exc:
        log.info("venue probe: %s (continuing)", exc)


async def load_checked_universe(info: InfoClient, config: Config) -> Universe:
    """The venue's universe for the config's dexes; an unknown market is a ConfigError."""
    dexes = list(dict.fromkeys(m.split(":", 1)[0] if ":" in m else "" for m in config.markets))
    perp_dexs = await info.perp_dexs()
    known = {entry.name for entry in perp_dexs if entry is not None}
    for i, market in enumerate(config.markets):
        dex = market.split(":", 1)[0] if ":" in market else ""
        if dex and dex not in known:
            raise ConfigError(
                f"{market}: the venue has no dex {dex!r}",
                file=config.source,
                key=config.market_key(i),
            )
    universe = await info.universe(dexes)
    for i, market in enumerate(config.markets):
        if market not in universe:
            raise ConfigError(
                f"{market} is not listed on this venue",
                file=config.source,
                key=config.market_key(i),
            )
    # a cap for a token none of the markets settles in would never apply: a typo fails closed
    tokens = sorted({universe.market(coin).collateral_token for coin in config.markets})
    for token in config.risk.max_notional_per_token:
        if token not in tokens:
            raise ConfigError(
                f"no market traded settles in {token}, so this cap would never apply; "
                f"the markets' collateral tokens: {', '.join(tokens)}",
                file=config.source,
                key=f"risk.max_notional_per_token.{token}",
            )
    # the venue's rules for each market's leverage and margin, before anything is sent
    for coin, setup in config.market_setup().items():
        problem = setup.problem(universe.market(coin))
        if problem is not None:
            field, why = problem
            key = config.market_key(config.markets.index(coin)) + f".{field}"
            raise ConfigError(why, file=config.source, key=key)
    return universe


async def run_from_config(
    config: Config,
    *,
    duration: float | None = None,
    on_update: OnUpdate | None = None,
    update_interval_secs: float = 1.0,
    sim: SimServer | None = None,
    key: PrivateKey | str | None = None,
    shutdown_timeout_secs: float = 120.0,
    task_status: trio.TaskStatus[RunningBot] = trio.TASK_STATUS_IGNORED,
) -> TradeSummary:
    """Run the bot a config describes; see the module docstring.

    ``duration`` in seconds (None: until :meth:`RunningBot.stop`); ``on_update`` is called
    every ``update_interval_secs`` with a :class:`LiveState`; ``sim`` reuses a running
    simulator instead of starting one, ``key`` overrides the configured key.
    ``task_status`` reports the :class:`RunningBot` once the bot trades.
    """
    check_runnable(config, need_key=key is None)  # the same checks as `hip3 config check`
    signer = signing_key(config, key)
    account = account_of(config, signer)
    async with contextlib.AsyncExitStack() as stack:
        endpoint, server = await stack.enter_async_context(
            open_venue(config, sim=sim, fund=account)
        )
        journal = None
        if config.journal.path is not None:
            try:
                journal = stack.enter_context(CaptureWriter(config.journal.path, new_file=True))
                if journal.previous is not None:
                    log.info("the previous run's journal is kept as %s", journal.previous)
            except OSError as exc:
                raise ConfigError(
                    f"cannot open {config.journal.path}: {exc.strerror or exc}",
                    file=config.source,
                    key="journal.path",
                ) from None
        monitor = FillMonitor(downstream=journal)
        # Recorded: the journal starts with the universe it was read with (perpDexs, meta per
        # dex), so a replay can map the asset ids of the orders that follow.
        info = await stack.enter_async_context(InfoClient(endpoint.http_url, recorder=monitor))
        await probe(info, endpoint)
        universe = await load_checked_universe(info, config)
        bot = build_bot(
            config, endpoint=endpoint, key=signer, account=account, universe=universe,
            journal=monitor,
        )  # fmt: skip
        monitor.collateral_of = lambda coin: _pnl_token(universe, coin)
        running = RunningBot(bot=bot, config=config, endpoint=endpoint, monitor=monitor, sim=server)
        bot_summary = await _run(
            running,
            duration=duration,
            on_update=on_update,
            update_interval_secs=update_interval_secs,
            shutdown_timeout_secs=shutdown_timeout_secs,
            task_status=task_status,
        )
        unrealized, fetched = await _final_account(info, bot, config)
        sim_json = _sim_json(server)
    return _summary(running, bot_summary, unrealized, fetched, sim_json)


async def _run(
    running: RunningBot,
    *,
    duration: float | None,
    on_update: OnUpdate | None,
    update_interval_secs: float,
    shutdown_timeout_secs: float,
    task_status: trio.TaskStatus[RunningBot],
) -> BotSummary:
    bot = running.bot
    result: list[BotSummary] = []
    finished = trio.Event()

    async def run_bot(task_status: trio.TaskStatus[Bot] = trio.TASK_STATUS_IGNORED) -> None:
        result.append(await bot.run(task_status=task_status))
        finished.set()

    async with trio.open_nursery() as nursery:
        await nursery.start(run_bot)
        running.started_at = time.monotonic()
        sampling = trio.CancelScope()
        if running.sim is not None:
            # On the simulator the venue's truth is at hand: measure how long the tracker
            # differs from it (hip3.app.divergence).
            running.divergence = meter = DivergenceMeter()
            tracker = bot.tracker
            exchange = running.sim.exchange

            async def sample() -> None:
                with sampling:
                    await sample_divergence(
                        meter, tracker.positions, lambda: exchange.positions_of(bot.user)
                    )

            nursery.start_soon(sample)
        task_status.started(running)
        if on_update is not None:
            nursery.start_soon(_updates, running, on_update, update_interval_secs, finished)
        with trio.move_on_after(math.inf if duration is None else duration):
            await running.stop_requested.wait()
        running.stop_requested.set()
        sampling.cancel()
        log.info("stopping: cancelling open orders, final resync")
        # Nothing new is placed while the bot winds down: intents the strategy queued
        # before the stop would otherwise still go out (cancels always pass the gates).
        bot.kill_switch.engage("shutting down")
        if isinstance(bot.strategy, QuiescingStrategy):
            bot.strategy.quiesce()
        bot.stop()
        with trio.move_on_after(shutdown_timeout_secs):
            await finished.wait()
        if not finished.is_set():
            nursery.cancel_scope.cancel()
            raise StopTimeoutError(f"the bot did not stop within {shutdown_timeout_secs:g} s")
        nursery.cancel_scope.cancel()  # the update loop
    return result[0]


async def _updates(
    running: RunningBot, on_update: OnUpdate, interval_secs: float, finished: trio.Event
) -> None:
    while not finished.is_set():
        try:
            state = await running.state()
        except Hip3Error:
            return  # the bot is shutting down: no tracker to ask any more
        on_update(state)
        await trio.sleep(interval_secs)


async def _final_account(
    info: InfoClient, bot: Bot, config: Config
) -> tuple[dict[str, Decimal] | None, dict[str, Decimal] | None]:
    """Unrealised PnL per collateral token and positions from ``clearinghouseState`` of
    every traded dex."""
    if bot.mode is Mode.PAPER:
        return None, None
    unrealized: dict[str, Decimal] = {}
    positions: dict[str, Decimal] = {}
    try:
        for dex in bot.account_dexes:
            snapshot: AccountSnapshot = await info.account_snapshot(
                bot.user, dex, mode=bot.account_mode, collateral_token=bot.collateral_token(dex)
            )
            token = snapshot.collateral_token
            for coin, pos in snapshot.positions.items():
                if pos.szi != 0:
                    positions[coin] = pos.szi
                unrealized[token] = unrealized.get(token, Decimal(0)) + (pos.unrealized_pnl or 0)
    except Hip3Error as exc:
        log.warning("final clearinghouseState: %s", exc)
        return None, None
    return unrealized, positions


def _pnl_token(universe: Universe, coin: str) -> str | None:
    """The token ``coin``'s PnL is in, when the universe knows the coin."""
    if coin in universe:
        return universe.market(coin).collateral_token
    return None


def _sim_json(server: SimServer | None) -> dict[str, Any] | None:
    if server is None:
        return None
    return {"url": server.url, "faults": dict(server.faults.stats())}


def _summary(
    running: RunningBot,
    bot_summary: BotSummary,
    unrealized: dict[str, Decimal] | None,
    fetched: dict[str, Decimal] | None,
    sim_json: dict[str, Any] | None,
) -> TradeSummary:
    bot = running.bot
    stats = bot_summary.tracker_stats
    drift = [
        event for event in bot_summary.drift_events if not event.baseline and not event.explained
    ]
    explained = sum(
        1 for event in bot_summary.drift_events if event.explained and not event.baseline
    )
    resync = bot_summary.resync
    exchange_positions = bot_summary.exchange_positions
    if exchange_positions is None and fetched is not None:
        exchange_positions = fetched
    fills = running.monitor.fills if bot.mode is not Mode.PAPER else bot_summary.fills
    return TradeSummary(
        mode=bot.mode.value,
        network=running.endpoint.name,
        account=bot.user,
        markets=tuple(str(m) for m in bot.markets),
        duration_secs=time.monotonic() - running.started_at,
        interrupted=running.interrupted,
        fills=fills,
        positions=dict(bot_summary.positions),
        exchange_positions=None if exchange_positions is None else dict(exchange_positions),
        drift=drift,
        drift_explained=explained,
        orders=OrderCounts.final(bot_summary),
        resync={
            "interval_secs": running.config.position_resync_interval_secs,
            "ticks": resync.ticks,
            "snapshots_delivered": resync.snapshots_delivered,
            "deferrals": resync.deferrals,
            "fetch_failures": resync.fetch_failures,
            "snapshots_adopted": stats.snapshots_adopted,
        },
        dedup={
            "capacity": running.config.dedup_capacity,
            "duplicates_dropped": stats.duplicates_dropped,
            "covered_by_snapshot": stats.covered_by_snapshot,
            "evictions": stats.dedup_evictions,
            "fills_received": stats.fills_received,
            "fills_applied": stats.fills_applied,
        },
        realized_pnl=dict(running.monitor.realized_pnl),
        fees=dict(running.monitor.fees),
        unrealized_pnl=unrealized,
        sim=sim_json,
        errors=list(bot_summary.errors),
        bot=bot_summary,
        intents=dict(bot_summary.intents),
        fill_deliveries=bot_summary.fill_deliveries,
        dead_mans_switch=(None if (dms := bot_summary.dead_mans_switch) is None else dms.to_json()),
        venue_rejects=dict(bot_summary.venue_rejects),
        whole_account={
            "dexes": list(bot_summary.account_dexes),
            "own_fills": stats.own_fills,
            "foreign_fills": stats.foreign_fills,
            "foreign_open_orders": bot_summary.foreign_open_orders,
            "spot_and_outcome_fills": {
                coin: str(sz) for coin, sz in sorted(bot_summary.non_perp_fills.items())
            },
            "account_mode": bot_summary.account_mode.value,
            "collateral_tokens": dict(bot_summary.collateral_tokens),
            "spot_balances": (
                None
                if bot_summary.spot_balances is None
                else {coin: str(sz) for coin, sz in sorted(bot_summary.spot_balances.items())}
            ),
        },
        unconfirmed={
            "oldest_age_secs": _secs(bot_summary.oldest_unconfirmed_age_ms),
            "snapshots_forced": stats.snapshots_forced,
            "fill_watch": (
                None if bot_summary.fill_watch is None else attrs.asdict(bot_summary.fill_watch)
            ),
        },
        divergence=None if running.divergence is None else running.divergence.report(),
    )
