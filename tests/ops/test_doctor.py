"""`hip3 doctor` against the simulator: the JSON report and the exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from hip3.signing import PrivateKey
from hip3.sim import SimConfig
from hip3_cli.main import main
from tests.sim.conftest import ThreadedSimulator

#: Requests the simulator may not answer yet: their checks must degrade to a warning.
MAYBE_UNANSWERED = {"account mode", "dead-man's switch"}


def _doctor(tmp_path: Path, toml: str, *args: str, env: dict[str, str] | None = None) -> Any:
    path = tmp_path / "bot.toml"
    path.write_text(toml)
    result = CliRunner().invoke(main, ["doctor", "--config", str(path), *args], env=env)
    return result


def _by_name(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in report["checks"]}


def test_doctor_on_the_embedded_simulator_passes_with_warnings_for_unanswered_requests(
    tmp_path: Path,
) -> None:
    toml = 'mode = "trading"\nnetwork = "sim"\nmarkets = ["BTC", "xyz:TSLA"]\n'
    result = _doctor(tmp_path, toml, "--json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    checks = _by_name(report)
    assert report["ok"] is True
    assert list(checks)[:3] == ["network", "clock", "signer"]
    assert checks["network"]["status"] == "pass" and "Testnet" in checks["network"]["detail"]
    assert checks["clock"]["status"] == "pass"
    assert checks["signer"] == {
        "name": "signer", "status": "pass", "detail": "the key is the account's own", "fix": ""
    }  # fmt: skip
    for dex in ("main", "xyz"):
        assert checks[f"collateral {dex}"]["status"] == "pass"
        assert "USDC" in checks[f"collateral {dex}"]["detail"]
    for name in MAYBE_UNANSWERED:
        check = checks[name]
        assert check["status"] in ("pass", "warn", "fail")
        if check["status"] == "warn" and "venue did not answer" in check["detail"]:
            assert check["fix"]  # a way forward, not a crash
    # The same as text: one line per check, exit 0.
    text = _doctor(tmp_path, toml)
    assert text.exit_code == 0
    assert "PASS  network:" in text.stdout and "PASS  signer:" in text.stdout


def test_a_key_that_is_not_an_agent_of_the_account_fails_with_exit_1(tmp_path: Path) -> None:
    key_text = "0x" + "7e" * 32
    key = PrivateKey.coerce(key_text)
    account = "0x" + "12" * 20
    with ThreadedSimulator(SimConfig(auto_accounts=True, seed=3)) as sim:
        toml = (
            'mode = "trading"\nmarkets = ["BTC"]\n'
            f'network = {{ http_url = "{sim.url}", ws_url = "{sim.server.ws_url}", mainnet = false }}\n'
            f'[account]\naddress = "{account}"\nkey_env = "DOCTOR_TEST_KEY"\n'
        )
        result = _doctor(tmp_path, toml, "--json", env={"DOCTOR_TEST_KEY": key_text})
    assert result.exit_code == 1, result.output
    report = orjson.loads(result.stdout)
    assert report["ok"] is False
    signer = _by_name(report)["signer"]
    assert signer["status"] == "fail"
    assert key.address.lower() in signer["detail"] and account in signer["detail"]
    assert "approveAgent" in signer["fix"]
    assert "7e7e7e" not in result.output  # the key itself never shown


def test_an_unreachable_venue_is_one_failed_check(tmp_path: Path) -> None:
    toml = (
        'mode = "observe"\nmarkets = ["BTC"]\n'
        'network = { http_url = "http://127.0.0.1:9", ws_url = "ws://127.0.0.1:9" }\n'
        f'[account]\naddress = "0x{"12" * 20}"\n'
    )
    result = _doctor(tmp_path, toml, "--json")
    assert result.exit_code == 1
    report = orjson.loads(result.stdout)
    assert [(c["name"], c["status"]) for c in report["checks"]] == [("network", "fail")]


def test_an_invalid_config_exits_2(tmp_path: Path) -> None:
    result = _doctor(tmp_path, 'mode = "sideways"\n')
    assert result.exit_code == 2 and "mode" in result.output


@pytest.mark.parametrize(
    ("days", "status"), [([], "warn"), ([{"userCross": "600000", "userAdd": "500000.5"}], "pass")]
)
def test_dead_mans_switch_eligibility_from_user_fees(days: list[Any], status: str) -> None:
    import trio

    from hip3.ops import doctor

    class Info:
        async def post_info(self, body: Any) -> Any:
            assert body == {"type": "userFees", "user": "0xa"}
            return {"dailyUserVlm": days}

    check = trio.run(doctor._dead_mans_switch, Info(), "0xa")
    assert check.status == status


def test_an_approved_agent_key_passes(tmp_path: Path) -> None:
    import trio

    from hip3.clients import ExchangeClient

    master = PrivateKey.coerce("0x" + "5a" * 32)
    agent_text = "0x" + "6b" * 32
    agent = PrivateKey.coerce(agent_text)
    with ThreadedSimulator(SimConfig(auto_accounts=True, seed=3)) as sim:

        async def approve() -> None:
            client = ExchangeClient(sim.url, master, master.address, universe=None, mainnet=False)  # type: ignore[arg-type]
            async with client.info:
                await client.approve_agent(agent.address, "doctor")

        trio.run(approve)
        toml = (
            'mode = "trading"\nmarkets = ["BTC"]\n'
            f'network = {{ http_url = "{sim.url}", ws_url = "{sim.server.ws_url}", mainnet = false }}\n'
            f'[account]\naddress = "{master.address}"\nkey_env = "DOCTOR_TEST_KEY"\n'
        )
        result = _doctor(tmp_path, toml, "--json", env={"DOCTOR_TEST_KEY": agent_text})
    report = orjson.loads(result.stdout)
    signer = _by_name(report)["signer"]
    assert signer["status"] == "pass", signer
    assert "'doctor'" in signer["detail"] and master.address.lower() in signer["detail"]
    assert result.exit_code == 0


def test_doctor_fails_a_builder_the_account_never_approved(tmp_path: Path) -> None:
    # The simulator answers maxBuilderFee (0 for a builder never approved): a real fail.
    toml = 'mode = "trading"\nnetwork = "sim"\nmarkets = ["BTC"]\n'
    result = _doctor(tmp_path, toml, "--json", "--builder", "0x" + "ab" * 20)
    assert result.exit_code == 1, result.output
    builder = _by_name(orjson.loads(result.stdout))["builder"]
    assert builder["status"] == "fail" and "approveBuilderFee" in builder["fix"]
