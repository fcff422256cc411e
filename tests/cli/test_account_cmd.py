"""`hip3 positions | orders | fills | cancel-all` against a simulator run by a notebook session.

The session (hip3.notebook) runs the simulator in a background thread, so the click
commands (each with its own trio.run) can query it over loopback like any venue.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from click.testing import CliRunner

import hip3.notebook as hn
from hip3_cli.account import cancel_all_cmd, fills_cmd, orders_cmd, positions_cmd

KEY = "0x" + "3c" * 32


@pytest.fixture(scope="module")
def session() -> Iterator[hn.Session]:
    with hn.connect("sim", key=KEY) as s:
        book = s.book("BTC")
        assert book.best_ask is not None
        through = (book.best_ask * Decimal("1.01")).quantize(Decimal(1))  # marketable
        assert s.place("BTC", "buy", "0.002", through, tif="Ioc").status == "filled"
        tsla = s.book("xyz:TSLA")
        assert tsla.best_bid is not None
        resting_px = (tsla.best_bid * Decimal("0.9")).quantize(Decimal("0.01"))
        assert s.place("xyz:TSLA", "buy", "1", resting_px).status == "resting"
        yield s


def _json(output: str) -> dict[str, object]:
    return json.loads(output.strip().splitlines()[-1])


def test_positions_json_matches_the_session(session: hn.Session) -> None:
    args = ["--network", session.url, "--address", session.address, "--json"]
    result = CliRunner().invoke(positions_cmd, args)
    assert result.exit_code == 0, result.output
    data = _json(result.stdout)
    assert data["positions"] == {"BTC": "0.002"}
    assert data["account"] == session.address


def test_positions_table_for_people(session: hn.Session) -> None:
    result = CliRunner().invoke(
        positions_cmd, ["--network", session.url, "--address", session.address]
    )
    assert result.exit_code == 0
    assert "BTC" in result.stdout and "0.002" in result.stdout


def test_orders_and_fills(session: hn.Session) -> None:
    target = ["--network", session.url, "--address", session.address, "--json"]
    orders = _json(CliRunner().invoke(orders_cmd, target).stdout)["orders"]
    assert [(o["coin"], o["side"], o["sz"]) for o in orders] == [("xyz:TSLA", "buy", "1")]  # type: ignore[union-attr]
    fills = _json(CliRunner().invoke(fills_cmd, target).stdout)["fills"]
    assert [(f["coin"], f["side"], f["sz"]) for f in fills] == [("BTC", "buy", "0.002")]  # type: ignore[union-attr]


def test_cancel_all_uses_the_key_from_the_environment(
    session: hn.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIP3_PRIVATE_KEY", KEY)
    result = CliRunner().invoke(cancel_all_cmd, ["--network", session.url, "--json"])
    assert result.exit_code == 0, result.output
    assert _json(result.stdout)["total"] == 1
    assert session.open_orders() == []
    assert KEY[2:] not in result.output


def test_cancel_all_without_a_key_is_a_usage_error(
    session: hn.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HIP3_PRIVATE_KEY", raising=False)
    result = CliRunner().invoke(
        cancel_all_cmd, ["--network", session.url, "--address", session.address]
    )
    assert result.exit_code == 2
    assert "HIP3_PRIVATE_KEY" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --config FILE or --network"),
        (["--network", "devnet", "--address", "0x" + "1" * 40], "--network: must be"),
        (["--network", "testnet"], "give --address"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(positions_cmd, args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_network_sim_starts_a_fresh_simulator() -> None:
    result = CliRunner().invoke(
        positions_cmd, ["--network", "sim", "--address", "0x" + "22" * 20, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert _json(result.stdout)["positions"] == {}
    assert "fresh embedded simulator" in result.stderr
