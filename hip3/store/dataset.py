"""The Parquet dataset: rows from journals and the venue, written once each, read by DuckDB."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs

from hip3.errors import WireError
from hip3.journal import read_capture
from hip3.store import DECIMAL_PRECISION, DECIMAL_SCALE
from hip3.store.location import require
from hip3.wire import models as m
from hip3.wire import to_domain
from hip3.wire.codec import structure

__all__ = ["BOOK_DEPTH", "BOOK_EVERY_MS", "TABLES", "ImportResult", "Store", "fill_row"]

log = logging.getLogger(__name__)

_QUANTUM = Decimal(1).scaleb(-DECIMAL_SCALE)

#: Each table's columns (name, type name) in file order; ``key`` columns identify a row.
_FILL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("account", "str"),
    ("dex", "str"),
    ("date", "date"),
    ("coin", "str"),
    ("px", "dec"),
    ("sz", "dec"),
    ("signed_sz", "dec"),
    ("side", "str"),
    ("time", "ts"),
    ("time_ms", "i64"),
    ("dir", "str"),
    ("closed_pnl", "dec"),
    ("hash", "str"),
    ("oid", "i64"),
    ("tid", "i64"),
    ("cloid", "str"),
    ("fee", "dec"),
    ("fee_token", "str"),
    ("builder_fee", "dec"),
    ("crossed", "bool"),
    ("start_position", "dec"),
    ("twap_id", "i64"),
    ("liquidation", "bool"),
    ("liquidation_method", "str"),
    ("liquidated_user", "str"),
    ("source", "str"),
    ("fill_key", "str"),
)
_ORDER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("account", "str"),
    ("dex", "str"),
    ("date", "date"),
    ("coin", "str"),
    ("oid", "i64"),
    ("cloid", "str"),
    ("side", "str"),
    ("limit_px", "dec"),
    ("sz", "dec"),
    ("orig_sz", "dec"),
    ("status", "str"),
    ("status_time", "ts"),
    ("status_time_ms", "i64"),
    ("timestamp_ms", "i64"),
    ("reduce_only", "bool"),
    ("order_key", "str"),
)
_TRADE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("dex", "str"),
    ("date", "date"),
    ("coin", "str"),
    ("side", "str"),
    ("px", "dec"),
    ("sz", "dec"),
    ("time", "ts"),
    ("time_ms", "i64"),
    ("hash", "str"),
    ("tid", "i64"),
    ("buyer", "str"),
    ("seller", "str"),
    ("trade_key", "str"),
)

_BOOK_COLUMNS: tuple[tuple[str, str], ...] = (
    ("dex", "str"),
    ("date", "date"),
    ("coin", "str"),
    ("time", "ts"),
    ("time_ms", "i64"),
    ("side", "str"),
    ("level", "i64"),
    ("px", "dec"),
    ("sz", "dec"),
    ("n", "i64"),
    ("book_key", "str"),
)

#: Book snapshots are sampled: at most one per coin per this many ms of book time, and
#: only the best levels of each side (a journal's books would otherwise dwarf the rest).
BOOK_EVERY_MS = 60_000
BOOK_DEPTH = 10

#: table name -> (columns, the key column that de-duplicates it)
TABLES: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "fills": (_FILL_COLUMNS, "fill_key"),
    "orders": (_ORDER_COLUMNS, "order_key"),
    "trades": (_TRADE_COLUMNS, "trade_key"),
    "books": (_BOOK_COLUMNS, "book_key"),
}


def _dex(coin: str) -> str:
    """``"xyz:TSLA"`` -> ``"xyz"``; a coin of the first perp dex (or spot) -> ``""``."""
    head, sep, _ = coin.partition(":")
    return head if sep else ""


def _day(time_ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(time_ms / 1000, tz=dt.UTC).date()


def _dec(value: Any, field: str) -> Decimal | None:
    """An exact decimal for ``field``; refuses what decimal128(38, 18) cannot hold exactly."""
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{field}: not a decimal: {value!r}") from None
    if not number.is_finite() or number.quantize(_QUANTUM) != number:
        raise ValueError(f"{field}: {value!r} has more than {DECIMAL_SCALE} fractional digits")
    if abs(number) >= Decimal(10) ** (DECIMAL_PRECISION - DECIMAL_SCALE):
        raise ValueError(f"{field}: {value!r} is too large for the store's decimals")
    return number


def fill_row(fill: m.WireFill, account: str, source: str) -> dict[str, Any]:
    """One ``fills`` row from a decoded venue fill (every field the venue sends)."""
    sz = _dec(fill.sz, "sz")
    assert sz is not None
    side = fill.side.value
    liquidation = fill.liquidation
    twap = fill.twap_id if isinstance(fill.twap_id, int) else None
    key = (
        f"{fill.coin}|{fill.tid}"
        if fill.tid is not None
        else f"{fill.coin}|h:{fill.hash}:{fill.oid}:{fill.time}:{fill.px:f}:{fill.sz:f}"
    )
    return {
        "account": account,
        "dex": _dex(fill.coin),
        "date": _day(fill.time),
        "coin": fill.coin,
        "px": _dec(fill.px, "px"),
        "sz": sz,
        "signed_sz": sz if side == "B" else -sz,
        "side": side,
        "time": dt.datetime.fromtimestamp(fill.time / 1000, tz=dt.UTC),
        "time_ms": fill.time,
        "dir": fill.dir,
        "closed_pnl": _dec(fill.closed_pnl, "closedPnl"),
        "hash": fill.hash,
        "oid": fill.oid,
        "tid": fill.tid,
        "cloid": fill.cloid,
        "fee": _dec(fill.fee, "fee"),
        "fee_token": fill.fee_token,
        "builder_fee": _dec(fill.builder_fee, "builderFee"),
        "crossed": fill.crossed,
        "start_position": _dec(fill.start_position, "startPosition"),
        "twap_id": twap,
        "liquidation": liquidation is not None,
        "liquidation_method": liquidation.method if liquidation is not None else None,
        "liquidated_user": liquidation.liquidated_user if liquidation is not None else None,
        "source": source,
        "fill_key": f"{account}|{key}",
    }


@attrs.define
class ImportResult:
    """What one import or fetch added (rows per table) and what it could not use."""

    added: dict[str, int] = attrs.field(factory=lambda: dict.fromkeys(TABLES, 0))
    seen: dict[str, int] = attrs.field(factory=lambda: dict.fromkeys(TABLES, 0))
    malformed: int = 0
    lines: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "added": dict(self.added),
            "seen": dict(self.seen),
            "malformed": self.malformed,
            "lines": self.lines,
        }


@attrs.define
class _Collector:
    """The rows of one journal, routed through hip3.wire's decoders."""

    account: str | None
    book_every_ms: int = BOOK_EVERY_MS
    rows: dict[str, list[dict[str, Any]]] = attrs.field(
        factory=lambda: {name: [] for name in TABLES}
    )
    requests: dict[int, Any] = attrs.field(factory=dict)
    pending_orders: list[Any] = attrs.field(factory=list)
    last_book_ms: dict[str, int] = attrs.field(factory=dict)
    malformed: int = 0

    def out(self, via: str, msg: Any, id_: int | None) -> None:
        if via == "http" and id_ is not None:
            self.requests[id_] = msg
            self._learn_account(msg)
        elif via == "ws" and isinstance(msg, dict):
            self._learn_account(msg.get("subscription"))

    def _learn_account(self, body: Any) -> None:
        if self.account is None and isinstance(body, dict):
            user = body.get("user")
            if isinstance(user, str) and body.get("type") in (
                "userFills",
                "userFillsByTime",
                "orderUpdates",
                "userEvents",
                "clearinghouseState",
            ):
                self.account = user.lower()

    def http_in(self, msg: Any, id_: int | None) -> None:
        body = self.requests.pop(id_, None) if id_ is not None else None
        if not isinstance(body, dict) or body.get("type") not in ("userFills", "userFillsByTime"):
            return
        user = body.get("user")
        self.fills(msg, str(body["type"]), user if isinstance(user, str) else None)

    def ws_in(self, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        channel = msg.get("channel")
        data = msg.get("data")
        try:
            if channel == "userFills" and isinstance(data, dict):
                user = data.get("user")
                self.fills(data.get("fills"), "userFills", user if isinstance(user, str) else None)
            elif channel == "user" and isinstance(data, dict) and data.get("fills"):
                self.fills(data["fills"], "user", None)
            elif channel == "orderUpdates":
                self.pending_orders.extend(to_domain.order_updates_from_json(data))
            elif channel == "trades":
                trades: m.WsTrades = structure(data, m.WsTrades, kind="trades")
                self.rows["trades"].extend(_trade_row(trade) for trade in trades.trades)
            elif channel == "l2Book" and self.book_every_ms > 0:
                book: m.L2Book = structure(data, m.L2Book, kind="l2Book")
                last = self.last_book_ms.get(book.coin)
                if last is None or book.time >= last + self.book_every_ms:
                    self.last_book_ms[book.coin] = book.time
                    self.rows["books"].extend(_book_rows(book))
        except (WireError, ValueError) as exc:
            self._malformed(f"ws {channel}", exc)

    def fills(self, data: Any, kind: str, user: str | None) -> None:
        if not isinstance(data, list):
            self._malformed(kind, WireError("expected an array of fills", kind=kind))
            return
        account = (user or self.account or "").lower()
        for element in data:
            try:
                fill: m.WireFill = structure(element, m.WireFill, kind=kind)
                self.rows["fills"].append(fill_row(fill, account, "journal"))
            except (WireError, ValueError) as exc:
                self._malformed(kind, exc)

    def finish(self) -> None:
        account = self.account or ""
        for update in self.pending_orders:
            try:
                self.rows["orders"].append(_order_row(update, account))
            except ValueError as exc:
                self._malformed("orderUpdates", exc)
        for row in self.rows["fills"]:
            if not row["account"]:
                row["account"] = account
                row["fill_key"] = account + row["fill_key"]

    def _malformed(self, what: str, exc: Exception) -> None:
        self.malformed += 1
        if self.malformed <= 5:
            log.warning("store: %s skipped: %s", what, exc)


def _order_row(update: Any, account: str) -> dict[str, Any]:
    return {
        "account": account,
        "dex": _dex(update.coin),
        "date": _day(update.status_time_ms),
        "coin": update.coin,
        "oid": update.oid,
        "cloid": update.cloid.hex if update.cloid is not None else None,
        "side": update.side.value,
        "limit_px": _dec(update.limit_px, "limitPx"),
        "sz": _dec(update.sz, "sz"),
        "orig_sz": _dec(update.orig_sz, "origSz"),
        "status": update.status,
        "status_time": dt.datetime.fromtimestamp(update.status_time_ms / 1000, tz=dt.UTC),
        "status_time_ms": update.status_time_ms,
        "timestamp_ms": update.timestamp_ms,
        "reduce_only": update.reduce_only,
        "order_key": f"{account}|{update.oid}|{update.status}|{update.status_time_ms}",
    }


def _trade_row(trade: m.WsTrade) -> dict[str, Any]:
    buyer, seller = trade.users
    return {
        "dex": _dex(trade.coin),
        "date": _day(trade.time),
        "coin": trade.coin,
        "side": trade.side.value,
        "px": _dec(trade.px, "px"),
        "sz": _dec(trade.sz, "sz"),
        "time": dt.datetime.fromtimestamp(trade.time / 1000, tz=dt.UTC),
        "time_ms": trade.time,
        "hash": trade.hash,
        "tid": trade.tid,
        "buyer": buyer,
        "seller": seller,
        "trade_key": f"{trade.coin}|{trade.tid}",
    }


def _book_rows(book: m.L2Book) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for side, levels in zip(("B", "A"), book.levels, strict=True):
        for index, level in enumerate(levels[:BOOK_DEPTH]):
            rows.append(
                {
                    "dex": _dex(book.coin),
                    "date": _day(book.time),
                    "coin": book.coin,
                    "time": dt.datetime.fromtimestamp(book.time / 1000, tz=dt.UTC),
                    "time_ms": book.time,
                    "side": side,
                    "level": index,
                    "px": _dec(level.px, "px"),
                    "sz": _dec(level.sz, "sz"),
                    "n": level.n,
                    "book_key": f"{book.coin}|{book.time}|{side}|{index}",
                }
            )
    return rows


class Store:
    """A directory of Parquet files (see :mod:`hip3.store` for layout and decimals).

    Needs pyarrow and duckdb; making one without them raises
    :class:`~hip3.store.MissingExtraError`.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._pa = require("pyarrow")
        self._pq = require("pyarrow.parquet")
        self._duckdb = require("duckdb")
        self.root = Path(root).expanduser()

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    # -- writing ---------------------------------------------------------------------------

    def import_journal(
        self,
        path: str | os.PathLike[str],
        *,
        account: str | None = None,
        book_every_ms: int = BOOK_EVERY_MS,
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult:
        """Add a capture file's fills, order updates and trades (what is new only).

        Fills come from ``userFills``/``user`` ws messages and ``userFills``/
        ``userFillsByTime`` answers (the bot's backfills), each decoded by
        :mod:`hip3.wire`; ``account`` defaults to the user the journal subscribed for.
        ``l2Book`` messages are sampled into ``books``: the first of each coin, then the
        next at least ``book_every_ms`` of book time later (0: no books), best
        :data:`BOOK_DEPTH` levels a side, one row a level.
        """
        reader = read_capture(path, progress=progress)
        collector = _Collector(account.lower() if account else None, book_every_ms)
        lines = 0
        for line in reader:
            lines += 1
            if line.dir == "out":
                collector.out(line.via, line.msg, line.id)
            elif line.via == "http":
                collector.http_in(line.msg, line.id)
            else:
                collector.ws_in(line.msg)
        collector.finish()
        result = self._add(collector.rows)
        result.malformed = collector.malformed + reader.malformed
        result.lines = lines
        return result

    def add_fills(self, fills: Iterable[m.WireFill], account: str, *, source: str) -> ImportResult:
        """Add decoded venue fills of ``account`` (what is not stored yet)."""
        rows = [fill_row(fill, account.lower(), source) for fill in fills]
        return self._add({"fills": rows})

    def _add(self, rows: Mapping[str, list[dict[str, Any]]]) -> ImportResult:
        result = ImportResult()
        for table, table_rows in rows.items():
            columns, key = TABLES[table]
            result.seen[table] = len(table_rows)
            known = self._keys(table, key)
            fresh: dict[str, dict[str, Any]] = {}
            for row in table_rows:
                if row[key] not in known and row[key] not in fresh:
                    fresh[row[key]] = row
            result.added[table] = len(fresh)
            self._write(table, columns, list(fresh.values()))
        return result

    def _keys(self, table: str, key: str) -> set[str]:
        keys: set[str] = set()
        for file in self.files(table):
            column = self._pq.read_table(file, columns=[key]).column(key)
            keys.update(column.to_pylist())
        return keys

    def files(self, table: str) -> list[Path]:
        """The table's Parquet files, in a stable order."""
        return sorted((self.root / table).glob("date=*/dex=*/*.parquet"))

    def schema(self, table: str) -> Any:
        """The table's ``pyarrow.Schema``."""
        pa = self._pa
        types = {
            "str": pa.string(),
            "dec": pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
            "date": pa.date32(),
            "ts": pa.timestamp("ms", tz="UTC"),
            "i64": pa.int64(),
            "bool": pa.bool_(),
        }
        return pa.schema([(name, types[kind]) for name, kind in TABLES[table][0]])

    def _write(
        self, table: str, columns: tuple[tuple[str, str], ...], rows: list[dict[str, Any]]
    ) -> None:
        if not rows:
            return
        schema = self.schema(table)
        part = lambda row: (row["date"], row["dex"])  # noqa: E731
        for (day, dex), group in itertools.groupby(sorted(rows, key=part), key=part):
            batch = list(group)
            arrow = self._pa.Table.from_pylist(batch, schema=schema)
            directory = self.root / table / f"date={day.isoformat()}" / f"dex={dex or 'main'}"
            directory.mkdir(parents=True, exist_ok=True)
            name = f"part-{uuid.uuid4().hex}.parquet"
            # Written under a temporary name and renamed: a reader never sees half a file.
            tmp = directory / f".{name}.tmp"
            self._pq.write_table(arrow, tmp)
            tmp.replace(directory / name)

    # -- reading ---------------------------------------------------------------------------

    def connect(self) -> Any:
        """A DuckDB connection with one view per table (``fills``, ``orders``, ``trades``,
        ``books``)."""
        con = self._duckdb.connect()
        for table in TABLES:
            files = self.files(table)
            if files:
                listing = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
                con.execute(
                    f"CREATE VIEW {table} AS SELECT * FROM read_parquet([{listing}], "
                    "union_by_name = true)"
                )
            else:
                empty = self._pa.Table.from_pylist([], schema=self.schema(table))
                con.register(f"_{table}_empty", empty)
                con.execute(f"CREATE VIEW {table} AS SELECT * FROM _{table}_empty")
        return con

    def query(
        self, sql: str, params: list[Any] | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run ``sql`` (``?`` placeholders bound to ``params``) over the store; the column
        names and the rows."""
        con = self.connect()
        try:
            cursor = con.execute(sql, params) if params is not None else con.execute(sql)
            names = [d[0] for d in cursor.description] if cursor.description else []
            return names, cursor.fetchall()
        finally:
            con.close()

    def latest_fill_ms(self, account: str) -> int | None:
        """The time of the account's newest stored fill (where a fetch can resume)."""
        _, rows = self.query("SELECT max(time_ms) FROM fills WHERE account = ?", [account.lower()])
        value = rows[0][0] if rows else None
        return int(value) if value is not None else None


async def fetch_fills(
    store: Store,
    info: Any,
    account: str,
    *,
    since_ms: int,
    until_ms: int | None = None,
    max_pages: int = 100,
) -> ImportResult:
    """Page ``userFillsByTime`` from ``since_ms`` through ``info`` (an
    :class:`hip3.clients.InfoClient`) and add the fills not stored yet.

    The venue answers at most 2000 fills per page and keeps only the 10000 most recent;
    what was fetched before stays in the store, so repeated runs reach back further
    than the venue's own window.
    """
    fills = await info.user_fills_by_time(account, since_ms, until_ms, max_pages=max_pages)
    return store.add_fills(fills, account, source="venue")
