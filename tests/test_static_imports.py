"""The bot, the app and the config import their parts statically and type them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import trio

import hip3
from hip3.app import Endpoint, endpoint_for, open_venue
from hip3.bot import defaults
from hip3.clients import MAINNET, TESTNET, Network
from hip3.config import config_from_dict
from hip3.sim import SimConfig, SimServer
from hip3.tracker import PositionTracker

ROOT = Path(hip3.__file__).parent


@pytest.mark.parametrize("module", ["bot/defaults.py", "app/run.py", "config/_load.py"])
def test_no_importlib_and_no_cast(module: str) -> None:
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert "importlib" not in names and "cast" not in names
    functions = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert "_stat" not in functions


def test_the_default_tracker_is_hip3s() -> None:
    assert isinstance(defaults.tracker(2000), PositionTracker)


def test_one_class_says_where_a_venue_is() -> None:
    assert Endpoint is Network
    assert endpoint_for(config_from_dict({"network": "testnet"})) == TESTNET
    assert endpoint_for(config_from_dict({"network": "mainnet"})) == MAINNET
    custom = config_from_dict({"network": {"http_url": "http://h:1", "ws_url": "ws://h:1/ws"}})
    assert endpoint_for(custom) == Network("custom", "http://h:1", "ws://h:1/ws", False)


async def test_open_venue_starts_the_configs_simulator_or_reuses_one() -> None:
    config = config_from_dict({"sim": {"seed": 3}})
    async with open_venue(config) as (network, server):
        assert isinstance(server, SimServer) and server.config.seed == 3
        assert network == Network("sim", server.url, server.ws_url, False)
        async with open_venue(config, sim=server) as (again, same):
            assert same is server and again == network
    with trio.fail_after(1):
        async with open_venue(config_from_dict({"network": "testnet"})) as (net, none):
            assert net == TESTNET and none is None


def test_config_sim_is_a_sim_config() -> None:
    assert isinstance(config_from_dict({}).sim, SimConfig)
