"""``run_sweep``: what `bench sweep` does between parsing its flags and rendering its summary —
probe (cached per boot), pick the quant(s), download, choose the engine, resolve `auto` axes
per model, run, calibrate, and decide the exit status."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import probe
from bench.model import (
    ModelSource,
    ModelSpec,
    cache_root,
    download,
    from_cache,
    load_local,
    local_shards,
    materialize,
    parse_shard,
    quant_of,
    repo_ref,
    resolve_model,
)
from bench.predictor import (
    PlanResult,
    best_fit,
    budget,
    calibrate,
    load_calibrations,
    max_ctx,
    plan,
)
from bench.records import MAX_POINTS, Axes, MemConfig, SweepRequest
from bench.run import _engines
from bench.run._sweep import SweepSummary, sweep
from bench.store import Store, fingerprint
from probe import HostProfile
from probe.errors import UserError

# `bench sweep --format json` schema history:
#   1 — a list of sweeps (rigbench 0.1).
#   2 — an object: exit status and reason, the plan's lines, and the sweeps.
SCHEMA_VERSION = 2


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        import time

        import psutil

        return str(int(psutil.boot_time() if hasattr(psutil, "boot_time") else time.time()))


def host_profile(reprobe: bool, log: Callable[[str], None] = lambda _: None) -> HostProfile:
    """This machine's profile with its RAM read bandwidth and its disks' read speed measured
    once per boot (``--reprobe``: measure again): the one profile `bench sweep`, `bench
    calibrate` and `bench predict`/`plan` on this machine share, so that a calibration is
    applied to the bandwidth it was fitted against (a measured socket lets it fit the socket's
    factor apart from the threads': Calibration.k_socket). The quick probe (GPUs, free memory)
    runs every time; the measurements (~6 s) are kept per boot and per machine fingerprint."""
    host = probe.detect()
    cache = _engines.rigbench_cache() / f"host-{boot_id()}-{fingerprint(host)}.json"
    if cache.exists() and not reprobe:
        try:
            return _with_measures(host, probe.load_host_profile(cache))
        except UserError:
            pass
    log("measuring this machine's RAM and disk read speed (once per boot, ~6 s)")
    measured = probe.detect(measure=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(measured.to_json())
    return measured


def _with_measures(host: HostProfile, measured: HostProfile) -> HostProfile:
    """``host`` with the RAM and disk read measurements of ``measured`` (the same machine)."""
    memory = host.memory
    if memory and measured.memory and measured.memory.measured_read_bytes_per_s:
        m = measured.memory
        memory = dataclasses.replace(
            memory,
            measured_read_bytes_per_s=m.measured_read_bytes_per_s,
            measure_threads=m.measure_threads,
            measure_buffer_bytes=m.measure_buffer_bytes,
            measure_method=m.measure_method,
        )
    read = {d.device: d for d in measured.disks if d.measured_read_bytes_per_s}
    disks = tuple(
        dataclasses.replace(
            d,
            measured_read_bytes_per_s=read[d.device].measured_read_bytes_per_s,
            measure_method=read[d.device].measure_method,
        )
        if d.device in read
        else d
        for d in host.disks
    )
    return dataclasses.replace(host, memory=memory, disks=disks)


@dataclass(frozen=True, slots=True)
class Target:
    """One model file to measure, with the facts stored beside its sweep."""

    label: str
    path: Path
    spec: ModelSpec
    facts: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SweepOutcome:
    """What ``run_sweep`` did: per model its summary, the plan lines of a dry run, the
    calibration it fitted, and the exit status with its reason (0 ok; 2 finished but not
    trustworthy: failed points or unstable timings)."""

    results: tuple[tuple[Target, SweepSummary], ...]
    planned: tuple[str, ...]
    db: Path | None
    calibration: str | None
    exit_status: int
    reason: str | None


def _local_target(source: ModelSource) -> Target:
    path = materialize(source)
    spec = source.spec if source.kind == "file" else load_local(path)
    facts = {
        "file": path.name,
        "path": str(path),
        "quant": spec.quant,
        "size_bytes": sum(s.stat().st_size for s in local_shards(path)),
    }
    return Target(path.name, path, spec, facts)


def _cached_targets(repo: str, wanted: list[str]) -> list[Target]:
    found = from_cache(repo)
    if found is None:
        raise UserError(f"{repo} is not in the HF cache", hint="drop --offline once")
    commit, files = found
    out = []
    for f in files:
        qname = quant_of(f.name)
        if wanted and (qname or "").upper() not in {w.upper() for w in wanted}:
            continue
        shard = parse_shard(f.name)
        if shard and shard[0] != 1:
            continue  # later shards are read with the first
        facts = {"repo": repo, "revision": commit, "file": f.name, "quant": qname}
        out.append(Target(f"{repo}:{qname}", f, load_local(f), facts))
    if not out:
        raise UserError(
            f"no cached quant of {repo} matches {', '.join(wanted)}",
            hint="drop --offline once to download it",
        )
    return out


def _choose_quants(
    result: PlanResult, repo: str, wanted: list[str], host: HostProfile, backend: str | None
) -> list[Any]:
    by_name = {q.quant.upper(): q for q in result.quants}
    if wanted:
        missing = [w for w in wanted if w.upper() not in by_name]
        if missing:
            raise UserError(
                f"{repo} has no {', '.join(missing)} quant",
                hint=f"available: {', '.join(q.quant for q in result.quants)}",
            )
        return [by_name[w.upper()] for w in wanted]
    target = "gpu" if budget(host, backend).gpus else "cpu"
    fitting = [q for q in result.quants if q.contexts[0].fit.verdict == target]
    if not fitting:
        raise UserError(
            f"no quant of {repo} fits this machine at context {result.quants[0].contexts[0].n_ctx}",
            hint=f"try a smaller --ctx, or pick one: --quant {result.quants[0].quant}",
        )
    return [max(fitting, key=lambda q: q.size_bytes)]


def choose_targets(
    req: SweepRequest,
    host: HostProfile,
    tqdm_class: Any,
    log: Callable[[str], None],
    backend: str | None = None,
) -> tuple[list[Target], list[str]]:
    """Resolve the request's model into local files: plan, download (unless a dry run).
    Returns the targets and the plan's lines."""
    ref = repo_ref(req.model)
    wanted = list(req.quants) or ([ref[1]] if ref is not None and ref[1] else [])
    if req.offline and ref is not None:
        return _cached_targets(ref[0], wanted), []
    sources = resolve_model(req.model, wanted if len(wanted) == 1 else None)
    if sources[0].kind != "hub":
        s = sources[0]
        line = f"plan: {s.label} ({s.kind}) {s.size_bytes / 1e9:.2f} GB"
        log(line)
        if req.dry_run:
            return [], [line]
        return [_local_target(s)], [line]
    repo = sources[0].repo or req.model
    cfg = MemConfig(n_ctx=req.ctx)
    result = plan(sources, host, [req.ctx], cfg, "formula", backend=backend)
    chosen = _choose_quants(result, repo, wanted, host, backend)
    lines = []
    for q in chosen:
        c = q.contexts[0]
        mem = ", ".join(
            f"{d.device.split()[0]} {d.total_bytes / 2**30:.2f} GiB"
            for d in c.fit.prediction.devices
            if d.total_bytes
        )
        lines.append(
            f"plan: {repo}:{q.quant} {q.size_bytes / 1e9:.2f} GB — {c.fit.description} at "
            f"ctx {c.n_ctx}; predicted {mem}"
        )
    need = sum(q.size_bytes for q in chosen)
    lines.append(f"disk: {need / 1e9:.2f} GB to download into {cache_root()}")
    for line in lines:
        log(line)
    if req.dry_run:
        return [], lines
    out = []
    for q in chosen:
        revision = sources[0].revision or "main"
        paths = download(repo, revision, q.files, req.offline, tqdm_class, log)
        spec = dataclasses.replace(q.spec, files=q.files)
        facts = {
            "repo": repo,
            "revision": sources[0].revision,
            "quant": q.quant,
            "file": q.files[0].name,
            "files": [f.name for f in q.files],
            "sha256": q.files[0].sha256,
            "size_bytes": q.size_bytes,
        }
        out.append(Target(f"{repo}:{q.quant}", paths[0], spec, facts))
    return out, lines


def engine_info(engine: str | None, llama_bench: str | None) -> dict[str, Any]:
    found = _engines.find_llama_bench(llama_bench)
    if engine in (None, "llama-bench") and found is not None:
        info = _engines.inspect_llama_bench(*found)
        if info.problem:
            raise UserError(
                f"llama-bench at {info.path} is not usable: {info.problem}",
                hint="rebuild it: bench engines build, or --engine llama-cpp-python",
            )
        return {
            **dataclasses.asdict(info),
            "backend": (info.backends[-1] if info.backends else "cpu"),
        }
    if engine == "llama-bench":
        raise UserError(
            "no llama-bench found (--llama-bench, $RIGBENCH_LLAMA_BENCH, PATH, rigbench's cache)",
            hint="build one: bench engines build",
        )
    info = _engines.inspect_llama_cpp_python()
    if info.problem:
        raise UserError(
            f"llama-cpp-python is not usable: {info.problem}", hint="reinstall it: make install"
        )
    return {**dataclasses.asdict(info), "backend": info.backends[-1]}


def fits_for_real(model: Path, n_ctx: int, ngl: int) -> bool:
    """Confirm a predicted limit with a real load (allocation only, no compute)."""
    code = (
        "import llama_cpp, sys\n"
        f"llama_cpp.Llama(model_path={str(model)!r}, n_ctx={n_ctx}, n_gpu_layers={ngl}, "
        "verbose=False)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=600
    )
    return done.returncode == 0


def resolve_auto(
    axes: Axes,
    ngl_auto: bool,
    ctx_auto: bool,
    target: Target,
    host: HostProfile,
    log: Callable[[str], None],
    backend: str | None = None,
) -> Axes:
    """--ngl auto / --ctx auto: the predicted limit, then bisection on real loads below it."""
    b = budget(host, backend)
    spec = target.spec
    if ngl_auto:
        fit = best_fit(spec, MemConfig(n_ctx=4096), b)
        top = spec.n_layer + 1 if fit.cfg.n_gpu_layers < 0 else fit.cfg.n_gpu_layers
        if not b.gpus:
            top = 0
        lo, hi = 0, top
        while lo < hi:  # the largest ngl whose real load succeeds, at most the prediction
            mid = (lo + hi + 1) // 2
            if fits_for_real(target.path, 4096, mid):
                lo = mid
            else:
                hi = mid - 1
        log(f"--ngl auto ({target.label}): {lo} (predicted {top})")
        axes = dataclasses.replace(axes, n_gpu_layers=[lo])
    if ctx_auto:
        ngl = axes.n_gpu_layers[0]
        top = max_ctx(spec, MemConfig(n_gpu_layers=ngl), b)
        lo, hi = 0, top // 256
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits_for_real(target.path, mid * 256, ngl):
                lo = mid
            else:
                hi = mid - 1
        ctx = lo * 256
        room = max(axes.n_prompt) + max(axes.n_gen)
        depths = sorted({0, (ctx // 2) // 256 * 256, max(0, (ctx - room) // 256 * 256)})
        log(f"--ctx auto ({target.label}): {ctx} (predicted {top}); depths {depths}")
        axes = dataclasses.replace(axes, n_depth=depths)
    return axes


def _engine_backend(info: dict[str, Any]) -> str:
    """The backend the engine was built for (the predictions and the budget follow it: a CPU
    build on a GPU host leaves the GPU unused)."""
    backend = str(info.get("backend") or "cpu").lower()
    return backend if backend in ("cuda", "rocm", "metal", "vulkan") else "cpu"


def _exit_status(
    results: list[tuple[Target, SweepSummary]], max_cv: float
) -> tuple[int, str | None]:
    """0 when every point was measured with stable timings; 2 when the sweep finished but its
    results are not trustworthy; a UserError when no point could be measured at all."""
    ok = sum(s.ok for _, s in results)
    resumed = sum(s.resumed for _, s in results)
    failed = sum(p.measurement.status == "failed" for _, s in results for p in s.points)
    unstable = sum(s.unstable for _, s in results)
    if not ok and not resumed:
        raise UserError(
            "no point of the sweep could be measured",
            hint="see the failures above; try --ngl 0 or a smaller --depth",
        )
    reasons = []
    if failed:
        reasons.append(f"{failed} point(s) failed")
    if unstable:
        reasons.append(
            f"{unstable} point(s) had unstable timings (stddev over "
            f"{max_cv:.0%} of the mean; rerun with more -r or a --delay, or raise --max-cv)"
        )
    return (2, "; ".join(reasons)) if reasons else (0, None)


def run_sweep(
    req: SweepRequest,
    log: Callable[[str], None] = lambda _: None,
    tqdm_class: Any = None,
) -> SweepOutcome:
    """Plan, download, measure and store a sweep; calibrate this machine from it.

    Args:
        req: The model, axes and options (``SweepRequest``).
        log: Receives one line per step and per measured point (progress, not data).
        tqdm_class: A tqdm class for download progress bars (huggingface_hub drives it).

    Returns:
        A SweepOutcome: per model the stored points (typed), the exit status and its reason.

    Raises:
        UserError: nothing could be planned, downloaded or measured (one line and a hint).
    """
    n_points = len(req.axes.points(1)) * max(1, len(req.quants))
    if n_points > MAX_POINTS:
        raise UserError(
            f"the sweep expands to {n_points:,} points, more than {MAX_POINTS:,}",
            hint="sweep fewer values per axis, or split it into several sweeps",
        )
    host = req.host or host_profile(req.reprobe, log)
    info = engine_info(req.engine, req.llama_bench)
    backend = _engine_backend(info)
    targets, planned = choose_targets(req, host, tqdm_class, log, backend)
    if req.dry_run:
        return SweepOutcome((), tuple(planned), req.db, None, 0, None)
    store = Store.open(req.db)
    try:
        fp = store.add_host(host)
        cals = load_calibrations(store, fp)
        opts = dataclasses.replace(req.options, engine=info["kind"])
        b = budget(host, backend)
        results = []
        for t in targets:
            axes = req.axes
            if req.ngl_auto or req.ctx_auto:
                axes = resolve_auto(axes, req.ngl_auto, req.ctx_auto, t, host, log, backend)
            n = len(axes.points(1))
            log(f"sweep: {t.label} with {info['kind']} {info.get('version')} ({n} points)")
            summary = sweep(
                store, host, fp, t.spec, t.path, t.facts, axes, opts, info, b, cals, log
            )
            results.append((t, summary))
        fitted = calibrate(store, host, fp, backend)
        c = fitted.calibration
        socket = "" if c.k_socket is None else f", k_socket {c.k_socket:.2f}"
        cal_line = (
            f"calibration ({backend}): k_bw {c.k_bw:.2f}{socket}, k_compute {c.k_compute:.2f}, "
            f"k_attn {c.k_attn:.2f} on {c.n_points} points"
        )
        log(cal_line)
        for w in fitted.warnings:
            log(f"warning: {w}")
        status, reason = _exit_status(results, opts.max_cv)
        return SweepOutcome(tuple(results), tuple(planned), store.path, cal_line, status, reason)
    finally:
        store.close()


def outcome_to_dict(outcome: SweepOutcome) -> dict[str, Any]:
    """The JSON form of ``bench sweep`` (schema-versioned)."""
    from bench.run._sweep import summarise

    return {
        "schema_version": SCHEMA_VERSION,
        "exit_status": outcome.exit_status,
        "reason": outcome.reason,
        "planned": list(outcome.planned),
        "sweeps": [
            {
                "model": t.facts,
                "sweep_id": s.sweep_id,
                "ok": s.ok,
                "failed": s.failed,
                "skipped": s.skipped,
                "resumed": s.resumed,
                "unstable": s.unstable,
                "processes": s.processes,
                "wall_s": s.wall_seconds,
                "points": summarise(s.points, s.max_cv),
            }
            for t, s in outcome.results
        ],
    }
