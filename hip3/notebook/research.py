"""Frames and store relations for research in a notebook (``pip install 'hip3[research]'``).

Nothing here imports pandas, polars or duckdb until a function needs them, so
``import hip3.notebook`` stays light and works without the extra.

Decimals stay exact unless asked otherwise: a frame's prices, sizes, fees and PnL are
:class:`~decimal.Decimal` objects (pandas: ``object`` columns; polars: ``Decimal``
columns), never floats made silently; ``as_float=True`` gives ``float64`` columns for
plotting and vectorised arithmetic.
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from types import ModuleType
from typing import Any

import attrs

from hip3.notebook.records import Book, BookLevel, Records, to_record
from hip3.store.location import MissingExtraError, resolve_store_dir

__all__ = [
    "FRAME_BACKENDS",
    "fills_frame",
    "frame_backend",
    "journal_books",
    "rows_of",
    "store_relation",
    "to_frame",
]

log = logging.getLogger(__name__)

#: Frame libraries in order of preference.
FRAME_BACKENDS = ("pandas", "polars")

_INSTALL = "pip install 'hip3[research]'"


def frame_backend(prefer: str | None = None) -> tuple[str, ModuleType]:
    """The frame library to use: ``prefer`` if given, else pandas, else polars.

    Raises :class:`~hip3.store.MissingExtraError` (an ImportError) naming the install
    command when none of them is installed.
    """
    names = FRAME_BACKENDS if prefer is None else (prefer,)
    if prefer is not None and prefer not in FRAME_BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(FRAME_BACKENDS)}; got {prefer!r}")
    for name in names:
        try:
            return name, importlib.import_module(name)
        except ModuleNotFoundError:
            continue
    wanted = " or ".join(names)
    raise MissingExtraError(f"a frame needs {wanted}: {_INSTALL}")


def _utc(time_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(time_ms / 1000, tz=dt.UTC)


def to_frame(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    as_float: bool = False,
    backend: str | None = None,
) -> Any:
    """``rows`` (dicts) as a pandas or polars frame with ``columns`` in that order.

    Decimal values stay Decimal unless ``as_float``; every ``*_ms`` column named
    ``time_ms`` gains a ``time`` column (UTC datetimes) in front of it.
    """
    name, lib = frame_backend(backend)
    out_columns = list(columns)
    with_time = "time_ms" in out_columns and "time" not in out_columns
    if with_time:
        out_columns.insert(out_columns.index("time_ms"), "time")
    data: list[dict[str, Any]] = []
    for row in rows:
        record: dict[str, Any] = {}
        for column in out_columns:
            if column == "time" and with_time:
                ms = row.get("time_ms")
                record["time"] = _utc(int(ms)) if ms is not None else None
                continue
            value = row.get(column)
            record[column] = float(value) if as_float and isinstance(value, Decimal) else value
        data.append(record)
    if name == "pandas":
        return lib.DataFrame(data, columns=out_columns)
    # polars infers Decimal(38, scale) from Decimal objects: exact, like the store.
    return lib.DataFrame(data) if data else lib.DataFrame(schema=out_columns)


#: The columns of :func:`fills_frame`, in order (``time`` is added before ``time_ms``).
FILL_COLUMNS = (
    "coin",
    "side",
    "px",
    "sz",
    "signed_sz",
    "time_ms",
    "dir",
    "closed_pnl",
    "fee",
    "fee_token",
    "oid",
    "tid",
    "cloid",
    "crossed",
)


def fills_frame(fills: Iterable[Any], *, as_float: bool = False, backend: str | None = None) -> Any:
    """Fills (the notebook's :class:`~hip3.notebook.Fill` objects, hip3's domain fills or
    dicts with the same keys) as a frame, oldest first, with ``signed_sz`` (+ buy, - sell)
    and a UTC ``time``. The columns of :data:`FILL_COLUMNS` come first, then any other
    field the fills have."""
    rows = []
    extra: dict[str, None] = {}
    for fill in fills:
        row = dict(to_record(fill, exact=True)) if attrs.has(type(fill)) else dict(fill)
        for key, value in row.items():
            if isinstance(value, enum.Enum):  # Side.BUY -> "B", a Cloid stays itself
                row[key] = value.value
            elif key == "cloid" and value is not None and not isinstance(value, str):
                row[key] = str(value)
            if key not in FILL_COLUMNS:
                extra[key] = None
        sz = row.get("sz")
        if isinstance(sz, Decimal) and "signed_sz" not in row:
            row["signed_sz"] = sz if row.get("side") in ("buy", "B") else -sz
        rows.append(row)
    rows.sort(key=lambda r: (r.get("time_ms") or 0, r.get("tid") or 0))
    columns = [*FILL_COLUMNS, *(key for key in extra if key != "time")]
    return to_frame(rows, columns, as_float=as_float, backend=backend)


def store_relation(
    account: str,
    path: str | os.PathLike[str] | None = None,
    *,
    table: str = "fills",
) -> Any:
    """The store's ``table`` (fills, orders, trades: ``account``'s rows only; books: all)
    as a DuckDB relation over a connection of its own.

    ``path`` defaults to ``$HIP3_STORE`` or the user's data directory (as ``hip3 store``).
    The relation chains (``.filter``, ``.aggregate``, ``.order``) and turns into frames:
    ``.pl()`` keeps decimals exact (polars Decimal); ``.df()`` is DuckDB's pandas
    conversion, which makes DECIMAL columns float64 -- for exact Decimals in pandas use
    ``.to_arrow_table().to_pandas()``; ``.fetchall()`` gives tuples of Decimals.
    """
    from hip3.store.dataset import TABLES, Store

    if table not in TABLES:
        raise ValueError(f"table must be one of {', '.join(TABLES)}; got {table!r}")
    store = Store(resolve_store_dir(path))
    con = store.connect()
    if table == "books":
        return con.sql("SELECT * FROM books ORDER BY time_ms, coin, side, level")
    order = {"fills": "time_ms, tid", "orders": "status_time_ms, oid", "trades": "time_ms, tid"}
    return con.sql(
        f"SELECT * FROM {table} WHERE account = $account ORDER BY {order[table]}",
        params={"account": account.lower()},
    )


def rows_of(data: Any) -> list[dict[str, Any]]:
    """Rows as dicts from any of: a pandas or polars frame, a DuckDB relation, a list of
    attrs objects (the notebook's records; Decimals kept) or of dicts."""
    module = type(data).__module__.split(".")[0]
    if module == "duckdb" or (hasattr(data, "fetchall") and hasattr(data, "columns")):
        names = list(data.columns)
        return [dict(zip(names, row, strict=True)) for row in data.fetchall()]
    if module == "pandas":
        records: list[dict[str, Any]] = data.to_dict("records")
        return records
    if module == "polars":
        dicts: list[dict[str, Any]] = data.to_dicts()
        return dicts
    out = []
    for item in data:
        if attrs.has(type(item)):
            out.append(to_record(item, exact=True))
        elif isinstance(item, Mapping):
            out.append(dict(item))
        else:
            raise TypeError(f"expected rows (dicts or records), got {type(item).__name__}")
    return out


def journal_books(
    capture: str | os.PathLike[str], *, coin: str | None = None, every_ms: int = 0
) -> Records[Book]:
    """The ``l2Book`` messages of a journal (``hip3 trade``'s capture file) as
    :class:`~hip3.notebook.Book` snapshots, oldest first: what the bot saw, for
    :func:`hip3.notebook.plots.plot_fills_on_book` without a store.

    ``coin`` keeps one coin; ``every_ms`` keeps a snapshot per coin at most that often
    (book time; 0: every one). A malformed book message is counted, logged and skipped.
    """
    from hip3.journal import read_capture

    books: Records[Book] = Records()
    last: dict[str, int] = {}
    malformed = 0
    for line in read_capture(capture, keep_channels=frozenset({"l2Book"})):
        msg = line.msg
        if line.via != "ws" or not isinstance(msg, dict) or msg.get("channel") != "l2Book":
            continue
        try:
            book = _book(msg["data"])
        except (KeyError, TypeError, ValueError, ArithmeticError, IndexError):
            malformed += 1
            continue
        if coin is not None and book.coin != coin:
            continue
        previous = last.get(book.coin)
        if previous is not None and book.time_ms - previous < every_ms:
            continue
        last[book.coin] = book.time_ms
        books.append(book)
    if malformed:
        log.warning("%s: %d malformed l2Book message(s) skipped", capture, malformed)
    books.sort(key=lambda b: b.time_ms)
    return books


def _book(data: Mapping[str, Any]) -> Book:
    bids, asks = data["levels"]

    def side(name: str, rows: Sequence[Mapping[str, Any]]) -> tuple[BookLevel, ...]:
        return tuple(
            BookLevel(name, i, Decimal(str(r["px"])), Decimal(str(r["sz"])), int(r.get("n", 0)))
            for i, r in enumerate(rows)
        )

    return Book(str(data["coin"]), int(data["time"]), side("bid", bids), side("ask", asks))
