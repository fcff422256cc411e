"""hip3.notebook's research facade: exact frames, the store as a DuckDB relation, lazy extras."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

import hip3.notebook as hn
from hip3.notebook.records import Fill
from hip3.notebook.research import fills_frame, frame_backend, rows_of, store_relation
from hip3.store import MissingExtraError, Store
from hip3.store.dataset import fetch_fills
from hip3.wire import models as m
from hip3.wire.codec import structure

pd = pytest.importorskip("pandas")
pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")


def _fill(coin: str, side: str, px: str, sz: str, t: int, tid: int, **kw: object) -> Fill:
    return Fill(
        coin=coin,
        side=side,
        px=Decimal(px),
        sz=Decimal(sz),
        time_ms=t,
        dir=str(kw.get("dir", "")),
        closed_pnl=Decimal(str(kw.get("closed_pnl", "0"))),
        fee=Decimal(str(kw.get("fee", "0"))),
        oid=int(str(kw.get("oid", 1))),
        tid=tid,
        cloid=None,
        crossed=False,
    )


FILLS = [
    _fill("BTC", "sell", "60001.5", "0.00012345", 1_764_748_801_000, 2, fee="0.000000011"),
    _fill("BTC", "buy", "60000.1", "0.1", 1_764_748_800_000, 1, fee="0.0027"),
]


def test_fills_frame_is_pandas_with_exact_decimals_oldest_first() -> None:
    frame = fills_frame(FILLS)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["tid"]) == [1, 2]
    # Decimal objects, exactly the values given: no float on the way.
    assert list(frame["px"]) == [Decimal("60000.1"), Decimal("60001.5")]
    assert list(frame["signed_sz"]) == [Decimal("0.1"), Decimal("-0.00012345")]
    assert frame["fee"].sum() == Decimal("0.002700011")
    assert all(type(v) is Decimal for v in frame["closed_pnl"])
    assert frame["time"][0] == dt.datetime(2025, 12, 3, 8, 0, tzinfo=dt.UTC)
    assert list(frame.columns[:7]) == ["coin", "side", "px", "sz", "signed_sz", "time", "time_ms"]


def test_fills_frame_as_float_is_float64_on_request_only() -> None:
    frame = fills_frame(FILLS, as_float=True)
    assert str(frame["px"].dtype) == "float64" and frame["px"][0] == 60000.1
    assert str(frame["signed_sz"].dtype) == "float64" and frame["signed_sz"][1] == -0.00012345
    assert fills_frame([]).empty and list(fills_frame([]).columns) == list(frame.columns)


def test_fills_frame_on_polars_keeps_decimal_columns() -> None:
    pl = pytest.importorskip("polars")
    frame = fills_frame(FILLS, backend="polars")
    assert isinstance(frame, pl.DataFrame)
    assert isinstance(frame.schema["px"], pl.Decimal)
    assert frame["signed_sz"].to_list() == [Decimal("0.1"), Decimal("-0.00012345")]
    assert frame["fee"].sum() == Decimal("0.002700011")


def test_pandas_is_preferred_then_polars_then_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert frame_backend()[0] == "pandas"
    monkeypatch.setitem(sys.modules, "pandas", None)
    if "polars" in sys.modules or _importable("polars"):
        assert frame_backend()[0] == "polars"
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'hip3\[research\]'"):
        fills_frame(FILLS)
    with pytest.raises(ValueError, match="backend must be one of pandas, polars"):
        frame_backend("arrow")


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def test_importing_hip3_notebook_imports_no_frame_plot_or_store_library() -> None:
    code = (
        "import sys, hip3.notebook, hip3.notebook.research, hip3.notebook.plots\n"
        "heavy = ('matplotlib', 'pandas', 'polars', 'duckdb', 'pyarrow')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _other_fill(tid: int) -> m.WireFill:
    fill = {
        "coin": "BTC", "px": "1", "sz": "1", "side": "B", "time": 1_764_748_800_000,
        "startPosition": "0", "dir": "Open Long", "closedPnl": "0", "hash": "0x" + "cd" * 32,
        "oid": 1, "crossed": True, "fee": "0", "tid": tid, "feeToken": "USDC",
    }  # fmt: skip
    result: m.WireFill = structure(fill, m.WireFill, kind="test")
    return result


def test_session_frames_and_store_relation_agree_with_the_venue(tmp_path: Path) -> None:
    with hn.connect("sim") as s:
        book = s.book("BTC")
        assert book.best_ask is not None and book.best_bid is not None
        up = (book.best_ask * Decimal("1.01")).quantize(Decimal(1))
        down = (book.best_bid * Decimal("0.99")).quantize(Decimal(1))
        assert s.place("BTC", "buy", "0.003", up, tif="Ioc").status == "filled"
        assert s.place("BTC", "sell", "0.001", down, tif="Ioc").status == "filled"
        fills = s.fills()
        frame = s.fills_frame()
        assert list(frame["tid"]) == [f.tid for f in fills]
        assert list(frame["px"]) == [f.px for f in fills]
        assert frame["signed_sz"].sum() == Decimal("0.002")

        store = Store(tmp_path / "store")
        result = s._portal.run(partial(fetch_fills, since_ms=0), store, s._info, s.address)
        assert result.added["fills"] == len(fills)
        store.add_fills([_other_fill(1), _other_fill(2)], "0x" + "99" * 20, source="test")

        rel = s.store(tmp_path / "store")
        rows = rows_of(rel)
        assert [r["account"] for r in rows] == [s.address] * len(fills)  # only this account's
        assert [(r["tid"], r["px"], r["sz"], r["fee"]) for r in rows] == [
            (f.tid, f.px, f.sz, f.fee) for f in fills
        ]
        assert type(rows[0]["px"]) is Decimal  # exact through DuckDB
        assert rel.aggregate("sum(signed_sz)").fetchall() == [(Decimal("0.002"),)]
        assert len(rel.df()) == len(fills)  # .df() works (DuckDB: DECIMAL -> float64)
        exact = rel.to_arrow_table().to_pandas()
        assert list(exact["px"]) == [f.px for f in fills]
        assert s.store(tmp_path / "store", table="orders").fetchall() == []
        with pytest.raises(ValueError, match="table must be one of"):
            s.store(tmp_path / "store", table="nope")


def test_store_relation_defaults_to_the_store_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIP3_STORE", str(tmp_path / "env-store"))
    Store(tmp_path / "env-store").add_fills([_other_fill(7)], "0x" + "99" * 20, source="t")
    rel = store_relation("0x" + "99" * 20)
    assert [r["tid"] for r in rows_of(rel)] == [7]
    assert rows_of(store_relation("0x" + "98" * 20)) == []


def test_fills_frame_takes_domain_fills_and_keeps_their_other_fields() -> None:
    from hip3.domain import Fill as DomainFill
    from hip3.types import Cloid, Side

    cloid = Cloid.from_int(5)
    fills = [
        DomainFill("BTC", Decimal("60000"), Decimal("0.002"), Side.SELL, 2_000, 9, 2,
                   cloid=cloid, fee_token="USDC"),
        DomainFill("BTC", Decimal("59999"), Decimal("0.001"), Side.BUY, 1_000, 8, 1),
    ]  # fmt: skip
    frame = fills_frame(fills)
    assert list(frame["side"]) == ["B", "A"]
    assert list(frame["signed_sz"]) == [Decimal("0.001"), Decimal("-0.002")]
    missing = lambda column: [None if pd.isna(v) else v for v in frame[column]]  # noqa: E731
    assert missing("cloid") == [None, str(cloid)]
    assert missing("fee_token") == [None, "USDC"]
    assert "start_position" in frame.columns and "liquidation" in frame.columns
