"""``bench engines``: list and build the llama.cpp engines."""

from __future__ import annotations

import dataclasses
import json

import click

import probe
from bench.cli import _render
from bench.cli._group import cli
from bench.run import (
    BACKEND_FLAGS,
    build_llama_bench,
    default_backend,
    find_llama_bench,
    inspect_llama_bench,
    inspect_llama_cpp_python,
)
from probe.cli_support import format_option, stderr_console, stdout_console, write_output

# `bench engines --format json` schema history:
#   1 — a list of engines (rigbench 0.1).
#   2 — an object with schema_version and the list under "engines".
SCHEMA_VERSION = 2


@cli.group(invoke_without_command=True)
@click.option("--llama-bench", "llama_bench", default=None, help="Use this llama-bench binary.")
@format_option("text", "json")
@click.pass_context
def engines(ctx: click.Context, llama_bench: str | None, fmt: str) -> None:
    """List the llama.cpp engines found: llama-bench and llama-cpp-python."""
    if ctx.invoked_subcommand is not None:
        return
    found = find_llama_bench(llama_bench)
    infos = [inspect_llama_cpp_python()]
    if found is not None:
        infos.insert(0, inspect_llama_bench(*found))
    if fmt == "json":
        data = {"schema_version": SCHEMA_VERSION, "engines": [dataclasses.asdict(i) for i in infos]}
        write_output(json.dumps(data, indent=2), None)
        return
    stdout_console().print(_render.render_engines(infos))
    for line in _render.engine_warnings(infos, found is not None):
        stderr_console().print(line)


@engines.command("build")
@click.option(
    "--backend",
    type=click.Choice(list(BACKEND_FLAGS)),
    default=None,
    help="GPU backend to compile in; default: what `probe detect` finds on this host.",
)
@click.option("--jobs", "-j", type=int, default=None, help="Parallel compile jobs (default: CPUs).")
def engines_build(backend: str | None, jobs: int | None) -> None:
    """Build llama-bench and llama-fit-params from the llama.cpp source on PyPI."""
    err = stderr_console()
    if backend is None:
        backend = default_backend(probe.detect().backends)
        err.print(f"backend: {backend} (from probe detect)")
    path = build_llama_bench(backend, jobs, log=err.print)
    click.echo(str(path))
