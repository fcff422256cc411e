"""Async clients for the venue: InfoClient (/info, typed answers), ExchangeClient (/exchange,
signed actions, typed per-order results, lost answers resolved by cloid), WsClient (ws
subscriptions and post), the shared RateLimiter, and network presets."""

from __future__ import annotations

from hip3.clients.backoff import Backoff
from hip3.clients.exchange import (
    CancelResult,
    CancelSuccess,
    ExchangeClient,
    Filled,
    OrderOutcome,
    OrderRequest,
    Rejected,
    Resolved,
    Resting,
    Waiting,
)
from hip3.clients.info import InfoClient, merge_fills
from hip3.clients.journal import MessageRecorder
from hip3.clients.network import MAINNET, TESTNET, Network
from hip3.clients.nonce import NonceGenerator
from hip3.clients.outcome import NotSentError, SentNoAnswerError
from hip3.clients.ratelimit import RateLimiter, TokenBucket, exchange_weight, info_weight
from hip3.clients.ws import (
    SlowConsumerPolicy,
    Subscription,
    WsClient,
    WsEvent,
    WsStats,
    open_ws_client,
)
from hip3.domain import OrderAnswer
from hip3.types import PlaceOrder

__all__ = [
    "MAINNET",
    "TESTNET",
    "Backoff",
    "CancelResult",
    "CancelSuccess",
    "ExchangeClient",
    "Filled",
    "InfoClient",
    "MessageRecorder",
    "Network",
    "NonceGenerator",
    "NotSentError",
    "OrderAnswer",
    "OrderOutcome",
    "OrderRequest",
    "PlaceOrder",
    "RateLimiter",
    "Rejected",
    "Resolved",
    "Resting",
    "SentNoAnswerError",
    "SlowConsumerPolicy",
    "Subscription",
    "TokenBucket",
    "Waiting",
    "WsClient",
    "WsEvent",
    "WsStats",
    "exchange_weight",
    "info_weight",
    "merge_fills",
    "open_ws_client",
]
