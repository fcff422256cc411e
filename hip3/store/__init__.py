"""A Parquet store of fills, order updates and trades for research (``hip3[research]``).

Journals (``hip3 trade``'s capture files) and the venue's fill history go into one
directory of Parquet files, queried with DuckDB::

    from hip3.store import Store
    store = Store("~/hip3-store")
    store.import_journal("capture.jsonl")
    store.query("SELECT coin, sum(signed_sz) FROM fills GROUP BY coin")

This package needs pyarrow and duckdb (``pip install 'hip3[research]'``); importing
``hip3.store`` itself costs nothing: they are imported when a :class:`Store` is made,
and a missing one raises :class:`MissingExtraError` naming the install command.

Layout (``<store>/<table>/date=YYYY-MM-DD/dex=<dex>/part-<n>.parquet``): one
sub-directory per table, partitioned by the UTC day of the event and by the dex
(``dex=main`` for the first perp dex, whose name on the wire is ``""``); each file
also holds ``date`` and ``dex`` columns, so queries need no hive partitioning.

Decimals (prices, sizes, fees, PnL) are stored exact as ``decimal128(38, 18)``:
18 fractional digits cover every value the venue sends (sizes have at most 8,
prices 6 significant digits), 20 integer digits cover any notional, and DuckDB sums
them exactly (``DECIMAL(38,18)``) -- strings would be exact too but every query
would have to cast. A value with more than 18 fractional digits is refused with
the field's name, never rounded.

Importing is idempotent: a fill already stored (same ``(account, coin, tid)``; a
fill recorded before the venue added ``tid`` is keyed by hash, oid, time, px and
sz instead) is not added again, nor an order update (``(account, oid, status,
status_time)``), nor a trade (``(coin, tid)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "DECIMAL_PRECISION",
    "DECIMAL_SCALE",
    "ImportResult",
    "MissingExtraError",
    "Store",
    "default_store_dir",
]

DECIMAL_PRECISION = 38
DECIMAL_SCALE = 18

if TYPE_CHECKING:
    from hip3.store.dataset import ImportResult, Store
    from hip3.store.location import MissingExtraError, default_store_dir


def __getattr__(name: str) -> Any:
    # Lazy: `import hip3.store` must not import pyarrow/duckdb (they are optional).
    if name in ("ImportResult", "Store"):
        from hip3.store import dataset

        return getattr(dataset, name)
    if name in ("MissingExtraError", "default_store_dir"):
        from hip3.store import location

        return getattr(location, name)
    raise AttributeError(f"module 'hip3.store' has no attribute {name!r}")
