"""OpenTelemetry spans from intent to fill (``pip install 'hip3[otel]'``).

Without ``opentelemetry-api`` every helper here is a no-op (a decorator returns the
function itself), so hip3 costs nothing more. With it, spans go to whatever tracer
provider the application set up (``opentelemetry.trace.set_tracer_provider``); with
none set up, the API's own no-op tracer drops them.

One trace per intent:

* ``hip3.intent`` -- the executor carrying out one intent (gates, post, outcome):
  ``hip3.kind``, ``hip3.coin``, ``hip3.side``, ``hip3.px``, ``hip3.sz``, ``hip3.cloid``;
  at its end ``hip3.status`` (resting, filled, cancelled, rejected), ``hip3.oid``,
  ``hip3.reason`` and ``hip3.gate`` of a rejection;
* ``hip3.sign`` (child) -- building and signing the ``/exchange`` body;
* ``hip3.post`` (child) -- sending it and waiting for the venue (retries included),
  with an ``hip3.answer`` event carrying the answer's ``status``;
* ``hip3.fill`` (child) -- each later fill of an order the intent left resting, when
  it reaches the bot: ``hip3.px``, ``hip3.sz``, ``hip3.tid``, ``hip3.filled_sz``,
  ``hip3.remaining_sz``, ``hip3.status`` (partiallyFilled / filled).

Only stdlib is imported here: the executor and the exchange client use it.
"""

from __future__ import annotations

import enum
import functools
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ParamSpec, TypeVar

__all__ = ["fill_span", "forget", "traced", "traced_async", "traced_intent", "use_tracer_provider"]

P = ParamSpec("P")
R = TypeVar("R")

#: Resting orders whose intent span a fill span attaches to (oldest forgotten first).
CONTEXTS_REMEMBERED = 10_000

_ENV_PROVIDER = "OTEL_PYTHON_TRACER_PROVIDER"
_env_provider = False
_api: Any = None  # the opentelemetry.trace module once imported (False: not installed)
_explicit: Any = None  # a tracer from use_tracer_provider
_cached: tuple[Any, Any] = (None, None)  # (global provider, its hip3 tracer)
_contexts: OrderedDict[str, Any] = OrderedDict()


def _get_tracer() -> Any:
    """The hip3 tracer, or None when there is nowhere for spans to go: opentelemetry-api
    not installed, or no tracer provider set up (the API's default drops every span, so
    hip3 does not make them: a few microseconds an order saved)."""
    global _api, _cached, _env_provider
    if _explicit is not None:
        return _explicit
    if _api is None:
        try:
            from opentelemetry import trace
        except ImportError:
            _api = False
        else:
            _api = trace
            _env_provider = _ENV_PROVIDER in os.environ  # a provider the API loads itself
    if _api is False:
        return None
    # The API's global, read directly: get_tracer_provider() looks at os.environ on every
    # call until a provider is set (a microsecond an order, for nothing).
    provider = getattr(_api, "_TRACER_PROVIDER", _api)
    if provider is None and not _env_provider:
        return None
    if provider is None or provider is _api:
        provider = _api.get_tracer_provider()
    if isinstance(provider, _api.ProxyTracerProvider | _api.NoOpTracerProvider):
        return None
    if _cached[0] is not provider:
        _cached = (provider, provider.get_tracer("hip3"))
    return _cached[1]


def use_tracer_provider(provider: Any | None) -> None:
    """Send hip3's spans to ``provider`` instead of the global one (None: back to the
    global provider; whether opentelemetry is installed is looked up again)."""
    global _api, _explicit, _cached
    _explicit = provider.get_tracer("hip3") if provider is not None else None
    _api, _cached = None, (None, None)
    _contexts.clear()


def _attributes(values: Mapping[str, Any]) -> dict[str, Any]:
    """``hip3.``-prefixed span attributes: enums by value, decimals and ids as text."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, enum.Enum):
            value = value.value
        if not isinstance(value, bool | int | float | str):
            value = getattr(value, "hex", None) or str(value)  # a Cloid as its hex
        out[f"hip3.{key}"] = value
    return out


def traced(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A span named ``name`` around each call of a plain function."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            tracer = _get_tracer()
            if tracer is None:
                return fn(*args, **kwargs)
            with tracer.start_as_current_span(name):
                return fn(*args, **kwargs)

        return wrapper

    return decorate


def traced_async(
    name: str, *, answer: bool = False
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """A span named ``name`` around each await of a coroutine function; with ``answer``
    an ``hip3.answer`` event records the result's ``status`` (a venue answer)."""

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            tracer = _get_tracer()
            if tracer is None:
                return await fn(*args, **kwargs)
            with tracer.start_as_current_span(name) as span:
                result = await fn(*args, **kwargs)
                if answer:
                    status = result.get("status") if isinstance(result, Mapping) else None
                    span.add_event("hip3.answer", {"status": str(status)})
                return result

        return wrapper

    return decorate


#: (span attribute, intent attribute)
_INTENT_FIELDS = (("coin", "coin"), ("side", "side"), ("px", "limit_px"), ("sz", "sz"),
                  ("cloid", "cloid"), ("oid", "oid"), ("new_cloid", "new_cloid"))  # fmt: skip


def traced_intent(
    fn: Callable[[Any, Any], Awaitable[list[Any]]],
) -> Callable[[Any, Any], Awaitable[list[Any]]]:
    """The ``hip3.intent`` span around an executor's ``(self, intent) -> [Outcome]``."""

    @functools.wraps(fn)
    async def wrapper(self: Any, intent: Any) -> list[Any]:
        tracer = _get_tracer()
        if tracer is None:
            return await fn(self, intent)
        with tracer.start_as_current_span("hip3.intent") as span:
            if not span.is_recording():  # sampled out: spend nothing more
                return await fn(self, intent)
            asked = {key: getattr(intent, name, None) for key, name in _INTENT_FIELDS}
            span.set_attributes(_attributes({"kind": intent.kind, **asked}))
            outcomes = await fn(self, intent)
            if len(outcomes) == 1:
                (outcome,) = outcomes
                span.set_attributes(
                    _attributes(
                        {
                            "status": outcome.status.value,
                            "oid": outcome.oid,
                            "reason": outcome.reason,
                            "gate": outcome.gate,
                        }
                    )
                )
            else:
                span.set_attribute("hip3.outcomes", len(outcomes))
            cloid = getattr(intent, "new_cloid", None) or getattr(intent, "cloid", None)
            if cloid is not None and any(o.status.value == "resting" for o in outcomes):
                _contexts[cloid.hex] = span.get_span_context()
                while len(_contexts) > CONTEXTS_REMEMBERED:
                    _contexts.popitem(last=False)
            return outcomes

    return wrapper


def fill_span(cloid: str | None, attributes: Mapping[str, Any]) -> None:
    """One ``hip3.fill`` span for a fill of the resting order ``cloid``, a child of the
    intent that placed it (a root span when that intent is not remembered)."""
    tracer = _get_tracer()
    if tracer is None:
        return
    parent = _contexts.get(cloid) if cloid is not None else None
    context = None
    if parent is not None:
        from opentelemetry import trace

        context = trace.set_span_in_context(trace.NonRecordingSpan(parent))
    with tracer.start_as_current_span(
        "hip3.fill", context=context, attributes=_attributes(attributes)
    ):
        pass


def forget(cloid: str | None) -> None:
    """The order ``cloid`` ended: no more fill spans attach to its intent."""
    if cloid is not None:
        _contexts.pop(cloid, None)
