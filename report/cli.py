"""``report``: measured-vs-predicted reports from the results store."""

from __future__ import annotations

import click

from probe._cli_support import run_main


@click.group(help="Measured-vs-predicted reports from rigbench's results store.")
@click.version_option(package_name="rigbench")
def cli() -> None:
    pass


def main(argv: list[str] | None = None) -> None:
    run_main(cli, argv)


if __name__ == "__main__":
    main()
