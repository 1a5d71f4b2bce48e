"""``probe``: what is in this machine."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import click

import probe
from probe._render import render_text
from probe.cli_support import (
    format_option,
    output_option,
    run_main,
    stderr_console,
    stdout_console,
    write_output,
)


@click.group(help="Detect what this machine has for running local LLMs.")
@click.version_option(package_name="rigbench")
def cli() -> None:
    pass


@cli.command()
@format_option("text", "json")
@click.option(
    "--measure",
    is_flag=True,
    help="Also measure RAM read bandwidth and the HF-cache disk's read speed (about 6 s).",
)
@output_option()
def detect(fmt: str, measure: bool, output: Path | None) -> None:
    """Detect CPU, GPUs, memory and disks; print a summary or the HostProfile JSON."""
    if measure:
        stderr_console().print("measuring RAM bandwidth and disk read speed (about 6 s)…")
    profile = probe.detect(measure=measure)
    if fmt == "json":
        write_output(profile.to_json(), output)
        return
    if output is None:
        stdout_console().print(render_text(profile))
        return
    buf = StringIO()
    stdout_console(file=buf, width=120, color_system=None).print(render_text(profile))
    write_output(buf.getvalue(), output)


@cli.command()
@format_option("text", "json")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def show(fmt: str, path: Path) -> None:
    """Show a saved HostProfile (from ``probe detect --format json -o FILE``), upgraded to the
    current schema."""
    profile = probe.load_host_profile(path)
    if fmt == "json":
        write_output(profile.to_json(), None)
    else:
        stdout_console().print(render_text(profile))


def main(argv: list[str] | None = None) -> None:
    run_main(cli, argv)


if __name__ == "__main__":
    main()
