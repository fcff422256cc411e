"""Tables for people: rich with colours on a terminal, aligned plain text in pipes and files.

Each command hands rows of strings to :func:`echo_table`; the choice of rendering is made
once, from whether stdout is a terminal (``NO_COLOR`` is honoured by rich), so a script
that pipes ``hip3 positions`` gets stable columns and a person gets colours.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import attrs
import click

__all__ = ["Column", "echo_table", "side_style", "signed_style"]


def side_style(text: str) -> str | None:
    """Green for buys, red for sells."""
    lowered = text.lower()
    if lowered in ("buy", "b", "long"):
        return "green"
    if lowered in ("sell", "a", "short"):
        return "red"
    return None


def signed_style(text: str) -> str | None:
    """Red for negative numbers, green for positive ones; nothing for zero or blanks."""
    stripped = text.strip()
    if not stripped or stripped == "-" or stripped.strip("0.") == "":
        return None
    return "red" if stripped.startswith("-") else "green"


@attrs.frozen
class Column:
    """A column: its header, alignment, and an optional colour chosen from the cell text."""

    header: str
    right: bool = False
    style: Callable[[str], str | None] | None = None


def echo_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    terminal: bool | None = None,
) -> None:
    """Print ``rows`` under ``columns``; ``terminal`` overrides the tty check (tests)."""
    if terminal is None:
        terminal = sys.stdout.isatty()
    if terminal:
        _echo_rich(columns, rows, title)
    else:
        click.echo(render_plain(columns, rows, title=title))


def render_plain(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], *, title: str | None = None
) -> str:
    widths = [
        max([len(column.header), *(len(row[i]) for row in rows)])
        for i, column in enumerate(columns)
    ]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if column.right else cell.ljust(width)
            for cell, width, column in zip(cells, widths, columns, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [title] if title else []
    out.append(line([column.header for column in columns]))
    out.extend(line(row) for row in rows)
    return "\n".join(out)


def _echo_rich(columns: Sequence[Column], rows: Sequence[Sequence[str]], title: str | None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column.header, justify="right" if column.right else "left")
    for row in rows:
        cells = []
        for cell, column in zip(row, columns, strict=True):
            style = column.style(cell) if column.style else None
            cells.append(Text(cell, style=style or ""))
        table.add_row(*cells)
    Console().print(table)
