"""Terminal tables and command lines that fit the console's width, for every CLI's renderers.

A CI log, an ssh session or a pipe is often 80 columns wide (rich reads ``COLUMNS`` when the
output is not a terminal). Rather than letting rich shrink cells, which wraps rows over several
lines and cuts numbers to ``83.…``, a FitTable never shrinks a cell: it drops its least needed
columns until a row fits on one line, and when even the essential ones do not fit it prints
each row as ``header value`` pairs, one row per block. A Command breaks a long shell command
at its flags with `` \\`` continuations, so it still pastes into a shell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

Cell = str | Text

__all__ = ["Cell", "Column", "Command", "FitTable"]

GAP = 3  # SIMPLE_HEAD without edges: one space of padding, the divider, one space


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its header, alignment, and when it goes as the console narrows.

    ``drop`` 0 never goes; among the others the highest number goes first.
    """

    header: str
    right: bool = False
    drop: int = 0
    spill: bool = False  # when dropped, print each row's value below the table instead


class FitTable:
    """A table whose rows stay one line each at any console width (see the module doc)."""

    def __init__(
        self,
        columns: Sequence[Column],
        rows: Iterable[Sequence[Cell]],
        title: Cell | None = None,
        keys: Sequence[str] = (),
    ) -> None:
        """``keys`` name each row in the lines a dropped ``spill`` column prints below."""
        self.columns = list(columns)
        self.rows = [[c if isinstance(c, Text) else Text(c) for c in r] for r in rows]
        self.title = title
        self.keys = list(keys)
        self.widths = [
            max([len(col.header), *(r[i].cell_len for r in self.rows)])
            for i, col in enumerate(self.columns)
        ]

    def kept(self, width: int) -> list[int] | None:
        """The columns that fit ``width`` (None: not even the essential ones)."""
        keep = list(range(len(self.columns)))
        order = sorted(
            (i for i, c in enumerate(self.columns) if c.drop),
            key=lambda i: (-self.columns[i].drop, -i),
        )
        while sum(self.widths[i] for i in keep) + GAP * (len(keep) - 1) > width:
            if not order:
                return None
            keep.remove(order.pop(0))
        return keep

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        if self.title is not None:
            yield self.title if isinstance(self.title, Text) else Text(self.title)
        keep = self.kept(width)
        if keep is None:
            yield from self._stacked(width)
            return
        t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, show_header=True)
        for i in keep:
            c = self.columns[i]
            t.add_column(c.header, justify="right" if c.right else "left", no_wrap=True)
        for r in self.rows:
            t.add_row(*(r[i] for i in keep))
        yield t
        gone = [i for i in range(len(self.columns)) if i not in keep]
        hidden = [self.columns[i].header for i in gone if not self.columns[i].spill]
        if hidden:
            yield Text(f"(left out at {width} columns: {', '.join(hidden)})", style="dim")
        for i in gone:
            if not self.columns[i].spill:
                continue
            yield Text(f"{self.columns[i].header}:")
            for key, r in zip(self.keys or [""] * len(self.rows), self.rows, strict=True):
                if r[i].plain:
                    # Wrapped at its words; a word longer than the line (a path) is folded.
                    yield Text.assemble(f"  {key}: " if key else "  ", r[i], overflow="fold")

    def _stacked(self, width: int) -> RenderResult:
        """Each row as ``header value`` pairs, filled into lines no wider than ``width``."""
        for r in self.rows:
            line = Text()
            for col, cell in zip(self.columns, r, strict=True):
                if not cell.plain:
                    continue
                pair = Text.assemble(f"{col.header} ", cell)
                if line.plain and line.cell_len + 2 + pair.cell_len > width:
                    yield line
                    line = Text("  ")
                line.append_text(Text("  ") if line.plain.strip() else Text())
                line.append_text(pair)
            yield line
            yield Text("")


class Command:
    """A shell command that breaks at its flags (`` \\`` continuations) to fit the width."""

    def __init__(self, command: str, prefix: str = "", style: str = "") -> None:
        self.command = command
        self.prefix = prefix
        self.style = style

    def lines(self, width: int) -> list[str]:
        words = self.command.split(" ")
        groups: list[str] = []
        for w in words:
            # A flag's value stays with its flag: "-ngl 99", "-hf repo:quant".
            if (
                groups
                and groups[-1].startswith("-")
                and " " not in groups[-1]
                and not (w.startswith("-") and not w[1:2].isdigit())
            ):
                groups[-1] += f" {w}"
            else:
                groups.append(w)
        out: list[str] = []
        line = self.prefix + groups[0]
        for g in groups[1:]:
            if len(line) + 1 + len(g) + 2 > width:
                out.append(line + " \\")
                line = "    " + g
            else:
                line += " " + g
        out.append(line)
        return out

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines(options.max_width):
            yield Text(line, style=self.style, overflow="fold")
