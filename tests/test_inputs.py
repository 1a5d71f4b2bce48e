"""Numbers users type are checked once, before anything runs: each bad value is one clear line
(issue 12, item 9), and a sweep that would expand past MAX_POINTS is refused at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.cli import cli
from bench.records import MAX_POINTS, parse_axis
from probe import UserError

MODEL = "synth:llama:50M:Q4_K_M"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["sweep", "-m", MODEL, "--threads", "-3", "--dry-run"], "--threads cannot be -3"),
        (["sweep", "-m", MODEL, "--depth", "-5", "--dry-run"], "--depth cannot be -5"),
        (["sweep", "-m", MODEL, "--ubatch", "0", "--dry-run"], "--ubatch cannot be 0"),
        (["sweep", "-m", MODEL, "--timeout", "0", "--dry-run"], "--timeout cannot be 0"),
        (["sweep", "-m", MODEL, "--timeout", "-5", "--dry-run"], "--timeout cannot be -5"),
        (["sweep", "-m", MODEL, "--timeout", "nan", "--dry-run"], "--timeout cannot be nan"),
        (["sweep", "-m", MODEL, "--ctk", "q9_9", "--dry-run"], "unknown KV cache type 'q9_9'"),
        (["sweep", "-m", MODEL, "--fa", "maybe", "--dry-run"], "cannot read --fa 'maybe'"),
        (["sweep", "-m", MODEL, "--ctx", "lots", "--dry-run"], "cannot read --ctx 'lots'"),
        (["sweep", "-m", MODEL, "--max-cv", "x", "--dry-run"], "cannot read --max-cv 'x'"),
        (["predict", "-m", MODEL, "--hardware", "rtx4090", "--depth", "-5"], "negative"),
        (["predict", "-m", MODEL, "--hardware", "rtx4090", "--ctk", "f8"], "unknown KV cache"),
        (["plan", "-m", MODEL, "--hardware", "rtx4090", "--ctv", "q3"], "unknown KV cache"),
    ],
)
def test_bad_numbers_are_one_user_error(args: list[str], words: str) -> None:
    res = CliRunner().invoke(cli, args)
    assert isinstance(res.exception, UserError), res.output
    assert words in res.exception.message and res.exception.hint


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "-m", MODEL, "--hardware", "rtx4090", "-c", "-5"],
        ["plan", "-m", MODEL, "--hardware", "rtx4090", "-c", "0"],
        ["sweep", "-m", MODEL, "-r", "0", "--dry-run"],
        ["sweep", "-m", MODEL, "--delay", "-1", "--dry-run"],
        ["predict", "-m", MODEL, "--hardware", "rtx4090", "--threads", "-3"],
        ["predict", "-m", MODEL, "--hardware", "rtx4090", "-p", "0"],
        ["synth", "--layers", "0"],
    ],
)
def test_out_of_range_options_are_usage_errors(args: list[str]) -> None:
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2 and "Invalid value" in res.output


def test_a_huge_range_is_refused_at_once() -> None:
    start = time.perf_counter()
    with pytest.raises(UserError, match="expands to more than"):
        parse_axis("0-100000000+1", [0])
    assert time.perf_counter() - start < 1


def test_a_sweep_past_max_points_is_refused_before_planning(tmp_path: Path) -> None:
    axes = ["--depth", "0-4000+1", "--ubatch", "1-8+1", "-p", "512", "-n", "0"]  # 32,008 points
    start = time.perf_counter()
    res = CliRunner().invoke(cli, ["sweep", "-m", MODEL, *axes, "--dry-run"])
    assert isinstance(res.exception, UserError), res.output
    assert f"more than {MAX_POINTS:,}" in res.exception.message
    assert time.perf_counter() - start < 5


def test_the_message_reaches_the_terminal_as_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.cli", "sweep", "-m", MODEL, "--threads", "-3", "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("error: --threads cannot be -3") and lines[1].startswith("hint: ")
    assert "Traceback" not in done.stderr
