"""`bench plan`: which quant of a model fits a machine, how, and with which llama.cpp flags.

Before anything is downloaded: remote models are read header-only (HTTP ranges).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.model import FileFact, ModelSource, ModelSpec, RangeReader, resolve_model
from bench.predictor._memory import (
    Device,
    MemoryPrediction,
    make_sparse,
    predict_exact,
    predict_formula,
)
from bench.predictor._speed import choose_backend
from bench.records import MemConfig
from probe import HostProfile
from probe.errors import UserError

# PlanResult schema history:
#   1 — first version (rigbench 0.1).
#   2 — "backend": the llama.cpp backend the plan assumed.
SCHEMA_VERSION = 2
GPU_HEADROOM = 0.95  # plan to use at most 95 % of a GPU's memory (fragmentation, other apps)
UNIFIED_SHARE = 0.90  # and at most 90 % of a unified-memory machine's RAM in all
HOST_SHARE_CATALOG = 0.85  # of a machine's RAM, when planning for one we cannot look at


def sparse_copy(spec: ModelSpec, folder: Path, read: list[int]) -> Path:
    """Fetch exactly each shard's header bytes and write them before a hole of the file's size."""
    assert spec.repo is not None and spec.revision is not None
    heads = []
    for shard, f in enumerate(spec.files):
        data_start = min((t.offset for t in spec.tensors if t.shard == shard), default=0)
        reader = RangeReader(spec.repo, f.name, spec.revision)
        head = reader.fetch(0, data_start) if data_start else b""
        read[0] += reader.bytes_read
        heads.append((head, f.size_bytes or data_start))
    return make_sparse(heads, folder, [f.name for f in spec.files])


# -- devices and fitting -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Budget:
    gpus: tuple[Device, ...]
    host_bytes: int
    ram_total_bytes: int
    unified: bool


def budget(host: HostProfile, backend: str | None = None) -> Budget:
    """What rigbench may plan to use on ``host``: each GPU's memory (none for a CPU-only
    ``backend``) and the host RAM."""
    live = host.source == "probe"
    backend = choose_backend(host, backend)
    gpus = []
    for g in host.gpus if backend != "cpu" else ():
        mem = (g.free_bytes if live and g.free_bytes and not g.unified_memory else None) or (
            g.usable_bytes or g.total_bytes
        )
        gpus.append(
            Device(
                f"{g.vendor}:{g.index} {g.name}",
                backend,
                int((mem or 0) * GPU_HEADROOM),
                g.unified_memory,
            )
        )
    ram = host.memory.total_bytes if host.memory and host.memory.total_bytes else 0
    avail = host.memory.available_bytes if host.memory else None
    host_bytes = int(avail if live and avail else ram * HOST_SHARE_CATALOG)
    return Budget(tuple(gpus), host_bytes, ram, any(g.unified for g in gpus))


def fits(pred: MemoryPrediction, b: Budget) -> bool:
    for dev, use in zip(b.gpus, pred.devices[1:], strict=True):
        if dev.budget_bytes is not None and use.total_bytes > dev.budget_bytes:
            return False
    if pred.host.total_bytes > b.host_bytes:
        return False
    if b.unified:
        return sum(d.total_bytes for d in pred.devices) <= b.ram_total_bytes * UNIFIED_SHARE
    return True


def _pred(spec: ModelSpec, cfg: MemConfig, b: Budget) -> MemoryPrediction:
    return predict_formula(spec, cfg, list(b.gpus))


@dataclass(frozen=True, slots=True)
class Fit:
    verdict: str  # gpu | partial | cpu | none
    cfg: MemConfig
    prediction: MemoryPrediction
    description: str


def best_fit(spec: ModelSpec, base: MemConfig, b: Budget) -> Fit:
    """Everything on the GPU(s); else (MoE) the fewest expert layers on the CPU; else the most
    layers that fit; else CPU only; else nothing fits."""
    n = spec.n_layer
    if b.gpus:
        full = replace(base, n_gpu_layers=-1, n_cpu_moe=0)
        p = _pred(spec, full, b)
        if fits(p, b):
            return Fit("gpu", full, p, f"fully on GPU ({n + 1}/{n + 1} layers)")
        if spec.is_moe:
            for k in range(1, n + 1):
                cfg = replace(full, n_cpu_moe=k)
                p = _pred(spec, cfg, b)
                if fits(p, b):
                    return Fit(
                        "partial",
                        cfg,
                        p,
                        f"partly: all layers on GPU, experts of {k}/{n} layers on CPU",
                    )
        lo, hi = 0, n  # largest ngl in [1, n] that fits, by bisection (memory grows with ngl)
        best = None
        while lo < hi:
            mid = (lo + hi + 1) // 2
            p = _pred(spec, replace(base, n_gpu_layers=mid, n_cpu_moe=0), b)
            if fits(p, b):
                lo, best = mid, p
            else:
                hi = mid - 1
        if best is not None and lo > 0:
            cfg = replace(base, n_gpu_layers=lo, n_cpu_moe=0)
            return Fit("partial", cfg, best, f"partly: {lo}/{n + 1} layers on GPU")
    cpu_cfg = replace(base, n_gpu_layers=0, n_cpu_moe=0)
    p = predict_formula(spec, cpu_cfg, list(b.gpus))
    if fits(p, b):
        return Fit("cpu", cpu_cfg, p, "CPU only" if b.gpus else "fits in RAM (CPU)")
    return Fit("none", cpu_cfg, p, "does not fit")


def max_ctx(spec: ModelSpec, cfg: MemConfig, b: Budget) -> int:
    """The largest context (a multiple of 256, at most the training context) that fits."""
    top = max(spec.n_ctx_train, 256)
    if fits(_pred(spec, replace(cfg, n_ctx=top), b), b):
        return top
    lo, hi = 0, top // 256
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(_pred(spec, replace(cfg, n_ctx=mid * 256), b), b):
            lo = mid
        else:
            hi = mid - 1
    return lo * 256


def rule_of_thumb_bytes(spec: ModelSpec, quant: str | None) -> int:
    """The seeds' rule: params x (2 bytes at 16 bit, 1 at 8, 0.5 at 4 …) + 20 %."""
    q = (quant or "").upper().removeprefix("UD-")
    if q.startswith(("F32",)):
        per = 4.0
    elif q.startswith(("F16", "BF16")):
        per = 2.0
    else:
        m = re.search(r"(\d)", q)
        per = int(m.group(1)) / 8 if m else spec.weight_bytes / max(spec.n_params, 1)
    return int(spec.n_params * per * 1.2)


def flags(spec: ModelSpec, cfg: MemConfig) -> str:
    ngl = "99" if cfg.n_gpu_layers < 0 else str(cfg.n_gpu_layers)
    out = [f"-ngl {ngl}"]
    if cfg.n_cpu_moe:
        out.append(f"--n-cpu-moe {cfg.n_cpu_moe}")
    out += [
        f"-c {cfg.n_ctx}",
        f"-ctk {cfg.type_k}",
        f"-ctv {cfg.type_v}",
        f"-fa {'on' if cfg.flash_attn else 'off'}",
    ]
    return " ".join(out)


# -- planning ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CtxPlan:
    n_ctx: int
    fit: Fit
    exact: MemoryPrediction | None


@dataclass(frozen=True, slots=True)
class QuantPlan:
    quant: str
    size_bytes: int
    files: tuple[FileFact, ...]
    spec: ModelSpec
    contexts: tuple[CtxPlan, ...]
    max_ctx: int
    rule_of_thumb_bytes: int


@dataclass(frozen=True, slots=True)
class PlanResult:
    model: str
    repo: str | None
    revision: str | None
    host: str
    quants: tuple[QuantPlan, ...]
    bytes_read: int
    seconds: float
    engine: str
    backend: str = "cpu"


def plan(
    model: str | list[ModelSource],
    host: HostProfile,
    contexts: list[int] | None,
    base: MemConfig,
    engine: str = "auto",
    quant: str | None = None,
    fit_params: Path | None = None,
    backend: str | None = None,
) -> PlanResult:
    """Which quant of a model fits ``host``, how (GPU / partial / CPU), with how much context.

    Args:
        model: A ``--model`` string (any syntax ``resolve_model`` reads) or resolved sources.
        host: The machine: ``probe.detect()`` or ``probe.load_host(hardware=...)``.
        contexts: Context sizes (tokens) to plan for; default 8192 and the training context.
        base: Batch, ubatch and KV-cache types to plan with.
        engine: ``formula``, ``exact`` (llama.cpp's dry run, this machine only) or ``auto``.
        quant: Only this quant of a repo.
        fit_params: The llama-fit-params binary the exact engine runs.
        backend: The llama.cpp backend (cuda, rocm, metal, vulkan; cpu: GPUs unused); None
            picks the host's own (``choose_backend``).

    Returns:
        A PlanResult: per quant, the fit and flags for each context, bytes read over HTTP and
        the seconds it took. Nothing is downloaded and no model file is written.
    """
    start = time.perf_counter()
    read = [0]
    if isinstance(model, str):
        text = model
        sources = resolve_model(
            model, [quant] if quant else None, on_read=lambda n: read.__setitem__(0, read[0] + n)
        )
    else:
        sources, text = model, model[0].text if model else ""
    specs: list[tuple[str, ModelSpec]] = [(s.quant or s.spec.quant or "?", s.spec) for s in sources]
    files_of: dict[str, Path] = {
        (s.quant or s.spec.quant or "?"): s.path for s in sources if s.path is not None
    }
    hub = next((s for s in sources if s.kind == "hub"), None)
    repo, revision = (hub.repo, hub.revision) if hub else (None, None)
    use_exact = engine == "exact" or (
        engine == "auto" and fit_params is not None and host.source == "probe"
    )
    if engine == "exact" and host.source != "probe":
        raise UserError(
            "the exact engine sees only this machine's devices",
            hint="drop --hardware/--host, or use --engine formula",
        )
    if engine == "exact" and fit_params is None:
        raise UserError("the exact engine needs llama-fit-params", hint="bench engines build")
    if engine == "exact" and any(s.kind in ("synth", "shape") for s in sources):
        raise UserError(
            "the exact engine runs llama.cpp on a GGUF file; synth: and shape: models are computed",
            hint="use --engine formula, or write the twin first: bench synth … then --model PATH",
        )
    if engine == "exact" and hub is not None:
        # A sparse copy per quant: the real header bytes, then a hole as long as the data.
        import tempfile

        sparse_root = Path(tempfile.mkdtemp(prefix="rigbench-sparse-"))
        for name, spec in specs:
            files_of[name] = sparse_copy(spec, sparse_root / name, read)
    b = budget(host, backend)
    plans = []
    for name, spec in specs:
        train = spec.n_ctx_train or 8192
        ctxs = contexts or sorted({min(8192, train), train})
        ctx_plans = []
        for c in ctxs:
            fit = best_fit(spec, replace(base, n_ctx=c), b)
            exact = None
            if use_exact and fit_params is not None and name in files_of:
                exact = predict_exact(
                    fit_params, files_of[name], fit.cfg, weight_bytes=spec.loaded_weight_bytes
                )
            ctx_plans.append(CtxPlan(c, fit, exact))
        chosen = ctx_plans[0].fit
        plans.append(
            QuantPlan(
                quant=name,
                size_bytes=sum(f.size_bytes or 0 for f in spec.files) or spec.weight_bytes,
                files=spec.files,
                spec=spec,
                contexts=tuple(ctx_plans),
                max_ctx=max_ctx(spec, chosen.cfg, b) if chosen.verdict != "none" else 0,
                rule_of_thumb_bytes=rule_of_thumb_bytes(spec, name),
            )
        )
    return PlanResult(
        model=text,
        repo=repo,
        revision=revision,
        host=host.source if host.source != "probe" else f"this machine ({host.hostname})",
        quants=tuple(plans),
        bytes_read=read[0],
        seconds=time.perf_counter() - start,
        engine="exact+formula" if use_exact else "formula",
        backend=choose_backend(host, backend),
    )


def plan_to_dict(r: PlanResult) -> dict[str, Any]:
    """The JSON form (schema-versioned); ModelSpecs are summarised, not repeated whole."""

    def pred(p: MemoryPrediction | None) -> Any:
        if p is None:
            return None
        return {
            "predictor": p.predictor,
            "predictor_version": p.predictor_version,
            "devices": [
                {
                    "device": d.device,
                    "weights_bytes": d.weights_bytes,
                    "kv_bytes": d.kv_bytes,
                    "compute_bytes": d.compute_bytes,
                    "output_bytes": d.output_bytes,
                    "overhead_bytes": d.overhead_bytes,
                    "total_bytes": d.total_bytes,
                    "layers": d.layers,
                }
                for d in p.devices
            ],
        }

    return {
        "schema_version": SCHEMA_VERSION,
        "model": r.model,
        "repo": r.repo,
        "revision": r.revision,
        "host": r.host,
        "engine": r.engine,
        "backend": r.backend,
        "bytes_read": r.bytes_read,
        "seconds": r.seconds,
        "quants": [
            {
                "quant": q.quant,
                "size_bytes": q.size_bytes,
                "files": [
                    {"name": f.name, "size_bytes": f.size_bytes, "sha256": f.sha256}
                    for f in q.files
                ],
                "architecture": q.spec.architecture,
                "n_params": q.spec.n_params,
                "n_layer": q.spec.n_layer,
                "n_ctx_train": q.spec.n_ctx_train,
                "max_ctx": q.max_ctx,
                "rule_of_thumb_bytes": q.rule_of_thumb_bytes,
                "contexts": [
                    {
                        "n_ctx": c.n_ctx,
                        "verdict": c.fit.verdict,
                        "description": c.fit.description,
                        "flags": flags(q.spec, c.fit.cfg),
                        "formula": pred(c.fit.prediction),
                        "exact": pred(c.exact),
                    }
                    for c in q.contexts
                ],
            }
            for q in r.quants
        ],
    }
