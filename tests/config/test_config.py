from __future__ import annotations

from pathlib import Path

import pytest

from hip3.config import config_from_dict, load_config
from hip3.errors import ConfigError


def test_good_file_loads_with_defaults(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('mode = "paper"\nnetwork = "sim"\nmarkets = ["BTC", "xyz:TSLA"]\n')
    c = load_config(p)
    assert c.markets == ("BTC", "xyz:TSLA")
    assert c.position_resync_interval_secs == 60.0
    assert c.dedup_capacity == 2000


def test_unknown_key_names_file_key_and_suggestion(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text("[risk]\nmax_open_order = 3\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert str(p) in str(e.value) and "risk.max_open_order" in str(e.value)
    assert "max_open_orders" in str(e.value)


def test_out_of_range_value_is_error() -> None:
    with pytest.raises(ConfigError, match=r"risk\.max_open_orders"):
        config_from_dict({"risk": {"max_open_orders": 0}})


def test_key_in_file_is_rejected_without_echoing_it() -> None:
    key = "0x" + "ab" * 32
    with pytest.raises(ConfigError) as e:
        config_from_dict({"account": {"key_env": key}})
    assert key not in str(e.value)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
_keys = st.sampled_from(
    ["mode", "network", "markets", "risk", "account", "log", "max_open_orders", "level", "x"]
)
_values = st.recursive(
    _scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(_keys, c, max_size=4)
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=6))
def test_any_toml_like_dict_gives_config_or_config_error(data: dict[str, object]) -> None:
    try:
        config_from_dict(data)
    except ConfigError as e:
        assert str(e)


def test_nan_and_infinite_limits_are_rejected() -> None:
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ConfigError, match=r"risk\.max_notional"):
            config_from_dict({"risk": {"max_notional": bad}})


def test_dedup_capacity_below_the_venues_fills_snapshot_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"dedup_capacity.*2000"):
        config_from_dict({"dedup_capacity": 100})
    assert config_from_dict({"dedup_capacity": 2000}).dedup_capacity == 2000


def test_cancel_scope_is_own_by_default_and_checked() -> None:
    assert config_from_dict({}).shutdown.cancel_scope == "own"
    assert config_from_dict({"shutdown": {"cancel_scope": "account"}}).shutdown.cancel_scope == (
        "account"
    )
    with pytest.raises(ConfigError, match=r"shutdown\.cancel_scope"):
        config_from_dict({"shutdown": {"cancel_scope": "everyone"}})
