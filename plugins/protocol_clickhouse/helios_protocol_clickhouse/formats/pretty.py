"""The Pretty family (Pretty, PrettyCompact, PrettySpace, their MonoBlock and NoEscapes forms) and
Vertical, as ClickHouse writes them to a client that is not a terminal (colours only with
``output_format_pretty_color = 1``: names bold, line-break markers grey).

A table per result (the kernel's batches are one block to ClickHouse's eyes), then ``Totals:``
and ``Extremes:`` tables. Numbers, dates and times are aligned right (their header too), other
values left; NULL is ``ᴺᵁᴸᴸ``; a value with line breaks takes several lines, ``↴`` ending and
``↳`` starting the continued ones in the cell's padding. Row numbers are on, as ClickHouse's
``output_format_pretty_row_numbers`` is by default (``N. `` before each row; 0 turns them off).
A tab advances to the next multiple of 8 columns, counted as ClickHouse counts them: from a
margin of the row number's width plus 2 (1 for PrettySpace), whether or not numbers are shown,
plus the cells and separators before it when a column's width is measured, but from the margin
alone when a cell's padding is.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_protocol_clickhouse.formats.text import rows_of
from helios_protocol_clickhouse.formats.values import TextRenderer
from helios_protocol_clickhouse.types import parse_type

NULL_TEXT = "ᴺᵁᴸᴸ"
_RIGHT_ALIGNED = ("Int", "UInt", "Float", "Decimal", "Date", "DateTime")


def visible_width(text: str, prefix: int = 0) -> int:
    """Columns a terminal gives the text: wide (East Asian) characters two, combining marks none,
    a tab up to the next multiple of 8 counted from ``prefix`` columns before the text."""
    width = 0
    for ch in text:
        if ch == "\t":
            width = (prefix + width) // 8 * 8 + 8 - prefix
            continue
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _aligns_right(ch_type: str) -> bool:
    name = parse_type(ch_type).inner.name
    return name.startswith(_RIGHT_ALIGNED) and not name.startswith("DateTime64") or name == "DateTime64"


def _cell_lines(r: TextRenderer, v: Any) -> list[str]:
    text = r.text(v)
    return [NULL_TEXT] if text is None else text.split("\n")


def _bold(text: str, color: bool) -> str:
    return f"\x1b[1m{text}\x1b[0m" if color else text


def _grey(text: str, color: bool) -> str:
    return f"\x1b[90m{text}\x1b[0m" if color and text.strip() else text


_NUMBER = re.compile(r"(-?)(\d{5,})(.*)")


def _digit_groups(text: str) -> str:
    """A long number's thousands marked (underlined) where its digit groups meet, as a coloured
    ClickHouse shows numbers of five digits and more."""
    m = _NUMBER.fullmatch(text)
    if m is None:
        return text
    digits = m.group(2)
    n = len(digits)
    marked = "".join(f"\x1b[4m{d}\x1b[0m" if (n - k - 1) % 3 == 0 and n - k - 1 > 0 else d
                     for k, d in enumerate(digits))
    return m.group(1) + marked + m.group(3)


class _Grid:
    """The texts of a block's cells, its column widths and alignments."""

    def __init__(self, result: Any, batches: list, settings: dict[str, str], color: bool = False,
                 margin: int = 5) -> None:
        self.color = color
        self.names = [c.name for c in result.columns]
        self.right = [_aligns_right(c.type) for c in result.columns]
        self.numeric = [parse_type(c.type).inner.name.startswith(("Int", "UInt", "Float", "Decimal"))
                        for c in result.columns]
        renderers = [TextRenderer(c.type, settings) for c in result.columns]
        self.rows = [[_cell_lines(r, v) for r, v in zip(renderers, row, strict=True)] for row in rows_of(batches)]
        self.widths = [visible_width(n) for n in self.names]
        self.margin = margin
        prefix = margin
        for i in range(len(self.names)):
            for row in self.rows:
                self.widths[i] = max(self.widths[i], *(visible_width(x, prefix) for x in row[i]))
            prefix += self.widths[i] + 3

    def pad(self, i: int, text: str, bold: bool = False) -> str:
        gap = " " * max(0, self.widths[i] - visible_width(text, self.margin))
        text = _bold(text, bold and self.color)
        return gap + text if self.right[i] else text + gap

    def row_lines(self, row: list[list[str]], edge: str, sep: str) -> list[str]:
        """A row's text lines between ``edge`` borders, cells parted by ``sep``: a cell is its
        padded text between two spaces, where a continued value puts its ``↳`` and ``↴``."""
        out = []
        for k in range(max(len(lines) for lines in row)):
            cells = []
            for i, lines in enumerate(row):
                text = lines[k] if k < len(lines) else ""
                before = "↳" if 0 < k < len(lines) else " "
                after = "↴" if k < len(lines) - 1 else " "
                padded = self.pad(i, text)
                if self.color and self.numeric[i]:
                    padded = padded.replace(text, _digit_groups(text), 1) if text else padded
                cells.append(_grey(before, self.color) + padded + _grey(after, self.color))
            out.append(edge + sep.join(cells) + edge)
        return out


class _Margin:
    """``output_format_pretty_row_numbers = 1``: ``N. `` before a row's first line, spaces before
    every other line; nothing when off."""

    def __init__(self, rows: int, on: bool, color: bool) -> None:
        self.width = len(str(rows)) + 2 if on and rows else 0
        self.color = color

    def blank(self, line: str) -> str:
        return " " * self.width + line

    def row(self, n: int, lines: list[str]) -> list[str]:
        if not self.width:
            return lines
        number = f"{n}. "
        return [" " * (self.width - len(number)) + _grey(number, self.color) + lines[0],
                *(self.blank(x) for x in lines[1:])]


def _boxed(grid: _Grid, heavy: bool, margin: _Margin, first: int = 1) -> list[str]:
    if heavy:
        lines = ["┏" + "┳".join("━" * (w + 2) for w in grid.widths) + "┓",
                 "┃" + "┃".join(" " + grid.pad(i, n, bold=True) + " " for i, n in enumerate(grid.names)) + "┃",
                 "┡" + "╇".join("━" * (w + 2) for w in grid.widths) + "┩"]
    else:
        cells = []
        for i, n in enumerate(grid.names):
            fill = "─" * (grid.widths[i] - visible_width(n))
            name = _bold(n, grid.color)
            cells.append("─" + (fill + name if grid.right[i] else name + fill) + "─")
        lines = ["┌" + "┬".join(cells) + "┐"]
    lines = [margin.blank(x) for x in lines]
    between = margin.blank("├" + "┼".join("─" * (w + 2) for w in grid.widths) + "┤")
    for n, row in enumerate(grid.rows, start=first):
        if heavy and n > first:
            lines.append(between)
        lines.extend(margin.row(n, grid.row_lines(row, "│", "│")))
    lines.append(margin.blank("└" + "┴".join("─" * (w + 2) for w in grid.widths) + "┘"))
    return lines


def _spaced(grid: _Grid, margin: _Margin, first: int = 1) -> list[str]:
    lines = [margin.blank(" " + "   ".join(grid.pad(i, n, bold=True) for i, n in enumerate(grid.names))), ""]
    for n, row in enumerate(grid.rows, start=first):
        lines.extend(margin.row(n, grid.row_lines(row, "", " ")))
    return lines


def _colored(settings: dict[str, str]) -> bool:
    """``output_format_pretty_color = 1`` (``auto``, the default, is off: the client is no terminal)."""
    return settings.get("output_format_pretty_color", "auto") in ("1", "true")


def _pretty(result: Any, settings: dict[str, str], style: str, escapes: bool = True) -> tuple[bytes, str]:
    if result.columns is None or not result.rows:
        return b"", "text/plain; charset=UTF-8"
    numbered = settings.get("output_format_pretty_row_numbers", "1") in ("1", "true")
    color = escapes and _colored(settings)

    def table(batches: list, first: int = 1) -> list[str]:
        last = first - 1 + sum(b.num_rows for b in batches)
        grid = _Grid(result, batches, settings, color, len(str(max(last, 1))) + 2 + (1 if style == "PrettySpace" else 2))
        margin = _Margin(first + len(grid.rows) - 1, numbered, color)
        return _spaced(grid, margin, first) if style == "PrettySpace" else \
            _boxed(grid, style == "Pretty", margin, first)

    out: list[str] = []
    first = 1  # the blocks of one answer number their rows on from the block before
    for blocks in _blocks(result):
        out += table(blocks, first)
        first += sum(b.num_rows for b in blocks)
    if result.totals is not None:
        out += ["", "Totals:", *table([result.totals])]
    if result.extremes is not None:
        out += ["", "Extremes:", *table([result.extremes])]
    return ("\n".join(out) + "\n").encode(), "text/plain; charset=UTF-8"


def _blocks(result: Any) -> list[list]:
    """The result's batches split where ``block_starts`` says a block of its own begins."""
    starts = [s for s in (result.block_starts or [0]) if s < result.rows]
    if len(starts) <= 1:
        return [result.batches]
    table = pa.Table.from_batches(result.batches)
    bounds = [*starts, result.rows]
    return [table.slice(a, b - a).to_batches() for a, b in itertools.pairwise(bounds)]


def _vertical(result: Any, settings: dict[str, str]) -> tuple[bytes, str]:
    """Vertical: ``Row N:``, a rule, then ``name: value`` lines (names padded to the longest)."""
    if result.columns is None or not result.rows:
        return b"", "text/plain; charset=UTF-8"
    renderers = [TextRenderer(c.type, settings) for c in result.columns]
    widest = max(visible_width(c.name) for c in result.columns)
    color = _colored(settings)
    labels = [_bold(c.name + ":", color) + " " * (widest - visible_width(c.name)) for c in result.columns]

    def record(title: str, row: tuple) -> list[str]:
        lines = [title, "─" * visible_width(title)]
        for label, r, v in zip(labels, renderers, row, strict=True):
            text = r.text(v)
            lines.append(f"{label} {NULL_TEXT if text is None else text}")
        return lines

    out: list[str] = []
    for n, row in enumerate(rows_of(result.batches), start=1):
        out += (["", *record(f"Row {n}:", row)] if out else record(f"Row {n}:", row))
    if result.totals is not None:
        out += ["", "", *record("Totals:", next(rows_of([result.totals])))]
    if result.extremes is not None:
        low, high = list(rows_of([result.extremes]))[:2]
        out += ["", *record("Min:", low), "", *record("Max:", high)]
    return ("\n".join(out) + "\n").encode(), "text/plain; charset=UTF-8"


def _null(result: Any, settings: dict[str, str]) -> tuple[bytes, str]:
    return b"", "text/plain; charset=UTF-8"


def _writer(style: str, escapes: bool) -> Callable[[Any, dict[str, str]], tuple[bytes, str]]:
    return lambda result, settings: _pretty(result, settings, style, escapes)


WRITERS = {
    **{f"{style}{suffix}": _writer(style, "NoEscapes" not in suffix) for style in ("Pretty", "PrettyCompact", "PrettySpace")
       for suffix in ("", "MonoBlock", "NoEscapes", "NoEscapesMonoBlock")},
    "Vertical": _vertical,
    "Null": _null,
}
