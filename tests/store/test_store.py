"""hip3.store: journals and venue fills into Parquet, exact decimals, idempotent, DuckDB."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.app import run_from_config
from hip3.config import load_config
from hip3.journal.replay import replay_sync
from hip3.store.dataset import Store, fetch_fills, fill_row
from hip3.types import Side
from hip3.wire import models as m
from hip3.wire.codec import structure
from hip3_cli.main import main as cli_main
from tests.cli.conftest import FAST_SIM
from tests.clients.simkit import ACCOUNT, running_venue

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KEY = "0x" + "5a" * 32


def _chaos_config(tmp_path: Path, journal: Path) -> Path:
    """The fast simulator of the CLI tests with examples/chaos.toml's faults, journaled."""
    chaos = (EXAMPLES / "chaos.toml").read_text()
    faults = chaos[chaos.index("[sim.faults]") :]
    path = tmp_path / "chaos.toml"
    path.write_text(
        FAST_SIM
        + f'\n[journal]\npath = "{journal}"\n'
        + '\n[account]\nkey_env = "HIP3_TEST_STORE_KEY"\n'
        + faults
    )
    return path


async def test_a_chaos_journal_sums_to_the_positions_replay_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per coin, the sum of the stored fills' signed sizes equals `hip3 replay`'s position.

    Like with like: replay's positions start from the first clearinghouseState snapshot
    (the baseline) and add the fills after it; the simulator's account starts flat, so
    its baseline is zero and the fills alone must give the same positions. The journal
    has lost, duplicated and reordered ws fills (chaos faults) that the bot's backfills
    (userFillsByTime answers, journaled too) recovered: the store must count each once.
    """
    monkeypatch.setenv("HIP3_TEST_STORE_KEY", KEY)
    journal = tmp_path / "capture.jsonl"
    summary = await run_from_config(load_config(_chaos_config(tmp_path, journal)), duration=4)
    replayed = replay_sync(journal)
    assert replayed.stats.fills_applied > 0
    assert replayed.positions == summary.positions  # the bot agrees with its replay

    store = Store(tmp_path / "store")
    first = store.import_journal(journal)
    # Each distinct fill once: those the tracker applied, and those a snapshot already held.
    stats = replayed.stats
    assert first.added["fills"] == stats.fills_applied + stats.covered_by_snapshot
    _, rows = store.query("SELECT coin, sum(signed_sz) FROM fills GROUP BY coin")
    sums = {coin: total for coin, total in rows if total != 0}
    expected = {coin: sz for coin, sz in replayed.positions.items() if sz != 0}
    assert sums == expected

    again = store.import_journal(journal)  # idempotent: nothing new the second time
    assert again.added == {"fills": 0, "orders": 0, "trades": 0, "books": 0}
    assert store.query("SELECT count(*) FROM fills")[1] == [(first.added["fills"],)]
    # Every stored fill is the account's, keyed once by (account, coin, tid).
    _, dup = store.query(
        "SELECT count(*) FROM (SELECT account, coin, tid FROM fills "
        "GROUP BY ALL HAVING count(*) > 1)"
    )
    assert dup == [(0,)]
    assert store.query("SELECT DISTINCT account FROM fills")[1] == [(ACCOUNT.lower(),)]
    assert first.added["orders"] > 0


def _wire_fill(**overrides: object) -> m.WireFill:
    fill: dict[str, object] = {
        "coin": "xyz:TSLA",
        "px": "251.125",
        "sz": "0.001",
        "side": "A",
        "time": 1_764_748_800_123,
        "startPosition": "0.5",
        "dir": "Close Long",
        "closedPnl": "0.000123456789012345",
        "hash": "0x" + "ab" * 32,
        "oid": 7,
        "crossed": True,
        "fee": "0.01",
        "tid": 99,
        "feeToken": "USDC",
        "cloid": "0x" + "01" * 16,
        "builderFee": "0.001",
        "liquidation": {"liquidatedUser": "0x" + "22" * 20, "markPx": "250", "method": "market"},
        "twapId": 5,
    }
    fill.update(overrides)
    result: m.WireFill = structure(fill, m.WireFill, kind="test")
    return result


def test_every_field_of_a_fill_is_stored_exact(tmp_path: Path) -> None:
    store = Store(tmp_path)
    added = store.add_fills([_wire_fill()], "0xABC", source="venue")
    assert added.added["fills"] == 1
    con = store.connect()
    row = con.execute("SELECT * FROM fills").fetchone()
    names = [d[0] for d in con.description]
    got = dict(zip(names, row, strict=True))
    assert got["closed_pnl"] == Decimal("0.000123456789012345")  # all 18 digits, exact
    assert got["px"] == Decimal("251.125") and got["signed_sz"] == Decimal("-0.001")
    assert got["dex"] == "xyz" and got["account"] == "0xabc" and got["tid"] == 99
    assert got["builder_fee"] == Decimal("0.001") and got["twap_id"] == 5
    assert got["liquidation"] is True and got["liquidated_user"] == "0x" + "22" * 20
    assert got["cloid"] == "0x" + "01" * 16 and got["fee_token"] == "USDC"
    assert got["crossed"] is True and got["start_position"] == Decimal("0.5")
    files = store.files("fills")
    assert [f.parent.relative_to(tmp_path).as_posix() for f in files] == [
        "fills/date=2025-12-03/dex=xyz"
    ]
    assert store.add_fills([_wire_fill()], "0xabc", source="venue").added["fills"] == 0


def test_a_decimal_the_store_cannot_hold_exactly_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="closedPnl"):
        fill_row(_wire_fill(closedPnl="0.0000000000000000001"), "0xabc", "venue")


async def test_fetch_pages_the_venue_and_keeps_what_it_fetched_before(tmp_path: Path) -> None:
    """Against the simulator over loopback: fetch adds the fills once; a later fetch
    whose window no longer reaches the old fills keeps them (the store outlives the
    venue's window)."""
    async with running_venue() as venue:
        exchange = venue.exchange()
        for is_buy in (True, False, True):
            await exchange.place_orders([venue.taker("BTC", is_buy)])
        truth = await venue.info.user_fills(ACCOUNT)
        assert len(truth) >= 3
        store = Store(tmp_path)
        first = await fetch_fills(store, venue.info, ACCOUNT, since_ms=0)
        assert first.added["fills"] == len(truth)
        newest = max(f.time for f in truth)
        assert store.latest_fill_ms(ACCOUNT) == newest
        await exchange.place_orders([venue.taker("BTC", False)])
        later = await fetch_fills(store, venue.info, ACCOUNT, since_ms=newest + 1)
        assert later.added["fills"] >= 1
        _, rows = store.query("SELECT count(*), sum(signed_sz) FROM fills")
        everything = await venue.info.user_fills(ACCOUNT)
        assert rows == [(len(everything), sum(f_sz(f) for f in everything))]
        assert (await fetch_fills(store, venue.info, ACCOUNT, since_ms=0)).added["fills"] == 0


def f_sz(fill: m.WireFill) -> Decimal:
    return fill.sz if fill.side is Side.BUY else -fill.sz


def test_cli_import_and_query(tmp_path: Path) -> None:
    journal = tmp_path / "capture.jsonl"
    fills = [
        {
            "coin": "BTC",
            "px": "60000.5",
            "sz": "0.01",
            "side": "B",
            "time": 1_764_748_800_000,
            "startPosition": "0",
            "dir": "Open Long",
            "closedPnl": "0",
            "hash": "0x" + "00" * 32,
            "oid": 1,
            "crossed": False,
            "fee": "0.1",
            "tid": tid,
            "feeToken": "USDC",
        }
        for tid in (1, 2)
    ]
    lines = [
        {
            "t": 1,
            "dir": "out",
            "via": "ws",
            "msg": {"method": "subscribe", "subscription": {"type": "userFills", "user": "0xAA"}},
        },
        {
            "t": 2,
            "dir": "in",
            "via": "ws",
            "msg": {"channel": "userFills", "data": {"user": "0xaa", "fills": fills}},
        },
        {
            "t": 3,
            "dir": "in",
            "via": "ws",
            "msg": {"channel": "userFills", "data": {"user": "0xaa", "fills": fills[:1]}},
        },
        {
            "t": 4,
            "dir": "in",
            "via": "ws",
            "msg": {"channel": "userFills", "data": {"user": "0xaa", "fills": [{"coin": "BTC"}]}},
        },
        {
            "t": 5,
            "dir": "in",
            "via": "ws",
            "msg": {
                "channel": "trades",
                "data": [
                    {
                        "coin": "BTC",
                        "side": "A",
                        "px": "60000",
                        "sz": "0.2",
                        "hash": "0x" + "11" * 32,
                        "time": 1_764_748_800_001,
                        "tid": 9,
                        "users": ["0xbb", "0xcc"],
                    }
                ],
            },
        },
    ]
    for time_ms in (1_764_748_800_000, 1_764_748_810_000, 1_764_748_870_000):
        book = {
            "coin": "BTC",
            "time": time_ms,
            "levels": [
                [{"px": "59999", "sz": "1.5", "n": 2}, {"px": "59998", "sz": "2", "n": 1}],
                [{"px": "60001", "sz": "0.5", "n": 1}],
            ],
        }
        lines.append({"t": 6, "dir": "in", "via": "ws", "msg": {"channel": "l2Book", "data": book}})
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines) + "not json\n")
    store = str(tmp_path / "store")
    runner = CliRunner()
    out = runner.invoke(cli_main, ["store", "import", str(journal), "--store", store, "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    # Books sampled one a minute: the first and the one 70 s later, 3 levels each.
    assert report["added"] == {"fills": 2, "orders": 0, "trades": 1, "books": 6}
    assert report["malformed"] == 2  # the fill without fields, the line that is not JSON
    again = runner.invoke(cli_main, ["store", "import", str(journal), "--store", store, "--json"])
    assert json.loads(again.stdout)["added"] == {"fills": 0, "orders": 0, "trades": 0, "books": 0}
    best = "SELECT time_ms, px FROM books WHERE side = 'A' AND level = 0 ORDER BY time_ms"
    out = runner.invoke(cli_main, ["store", "query", best, "--store", store, "--json"])
    assert json.loads(out.stdout) == [
        {"time_ms": 1_764_748_800_000, "px": "60001"},
        {"time_ms": 1_764_748_870_000, "px": "60001"},
    ]

    sql = "SELECT coin, sum(signed_sz) AS pos, count(*) AS n FROM fills GROUP BY coin"
    out = runner.invoke(cli_main, ["store", "query", sql, "--store", store, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout) == [{"coin": "BTC", "pos": "0.02", "n": 2}]
    table = runner.invoke(cli_main, ["store", "query", sql, "--store", store])
    assert "BTC" in table.stdout and "0.02" in table.stdout
    bad = runner.invoke(cli_main, ["store", "query", "SELECT nope FROM fills", "--store", store])
    assert bad.exit_code == 2 and "nope" in bad.stderr


def test_store_without_the_extra_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)
    out = CliRunner().invoke(cli_main, ["store", "query", "SELECT 1", "--store", str(tmp_path)])
    assert out.exit_code == 2
    assert "pip install 'hip3[research]'" in out.stderr


def test_the_default_store_is_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hip3.store.location import resolve_store_dir

    monkeypatch.delenv("HIP3_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert resolve_store_dir(None) == tmp_path / "data" / "hip3" / "store"
    monkeypatch.setenv("HIP3_STORE", str(tmp_path / "s"))
    assert resolve_store_dir(None) == tmp_path / "s"
    assert resolve_store_dir(str(tmp_path / "x")) == tmp_path / "x"


def test_hip3_and_the_cli_do_not_import_pyarrow_or_duckdb() -> None:
    code = (
        "import sys, hip3, hip3.store, hip3_cli.main\n"
        "from click.testing import CliRunner\n"
        "assert CliRunner().invoke(hip3_cli.main.main, ['--help']).exit_code == 0\n"
        "assert CliRunner().invoke(hip3_cli.main.main, ['store', '--help']).exit_code == 0\n"
        "print(sorted(m for m in ('pyarrow', 'duckdb') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_fetch_from_a_simulator_over_loopback_then_resumes(tmp_path: Path) -> None:
    import hip3.notebook as hn

    store = str(tmp_path / "store")
    runner = CliRunner()
    with hn.connect("sim", key="0x" + "4d" * 32) as s:
        book = s.book("BTC")
        assert book.best_ask is not None
        through = (book.best_ask * Decimal("1.01")).quantize(Decimal(1))  # marketable
        for _ in range(2):
            assert s.place("BTC", "buy", "0.002", through, tif="Ioc").status == "filled"
        args = ["store", "fetch", "--account", s.address, "--network", s.url, "--store", store]
        out = runner.invoke(cli_main, [*args, "--since", "2020-01-01", "--json"])
        assert out.exit_code == 0, out.output
        assert json.loads(out.stdout.strip().splitlines()[-1])["added"]["fills"] == 2
        # Without --since it resumes at the newest stored fill: nothing new to add.
        again = runner.invoke(cli_main, [*args, "--json"])
        assert again.exit_code == 0, again.output
        assert json.loads(again.stdout.strip().splitlines()[-1])["added"]["fills"] == 0
    query = ["store", "query", "SELECT sum(signed_sz) AS pos FROM fills", "--store", store]
    out = runner.invoke(cli_main, [*query, "--json"])
    assert json.loads(out.stdout) == [{"pos": "0.004"}]


def test_fetch_names_a_bad_since(tmp_path: Path) -> None:
    out = CliRunner().invoke(
        cli_main,
        [
            "store",
            "fetch",
            "--account",
            "0x" + "11" * 20,
            "--since",
            "yesterday",
            "--network",
            "sim",
            "--store",
            str(tmp_path),
        ],
    )
    assert out.exit_code == 2 and "--since" in out.stderr


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    batches=st.lists(
        st.lists(st.tuples(st.integers(0, 7), st.sampled_from(["BTC", "xyz:TSLA"])), max_size=6),
        max_size=5,
    )
)
def test_any_batches_in_any_order_store_each_fill_once(
    tmp_path_factory: pytest.TempPathFactory, batches: list[list[tuple[int, str]]]
) -> None:
    """Overlapping batches (a journal and fetches of overlapping windows, repeated) add each
    (account, coin, tid) once, and the total is the sum over the distinct fills."""
    store = Store(tmp_path_factory.mktemp("store"))
    added = 0
    for batch in batches:
        fills = [
            _wire_fill(tid=tid, coin=coin, side="B" if tid % 2 else "A", sz=f"0.00{tid + 1}")
            for tid, coin in batch
        ]
        added += store.add_fills(fills, "0xabc", source="venue").added["fills"]
    distinct = {(coin, tid) for batch in batches for tid, coin in batch}
    assert added == len(distinct)
    _, rows = store.query("SELECT count(*), coalesce(sum(signed_sz), 0) FROM fills")
    expected = sum(
        (Decimal(f"0.00{tid + 1}") * (1 if tid % 2 else -1) for _, tid in distinct), Decimal(0)
    )
    assert rows == [(len(distinct), expected)]
