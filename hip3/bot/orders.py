"""What became of each order a run sent (``orders``), apart from how each intent ended.

An intent's :class:`~hip3.executor.Outcome` is how *that request* ended: a quote that
rested is ``resting`` for good, even when the stream fills it a second later, and a
Cancel of an order that had already filled ends ``rejected``. Counting outcomes by
status therefore says little about orders. :class:`OrderLedger` counts per order:

* an order is a :class:`~hip3.executor.PlaceOrder`, or a
  :class:`~hip3.executor.Modify`'s replacement (its ``new_cloid``), that passed the
  risk gates and was sent (``placed``); one refused by a gate is not an order
  (``gate_rejections``), nor is one refused in observe mode;
* each sent order's state is read from the tracker (``orders()``, by cloid): its
  *current* state, so a resting quote later filled by userFills counts as filled;
  the post answer's outcome is only the fallback for an order the tracker has
  already forgotten (``untracked`` when that outcome was ``resting``: ended, end
  unknown).

Orders whose end is known are folded into counters and dropped (the ledger holds only
orders still open, plus those sent since it last asked the tracker), so a long run's
memory does not grow with its order count. Per-intent outcome counts are kept apart in
:attr:`OrderLedger.intents` (``place`` / ``modify`` / ``cancel``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from hip3.domain import OrderState, OrderStatus
from hip3.executor import Cancel, CancelAll, Intent, Modify, Outcome, OutcomeStatus, PlaceOrder
from hip3.risk.rejects import VenueReject, classify_reject
from hip3.types import Cloid

__all__ = ["INTENT_KINDS", "OrderLedger", "OrderTally", "intent_kind"]

#: The keys of :attr:`OrderLedger.intents` (a CancelAll's outcomes count as ``cancel``).
INTENT_KINDS = ("place", "modify", "cancel")

#: Ask the tracker about pending orders once this many more are waiting: often enough
#: that it still remembers the ones that ended (it keeps at least 100 finished orders).
_SETTLE_EVERY = 64


def intent_kind(intent: Intent) -> str:
    """ "place", "modify" or "cancel" (each intent class says which, as ``kind``)."""
    if not isinstance(intent, (PlaceOrder, Modify, Cancel, CancelAll)):
        raise TypeError(f"not an intent: {type(intent).__name__}")
    return intent.kind


@attrs.frozen
class OrderTally:
    """Orders of a run, each counted once by its latest known state.

    ``placed`` orders were sent; each is then exactly one of ``filled``, ``cancelled``,
    ``venue_rejections`` (refused by the venue, or lost), ``resting`` (still open on the
    book: resting or partially filled) or ``untracked`` (ended, but forgotten by the
    tracker before its end was read). ``partially_filled`` counts, among the cancelled
    and resting ones, those that filled some but not all of their size.
    ``rejected = venue_rejections + gate_rejections``; gate rejections were never sent.
    """

    placed: int = 0
    filled: int = 0
    partially_filled: int = 0
    cancelled: int = 0
    rejected: int = 0
    venue_rejections: int = 0
    gate_rejections: int = 0
    resting: int = 0
    untracked: int = 0


@attrs.define
class _Ended:
    filled: int = 0
    partially_filled: int = 0
    cancelled: int = 0
    venue_rejections: int = 0
    untracked: int = 0


def _reason_kind(reason: str | None) -> str:
    """A rejection text without the ids in it, so equal causes are counted together."""
    text = _IDS.sub("…", reason or "no reason")
    return text if len(text) <= 80 else text[:79] + "…"


_IDS = re.compile(r"0x[0-9a-fA-F]+|\b\d{4,}\b")


class OrderLedger:
    """Per-order counts and per-intent outcome counts; see the module docstring.

    :meth:`record` every outcome (synchronous); :meth:`pending_cloids` then
    ``settle(cloids, await tracker.orders())`` whenever counts are wanted (the cloids
    are read *before* asking, so an order sent while the question is on its way is not
    mistaken for a forgotten one).
    """

    def __init__(self) -> None:
        self.placed = 0
        self.gate_rejections = 0
        self.intents: dict[str, dict[OutcomeStatus, int]] = {
            kind: {status: 0 for status in OutcomeStatus} for kind in INTENT_KINDS
        }
        #: kind -> reason -> how many intents of that kind were rejected for it; a gate's
        #: refusal is ``"gate <name>"``, the venue's is its text (first 80 characters).
        self.rejections: dict[str, dict[str, int]] = {}
        #: the venue's refusals (any intent kind) by typed reason (:mod:`hip3.risk.rejects`)
        self.venue_rejects: dict[VenueReject, int] = {}
        self._pending: dict[Cloid, Outcome] = {}
        self._ended = _Ended()
        self._settle_at = _SETTLE_EVERY

    def record(self, outcome: Outcome, *, sent: bool = True) -> None:
        """One intent's end; ``sent=False`` when nothing could have been sent (observe mode)."""
        intent = outcome.intent
        kind = intent_kind(intent)
        self.intents[kind][outcome.status] += 1
        if outcome.status is OutcomeStatus.REJECTED:  # why, for the summary (gate or venue text)
            why = f"gate {outcome.gate}" if outcome.gate else _reason_kind(outcome.reason)
            reasons = self.rejections.setdefault(kind, {})
            reasons[why] = reasons.get(why, 0) + 1
            if outcome.gate is None and sent:
                reject = classify_reject(outcome.reason)
                self.venue_rejects[reject] = self.venue_rejects.get(reject, 0) + 1
        if kind == "cancel" or not sent:
            return
        if outcome.gate is not None:
            self.gate_rejections += 1
            return
        assert isinstance(intent, (PlaceOrder, Modify))
        self.placed += 1
        cloid = intent.cloid if isinstance(intent, PlaceOrder) else intent.new_cloid
        self._pending[cloid] = outcome

    def needs_settling(self) -> bool:
        return len(self._pending) >= self._settle_at

    def pending_cloids(self) -> list[Cloid]:
        return list(self._pending)

    def settle(self, cloids: Iterable[Cloid], orders: Iterable[OrderState]) -> OrderTally:
        """Read the tracker's ``orders`` for ``cloids`` (pending when they were asked for)."""
        cloids = set(cloids)
        known = {o.cloid: o for o in orders if o.cloid is not None and o.cloid in cloids}
        resting = partial_open = 0
        ended = self._ended
        for cloid in cloids:
            outcome = self._pending.get(cloid)
            if outcome is None:
                continue
            state = known.get(cloid)
            if state is not None and not state.status.is_terminal:
                resting += 1
                partial_open += 0 < state.filled_sz < state.orig_sz
                continue
            del self._pending[cloid]
            if state is not None:
                _count_end(ended, state.status, state.filled_sz, state.orig_sz)
            else:  # forgotten by the tracker: it ended; the post answer is all we know
                _count_outcome(ended, outcome)
        # Orders sent after the question: counted open until the next settle.
        late = len(self._pending) - resting
        self._settle_at = len(self._pending) + _SETTLE_EVERY
        return OrderTally(
            placed=self.placed,
            filled=ended.filled,
            partially_filled=ended.partially_filled + partial_open,
            cancelled=ended.cancelled,
            rejected=ended.venue_rejections + self.gate_rejections,
            venue_rejections=ended.venue_rejections,
            gate_rejections=self.gate_rejections,
            resting=resting + late,
            untracked=ended.untracked,
        )

    def intents_json(self) -> dict[str, dict[str, int]]:
        return intents_json(self.intents)


def intents_json(intents: Mapping[str, Mapping[OutcomeStatus, int]]) -> dict[str, dict[str, int]]:
    """``{"place": {"filled": n, "resting": n, "cancelled": n, "rejected": n}, ...}``."""
    return {
        kind: {status.value: counts.get(status, 0) for status in OutcomeStatus}
        for kind, counts in intents.items()
    }


def _count_end(ended: _Ended, status: OrderStatus, filled_sz: Any, orig_sz: Any) -> None:
    if status is OrderStatus.FILLED:
        ended.filled += 1
    elif status is OrderStatus.REJECTED:
        ended.venue_rejections += 1
    else:  # cancelled, by us, the venue, or an Ioc's unmatched rest
        ended.cancelled += 1
        ended.partially_filled += 0 < filled_sz < orig_sz


def _count_outcome(ended: _Ended, outcome: Outcome) -> None:
    status = outcome.status
    if status is OutcomeStatus.FILLED:
        ended.filled += 1
    elif status is OutcomeStatus.REJECTED:
        ended.venue_rejections += 1
    elif status is OutcomeStatus.CANCELLED:
        ended.cancelled += 1
        ended.partially_filled += outcome.filled_sz > 0
    else:
        ended.untracked += 1
