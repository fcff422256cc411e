"""Structured order events: one log record per intent's end, for JSON logs.

Each record goes to the ``hip3.orders`` logger at info with the event's fields in
``record.hip3_event`` (a flat dict of JSON-ready values); the CLI's JSON log format
(``[log] format = "json"``) merges them into the line, the text format shows the message.
"""

from __future__ import annotations

import enum
import logging
from typing import Any

from hip3.executor.intents import Outcome

__all__ = ["EVENT_ATTR", "log_outcome", "outcome_event"]

log = logging.getLogger("hip3.orders")

#: The LogRecord attribute carrying the event's fields.
EVENT_ATTR = "hip3_event"

_INTENT_FIELDS = ("coin", "side", "px", "sz", "tif", "reduce_only", "cloid", "oid", "new_cloid")


def outcome_event(outcome: Outcome) -> dict[str, Any]:
    """The fields of one ended intent: what was asked and how it ended."""
    from hip3.bot.orders import intent_kind

    intent = outcome.intent
    event: dict[str, Any] = {"event": "order", "kind": intent_kind(intent),
                             "status": outcome.status.value}  # fmt: skip
    for name in _INTENT_FIELDS:
        value = getattr(intent, name, None)
        if value is not None:
            event[name] = _plain(value)
    if outcome.oid is not None:
        event["oid"] = outcome.oid
    if outcome.filled_sz:
        event["filled_sz"] = str(outcome.filled_sz)
    if outcome.avg_px is not None:
        event["avg_px"] = str(outcome.avg_px)
    if outcome.reason:
        event["reason"] = outcome.reason
    if outcome.gate:
        event["gate"] = outcome.gate
    return event


def log_outcome(outcome: Outcome) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    event = outcome_event(outcome)
    log.info(
        "%s %s %s", event["kind"], event.get("coin", ""), event["status"],
        extra={EVENT_ATTR: event},
    )  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, bool | int):
        return value
    if isinstance(value, enum.Enum):
        return value.value if isinstance(value.value, str | int) else str(value.value)
    return str(value)
