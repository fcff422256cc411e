"""Async clients for the venue: InfoClient (/info), ExchangeClient (/exchange), WsClient (ws),
the shared RateLimiter, and network presets."""

from __future__ import annotations

from hip3.clients.backoff import Backoff
from hip3.clients.exchange import ExchangeClient, OrderRequest, OrderResult
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

__all__ = [
    "MAINNET",
    "TESTNET",
    "Backoff",
    "ExchangeClient",
    "InfoClient",
    "MessageRecorder",
    "Network",
    "NonceGenerator",
    "NotSentError",
    "OrderRequest",
    "OrderResult",
    "RateLimiter",
    "SentNoAnswerError",
    "SlowConsumerPolicy",
    "Subscription",
    "TokenBucket",
    "WsClient",
    "WsEvent",
    "WsStats",
    "exchange_weight",
    "info_weight",
    "merge_fills",
    "open_ws_client",
]
