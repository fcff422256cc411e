"""Hypothesis strategies for hostile JSON: arbitrary values, and valid samples mutated at a random
place (field dropped, value replaced by one of another JSON type, unknown key added, value
wrapped in an array, container emptied), truncated frames and byte noise."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import orjson
from hypothesis import strategies as st

Draw = Callable[[st.SearchStrategy[Any]], Any]

# Values a type-confused venue (or an attacker on the path) could send in place of any field.
CONFUSED: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    2**64,  # beyond int64
    -(2**70),
    1.5,
    -0.0,
    1e308,
    "",
    "abc",
    "1e999999",  # a decimal string that overflows Decimal contexts
    "NaN",
    "-Infinity",
    "0x",
    "\u00b2",  # a digit to str.isdigit, not to int()
    "\x00",
    "B" * 300,
    [],
    [None],
    {},
    {"": None},
    [[[[[]]]]],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(CONFUSED[:18]),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys/indices) to a value inside ``value``, the root included."""
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.extend(_paths(item, (*prefix, index)))
    return out


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


MUTATIONS = ("replace", "drop", "add_key", "wrap", "empty", "replace_json")


def mutate(value: Any, draw: Draw, *, rounds: int = 3) -> Any:
    """``value`` (a parsed JSON sample) with 1..rounds random mutations (``draw`` from
    ``st.composite``)."""
    value = copy.deepcopy(value)
    for _ in range(draw(st.integers(min_value=1, max_value=rounds))):
        paths = _paths(value)
        path = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(MUTATIONS))
        if kind == "replace":
            new: Any = copy.deepcopy(draw(st.sampled_from(CONFUSED)))
        elif kind == "replace_json":
            new = draw(json_values)
        else:
            new = copy.deepcopy(_get(value, path))
            if kind == "drop" and path:
                parent = _get(value, path[:-1])
                del parent[path[-1]]
                continue
            if kind == "add_key" and isinstance(new, dict):
                new[draw(st.text(max_size=8))] = draw(json_values)
            elif kind == "wrap":
                new = [new]
            elif kind == "empty" and isinstance(new, dict | list):
                new.clear()
        if not path:
            value = new
        else:
            _get(value, path[:-1])[path[-1]] = new
    return value


def mutated_frame(text: str, draw: Draw) -> str | bytes:
    """A ws frame derived from the valid frame ``text``: mutated JSON, or truncated, or with
    random bytes spliced in."""
    how = draw(st.sampled_from(("mutate", "truncate", "splice", "mutate")))
    if how == "mutate":
        return json.dumps(mutate(orjson.loads(text), draw), separators=(",", ":"))
    if how == "truncate":
        cut = draw(st.integers(min_value=0, max_value=max(0, len(text) - 1)))
        return text[:cut]
    raw = text.encode()
    at = draw(st.integers(min_value=0, max_value=len(raw)))
    noise = draw(st.binary(min_size=1, max_size=8))
    return raw[:at] + noise + raw[at:]
