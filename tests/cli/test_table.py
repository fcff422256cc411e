"""The CLI's tables: aligned plain text in pipes, rich tables with colours on a terminal."""

from __future__ import annotations

import pytest

from hip3_cli._table import Column, echo_table, render_plain, side_style, signed_style

COLUMNS = [Column("coin"), Column("side", style=side_style), Column("size", right=True)]
ROWS = [["BTC", "buy", "0.5"], ["xyz:TSLA", "sell", "-12.25"]]


def test_plain_text_aligns_columns_and_right_justifies_numbers() -> None:
    text = render_plain(COLUMNS, ROWS, title="positions")
    assert text.splitlines() == [
        "positions",
        "coin      side    size",
        "BTC       buy      0.5",
        "xyz:TSLA  sell  -12.25",
    ]


def test_a_pipe_gets_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    echo_table(COLUMNS, ROWS, terminal=False)
    out = capsys.readouterr().out
    assert out == render_plain(COLUMNS, ROWS) + "\n"
    assert "\x1b[" not in out


def test_a_terminal_gets_a_rich_table(capsys: pytest.CaptureFixture[str]) -> None:
    echo_table(COLUMNS, ROWS, title="positions", terminal=True)
    out = capsys.readouterr().out
    assert "positions" in out
    assert "xyz:TSLA" in out and "-12.25" in out
    assert "┃" in out or "|" in out  # drawn as a table, not as plain columns


@pytest.mark.parametrize(
    ("text", "style"),
    [("buy", "green"), ("B", "green"), ("sell", "red"), ("A", "red"), ("?", None)],
)
def test_sides_are_coloured(text: str, style: str | None) -> None:
    assert side_style(text) == style


@pytest.mark.parametrize(
    ("text", "style"),
    [("1.5", "green"), ("-0.2", "red"), ("0", None), ("0.000", None), ("-", None), ("", None)],
)
def test_signed_numbers_are_coloured(text: str, style: str | None) -> None:
    assert signed_style(text) == style
