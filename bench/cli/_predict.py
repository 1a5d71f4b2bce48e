"""``bench plan``, ``bench predict`` and ``bench calibrate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

import probe
from bench.cli import _render
from bench.cli._group import cli
from bench.cli._options import backend_option, kv_type, model_option
from bench.predictor import (
    calibrate as fit_calibration,
)
from bench.predictor import (
    export_calibration,
    import_calibration,
    measured_backends,
    plan_to_dict,
    predict_to_dict,
    stored_calibrations,
)
from bench.predictor import (
    plan as make_plan,
)
from bench.predictor import (
    predict as make_predictions,
)
from bench.records import MemConfig, RunConfig, parse_axis
from bench.run import find_llama_bench, fit_params_beside, host_profile
from bench.store import Store, default_path, fingerprint
from probe.cli_support import (
    db_option,
    format_option,
    machine_options,
    stderr_console,
    stdout_console,
    write_output,
)
from probe.errors import UserError

CTX = click.IntRange(256, 16 * 1024 * 1024)


def _machine(hardware: str | None, host_file: Path | None) -> probe.HostProfile:
    """The catalog machine or saved profile asked for, else this machine's measured profile of
    this boot: the one `bench sweep` and `bench calibrate` use, which its calibration was
    fitted against (host_profile)."""
    if hardware or host_file:
        return probe.load_host(hardware, host_file)
    return _this_machine()


def _this_machine() -> probe.HostProfile:
    """This machine's profile of this boot (host_profile), saying so on stderr when it has to
    measure first."""
    return host_profile(False, lambda line: stderr_console().print(line))


@cli.command()
@model_option
@click.option("--quant", default=None, help="Only this quant of a repo.")
@click.option("--ctx", "-c", "ctx", type=CTX, multiple=True, help="Context size(s) to plan for.")
@machine_options
@backend_option
@click.option("--ubatch", "-ub", type=click.IntRange(1), default=512, show_default=True)
@click.option("--batch", "-b", type=click.IntRange(1), default=2048, show_default=True)
@click.option("--ctk", default="f16", show_default=True, help="KV cache type for K.")
@click.option("--ctv", default="f16", show_default=True, help="KV cache type for V.")
@click.option("--fa", type=click.Choice(["on", "off"]), default="on", show_default=True)
@click.option(
    "--engine",
    type=click.Choice(["auto", "formula", "exact"]),
    default="auto",
    show_default=True,
    help="exact: llama.cpp's own dry run (this machine, .gguf files only).",
)
@format_option("text", "json", "md")
def plan(
    model: str,
    quant: str | None,
    ctx: tuple[int, ...],
    hardware: str | None,
    host_file: Path | None,
    backend: str | None,
    ubatch: int,
    batch: int,
    ctk: str,
    ctv: str,
    fa: str,
    engine: str,
    fmt: str,
) -> None:
    """Which quant fits, how (GPU / partial / CPU), with how much context, and the flags."""
    host = _machine(hardware, host_file)
    found = find_llama_bench() if engine != "formula" else None
    fit_params = fit_params_beside(found[0]) if found else None
    base = MemConfig(
        n_batch=batch,
        n_ubatch=ubatch,
        type_k=kv_type(ctk),
        type_v=kv_type(ctv),
        flash_attn=fa == "on",
    )
    result = make_plan(model, host, list(ctx) or None, base, engine, quant, fit_params, backend)
    if fmt == "json":
        write_output(json.dumps(plan_to_dict(result), indent=2), None)
    elif fmt == "md":
        write_output(_render.render_md(result), None)
    else:
        stdout_console().print(_render.render_text(result))


@cli.command()
@model_option
@click.option("--quant", default=None, help="Only this quant of a repo.")
@machine_options
@backend_option
@click.option("--ngl", "n_gpu_layers", type=click.IntRange(-1), default=-1, show_default=True)
@click.option("--n-cpu-moe", "n_cpu_moe", type=click.IntRange(0), default=0, show_default=True)
@click.option("-p", "n_prompt", type=click.IntRange(1), default=512, show_default=True)
@click.option("-n", "n_gen", type=click.IntRange(1), default=128, show_default=True)
@click.option("--depth", default="0", show_default=True, help="Comma list, e.g. 0,4096,16384.")
@click.option("--ubatch", "-ub", "n_ubatch", type=click.IntRange(1), default=512, show_default=True)
@click.option("--threads", "-t", "n_threads", type=click.IntRange(0), default=0, help="0: cores.")
@click.option("--fa", type=click.Choice(["on", "off"]), default="on", show_default=True)
@click.option("--ctk", default="f16", show_default=True)
@click.option("--ctv", default="f16", show_default=True)
@click.option("--nopo", "no_op_offload", is_flag=True, help="llama.cpp -nopo: no op offload.")
@db_option()
@format_option("text", "json")
def predict(
    model: str,
    quant: str | None,
    hardware: str | None,
    host_file: Path | None,
    backend: str | None,
    depth: str,
    ctk: str,
    ctv: str,
    fa: str,
    db: Path | None,
    fmt: str,
    **knobs: Any,
) -> None:
    """Predict prompt-processing and generation tokens/s, term by term."""
    host = _machine(hardware, host_file)
    configs = [
        RunConfig(
            n_depth=d, type_k=kv_type(ctk), type_v=kv_type(ctv), flash_attn=fa == "on", **knobs
        )
        for d in _depths(depth)
    ]
    results = make_predictions(
        model, host, configs, stored_calibrations(db or default_path(), host), quant, backend
    )
    if fmt == "json":
        write_output(json.dumps(predict_to_dict(results), indent=2), None)
    else:
        stdout_console().print(_render.render_predictions(results))


def _depths(text: str) -> list[int]:
    depths = parse_axis(text, [0])
    if any(d < 0 for d in depths):
        raise UserError(f"--depth cannot be negative: {text}", hint="give depths like 0,4096")
    return depths


@cli.command()
@db_option()
@click.option("--backend", default=None, help="Backend to fit (default: every one measured).")
@click.option(
    "--export",
    "export_to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write this machine's stored calibration to FILE (JSON) instead of fitting.",
)
@click.option(
    "--import",
    "import_from",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Use the calibration FILE exported on an identical machine instead of fitting.",
)
@click.option("--force", is_flag=True, help="With --import: accept another GPU model's factors.")
def calibrate(
    db: Path | None,
    backend: str | None,
    export_to: Path | None,
    import_from: Path | None,
    force: bool,
) -> None:
    """Fit this host's efficiency factors from its stored sweep measurements, or carry them
    to an identical machine (--export on one, --import on the other)."""
    if export_to or import_from:
        _travel(db, backend, export_to, import_from, force)
        return
    host = _this_machine()
    store = Store.open(db)
    try:
        fp = fingerprint(host)
        backends = [backend] if backend else measured_backends(store, fp)
        if not backends:
            raise UserError(
                "no measurements of this machine in the results database",
                hint="run a sweep first: bench sweep --model synth:llama:250M:Q4_K_M",
            )
        fits = [fit_calibration(store, host, fp, b) for b in backends]
    finally:
        store.close()
    for f in fits:
        for w in f.warnings:
            stderr_console().print(f"warning: {w}")
        click.echo(_render.calibration_line(f))


def _travel(
    db: Path | None,
    backend: str | None,
    export_to: Path | None,
    import_from: Path | None,
    force: bool,
) -> None:
    """``bench calibrate --export FILE`` / ``--import FILE``."""
    if export_to and import_from:
        raise UserError("--export and --import go one at a time", hint="run bench calibrate twice")
    # the file names this machine by its fingerprint, GPU models and backends: no measurement
    host = probe.detect()
    store = Store.open(db)
    try:
        if export_to:
            data = export_calibration(store, host, fingerprint(host), backend)
        else:
            assert import_from is not None  # one of the two, checked by the caller
            try:
                text = json.loads(import_from.read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise UserError(f"cannot read {import_from}: {exc}") from exc
            name, cal = import_calibration(store, host, fingerprint(host), text, force)
    finally:
        store.close()
    if export_to:
        export_to.write_text(json.dumps(data, indent=2) + "\n")
        click.echo(f"{export_to}: {data['backend']} calibration on {data['n_points']} points")
    else:
        click.echo(f"imported the {name} calibration ({cal.n_points} points) from {import_from}")
