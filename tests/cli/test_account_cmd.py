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


def test_cancel_all_with_a_key_that_is_not_the_accounts_reports_refusals_and_exits_1(
    session: hn.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    tsla = session.book("xyz:TSLA")
    assert tsla.best_bid is not None
    px = (tsla.best_bid * Decimal("0.8")).quantize(Decimal("0.01"))
    assert session.place("xyz:TSLA", "buy", "1", px).status == "resting"
    before = session.open_orders()
    monkeypatch.setenv("HIP3_PRIVATE_KEY", "0x" + "5d" * 32)  # not the account, not its agent
    args = ["--network", session.url, "--address", session.address]
    result = CliRunner().invoke(cancel_all_cmd, [*args, "--json"])
    assert result.exit_code == 1, result.output
    data = _json(result.stdout)
    assert data["error"].startswith(f"the venue refused {len(before)} cancel(s)")  # type: ignore[union-attr]
    assert data["total"] == 0 and len(data["refused"]) == len(before)  # type: ignore[arg-type]
    assert {r["coin"] for r in data["refused"]} == {"xyz:TSLA"}  # type: ignore[union-attr]
    human = CliRunner().invoke(cancel_all_cmd, args)
    assert human.exit_code == 1
    assert "refused: xyz:TSLA oid" in human.stderr and "still open" in human.stderr
    assert len(session.open_orders()) == len(before)  # nothing was cancelled


@pytest.mark.parametrize("command", [positions_cmd, orders_cmd, fills_cmd])
def test_malformed_address_is_named_as_malformed_not_missing(command: object) -> None:
    bad = "0x" + "ab" * 19  # 38 hex digits
    result = CliRunner().invoke(command, ["--network", "sim", "--address", bad])  # type: ignore[arg-type]
    assert result.exit_code == 2
    assert "--address: not an address" in result.stderr and bad not in result.output


@pytest.mark.parametrize("command", [positions_cmd, orders_cmd, fills_cmd, cancel_all_cmd])
def test_json_commands_print_an_error_object_on_failure(command: object) -> None:
    result = CliRunner().invoke(command, ["--network", "nowhere", "--json"])  # type: ignore[arg-type]
    assert result.exit_code == 2
    data = _json(result.stdout)
    assert data["exit_code"] == 2 and "--network" in data["error"]  # type: ignore[operator]


def test_bad_key_in_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIP3_PRIVATE_KEY", "0xnot-a-key")
    result = CliRunner().invoke(cancel_all_cmd, ["--network", "sim", "--address", "0x" + "1" * 40])
    assert result.exit_code == 2
    assert "HIP3_PRIVATE_KEY" in result.stderr and "not-a-key" not in result.output


def test_unreachable_venue_fails_naming_its_url() -> None:
    import socket

    with socket.socket() as s:  # a loopback port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    result = CliRunner().invoke(
        positions_cmd, ["--network", url, "--address", "0x" + "1" * 40, "--json"]
    )
    assert result.exit_code == 1
    assert f"cannot reach the venue at {url}" in _json(result.stdout)["error"]  # type: ignore[operator]
