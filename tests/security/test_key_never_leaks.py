"""The private key never appears in logs, reprs, exceptions, journals or ``--json`` output.

A known key (not a pattern: any 12-hex-digit window of it counts as a leak, in any case, with
or without 0x, and its decimal form too) signs for a bot trading on the simulator. Everything
the run leaves behind is searched for it: every log record at DEBUG from every logger, the
journal (capture file), the summary, the CLI's ``--json`` output and debug log, ``hip3 replay
--json`` of the journal, the repr/str of every hip3 object reachable from the running bot (and
any str attribute of them), and the text of every error a bad key produces, chained causes and
the formatted traceback included.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import pickle
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trio
from click.testing import CliRunner

from hip3.app import RunningBot, run_from_config
from hip3.bot import Bot
from hip3.clients import ExchangeClient
from hip3.config import Config, config_from_dict, load_config, resolve_private_key
from hip3.errors import Hip3Error
from hip3.signing import PrivateKey
from hip3.universe import Universe

KEY_HEX = hashlib.sha256(b"hip3 security test key: never a real account").hexdigest()
KEY = "0x" + KEY_HEX
KEY_INT = str(int(KEY_HEX, 16))
WINDOW = 12
ENV = "HIP3_SECURITY_TEST_KEY"

SIM_CONFIG = """
mode = "trading"
network = "sim"
markets = ["BTC", "xyz:TSLA"]
position_resync_interval_secs = 1

[account]
key_env = "HIP3_SECURITY_TEST_KEY"

[journal]
path = "{journal}"

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
level = "debug"

[sim]
seed = 5
tick_ms = 50

[[sim.dexes]]
name = ""
markets = [{{ name = "BTC", sz_decimals = 5, start_price = 60000, volatility = 0.002 }}]

[[sim.dexes]]
name = "xyz"
full_name = "XYZ equities"
markets = [{{ name = "xyz:TSLA", sz_decimals = 3, start_price = 250, volatility = 0.003 }}]
"""


def leaks(text: str) -> list[str]:
    """Every piece of the key found in ``text`` (any 12-digit window, any case, or decimal)."""
    low = text.lower()
    found = [
        KEY_HEX[i : i + WINDOW]
        for i in range(len(KEY_HEX) - WINDOW + 1)
        if KEY_HEX[i : i + WINDOW] in low
    ]
    if KEY_INT[:20] in text:
        found.append("decimal form")
    return found


def assert_no_leak(what: str, text: str) -> None:
    found = leaks(text)
    assert not found, f"the private key leaks in {what}: {found[:3]}"


def test_the_detector_finds_the_key_in_every_form() -> None:
    for form in (KEY, KEY_HEX, KEY.upper(), KEY_HEX.upper(), f"...{KEY_HEX[20:40]}...", KEY_INT):
        assert leaks(form)
    assert not leaks("0x" + "ab" * 32 + PrivateKey.from_hex(KEY).address)


@pytest.fixture
def sim_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ENV, KEY)
    path = tmp_path / "bot.toml"
    path.write_text(SIM_CONFIG.format(journal=tmp_path / "journal.jsonl"))
    return path


# ---------------------------------------------------------------------------
# A whole run against the simulator
# ---------------------------------------------------------------------------


def _hip3_objects() -> Iterator[object]:
    """Every live object of hip3's own classes (the bot's clients, tracker, executor... are
    locals of its running tasks, so they are found through the collector, not attributes)."""
    for obj in gc.get_objects():
        module = type(obj).__dict__.get("__module__") or getattr(type(obj), "__module__", "")
        if isinstance(module, str) and module.startswith("hip3") and not isinstance(obj, type):
            yield obj


def _search_live_objects(running: RunningBot) -> set[str]:
    checked: set[str] = set()
    assert running.bot is not None
    for obj in _hip3_objects():
        try:
            shown = repr(obj) + str(obj)
        except AttributeError:  # a half-built object (a parse that failed earlier): no repr
            continue
        checked.add(type(obj).__qualname__)
        assert_no_leak(f"repr/str of {type(obj).__qualname__}", shown)
        attributes = dict(getattr(obj, "__dict__", {}))
        for slot in getattr(type(obj), "__slots__", ()):
            if hasattr(obj, slot):
                attributes[slot] = getattr(obj, slot)
        for name, value in attributes.items():
            if isinstance(value, str):
                assert_no_leak(f"{type(obj).__qualname__}.{name}", value)
    return checked


async def test_a_trading_run_leaks_the_key_nowhere(
    sim_config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for chatty in ("httpx", "httpcore", "trio-websocket", "hip3"):
        caplog.set_level(logging.DEBUG, logger=chatty)
    config = load_config(sim_config)
    summaries: list[Any] = []
    async with trio.open_nursery() as nursery:
        running: RunningBot = await nursery.start(_run_and_keep, config, summaries)
        await trio.sleep(1.5)  # quotes out, fills coming in
        checked = _search_live_objects(running)
    (summary,) = summaries
    # The walk saw the bot and what it runs on.
    assert {"Bot", "ExchangeClient", "InfoClient", "WsClient", "PrivateKey"} <= checked, checked
    assert summary.positions_match
    assert_no_leak("the summary", repr(summary) + json.dumps(summary.to_json(), default=str))

    # Every log record of the run, at DEBUG, from every logger.
    assert len(caplog.records) > 10
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + (record.exc_text or "")
        if record.exc_info:
            text += "".join(traceback.format_exception(*record.exc_info))
        assert_no_leak(f"log record {record.name}:{record.lineno}", text)
    assert_no_leak("the captured log", caplog.text)

    # The journal: every message in and out, signed posts included.
    journal = (sim_config.parent / "journal.jsonl").read_text()
    assert '"signature"' in journal and '"dir":"out"' in journal.replace(" ", "")
    assert_no_leak("the journal", journal)


async def _run_and_keep(
    config: Config, out: list[Any], task_status: Any = trio.TASK_STATUS_IGNORED
) -> None:
    out.append(await run_from_config(config, duration=3, task_status=task_status))


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """The CLI configures the process's logging (a stderr handler on the root logger, levels):
    put it back, or later tests' CliRunner output would carry this run's debug log."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


@pytest.mark.usefixtures("restored_logging")
def test_cli_json_outputs_leak_the_key_nowhere(sim_config: Path) -> None:
    from hip3_cli.config_cmd import config_group
    from hip3_cli.replay import replay_cmd
    from hip3_cli.trade import trade_cmd

    runner = CliRunner()
    traded = runner.invoke(
        trade_cmd, ["--config", str(sim_config), "--duration", "3", "--json", "--debug"]
    )
    assert traded.exit_code == 0, traded.output
    summary = json.loads(traded.stdout.strip().splitlines()[-1])
    assert summary["positions_match"] is True
    assert_no_leak("hip3 trade --json --debug output", traded.output)
    assert_no_leak("hip3 trade --json stdout", traded.stdout)

    journal = sim_config.parent / "journal.jsonl"
    replayed = runner.invoke(replay_cmd, [str(journal), "--json"])
    assert replayed.exit_code == 0, replayed.output
    assert_no_leak("hip3 replay --json", replayed.output)

    checked = runner.invoke(config_group, ["check", str(sim_config), "--json"])
    assert_no_leak("hip3 config check --json", checked.output)


# ---------------------------------------------------------------------------
# Objects holding the key
# ---------------------------------------------------------------------------


def _universe() -> Universe:
    meta = {"universe": [{"name": "BTC", "szDecimals": 5, "maxLeverage": 40}]}
    return Universe.from_meta(None, {"": meta})


@pytest.mark.parametrize("as_given", [KEY, KEY_HEX, KEY.upper(), bytes.fromhex(KEY_HEX)])
def test_objects_holding_the_key_never_show_it(as_given: Any) -> None:
    key = PrivateKey.coerce(as_given)
    for text in (repr(key), str(key), f"{key}", f"{key!r}", f"{key:>80}", "%s %r" % (key, key)):  # noqa: UP031 - as logging does
        assert_no_leak("PrivateKey text", text)
        assert key.address in text  # what it shows instead
    with pytest.raises(TypeError) as refused:
        pickle.dumps(key)
    assert_no_leak("the pickle refusal", str(refused.value))

    client = ExchangeClient("http://127.0.0.1:9", as_given, key.address, universe=_universe())
    assert_no_leak("ExchangeClient", repr(client) + str(client))
    assert_no_leak("ExchangeClient attributes", repr(vars(client)))

    bot = Bot(
        base_url="http://127.0.0.1:9",
        ws_url="ws://127.0.0.1:9/ws",
        account=key.address,
        markets=["BTC"],
        strategy=None,  # type: ignore[arg-type]
        mode="trading",
        key=key,
    )
    assert_no_leak("Bot", repr(bot) + str(bot) + repr(vars(bot)))


def test_config_with_key_env_and_key_file_never_shows_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, KEY)
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o600)
    for account in ({"key_env": ENV}, {"key_file": str(key_file)}):
        config = config_from_dict({"network": "testnet", "account": account}, source="c.toml")
        assert resolve_private_key(config) in (KEY, KEY_HEX)
        assert_no_leak("Config", repr(config) + str(config))


# ---------------------------------------------------------------------------
# Errors for bad keys: never the text that was given
# ---------------------------------------------------------------------------


def _near_misses() -> list[str]:
    return [
        KEY[:-1] + "g",  # one bad digit
        KEY[:-1],  # one digit short
        KEY + "0",  # one digit long
        KEY[:30] + " " + KEY[30:],  # a space inside
        KEY_HEX[:40],  # an address-length paste
        "0x" + "f" * 64,  # >= the group order
        "0x" + "0" * 64,  # zero
        KEY + "\n" + KEY,  # pasted twice
        "0x" + KEY_HEX[::-1] + "zz",
    ]


def _error_text(exc: BaseException) -> str:
    parts = ["".join(traceback.format_exception(exc))]
    while exc is not None:
        parts += [str(exc), repr(exc), repr(exc.args)]
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return "\n".join(parts)


@pytest.mark.parametrize("bad", _near_misses(), ids=range(len(_near_misses())))
def test_bad_keys_are_refused_without_echoing_them(
    bad: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(call: Any) -> str:
        try:
            call()
        except Hip3Error as exc:
            return _error_text(exc)
        raise AssertionError("a bad key was accepted")

    texts = {
        "PrivateKey.from_hex": refused(lambda: PrivateKey.from_hex(bad)),
        "PrivateKey.coerce": refused(lambda: PrivateKey.coerce(bad)),
        "ExchangeClient": refused(
            lambda: ExchangeClient("http://127.0.0.1:9", bad, "0x" + "1" * 40, universe=_universe())
        ),
    }
    # The same text from the environment and from a key file.
    monkeypatch.setenv(ENV, bad)
    from_env = config_from_dict(
        {"network": "testnet", "account": {"key_env": ENV}}, source="c.toml"
    )
    texts["key_env"] = refused(lambda: _resolved_key(from_env))
    key_file = tmp_path / "key"
    key_file.write_text(bad)
    key_file.chmod(0o600)
    account = {"key_file": str(key_file)}
    from_file = config_from_dict({"network": "testnet", "account": account}, source="c.toml")
    texts["key_file"] = refused(lambda: _resolved_key(from_file))
    for where, text in texts.items():
        chunks = [bad[i : i + WINDOW] for i in range(0, max(1, len(bad) - WINDOW + 1))]
        echoed = [c for c in chunks if len(c.strip()) >= WINDOW and c in text]
        assert not echoed, f"{where} echoes the bad key: {text[:300]}"
        assert_no_leak(where, text)


def _resolved_key(config: Config) -> PrivateKey:
    text = resolve_private_key(config)
    assert text is not None
    return PrivateKey.from_hex(text)  # what the app does with it
