"""examples/research.ipynb runs as a reader runs it: its code cells in order, one namespace.

Record a simulator run with a journal, load it into the store, query it, plot it; then
check that what the plots drew is what the store says.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

for _module in ("pyarrow", "duckdb", "pandas", "matplotlib"):
    pytest.importorskip(_module, reason="the research and plot extras are not installed")

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "research.ipynb"


def _code_cells() -> list[str]:
    nb = json.loads(NOTEBOOK.read_text())
    assert nb["nbformat"] == 4 and nb["metadata"]["kernelspec"]["language"] == "python"
    assert nb["nbformat_minor"] == 5
    assert len({cell["id"] for cell in nb["cells"]}) == len(nb["cells"])
    cells = []
    for cell in nb["cells"]:
        assert cell["cell_type"] in ("code", "markdown") and "metadata" in cell
        assert isinstance(cell["id"], str) and cell["id"]  # required by nbformat 4.5
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None  # committed clean
            cells.append("".join(cell["source"]))
    return cells


def test_research_notebook_records_stores_queries_and_plots() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    namespace: dict[str, Any] = {"__name__": "__notebook__"}
    try:
        for index, code in enumerate(_code_cells()):
            exec(compile(code, f"research.ipynb[code cell {index}]", "exec"), namespace)
    finally:
        session = namespace.get("s")
        if session is not None:
            session.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("hip3")]

    summary = namespace["summary"]
    assert summary.positions_match and summary.drift_events == 0
    by_coin: dict[str, Decimal] = namespace["by_coin"]
    assert sum(namespace["imported"].added.values()) > 0

    for name in ("position_fig", "book_fig", "divergence_fig"):
        FigureCanvasAgg(namespace[name]).draw()
    # The position panels end where the store's fills add up to, coin by coin.
    ends = {
        str(line.get_label()): float(line.get_ydata()[-1])
        for ax in namespace["position_fig"].axes[:-1]
        for line in ax.get_lines()
        if not str(line.get_label()).startswith("_")
    }
    assert ends == {coin: float(position) for coin, position in by_coin.items()}
    # The book plot shows the BTC fills the store holds, at their prices.
    book_lines = {str(line.get_label()): line for line in namespace["book_fig"].axes[0].get_lines()}
    drawn = sorted(
        float(y) for key in ("buy fills", "sell fills") for y in book_lines[key].get_ydata()
    )
    stored = sorted(
        float(px) for (px,) in namespace["fills"].filter("coin = 'BTC'").project("px").fetchall()
    )
    assert drawn == stored and stored
    assert len(book_lines["best bid"].get_xdata()) > 1
    divergence = {
        str(line.get_label()): line for line in namespace["divergence_fig"].axes[1].get_lines()
    }
    assert len(divergence["coins differing"].get_xdata()) >= 2
