"""The ``bench`` click group; each command module adds its commands to it."""

from __future__ import annotations

import click


@click.group(help="Plan, predict and measure GGUF models with llama.cpp.")
@click.version_option(package_name="rigbench")
def cli() -> None:
    pass
