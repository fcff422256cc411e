"""hip3.Bot: feeds, tracker, executor, resync timer and strategy in one nursery.

Modes:

* ``observe`` -- feeds and tracker only: the account's fills and orders are
  tracked, the strategy runs, and every intent it returns ends rejected
  ("observe mode") without anything being sent;
* ``paper`` -- orders are simulated locally against the live books
  (:class:`~hip3.bot.paper.PaperVenue`); the account's own streams are not
  followed, so the tracker holds the paper positions only;
* ``trading`` -- orders are signed and posted (ws post, HTTP fallback); the
  resync timer and the venue's scheduleCancel dead-man's switch run.

Start-up (observe and trading): before the account's streams are followed and
before the strategy runs, one ``clearinghouseState`` snapshot per traded dex
is adopted by the tracker as its baseline, so positions opened before the bot
started are known (the userFills subscribe snapshot only lists recent trades).
A bot that cannot get its baseline within ``settings.resync.startup_timeout_secs``
does not start (:class:`~hip3.errors.NotRunningError`).

Clean shutdown (:meth:`Bot.stop`): the strategy's ``on_stop`` intents are
executed, open orders are cancelled when ``settings.orders.cancel_on_shutdown``,
the venue's scheduleCancel is disarmed, a final resync is offered until adopted (it
waits for in-flight orders and unconfirmed fills to settle, at most
``settings.resync.final_timeout_secs``), the exchange's positions are fetched, and
:meth:`Bot.summary` reports it all. Cancellation of :meth:`Bot.run` sends
nothing more: the scheduleCancel stays armed and cancels the bot's orders
within ``settings.risk.dead_mans_switch_secs``.

The settings are grouped by concern in :mod:`hip3.bot.settings` (what a config's
:meth:`~hip3.config.Config.bot_settings` builds); :meth:`Bot.create` takes them as
flat keywords. A run (:meth:`Bot.run`) opens the clients and the tracker, assembles
its parts, adopts the baseline, starts the feeds, then the execution, and on
:meth:`Bot.stop` shuts down in the order above.

Every intent ends in an :class:`~hip3.executor.Outcome`; the bot counts them
by status (:attr:`Bot.outcome_counts`, and per intent kind in
:attr:`Bot.ledger` ``.intents``) and keeps the most recent ``settings.orders.outcome_history``
of them in :attr:`Bot.outcomes` (bounded, for long runs). What became of each
order sent is counted apart, per order, from the tracker's order states
(:meth:`Bot.order_tally`, :mod:`hip3.bot.orders`): a resting quote the stream
later fills is a filled order, a Cancel refused because its order had filled
is not a rejected order.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Unpack

import attrs
import trio

from hip3.bot import defaults
from hip3.bot.book import Book, book_from_frame, book_from_l2
from hip3.bot.fillwatch import FillWatch, FillWatchStats
from hip3.bot.orders import OrderLedger, OrderTally
from hip3.bot.paper import PaperVenue
from hip3.bot.ports import BotTracker, MarketUniverse, TrackerService, WireConverters
from hip3.bot.resync import ResyncStats, ResyncTimer
from hip3.bot.runner import StrategyRunner
from hip3.bot.settings import BotSettings, BotTuning, Mode
from hip3.bot.strategy import Strategy
from hip3.clients import (
    ExchangeClient,
    InfoClient,
    MessageRecorder,
    NonceGenerator,
    WsClient,
    WsEvent,
)
from hip3.domain import AccountMode, AccountSnapshot, Fill
from hip3.errors import ExchangeError, Hip3Error, NotRunningError, SigningError, ValidationError
from hip3.executor import (
    CancelAll,
    Executor,
    ExecutorStats,
    Intent,
    Outcome,
    OutcomeStatus,
    disarm_dead_mans_switch,
)
from hip3.executor.deadman import DeadMansSwitch, DeadMansSwitchStatus
from hip3.executor.exchange_venue import ExchangeVenue
from hip3.executor.ports import OrderVenue
from hip3.ops.events import OrderEvents
from hip3.risk import KillSwitch, MarketData, RiskGates
from hip3.risk.market_state import MarketStates, watch_markets
from hip3.signing import PrivateKey
from hip3.tracker.state import DriftEvent, TrackerStats, dex_of
from hip3.types import Coin
from hip3.universe import Market, Universe
from hip3.wire.to_domain import open_order_to_update

__all__ = ["Bot", "BotSummary", "Mode", "run_bot"]

log = logging.getLogger(__name__)

_CHANNEL_SIZE = 256


def last_sign_of_life(
    ws: WsClient | None, market_data: Iterable[MarketData], now_ms: Callable[[], int]
) -> int | None:
    """The local ms the bot's feeds last showed life, for the dead-man's watchdog.

    A connected socket is alive now: its heartbeat replaces one that goes silent, so a
    quiet book (a HIP-3 market nobody quotes) is not mistaken for a dead feed. Between
    connections the newest market data is the last sign of life (None: none yet).
    """
    if ws is not None and ws.connected:
        return now_ms()
    return max((data.time_ms for data in market_data), default=None)


@attrs.frozen
class BotSummary:
    """What a run did. Positions are signed sizes by coin (flat ones left out).

    ``fills`` counts distinct trades the tracker applied (its ``fills_applied``:
    duplicates, subscribe snapshots' history and trades already inside an adopted
    snapshot left out); ``fill_deliveries`` every fill the feeds handed over,
    duplicates and snapshot replays included.

    ``orders`` counts orders, each once by its final state (:class:`OrderTally`);
    ``intents`` how each intent ended, by kind (``place`` / ``modify`` /
    ``cancel``) and outcome status -- a Cancel of a quote that had just filled ends
    ``rejected`` there, not in ``orders``.

    ``intents_sent`` counts what the strategy asked for, ``intents_executed``
    what the executor finished (the strategy's plus the bot's own CancelAll at
    shutdown and on kill). ``baseline``
    says whether every traded dex's start-up snapshot was adopted and
    ``final_resync`` whether the closing one was. ``backfilled_fills`` counts
    fills fetched over REST before resync snapshots (most are duplicates the
    tracker drops); ``post_answers_lost`` orders whose post answer never came
    and were resolved by cloid.
    """

    mode: Mode
    fills: int
    positions: dict[str, Decimal]
    exchange_positions: dict[str, Decimal] | None
    drift_events: list[DriftEvent]
    orders: OrderTally
    intents: dict[str, dict[str, int]]
    unknown_outcomes: int
    resync: ResyncStats
    executor: ExecutorStats
    tracker_stats: TrackerStats = attrs.field(factory=TrackerStats)
    errors: list[str] = attrs.field(factory=list)
    intents_sent: int = 0
    intents_executed: int = 0
    baseline: bool = False
    final_resync: bool = False
    backfilled_fills: int = 0
    #: every perp dex followed (traded, holding a position, or seen in a fill)
    account_dexes: list[str] = attrs.field(factory=list)
    #: spot and outcome coins: net size of their trades (never perp positions)
    non_perp_fills: dict[str, Decimal] = attrs.field(factory=dict)
    #: open orders on the account that the bot did not send, at the end
    foreign_open_orders: int = 0
    #: how long the oldest fill the venue reported had been missing at the end
    oldest_unconfirmed_age_ms: int | None = None
    fill_watch: FillWatchStats | None = None
    #: the account's spot token balances at the end (``spotClearinghouseState``), apart
    #: from perp positions; None in paper mode or when the venue did not answer
    spot_balances: dict[str, Decimal] | None = None
    #: where the venue keeps the account's money (``userAbstraction``, read at start)
    account_mode: AccountMode = AccountMode.DEFAULT
    #: the token each followed dex settles in (PnL, fees and balances are in it)
    collateral_tokens: dict[str, str] = attrs.field(factory=dict)
    post_answers_lost: int = 0
    fill_deliveries: int = 0
    #: whether the venue's scheduleCancel held (None: no switch kept, see DeadMansSwitch)
    dead_mans_switch: DeadMansSwitchStatus | None = None
    #: the venue's refusals by typed reason (``VenueReject`` value -> count)
    venue_rejects: dict[str, int] = attrs.field(factory=dict)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _signing_key(key: PrivateKey | str | bytes | None) -> PrivateKey | None:
    """``key`` as a :class:`PrivateKey` (hex text or 32 bytes parsed once), or None.

    A key that cannot be parsed raises :class:`~hip3.errors.SigningError` naming ``key``
    and saying what is wrong with it, never echoing it.
    """
    if key is None:
        return None
    try:
        return PrivateKey.coerce(key)
    except SigningError as exc:
        reason = str(exc).removeprefix("private_key: ")
        raise SigningError(f"key: not a usable signing key: {reason}") from None


class Bot:
    """One trading bot. Parameters are explicit (no config file format here).

    ``markets`` are coins (``"BTC"``, ``"xyz:GOLD"`` for a HIP-3 dex); ``key``
    signs orders (the account's or an approved agent's; needed in trading mode
    only): a :class:`~hip3.signing.PrivateKey`, hex text or 32 bytes, parsed once
    here (an unusable one raises :class:`~hip3.errors.SigningError` naming ``key``,
    never echoing it) so no plain-text copy is kept; ``account`` is whose fills and
    positions are followed (``vault_address``: the vault traded for, whose they are
    then). ``mainnet`` picks the signing domain.

    ``settings`` tunes everything else, by concern (:class:`~hip3.bot.settings.BotSettings`:
    risk, resync, orders, feeds, metrics); :meth:`create` takes the same as flat keywords.
    ``journal`` records every message in and out; ``universe``, ``tracker`` and
    ``converters`` replace hip3's own parts (:mod:`hip3.bot.ports`).

    ``clock_ms`` is the wall clock in ms used for nonces, action expiry, the
    dead-man's switch and market-data ages (default: the system clock); a test
    running trio's MockClock passes one that follows trio time, as the
    simulator's exchange clock does.

    With ``settings.metrics.port`` (0: any free port, see :attr:`metrics_address`) the bot
    serves Prometheus ``/metrics`` and ``/healthz`` from a task in its nursery
    (:mod:`hip3.ops.metrics`; needs ``pip install 'hip3[metrics]'``).
    """

    def __init__(
        self,
        *,
        base_url: str,
        ws_url: str,
        account: str,
        markets: Sequence[str],
        strategy: Strategy,
        mode: Mode | str = Mode.OBSERVE,
        key: PrivateKey | str | bytes | None = None,
        vault_address: str | None = None,
        mainnet: bool = True,
        settings: BotSettings | None = None,
        journal: MessageRecorder | None = None,
        universe: MarketUniverse | None = None,
        tracker: TrackerService | None = None,
        converters: WireConverters | None = None,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self.mode = Mode(mode)
        if self.mode is Mode.TRADING and key is None:
            raise ValidationError("trading mode needs a signing key", field="key")
        if not markets:
            raise ValidationError("no markets to trade", field="markets")
        self.base_url = base_url
        self.ws_url = ws_url
        self.account = account.lower()
        self.vault_address = vault_address.lower() if vault_address else None
        self.markets = [Coin(m) for m in markets]
        self.strategy = strategy
        self._key = _signing_key(key)  # parsed once, never kept as text; never logged or shown
        self.mainnet = mainnet
        self.settings = settings = settings if settings is not None else BotSettings()
        # Every perp dex the account is on (traded, holding a position, or seen in a
        # fill): baseline, resync and the exchange's positions cover all of them.
        self.account_dexes: list[str] = list(dict.fromkeys(Coin(m).dex for m in markets))
        self.journal = journal
        self._universe = universe
        self._tracker_service = tracker
        self._converters = converters
        self.clock_ms = clock_ms if clock_ms is not None else _now_ms
        self._fill_watch: FillWatch | None = None
        self._last_unconfirmed_age_ms: int | None = None
        self._spot_balances: dict[str, Decimal] | None = None
        self.account_mode = AccountMode.DEFAULT
        self.collateral_tokens: dict[str, str] = {}  # dex -> its collateral token
        self._backfilled = 0  # fills handed to the tracker by resync backfills
        self._exchange_client: ExchangeClient | None = None
        #: the mark of every position in the latest clearinghouseState of its dex
        self.snapshot_marks: dict[str, MarketData] = {}
        #: leverage and margin mode set on the venue at start, by coin (trading mode)
        self.leverage: dict[str, tuple[int, str]] = {}
        self._resync_scope = trio.CancelScope()
        self.kill_switch = KillSwitch()
        #: the venue's scheduleCancel kept armed (trading mode, set when trading starts)
        self.dead_mans_switch: DeadMansSwitch | None = None
        #: HIP-3 market states the gates respect (OI caps, halts, oracle age)
        self.market_states = MarketStates(now_ms=self.clock_ms)
        self._stop = trio.Event()
        self._fills_seen = 0  # fills delivered by the feeds, duplicates included
        self._summary: BotSummary | None = None
        self._errors: list[str] = []
        self._executor: Executor | None = None
        self._resync: ResyncTimer | None = None
        self._tracker: BotTracker | None = None
        self._runner: StrategyRunner | None = None
        self._baseline = False
        self._final_resync = False
        self._refused = 0  # intents ended by observe mode
        self.outcomes: collections.deque[Outcome] = collections.deque(
            maxlen=settings.orders.outcome_history
        )
        self.outcome_counts: dict[OutcomeStatus, int] = {status: 0 for status in OutcomeStatus}
        self.ledger = OrderLedger()  # per-order counts and per-intent-kind outcome counts
        self.order_events = OrderEvents()  # structured events per order state (hip3.orders)
        self.paper: PaperVenue | None = None  # the simulated venue, in paper mode
        self.metrics_address: tuple[str, int] | None = None  # bound once serving
        self.running = False  # started and not stopping (/healthz)
        self._ws: WsClient | None = None
        self._info: InfoClient | None = None
        self._feeds: FeedRouter | None = None

    @classmethod
    def create(
        cls,
        *,
        base_url: str,
        ws_url: str,
        account: str,
        markets: Sequence[str],
        strategy: Strategy,
        mode: Mode | str = Mode.OBSERVE,
        key: PrivateKey | str | bytes | None = None,
        vault_address: str | None = None,
        mainnet: bool = True,
        journal: MessageRecorder | None = None,
        universe: MarketUniverse | None = None,
        tracker: TrackerService | None = None,
        converters: WireConverters | None = None,
        clock_ms: Callable[[], int] | None = None,
        **tuning: Unpack[BotTuning],
    ) -> Bot:
        """A bot from flat keywords, for a notebook or a test: the settings are named as
        in :class:`~hip3.bot.settings.BotTuning` (``dedup_capacity=5000``,
        ``position_resync_interval_secs=5``...), the others keep their defaults."""
        return cls(
            base_url=base_url,
            ws_url=ws_url,
            account=account,
            markets=markets,
            strategy=strategy,
            mode=mode,
            key=key,
            vault_address=vault_address,
            mainnet=mainnet,
            settings=BotSettings.of(**tuning),
            journal=journal,
            universe=universe,
            tracker=tracker,
            converters=converters,
            clock_ms=clock_ms,
        )

    def __repr__(self) -> str:
        return f"Bot(mode={self.mode.value}, account={self.user}, markets={self.markets})"

    @property
    def user(self) -> str:
        """Whose positions these are: the vault when trading for one."""
        return self.vault_address or self.account

    @property
    def dexes(self) -> list[str]:
        """The dexes of the markets the bot trades."""
        return list(dict.fromkeys(m.dex for m in self.markets))

    def note_dex(self, dex: str) -> None:
        """A fill showed the account on ``dex``: resync it from now on."""
        if dex not in self.account_dexes:
            log.info("the account trades on dex %r too: resyncing it from now on", dex or "main")
            self.account_dexes.append(dex)
            if self._resync is not None:
                self._resync.add_dex(dex)

    async def _check_signer(self, info: InfoClient) -> None:
        """Refuse to trade with a key the venue would refuse: one that is neither the
        account's own nor one of its (unexpired) agents. Every order would otherwise be
        rejected, every snapshot stay deferred on orders that never happen, silently."""
        assert self._key is not None
        signer = self._key.address.lower()
        if signer == self.account:
            return
        try:
            role, master = await info.user_role(signer)
        except Hip3Error as exc:
            log.warning("userRole of the signing key failed, not checked: %s", exc)
            return
        if role == "agent" and master == self.account:
            return
        what = f"an agent of {master}" if role == "agent" else f"role {role!r}"
        raise ValidationError(
            f"the signing key's address {signer} is not an agent of account {self.account} "
            f"(the venue says {what}): approve it as an API wallet of the account, or use "
            "the account's key"
        )

    async def _read_account_mode(self, info: InfoClient) -> None:
        """``userAbstraction``: in unified and portfolio mode the account's money is read
        from the spot wallet, and the venue allows only 50k actions a day."""
        try:
            self.account_mode = await info.user_abstraction(self.user)
        except Hip3Error as exc:
            self._errors.append(f"userAbstraction: {exc} (account read as default mode)")
            log.warning("userAbstraction failed, reading the account as default mode: %s", exc)
            return
        limit = self.account_mode.actions_per_day
        if limit is not None:
            log.warning(
                "account %s is in %s mode: balances are read from the spot wallet, and the "
                "venue allows at most %d actions a day in this mode",
                self.user,
                self.account_mode.value,
                limit,
            )

    def collateral_token(self, dex: str) -> str:
        """The token ``dex`` settles in (USDC until the universe says otherwise)."""
        return self.collateral_tokens.get(dex, "USDC")

    def _collateral_of(self, coin: str) -> str | None:
        """The token a perp coin settles in; None for spot and outcome coins."""
        dex = dex_of(coin)
        return None if dex is None else self.collateral_token(dex)

    def _priced_market_data(self, runner: StrategyRunner) -> Callable[[], Mapping[str, MarketData]]:
        """What the gates price positions with: the bot's market data and, for coins it
        does not quote (a person's positions, other dexes), the mark of the latest
        clearinghouseState. Merged only when a per-token notional cap needs it."""
        if not self.settings.risk.limits.max_notional_per_token:
            return runner.market_data

        def merged() -> Mapping[str, MarketData]:
            return {**self.snapshot_marks, **runner.market_data()}

        return merged

    async def _discover_dexes(
        self, info: InfoClient, fetch: Callable[[str], Awaitable[AccountSnapshot]]
    ) -> None:
        """Add every perp dex where the account holds a position or has open orders
        (``perpDexs``, then ``clearinghouseState`` and, if flat, ``openOrders`` per dex not
        traded): a person's position or resting order on another dex, or one from before
        the bot started, is then baselined, resynced and tracked like the bot's.

        At most two requests per dex at start; a dex whose state cannot be read is kept
        under watch (resynced) rather than assumed empty.
        """
        try:
            perp_dexs = await info.perp_dexs()
        except Hip3Error as exc:
            self._errors.append(f"perpDexs: {exc} (only the traded dexes are resynced)")
            log.warning("perpDexs failed, resyncing only the traded dexes: %s", exc)
            return
        names = ["" if entry is None else entry.name for entry in perp_dexs]
        for dex in names:
            if dex in self.account_dexes:
                continue
            try:
                snapshot = await fetch(dex)
            except Hip3Error as exc:
                log.warning("clearinghouseState of dex %r failed, watching it: %s", dex, exc)
                self.account_dexes.append(dex)
                continue
            if snapshot.positions:
                log.info(
                    "the account holds %s on dex %r, which the bot does not trade",
                    ", ".join(sorted(snapshot.positions)),
                    dex,
                )
                self.account_dexes.append(dex)
                continue
            try:
                resting = await info.open_orders(self.user, dex)
            except Hip3Error as exc:
                log.warning("openOrders of dex %r failed, watching it: %s", dex, exc)
                resting = []
                self.account_dexes.append(dex)
                continue
            if resting:
                log.info("the account has %d open order(s) on dex %r", len(resting), dex)
                self.account_dexes.append(dex)

    @property
    def tracker(self) -> BotTracker:
        if self._tracker is None:
            raise NotRunningError("the bot is not running")
        return self._tracker

    def stop(self) -> None:
        """Ask for a clean shutdown; :meth:`run` returns once it is done."""
        self._stop.set()

    async def kill(self, reason: str) -> None:
        """Kill switch: no new order passes the gates, every open order is cancelled.

        The cancels go out after the intent being executed (so an order in flight
        cannot rest after them); every intent queued behind is refused by the
        ``kill_switch`` gate. The strategy keeps running (it may still cancel).
        """
        self.kill_switch.engage(reason)
        if self._executor is not None:
            self._record(await self._executor.kill(reason))

    @property
    def executor_stats(self) -> ExecutorStats:
        """The executor's counters so far (zeros before it starts, or in observe mode)."""
        return self._executor.stats if self._executor is not None else ExecutorStats()

    @property
    def fill_deliveries(self) -> int:
        """Fills handed over by the feeds so far, duplicates and snapshot replays included."""
        return self._fills_seen

    async def order_tally(self) -> OrderTally:
        """The orders sent so far, each counted once by its current state in the tracker."""
        cloids = self.ledger.pending_cloids()  # before asking: see OrderLedger
        orders = await self.tracker.orders() if cloids else ()
        return self.ledger.settle(cloids, orders)

    def _dead_mans_switch(self, venue: OrderVenue, runner: StrategyRunner) -> DeadMansSwitch:
        """The venue's switch, with a watchdog cancelling own orders while it does not hold."""

        def last_sign_of_life_ms() -> int | None:
            return last_sign_of_life(self._ws, runner.market_data().values(), self.clock_ms)

        async def cancel_own() -> None:
            if self._executor is not None:
                self._record(await self._executor.execute(CancelAll(scope="own")))

        risk = self.settings.risk
        assert risk.dead_mans_switch_secs is not None
        return DeadMansSwitch(
            venue,
            window_secs=risk.dead_mans_switch_secs,
            now_ms=self.clock_ms,
            disarm_on_exit=False,
            require=risk.require_dead_mans_switch,
            liveness=last_sign_of_life_ms,
            cancel_own=cancel_own,
        )

    def _record(self, outcomes: Sequence[Outcome]) -> None:
        for outcome in outcomes:
            self.outcomes.append(outcome)
            self.outcome_counts[outcome.status] += 1
            self.ledger.record(outcome, sent=self.mode is not Mode.OBSERVE)
            self.order_events.outcome(outcome)  # one structured event per ended intent
            if outcome.status is OutcomeStatus.REJECTED:
                log.info("intent rejected: %s (%s)", outcome.reason, outcome.gate or "venue")
                if outcome.gate is None and outcome.reason and outcome.intent.coin is not None:
                    self.market_states.note_rejection(outcome.intent.coin, outcome.reason)

    def summary(self) -> BotSummary:
        if self._summary is None:
            raise NotRunningError("no summary yet: the bot has not finished a run")
        return self._summary

    # -- run ---------------------------------------------------------------------------------

    async def run(
        self, *, task_status: trio.TaskStatus[Bot] = trio.TASK_STATUS_IGNORED
    ) -> BotSummary:
        try:
            return await self._run(task_status)
        finally:
            self.running = False  # however the run ended

    async def _run(self, task_status: trio.TaskStatus[Bot]) -> BotSummary:
        converters = self._converters or defaults.converters()
        async with InfoClient(self.base_url, recorder=self.journal) as info:
            if self.mode is Mode.TRADING:
                await self._check_signer(info)  # before any task starts: a plain error
            if self.mode is not Mode.PAPER:
                await self._read_account_mode(info)
                await self._discover_dexes(info, lambda dex: info.account_snapshot(self.user, dex))
            # Every dex the account is on: an account-scope cancel of a person's order on a
            # dex the bot does not trade needs that dex's asset ids too.
            universe = self._universe or await defaults.load_universe(info, self.account_dexes)
            markets = {str(coin): universe.market(coin) for coin in self.markets}
            if isinstance(universe, Universe):
                self.collateral_tokens = {
                    dex: universe.collateral_token(dex) for dex in universe.dexes
                }
            resync = self.settings.resync
            service = self._tracker_service or defaults.tracker(resync.dedup_capacity)
            async with trio.open_nursery() as nursery:
                tracker: BotTracker = await nursery.start(service.run)
                self._tracker = tracker
                self._info = info
                metrics = self.settings.metrics
                if metrics.port is not None:
                    from hip3.ops.metrics import serve_bot_metrics  # the metrics extra

                    self.metrics_address = await nursery.start(
                        serve_bot_metrics, self, metrics.host, metrics.port
                    )
                ws: WsClient = await nursery.start(
                    WsClient(
                        self.ws_url,
                        limiter=info.limiter,
                        recorder=self.journal,
                        post_timeout_secs=self.settings.orders.ws_post_timeout_secs,
                    ).run
                )
                self._ws = ws
                parts = self._assemble(info, ws, universe, markets, tracker, converters)
                summary = await self._run_parts(parts, task_status)
                nursery.cancel_scope.cancel()
        self._summary = summary
        return summary

    async def _run_parts(self, parts: _Parts, task_status: trio.TaskStatus[Bot]) -> BotSummary:
        """Baseline, then feeds and execution in one nursery until :meth:`stop`, then the
        shutdown; returns the run's summary."""
        if self.mode is not Mode.PAPER:
            await self._adopt_baseline(parts.resync)
        if self.settings.orders.market_setup:
            await self._set_up_markets(parts.universe)
        async with trio.open_nursery() as nursery:
            await self._start_feeds(nursery, parts)
            await self._start_execution(nursery, parts)
            self.running = True
            task_status.started(self)
            await self._stop.wait()
            self.running = False
            summary = await self._shut_down(parts)
            nursery.cancel_scope.cancel()
        return summary

    async def _set_up_markets(self, universe: MarketUniverse) -> None:
        """Each market's leverage and margin mode (``updateLeverage``), before any order:
        every setup is checked against the venue's rules first, then sent one by one; a
        refusal stops the start with the venue's text. Paper and observe modes send
        nothing and log what trading would set."""
        plans: list[tuple[str, int, bool]] = []
        traded = {str(coin) for coin in self.markets}
        for coin, setup in self.settings.orders.market_setup.items():
            if coin not in traded:
                raise ValidationError(
                    f"{coin} is not one of the bot's markets", field=f"market_setup.{coin}"
                )
            market = universe.market(coin)
            if isinstance(market, Market):
                problem = setup.problem(market)
                if problem is not None:
                    raise ValidationError(problem[1], field=f"market_setup.{coin}.{problem[0]}")
                cross = setup.is_cross(market)
            else:  # a universe that does not say: the venue decides
                cross = setup.margin != "isolated"
            plans.append((coin, setup.leverage, cross))
        for coin, leverage, cross in plans:
            margin = "cross" if cross else "isolated"
            if self.mode is not Mode.TRADING:
                log.info(
                    "%s mode: %s would trade at %dx %s", self.mode.value, coin, leverage, margin
                )
                continue
            assert self._exchange_client is not None  # built with the trading venue
            try:
                await self._exchange_client.update_leverage(coin, leverage, is_cross=cross)
            except ExchangeError as exc:
                raise NotRunningError(
                    f"the venue refused {leverage}x {margin} on {coin}: {exc.text}"
                ) from exc
            log.info("%s: leverage %dx %s set", coin, leverage, margin)
            self.leverage[coin] = (leverage, margin)

    def _assemble(
        self,
        info: InfoClient,
        ws: WsClient,
        universe: MarketUniverse,
        markets: Mapping[str, Any],
        tracker: BotTracker,
        converters: WireConverters,
    ) -> _Parts:
        """The run's parts, built but not started (no I/O)."""
        to_strategy, strategy_events = trio.open_memory_channel[Book | Fill](_CHANNEL_SIZE)
        intents_send, intents_recv = trio.open_memory_channel[Intent](_CHANNEL_SIZE)
        outcomes_send, outcomes_recv = trio.open_memory_channel[Outcome](_CHANNEL_SIZE)
        self._runner = runner = StrategyRunner(
            self.strategy,
            markets=markets,
            tracker=tracker,
            intents=intents_send,
            timer_interval_secs=self.settings.feeds.strategy_interval_secs,
            now_ms=self.clock_ms,
            cancel_on_stop=self.settings.orders.cancel_on_shutdown,
        )
        paper = None
        if self.mode is Mode.PAPER:

            def fee_multiplier(coin: str) -> Decimal:
                market = universe.market(coin)
                return market.fee_multiplier if isinstance(market, Market) else Decimal(1)

            paper = PaperVenue(
                now_ms=self.clock_ms,
                fee_token=lambda coin: self.collateral_token(dex_of(coin) or ""),
                fee_multiplier=fee_multiplier,
            )
        self.paper = paper
        venue: OrderVenue | None = paper
        if self.mode is Mode.TRADING:
            venue = ExchangeVenue(self._exchange(info, ws, universe))
        reads = _AccountReads(self, info, tracker)
        self._resync = resync = ResyncTimer(
            interval_secs=(self.settings.resync.interval_secs if self.mode is Mode.TRADING else 0),
            dexes=self.account_dexes,
            fetch=reads.fetch_snapshot,
            deliver=reads.deliver,
            backfill=reads.backfill,
            resolve=reads.resolve,
        )
        if self.mode is not Mode.PAPER and self.settings.resync.fill_watch:
            self._fill_watch = FillWatch(
                unconfirmed=tracker.unconfirmed,
                fetch=reads.fetch_fills,
                deliver=reads.deliver_backfill,
                wall_clock_ms=self.clock_ms,
            )
        self._feeds = FeedRouter(self, tracker, to_strategy, converters, paper)
        return _Parts(
            info=info,
            ws=ws,
            tracker=tracker,
            runner=runner,
            venue=venue,
            paper=paper,
            universe=universe,
            resync=resync,
            reads=reads,
            feeds=self._feeds,
            to_strategy=to_strategy,
            strategy_events=strategy_events,
            intents=intents_recv,
            outcomes_send=outcomes_send,
            outcomes=outcomes_recv,
        )

    def _exchange(self, info: InfoClient, ws: WsClient, universe: MarketUniverse) -> ExchangeClient:
        assert self._key is not None  # __init__ refuses trading mode without one
        expires_after_ms = self.settings.orders.expires_after_ms
        self._exchange_client = client = ExchangeClient(
            self.base_url,
            self._key,
            self.account,
            universe=universe,
            vault_address=self.vault_address,
            mainnet=self.mainnet,
            info=info,
            ws=ws,
            limiter=info.limiter,
            nonces=NonceGenerator(self.clock_ms),
            expires_after_ms=expires_after_ms,
            # Calling an order lost is safe only once its signed action has expired
            # (the venue refuses an action past expiresAfter), so resolution waits
            # at least that long.
            resolve_window_secs=self._resolve_window_secs(),
        )
        return client

    def _resolve_window_secs(self) -> float:
        return (self.settings.orders.expires_after_ms or 10_000) / 1000 + 1

    async def _adopt_baseline(self, resync: ResyncTimer) -> None:
        """Before the account's streams: positions opened before this run are in the
        snapshot, and the userFills subscribe snapshot is then applied on top of it
        (fills after its time T count, older ones are already in it)."""
        timeout_secs = self.settings.resync.startup_timeout_secs
        self._baseline = await resync.resync_until_adopted(timeout_secs=timeout_secs)
        if not self._baseline:
            raise NotRunningError(
                f"no baseline clearinghouseState within {timeout_secs:g}s "
                f"({resync.stats.last_error or 'deferred'}): not starting blind"
            )

    async def _start_feeds(self, nursery: trio.Nursery, parts: _Parts) -> None:
        """Market data first, then the account's streams: their ack snapshots tell the
        tracker about fills from before this run (flagged is_snapshot)."""
        feeds, ws = parts.feeds, parts.ws
        for coin in self.markets:
            sub = await ws.subscribe({"type": "l2Book", "coin": str(coin)})
            nursery.start_soon(feeds.books, sub)
        if self.mode is not Mode.PAPER:
            fills_sub = await ws.subscribe({"type": "userFills", "user": self.user})
            nursery.start_soon(feeds.user_fills, fills_sub)
            orders_sub = await ws.subscribe({"type": "orderUpdates", "user": self.user})
            nursery.start_soon(feeds.order_updates, orders_sub)
            # orderUpdates has no snapshot: the orders already resting on the account
            # (a person's, a previous run's) come from openOrders, read after the
            # subscription so none can end unseen in between.
            await self._load_open_orders(parts.info, parts.tracker)
        if parts.paper is not None:
            nursery.start_soon(feeds.paper_events, parts.paper)

    async def _start_execution(self, nursery: trio.Nursery, parts: _Parts) -> None:
        """The executor (or observe mode's refusals), the outcome collector, the fill
        watch, the resync timer and dead man's switch (trading), then the strategy."""
        venue = parts.venue
        if venue is not None:
            self._executor = executor = Executor(
                venue=venue,
                tracker=parts.tracker,
                gates=RiskGates(
                    self.settings.risk.limits,
                    states=self.market_states,
                    collateral_of=self._collateral_of,
                ),
                kill_switch=self.kill_switch,
                market_data=self._priced_market_data(parts.runner),
                rate_budget=lambda: parts.info.limiter.rest.available,
                now_ms=self.clock_ms,
                resolve_window_secs=self._resolve_window_secs(),
                cancel_scope=self.settings.orders.cancel_scope,
            )

            async def execute_all() -> None:
                await executor.run(parts.intents, parts.outcomes_send)
                parts.executor_done.set()

            nursery.start_soon(execute_all)
            if self.mode is Mode.TRADING:
                coins = [str(coin) for coin in self.markets]
                watch = watch_markets(
                    self.market_states,
                    info=parts.info,
                    ws=parts.ws,
                    universe=parts.universe,
                    coins=coins,
                )
                await nursery.start(watch.run)  # before the strategy: none into a capped market
        else:
            nursery.start_soon(
                self._refuse_all, parts.intents, parts.outcomes_send, parts.executor_done
            )
        nursery.start_soon(self._collect_outcomes, parts.outcomes)
        if self._fill_watch is not None:
            await nursery.start(self._fill_watch.run)
        if self.mode is Mode.TRADING:
            await nursery.start(self._run_resync_timer, parts.resync)
            if self.settings.risk.dead_mans_switch_secs is not None and venue is not None:
                self.dead_mans_switch = self._dead_mans_switch(venue, parts.runner)
                await nursery.start(self.dead_mans_switch.run)  # before the strategy
        await nursery.start(parts.runner.run, parts.strategy_events)

    async def _shut_down(self, parts: _Parts) -> BotSummary:
        """The strategy's on_stop, the cancels, the dead man's switch disarmed, a final
        resync, the exchange's positions and spot balances: the run's summary."""
        log.info("bot stopping: strategy on_stop, then cancels and a final resync")
        orders = self.settings.orders
        parts.feeds.close_strategy_feed()
        await parts.to_strategy.aclose()
        await parts.executor_done.wait()
        if self._executor is not None and orders.cancel_on_shutdown:
            self._record(await self._executor.execute(CancelAll(scope=orders.cancel_scope)))
        if self.mode is Mode.TRADING and self.settings.risk.dead_mans_switch_secs is not None:
            # A clean stop: whatever is still resting is meant to (cancel_on_shutdown
            # off), so the venue must not cancel it later.
            assert parts.venue is not None
            await disarm_dead_mans_switch(parts.venue)
        if self.mode is Mode.TRADING:
            self._resync_scope.cancel()  # the periodic ticks; the final round follows
            # Adopted only once no order is in flight and every provisional fill is
            # confirmed by userFills: waiting for that replaces waiting for luck.
            timeout_secs = self.settings.resync.final_timeout_secs
            self._final_resync = await parts.resync.resync_until_adopted(timeout_secs=timeout_secs)
            if not self._final_resync:
                self._errors.append(f"final resync not adopted within {timeout_secs:g}s")
        exchange_positions = None
        if self.mode is not Mode.PAPER:
            exchange_positions = await self._exchange_positions(parts.reads.fetch_snapshot)
            try:
                self._spot_balances = await parts.info.spot_balances(self.user)
            except Hip3Error as exc:
                log.info("spotClearinghouseState at the end: %s", exc)
        return await self._build_summary(parts.tracker, exchange_positions)

    def on_reconnect(self, channel: str) -> None:
        """A feed's websocket came back: messages may have been lost meanwhile."""
        if self._fill_watch is not None:
            self._fill_watch.request(f"{channel} reconnected")

    async def oldest_unconfirmed_age_ms(self) -> int | None:
        """How long the oldest fill the venue reported and the bot has not received has
        been missing (None when nothing is missing)."""
        age: int | None = await self.tracker.oldest_unconfirmed_age_ms()
        self._last_unconfirmed_age_ms = age
        return age

    async def _load_open_orders(self, info: InfoClient, tracker: BotTracker) -> None:
        for dex in list(self.account_dexes):
            try:
                orders = await info.open_orders(self.user, dex)
            except Hip3Error as exc:
                self._errors.append(f"openOrders of dex {dex!r} at start: {exc}")
                log.warning("openOrders of dex %r at start failed: %s", dex or "main", exc)
                continue
            for order in orders:
                await tracker.order_update(open_order_to_update(order))

    async def _run_resync_timer(
        self, resync: ResyncTimer, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        with self._resync_scope:
            await resync.run(task_status=task_status)

    async def _refuse_all(
        self,
        intents: trio.MemoryReceiveChannel[Intent],
        outcomes: trio.MemorySendChannel[Outcome],
        done: trio.Event,
    ) -> None:
        async with intents, outcomes:
            async for intent in intents:
                self._refused += 1
                await outcomes.send(Outcome.rejected(intent, "observe mode: no orders are sent"))
        done.set()

    async def _collect_outcomes(self, outcomes: trio.MemoryReceiveChannel[Outcome]) -> None:
        async with outcomes:
            async for outcome in outcomes:
                self._record([outcome])
                if self.ledger.needs_settling():
                    # Read ended orders before the tracker forgets them (it keeps the
                    # most recent finished ones only).
                    await self.order_tally()

    async def _exchange_positions(
        self, fetch: Any, *, attempts: int = 5, retry_secs: float = 0.2
    ) -> dict[str, Decimal] | None:
        positions: dict[str, Decimal] = {}
        for dex in list(self.account_dexes):
            for attempt in range(attempts):
                try:
                    snapshot: AccountSnapshot = await fetch(dex)
                except Hip3Error as exc:  # transport, 429/5xx, malformed: try again
                    if attempt + 1 == attempts:
                        self._errors.append(f"final clearinghouseState for dex {dex!r}: {exc}")
                        return None
                    await trio.sleep(retry_secs)
                else:
                    positions.update(
                        {c: p.szi for c, p in snapshot.positions.items() if p.szi != 0}
                    )
                    break
        return positions

    async def _build_summary(
        self, tracker: BotTracker, exchange_positions: dict[str, Decimal] | None
    ) -> BotSummary:
        executor_stats = self._executor.stats if self._executor is not None else ExecutorStats()
        resync_stats = self._resync.stats if self._resync is not None else ResyncStats()
        positions = {c: sz for c, sz in (await tracker.positions()).items() if sz != 0}
        tracker_stats = await tracker.stats()
        return BotSummary(
            mode=self.mode,
            fills=tracker_stats.fills_applied,
            positions=positions,
            exchange_positions=exchange_positions,
            drift_events=list(await tracker.drift_events()),
            orders=await self.order_tally(),
            intents=self.ledger.intents_json(),
            unknown_outcomes=executor_stats.unknown_outcomes,
            resync=resync_stats,
            executor=executor_stats,
            tracker_stats=tracker_stats,
            errors=list(self._errors),
            intents_sent=self._runner.intents_sent if self._runner is not None else 0,
            intents_executed=executor_stats.intents + self._refused,
            baseline=self._baseline,
            final_resync=self._final_resync,
            backfilled_fills=self._backfilled,
            post_answers_lost=(
                self._exchange_client.unknown_outcomes if self._exchange_client is not None else 0
            ),
            fill_deliveries=self._fills_seen,
            account_dexes=list(self.account_dexes),
            non_perp_fills=dict(await tracker.non_perp_fills()),
            foreign_open_orders=len(await tracker.foreign_open_orders()),
            oldest_unconfirmed_age_ms=await tracker.oldest_unconfirmed_age_ms(),
            fill_watch=self._fill_watch.stats if self._fill_watch is not None else None,
            spot_balances=self._spot_balances,
            dead_mans_switch=(
                self.dead_mans_switch.status if self.dead_mans_switch is not None else None
            ),
            venue_rejects={
                k.value: n
                for k, n in sorted(self.ledger.venue_rejects.items(), key=lambda i: -i[1])
            },
            account_mode=self.account_mode,
            collateral_tokens={dex: self.collateral_token(dex) for dex in self.account_dexes},
        )


@attrs.frozen
class _Parts:
    """One run's parts, built by :meth:`Bot._assemble` and started by the steps of
    :meth:`Bot._run_parts`."""

    info: InfoClient
    ws: WsClient
    tracker: BotTracker
    runner: StrategyRunner
    venue: OrderVenue | None  # None in observe mode
    paper: PaperVenue | None
    universe: MarketUniverse
    resync: ResyncTimer
    reads: _AccountReads
    feeds: FeedRouter
    to_strategy: trio.MemorySendChannel[Book | Fill]
    strategy_events: trio.MemoryReceiveChannel[Book | Fill]
    intents: trio.MemoryReceiveChannel[Intent]
    outcomes_send: trio.MemorySendChannel[Outcome]
    outcomes: trio.MemoryReceiveChannel[Outcome]
    executor_done: trio.Event = attrs.field(factory=trio.Event)


class _AccountReads:
    """What the resync timer and the fill watch read from the venue and hand the tracker."""

    def __init__(self, bot: Bot, info: InfoClient, tracker: BotTracker) -> None:
        self.bot = bot
        self.info = info
        self.tracker = tracker
        self.adopted_ms: dict[str, int] = {}  # dex -> time of its last adopted snapshot

    async def fetch_snapshot(self, dex: str) -> AccountSnapshot:
        bot = self.bot
        snapshot = await self.info.account_snapshot(
            bot.user, dex, mode=bot.account_mode, collateral_token=bot.collateral_token(dex)
        )
        seen_ms = bot.clock_ms()
        for coin in [c for c in bot.snapshot_marks if dex_of(c) == dex]:
            del bot.snapshot_marks[coin]  # flat now, or priced again below
        for coin, position in snapshot.positions.items():
            mark = position.mark_px
            if mark is not None:
                bot.snapshot_marks[coin] = MarketData(coin, seen_ms, mark=mark)
        return snapshot

    async def backfill(self, snapshots: Sequence[AccountSnapshot]) -> None:
        """Every fill since the last adoption (REST), handed over before the snapshots.

        A userFills message lost on the way (the venue resends only on resubscribe)
        would otherwise show up as drift at T, and an IOC's provisional fill left
        unconfirmed would defer every snapshot. Fetched after the snapshots, the fills
        cover everything up to their T; known ones are dropped by tid. The baseline
        goes without (no adoption yet: the userFills subscribe snapshot follows it).
        """
        since = [self.adopted_ms.get(s.dex) for s in snapshots]
        if not self.bot.settings.resync.backfill or any(t is None for t in since):
            return
        start = min(t for t in since if t is not None)
        fills = await self.info.fills_since(self.bot.user, start)
        if fills:
            await self.deliver_backfill(fills)

    async def deliver(self, snapshot: AccountSnapshot, force_cause: str | None = None) -> object:
        outcome = await self.tracker.snapshot(snapshot, force_cause=force_cause)
        if outcome:
            self.adopted_ms[snapshot.dex] = snapshot.time_ms
        return outcome

    async def fetch_fills(self, start_ms: int) -> list[Fill]:
        return await self.info.fills_since(self.bot.user, start_ms)

    async def deliver_backfill(self, fills: Sequence[Fill]) -> None:
        await self.tracker.fills(fills)
        self.bot._backfilled += len(fills)

    async def resolve(self, blockers: Sequence[Any]) -> None:
        """Ask the venue about each order blocking a snapshot, then fetch its trades."""
        now_ms = int(trio.current_time() * 1000)
        oldest_ms = now_ms
        for blocker in blockers:
            refs = [r for r in (blocker.oid, blocker.cloid) if r is not None]
            for ref in refs:
                try:
                    update = await self.info.order_update(self.bot.user, ref)
                except Hip3Error as exc:
                    log.info("orderStatus of %s while resolving failed: %s", ref, exc)
                    continue
                if update is not None:
                    await self.tracker.order_update(update)
                    break
            oldest_ms = min(oldest_ms, blocker.since_ms)
        if self.bot.settings.resync.backfill:
            start_ms = self.bot.clock_ms() - (now_ms - oldest_ms) - 10_000
            await self.deliver_backfill(await self.fetch_fills(start_ms))


class FeedRouter:
    """The ws (or paper) feeds: everything to the tracker first, then to the strategy."""

    def __init__(
        self,
        bot: Bot,
        tracker: BotTracker,
        to_strategy: trio.MemorySendChannel[Book | Fill],
        converters: WireConverters,
        paper: PaperVenue | None,
    ) -> None:
        self.bot = bot
        self.tracker = tracker
        self._to_strategy = to_strategy
        self._strategy_open = True
        self.converters = converters
        # Raw-frame decoding (one msgspec pass per frame) when the converters offer it.
        self._fills_frame = getattr(converters, "fills_frame", None)
        self._order_updates_frame = getattr(converters, "order_updates_frame", None)
        self.paper = paper
        self.malformed = 0
        self._dexes_seen: set[str] = set()
        # Later fills and venue ends of resting orders (hip3.ops.events); a stand-in bot
        # without its own gets a private one.
        self._order_events: OrderEvents = getattr(bot, "order_events", None) or OrderEvents()

    def close_strategy_feed(self) -> None:
        self._strategy_open = False

    async def _notify(self, event: Book | Fill) -> None:
        if not self._strategy_open:
            return
        try:
            await self._to_strategy.send(event)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            self._strategy_open = False  # shutting down: the strategy has stopped listening

    async def books(self, sub: Any) -> None:
        async for event in sub:
            if not _is_data(event):
                continue
            try:
                raw = getattr(event, "raw", None)
                book = book_from_l2(event.data) if raw is None else book_from_frame(raw)
            except Hip3Error as exc:
                self._malformed("l2Book", exc)
                continue
            if self.paper is not None:
                self.paper.update_book(book)
            await self._notify(book)

    async def user_fills(self, sub: Any) -> None:
        async for event in sub:
            if not _is_data(event):
                # A reconnect notice: the fresh ack snapshot follows (deduplicated); the
                # bot looks for fills lost meanwhile too.
                self.bot.on_reconnect("userFills")
                continue
            raw = getattr(event, "raw", None)
            is_snapshot = event.is_snapshot
            try:
                if raw is not None and self._fills_frame is not None:
                    fills, is_snapshot = self._fills_frame(raw)
                else:
                    fills = self.converters.fills(event.data)
            except Hip3Error as exc:
                self._malformed("userFills", exc)
                continue
            for fill in fills:
                dex = dex_of(fill.coin)
                if dex is not None and dex not in self._dexes_seen:
                    self._dexes_seen.add(dex)
                    self.bot.note_dex(dex)
            await self.tracker.fills(fills, is_snapshot=is_snapshot)
            self.bot._fills_seen += len(fills)
            if not is_snapshot:
                self._order_events.fills(fills)  # resting orders filled later
                for fill in fills:
                    try:  # a decoded fill makes its Decimals when read: once, here
                        made = fill.materialized()
                    except Hip3Error as exc:  # the tracker counts and skips it too
                        self._malformed("userFills", exc)
                        continue
                    await self._notify(made)

    async def order_updates(self, sub: Any) -> None:
        async for event in sub:
            if not _is_data(event):
                self.bot.on_reconnect("orderUpdates")  # that channel replays nothing
                continue
            raw = getattr(event, "raw", None)
            try:
                if raw is not None and self._order_updates_frame is not None:
                    updates = self._order_updates_frame(raw)
                else:
                    updates = self.converters.order_updates(event.data)
            except Hip3Error as exc:
                self._malformed("orderUpdates", exc)
                continue
            for update in updates:
                await self.tracker.order_update(update)
                self._order_events.order_update(update)

    async def paper_events(self, paper: PaperVenue) -> None:
        while True:
            for event in await paper.receive_events():
                if isinstance(event, Fill):
                    await self.tracker.fills([event])
                    self.bot._fills_seen += 1
                    self._order_events.fills([event])
                    await self._notify(event)
                else:
                    await self.tracker.order_update(event)
                    self._order_events.order_update(event)

    def _malformed(self, kind: str, exc: Exception) -> None:
        self.malformed += 1
        if self.malformed == 1 or self.malformed % 1000 == 0:
            log.warning("malformed %s message (%d so far): %s", kind, self.malformed, exc)


def _is_data(event: WsEvent) -> bool:
    return event.kind == "data"


async def run_bot(
    *, task_status: trio.TaskStatus[Bot] = trio.TASK_STATUS_IGNORED, **params: Any
) -> BotSummary:
    """Build a :class:`Bot` from keyword parameters (:meth:`Bot.create`'s) and run it until
    stopped or cancelled."""
    return await Bot.create(**params).run(task_status=task_status)
