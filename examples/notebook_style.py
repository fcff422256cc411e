"""hip3 the notebook way: blocking calls, plain objects, no async code.

    python examples/notebook_style.py [SECONDS]

The same steps as examples/notebook.ipynb, as a script: connect to an embedded
simulator, read a book, place and cancel orders, look at positions and fills as
records (``pandas.DataFrame(records)`` if pandas is installed), run the example
market maker in the background for a few seconds, then replay its capture file.
"""

from __future__ import annotations

import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import hip3.notebook as hn


def main(seconds: float) -> None:
    with hn.connect("sim") as s:  # a local venue, a throwaway key
        print(s)
        book = s.book("BTC")
        print(f"BTC bid {book.best_bid} ask {book.best_ask} ({len(book.bids)} levels a side)")

        assert book.best_ask is not None and book.best_bid is not None
        taken = s.place(
            "BTC", "buy", "0.001", (book.best_ask * Decimal("1.01")).quantize(1), tif="Ioc"
        )
        print("IOC buy:", taken.status, taken.filled_sz, "@", taken.avg_px)
        resting = s.place("BTC", "buy", "0.001", (book.best_bid * Decimal("0.98")).quantize(1))
        print("resting bid:", resting.status, "oid", resting.oid)
        print("open orders:", s.open_orders().records())
        print("cancel:", s.cancel("BTC", oid=resting.oid).status)
        print("positions:", s.positions().records())
        print("fills:", s.fills().records())

        capture = Path(tempfile.mkdtemp()) / "capture.jsonl"
        bot = s.start_bot(
            {
                "mode": "trading",
                "network": "sim",  # this session's simulator, key and account
                "markets": ["BTC", "xyz:TSLA"],
                "position_resync_interval_secs": 2,
                "strategy": {"params": {"half_spread_bps": 1, "order_notional_usd": 200}},
                "journal": {"path": str(capture)},
            }
        )
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(1)
            state = bot.state()
            print(f"{state.elapsed_secs:5.1f}s positions {state.positions} fills {state.fills}")
        summary = bot.stop()
        print("tracker: ", summary.to_json()["positions"])
        print("exchange:", summary.to_json()["exchange_positions"])
        print("drift events:", summary.drift_events)

        table = s.replay(capture)
        print(f"replayed {len(table.rows)} messages; positions {table.positions}")
        if table.positions != summary.positions:
            raise SystemExit("replay disagrees with the bot")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
