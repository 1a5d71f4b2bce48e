"""What `bench sweep` does between parsing its flags and rendering its summary: probe (cached
per boot), pick the quant(s), download, choose the engine, resolve `auto` axes, run, calibrate."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import probe
from bench import _calibrate, _download, _engines, _hub, _plan
from bench._mempredict import MemConfig
from bench._model import ModelSpec
from bench._store import Store
from bench._sweep import Axes, SweepOptions, SweepSummary, sweep
from probe import HostProfile
from probe.errors import UserError


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        import time

        import psutil

        return str(int(psutil.boot_time() if hasattr(psutil, "boot_time") else time.time()))


def host_profile(reprobe: bool) -> HostProfile:
    """This machine's profile, probed once per boot (``--reprobe`` to refresh)."""
    cache = _engines.rigbench_cache() / f"host-{boot_id()}.json"
    if cache.exists() and not reprobe:
        try:
            return dataclasses.replace(probe.load_host_profile(cache), source="probe")
        except UserError:
            pass
    host = probe.detect()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(host.to_json())
    return host


@dataclass
class Target:
    label: str
    path: Path
    spec: ModelSpec
    facts: dict[str, Any]


def choose_targets(
    model: str,
    quants: list[str],
    host: HostProfile,
    ctx: int,
    offline: bool,
    dry_run: bool,
    tqdm_class: Any,
    log: Callable[[str], None],
) -> list[Target]:
    """Resolve --model into local files: plan, print the plan, download (unless --dry-run)."""
    ref = _plan.parse_model(model)
    b = _plan.budget(host)
    if ref.kind != "hub":
        path = _plan.synth_path(model) if ref.kind == "synth" else ref.path
        assert path is not None
        spec = _plan.load_local(path)
        shards = _plan.local_shards(path)
        facts = {
            "file": path.name,
            "path": str(path),
            "quant": spec.quant,
            "size_bytes": sum(s.stat().st_size for s in shards),
        }
        return [Target(f"{path.name}", path, spec, facts)]
    assert ref.repo is not None
    wanted = [q for q in (quants or ([ref.quant] if ref.quant else []))]
    if offline:
        found = _download.from_cache(ref.repo)
        if found is None:
            raise UserError(f"{ref.repo} is not in the HF cache", hint="drop --offline once")
        commit, files = found
        out = []
        for f in files:
            qname = _hub.quant_of(f.name)
            if wanted and (qname or "").upper() not in {w.upper() for w in wanted}:
                continue
                continue
            shard = _plan._SHARD.search(f.name)
            if shard and int(shard.group(1)) != 1:
                continue  # later shards are read with the first
            spec = _plan.load_local(f)
            out.append(
                Target(
                    f"{ref.repo}:{qname}",
                    f,
                    spec,
                    {"repo": ref.repo, "revision": commit, "file": f.name, "quant": qname},
                )
            )
        if not out:
            raise UserError(
                f"no cached quant of {ref.repo} matches {', '.join(wanted)}",
                hint="drop --offline once to download it",
            )
        return out
    result = _plan.plan(
        model, host, [ctx], MemConfig(n_ctx=ctx), "formula", None if len(wanted) != 1 else wanted[0]
    )
    by_name = {q.quant.upper(): q for q in result.quants}
    if wanted:
        missing = [w for w in wanted if w.upper() not in by_name]
        if missing:
            raise UserError(
                f"{ref.repo} has no {', '.join(missing)} quant",
                hint=f"available: {', '.join(q.quant for q in result.quants)}",
            )
        chosen = [by_name[w.upper()] for w in wanted]
    else:
        target = "gpu" if b.gpus else "cpu"
        fitting = [q for q in result.quants if q.contexts[0].fit.verdict == target]
        if not fitting:
            raise UserError(
                f"no quant of {ref.repo} fits this machine at context {ctx}",
                hint=f"try a smaller --ctx, or pick one: --quant {result.quants[0].quant}",
            )
        chosen = [max(fitting, key=lambda q: q.size_bytes)]
    need = sum(q.size_bytes for q in chosen)
    for q in chosen:
        c = q.contexts[0]
        mem = ", ".join(
            f"{d.device.split()[0]} {d.total_bytes / 2**30:.2f} GiB"
            for d in c.fit.prediction.devices
            if d.total_bytes
        )
        log(
            f"plan: {ref.repo}:{q.quant} {q.size_bytes / 1e9:.2f} GB — {c.fit.description} at "
            f"ctx {c.n_ctx}; predicted {mem}"
        )
    log(f"disk: {need / 1e9:.2f} GB to download into {_download.cache_root()}")
    if dry_run:
        return []
    out = []
    for q in chosen:
        paths = _download.download(
            ref.repo, result.revision or "main", q.files, offline, tqdm_class, log
        )
        spec = dataclasses.replace(q.spec, files=q.files)
        out.append(
            Target(
                f"{ref.repo}:{q.quant}",
                paths[0],
                spec,
                {
                    "repo": ref.repo,
                    "revision": result.revision,
                    "quant": q.quant,
                    "file": q.files[0].name,
                    "files": [f.name for f in q.files],
                    "sha256": q.files[0].sha256,
                    "size_bytes": q.size_bytes,
                },
            )
        )
    return out


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
) -> Axes:
    """--ngl auto / --ctx auto: the predicted limit, then bisection on real loads below it."""
    b = _plan.budget(host)
    spec = target.spec
    if ngl_auto:
        fit = _plan.best_fit(spec, MemConfig(n_ctx=4096), b)
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
        log(f"--ngl auto: {lo} (predicted {top})")
        axes = dataclasses.replace(axes, n_gpu_layers=[lo])
    if ctx_auto:
        ngl = axes.n_gpu_layers[0]
        top = _plan.max_ctx(spec, MemConfig(n_gpu_layers=ngl), b)
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
        log(f"--ctx auto: {ctx} (predicted {top}); depths {depths}")
        axes = dataclasses.replace(axes, n_depth=depths)
    return axes


def run(
    store: Store,
    host: HostProfile,
    targets: list[Target],
    axes: Axes,
    opts: SweepOptions,
    info: dict[str, Any],
    log: Callable[[str], None],
) -> list[tuple[Target, SweepSummary]]:
    fp = store.add_host(host)
    cals = _calibrate.load(store, fp)
    out = []
    for t in targets:
        log(
            f"sweep: {t.label} with {info['kind']} {info.get('version')} "
            f"({len(axes.points(1))} points)"
        )
        summary = sweep(
            store,
            host,
            fp,
            t.spec,
            t.path,
            t.facts,
            axes,
            opts,
            info,
            _plan.budget(host),
            cals,
            progress=log,
        )
        out.append((t, summary))
    backend = info.get("backend", "cpu")
    fit = _calibrate.calibrate(store, host, fp, backend)
    c = fit.calibration
    log(
        f"calibration ({backend}): k_bw {c.k_bw:.2f}, k_compute {c.k_compute:.2f}, "
        f"k_attn {c.k_attn:.2f} on {c.n_points} points"
    )
    for w in fit.warnings:
        log(f"warning: {w}")
    return out


def to_json(results: list[tuple[Target, SweepSummary]]) -> str:
    from bench._sweep import summarise

    return json.dumps(
        [
            {
                "model": t.facts,
                "sweep_id": s.sweep_id,
                "ok": s.ok,
                "failed": s.failed,
                "skipped": s.skipped,
                "resumed": s.resumed,
                "processes": s.processes,
                "wall_s": s.wall_seconds,
                "points": summarise(s.rows),
            }
            for t, s in results
        ],
        indent=2,
    )
