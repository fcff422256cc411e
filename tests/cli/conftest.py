"""Config files for CLI runs against the embedded simulator, kept to a few seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

#: A simulator whose prices move fast enough that quotes at the touch fill within seconds.
FAST_SIM = """
mode = "trading"
network = "sim"
markets = ["BTC", "xyz:TSLA"]
position_resync_interval_secs = 1

[strategy]
interval_secs = 0.2

[strategy.params]
half_spread_bps = 1
order_notional_usd = 200
max_position_usd = 2000
requote_bps = 2
quote_ttl_ms = 2000
tif = "Gtc"

[log]
level = "warning"

[sim]
seed = 3
tick_ms = 50

[[sim.dexes]]
name = ""
markets = [{ name = "BTC", sz_decimals = 5, start_price = 60000, volatility = 0.002 }]

[[sim.dexes]]
name = "xyz"
full_name = "XYZ equities"
markets = [{ name = "xyz:TSLA", sz_decimals = 3, start_price = 250, volatility = 0.003 }]
"""


@pytest.fixture
def fast_sim_config(tmp_path: Path) -> Path:
    path = tmp_path / "fast.toml"
    path.write_text(FAST_SIM)
    return path
