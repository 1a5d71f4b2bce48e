"""``bench synth`` and ``bench hardware``: synthetic twins and the hardware catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

import probe
from bench.cli import _render
from bench.cli._group import cli
from bench.model import ARCHES, TWIN_ARCHES, make_synth
from probe.cli_support import format_option, stdout_console, write_output

# `bench synth --format json` schema history:
#   1 — first version (rigbench 0.1); schema_version added with the typed records.
SYNTH_SCHEMA_VERSION = 1
# `bench hardware --format json` schema history:
#   1 — a list of HostProfiles (rigbench 0.1).
#   2 — an object: schema_version and "machines", each {"name", "title", "profile"}.
HARDWARE_SCHEMA_VERSION = 2


@cli.command()
@click.option(
    "--arch",
    type=click.Choice(sorted({*ARCHES, *TWIN_ARCHES})),
    default="llama",
    show_default=True,
)
@click.option("--shape", default=None, help="A published model at full size, e.g. gpt-oss-20b.")
@click.option("--params", default=None, help="Target parameter count, e.g. 250M or 1.5B.")
@click.option("--quant", default="Q4_K_M", show_default=True, help="Quant type (Q4_0, Q8_0, F16…).")
@click.option("--layers", "n_layer", type=click.IntRange(1, 4096), default=None)
@click.option("--embd", "n_embd", type=click.IntRange(1), default=None, help="Embedding width.")
@click.option("--heads", "n_head", type=click.IntRange(1), default=None)
@click.option("--kv-heads", "n_head_kv", type=click.IntRange(1), default=None)
@click.option("--ff", "n_ff", type=click.IntRange(0), default=None, help="FFN width (dense).")
@click.option("--vocab", "n_vocab", type=click.IntRange(1), default=None)
@click.option("--ctx", "n_ctx", type=click.IntRange(1), default=None, help="Training context.")
@click.option("--experts", "n_expert", type=click.IntRange(0), default=None, help="MoE experts.")
@click.option("--experts-used", "n_expert_used", type=click.IntRange(0), default=None)
@click.option("--ff-exp", "n_ff_exp", type=click.IntRange(0), default=None, help="Expert FFN.")
@click.option("--ff-shexp", "n_ff_shexp", type=click.IntRange(0), default=None, help="Shared FFN.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@format_option("text", "json")
def synth(
    arch: str,
    shape: str | None,
    params: str | None,
    quant: str,
    seed: int,
    output: Path | None,
    fmt: str,
    **dims: Any,
) -> None:
    """Write a real GGUF model with random weights, of any shape and quant (cached by spec).
    Real architectures (gpt-oss, gemma3, deepseek2 …) by --params or a published --shape."""
    overrides = {k: v for k, v in dims.items() if v is not None}
    made = make_synth(arch, shape, params, quant.upper(), seed, overrides, output)
    if fmt == "json":
        data = {"schema_version": SYNTH_SCHEMA_VERSION, **_render.synth_dict(made)}
        write_output(json.dumps(data, indent=2), None)
    else:
        click.echo(_render.synth_line(made))


@cli.command()
@format_option("text", "json")
def hardware(fmt: str) -> None:
    """List the built-in hardware catalog (for --hardware)."""
    entries = probe.catalog_entries()
    if fmt == "json":
        machines = [
            {"name": e.name, "title": e.title, "profile": probe.load_host(e.name).to_dict()}
            for e in entries
        ]
        data = {"schema_version": HARDWARE_SCHEMA_VERSION, "machines": machines}
        write_output(json.dumps(data, indent=2), None)
        return
    stdout_console().print(_render.render_catalog(entries))
