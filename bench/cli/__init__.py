"""``bench``: plan, predict and measure GGUF models with llama.cpp.

One module per command group; each command body parses its flags, calls one library function
and renders the result.
"""

from __future__ import annotations

from bench.cli import _engines, _model, _predict, _serve, _sweep
from bench.cli._group import cli
from probe.cli_support import run_main

COMMAND_MODULES = (_engines, _model, _predict, _serve, _sweep)


def main(argv: list[str] | None = None) -> None:
    run_main(cli, argv)


__all__ = ["cli", "main"]
