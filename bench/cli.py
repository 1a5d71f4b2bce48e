"""``bench``: plan, predict and measure GGUF models with llama.cpp."""

from __future__ import annotations

import click

from probe._cli_support import run_main


@click.group(help="Plan, predict and measure GGUF models with llama.cpp.")
@click.version_option(package_name="rigbench")
def cli() -> None:
    pass


def main(argv: list[str] | None = None) -> None:
    run_main(cli, argv)


if __name__ == "__main__":
    main()
