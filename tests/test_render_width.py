"""Terminal output fits the width it is given: golden report text at 80 and 132 columns for a
sweep that varies four axes, no line over the width, no number cut; the same rules for the
bench and probe tables (FitTable, Command)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import RenderableType

import probe
from probe.cli_support import stdout_console
from probe.tables import Column, Command, FitTable
from report import _data, _render
from tests._sweeps import four_axis_db

GOLDEN = Path(__file__).parent / "fixtures" / "report"
UPDATE = os.environ.get("RIGBENCH_UPDATE_GOLDEN") == "1"
CUT_NUMBER = re.compile(r"\d…|…\d|[.,]…")

Machine = Callable[..., Any]  # the conftest fixture: a recorded machine by name


def text(renderable: RenderableType, width: int) -> str:
    buf = StringIO()
    stdout_console(file=buf, width=width, color_system=None).print(renderable)
    return buf.getvalue()


def assert_fits(out: str, width: int) -> None:
    long = [line for line in out.splitlines() if len(line) > width]
    assert long == [], f"lines over {width} columns: {long[:3]}"
    assert not CUT_NUMBER.search(out), "a number was cut"


@pytest.mark.parametrize("width", [80, 132])
def test_four_axis_report_golden(
    machine: Machine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    rep = _data.load(four_axis_db(tmp_path / "r.db", machine, monkeypatch))
    out = text(_render.render_text(rep), width)
    assert_fits(out, width)
    f = GOLDEN / f"four-axis-{width}.txt"
    if UPDATE or not f.exists():
        f.write_text(out)
    assert out == f.read_text()


def test_fit_table_drops_columns_then_stacks() -> None:
    cols = [Column("name"), Column("t/s", right=True), Column("why", drop=1)]
    rows = [["pp512 ub=128", "1,234,567.8", "a long explanation of this row"]]
    wide = text(FitTable(cols, rows), 80)
    assert "a long explanation" in wide and len(wide.splitlines()) == 3
    narrow = text(FitTable(cols, rows), 30)
    assert "1,234,567.8" in narrow and "explanation" not in narrow
    assert "left out at 30 columns: why" in narrow
    stacked = text(FitTable(cols, rows), 20)
    assert_fits(stacked, 20)
    assert "t/s 1,234,567.8" in stacked


def test_spilled_column_and_command_fit() -> None:
    cols = [Column("quant"), Column("llama.cpp flags", drop=1, spill=True)]
    flags = "-ngl 99 --n-cpu-moe 30 -c 131072 -ctk q8_0 -ctv q8_0 -fa on"
    out = text(FitTable(cols, [["Q4_K_M", flags]], keys=["Q4_K_M ctx 131072"]), 40)
    assert_fits(out, 40)
    assert "Q4_K_M ctx 131072: -ngl 99" in out and "-ctv q8_0" in out
    cmd = "llama-server -hf org/repo:Q4_K_M -ngl 99 -c 4096 -t 16 -ub 512 -b 2048 -fa on"
    lines = Command(cmd).lines(40)
    assert all(len(line) <= 40 for line in lines)
    assert all(line.endswith(" \\") for line in lines[:-1])
    assert " ".join(x.removesuffix(" \\").strip() for x in lines) == cmd


@pytest.mark.parametrize("name", ["x86-avx512-server", "strix-halo-apu"])
def test_probe_detect_fits(machine: Machine, name: str) -> None:
    from probe._render import render_text as probe_text

    profile = probe.detect(context=machine(name))
    for width in (80, 132):
        assert_fits(text(probe_text(profile), width), width)


def test_bench_hardware_catalog_fits() -> None:
    from bench.cli._render import render_catalog

    table = render_catalog(probe.catalog_entries())
    for width in (80, 132):
        out = text(table, width)
        assert_fits(out, width)
        assert "rtx4090" in out and "GB/s" in out  # a table, not the stacked fallback
