"""The sweep: expand axes into points, predict each one, run them cell by cell in llama-bench
(or llama-cpp-python) subprocesses, classify failures, and store every point as it lands.

A cell is what needs its own model load (n_gpu_layers, n_cpu_moe): its points run in one
llama-bench process, whose JSONL records are stored as they stream out. If the process dies,
the points it had not reported are retried one per process, so one bad point (an allocation
that fails, a flag this build rejects) costs only itself.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.model import ModelSpec
from bench.predictor import Budget, NotModelled, fits, predict_formula, predict_speed
from bench.records import (
    UNSTABLE_CV,
    Axes,
    Calibration,
    Measurement,
    Prediction,
    RunConfig,
    SpeedPrediction,
    StoredPoint,
    SweepOptions,
)
from bench.run._process import (
    _lb_options,
    classify,
    engine_pidfile,
    failure_reason,
    llama_bench_argv,
    run_process,
    stale_engines,
)
from bench.store import Store
from probe import HostProfile
from probe.errors import UserError


def point_key(cfg: RunConfig) -> str:
    return hashlib.sha256(json.dumps(cfg.identity(), sort_keys=True).encode()).hexdigest()[:16]


def cell_of(cfg: RunConfig) -> tuple[int, int]:
    """What forces a model reload in llama-bench: the model parameters."""
    return (cfg.n_gpu_layers, cfg.n_cpu_moe)


def _matches(rec: dict[str, Any], cfg: RunConfig) -> bool:
    ngl = 99 if cfg.n_gpu_layers < 0 else cfg.n_gpu_layers
    return (
        rec.get("n_prompt") == cfg.n_prompt
        and rec.get("n_gen") == cfg.n_gen
        and rec.get("n_depth", 0) == cfg.n_depth
        and rec.get("n_batch") == cfg.n_batch
        and rec.get("n_ubatch") == cfg.n_ubatch
        and rec.get("n_threads") == cfg.n_threads
        and rec.get("n_gpu_layers") == ngl
        and int(rec.get("flash_attn", -1)) in ((1,) if cfg.flash_attn else (0,))
        and rec.get("type_k", "f16") == cfg.type_k
        and rec.get("type_v", "f16") == cfg.type_v
        and rec.get("n_cpu_moe", 0) == cfg.n_cpu_moe
        and bool(rec.get("no_op_offload", 0)) == cfg.no_op_offload
    )


# -- the sweep ---------------------------------------------------------------------------------


@dataclass
class SweepSummary:
    sweep_id: int
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    resumed: int = 0
    processes: int = 0
    engine_seconds: float = 0.0  # the engine's own timed samples (reps x avg_ns)
    process_seconds: float = 0.0  # wall time of the engine processes
    wall_seconds: float = 0.0
    points: list[StoredPoint] = field(default_factory=list)
    max_cv: float = UNSTABLE_CV

    @property
    def unstable(self) -> int:
        """How many ok points spread more than ``max_cv`` over their repetitions."""
        return sum(p.measurement.unstable(self.max_cv) for p in self.points)


def sweep(
    store: Store,
    host: HostProfile,
    fp: str,
    spec: ModelSpec,
    model_path: Path,
    model_facts: dict[str, Any],
    axes: Axes,
    opts: SweepOptions,
    engine_info: dict[str, Any],
    budget: Budget,
    calibrations: dict[str, Calibration] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> SweepSummary:
    start = time.perf_counter()
    stale = stale_engines(store.path)
    if stale:  # its load would land in every timing of this sweep
        e = stale[0]
        raise UserError(
            f"an engine ({e.name}, pid {e.pid}) that an earlier sweep on {store.path} started "
            "is still running",
            hint=f"end it (kill {e.pid}) and run the same command again",
        )
    threads_default = host.cpu.physical_cores if host.cpu and host.cpu.physical_cores else 1
    points = axes.points(threads_default)
    args = {"axes": asdict(axes), "engine": opts.engine, "repetitions": opts.repetitions}
    args_key = hashlib.sha256(
        json.dumps(
            {
                **args,
                "model": model_facts.get("sha256") or str(model_path),
                "build": engine_info.get("build_commit"),
            },
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()[:16]
    resume = opts.resume or opts.retry_failed
    sweep_id = store.find_sweep(fp, args_key) if resume else None
    if sweep_id is None:
        sweep_id = store.start_sweep(
            fp, model_facts, json.dumps(spec.to_dict()), engine_info, args, args_key
        )
    done = store.done_keys(sweep_id, failed=not opts.retry_failed)
    resumed = len([p for p in points if point_key(p) in done])
    summary = SweepSummary(sweep_id, resumed=resumed, max_cv=opts.max_cv)
    todo: list[tuple[RunConfig, Prediction]] = []
    for cfg in points:
        key = point_key(cfg)
        if key in done:
            continue
        try:
            speed: SpeedPrediction | None = predict_speed(spec, host, cfg, calibrations)
        except NotModelled:
            speed = None  # measured all the same; the report says it has no prediction
        mem = predict_formula(spec, cfg.mem_config(), list(budget.gpus))
        prediction = Prediction(speed, mem.devices)
        if not opts.force and not fits(mem, budget):
            rule = "predicted memory exceeds the device budget (use --force to run it anyway)"
            store.add_point(sweep_id, key, cfg, prediction, Measurement("skipped", skip_rule=rule))
            summary.skipped += 1
            continue
        todo.append((cfg, prediction))
    by_cell: dict[tuple[int, int], list[tuple[RunConfig, Prediction]]] = {}
    for cfg, pred in todo:
        by_cell.setdefault(cell_of(cfg), []).append((cfg, pred))
    for cell_points in by_cell.values():
        _run_cell(store, sweep_id, model_path, cell_points, opts, engine_info, summary, progress)
    summary.wall_seconds = time.perf_counter() - start
    store.finish_sweep(sweep_id, "done" if not summary.failed else "done-with-failures")
    summary.points = store.points(sweep_id=sweep_id)
    return summary


def _store_ok(
    store: Store,
    sweep_id: int,
    cfg: RunConfig,
    pred: Prediction,
    rec: dict[str, Any],
) -> None:
    """An ok point; its peak RSS is set afterwards, once per engine run (Store.set_peak_rss)."""
    samples = rec.get("samples_ns")
    m = Measurement(
        "ok",
        avg_ts=_float(rec.get("avg_ts")),
        stddev_ts=_float(rec.get("stddev_ts")),
        samples_ns=tuple(int(x) for x in samples) if isinstance(samples, list) else (),
        engine_record=rec,
        load_s=_float(rec.get("load_s")),
        returncode=0,
    )
    store.add_point(sweep_id, point_key(cfg), cfg, pred, m)


def _float(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) else None


def _argv(
    opts: SweepOptions, engine_info: dict[str, Any], model: Path, pts: list[RunConfig]
) -> list[str]:
    if opts.engine == "llama-cpp-python":
        first = pts[0]
        cfg = {
            "model": str(model),
            "n_threads": first.n_threads,
            "n_batch": first.n_batch,
            "n_ubatch": first.n_ubatch,
            "n_gpu_layers": 99 if first.n_gpu_layers < 0 else first.n_gpu_layers,
            "type_k": first.type_k,
            "type_v": first.type_v,
            "flash_attn": int(first.flash_attn),
            "repetitions": opts.repetitions,
            "tests": [
                {"n_prompt": p.n_prompt, "n_gen": p.n_gen, "n_depth": p.n_depth} for p in pts
            ],
        }
        return [sys.executable, "-m", "bench.run._pyrunner", json.dumps(cfg)]
    return llama_bench_argv(
        Path(engine_info["path"]), model, _lb_options(pts, opts.repetitions, opts.delay_s)
    )


def _groups(
    opts: SweepOptions, pts: list[tuple[RunConfig, Prediction]]
) -> list[list[tuple[RunConfig, Prediction]]]:
    """llama-bench takes a whole cell; llama-cpp-python one context config per process."""
    if opts.engine != "llama-cpp-python":
        return [pts]
    groups: dict[tuple[Any, ...], list[tuple[RunConfig, Prediction]]] = {}
    for cfg, pred in pts:
        k = (cfg.n_threads, cfg.n_batch, cfg.n_ubatch, cfg.type_k, cfg.type_v, cfg.flash_attn)
        groups.setdefault(k, []).append((cfg, pred))
    return list(groups.values())


def _run_cell(
    store: Store,
    sweep_id: int,
    model: Path,
    pts: list[tuple[RunConfig, Prediction]],
    opts: SweepOptions,
    engine_info: dict[str, Any],
    summary: SweepSummary,
    progress: Callable[[str], None],
) -> None:
    pending = list(pts)
    queue: Iterator[list[tuple[RunConfig, Prediction]]] = iter(_groups(opts, pending))
    isolating = False
    while True:
        group = next(queue, None)
        if group is None:
            break
        remaining = list(group)
        stored: list[str] = []
        on_record = functools.partial(
            _take_record, store, sweep_id, opts, remaining, stored, summary, progress
        )
        argv = _argv(opts, engine_info, model, [c for c, _ in group])
        result = run_process(
            argv, opts.timeout_s * max(1, len(group)), on_record, pidfile=engine_pidfile(store.path)
        )
        summary.processes += 1
        summary.process_seconds += result.seconds
        store.set_peak_rss(sweep_id, stored, result.peak_rss_bytes, result.peak_gpu_bytes)
        summary.engine_seconds += (
            sum(r.get("avg_ns", 0) * opts.repetitions for r in result.records) / 1e9
            if opts.engine == "llama-bench"
            else (sum(sum(r.get("samples_ns", [])) for r in result.records) / 1e9)
        )
        if not remaining:
            continue
        if len(group) > 1 and not isolating:
            # The process died part-way: run what it did not report one point per process.
            queue = iter([[p] for p in remaining])
            isolating = True
            continue
        for cfg, pred in remaining:
            evidence = (result.returncode, result.stderr_tail, result.timed_out)
            cls = classify(*evidence, config=cfg, oom_kills=result.oom_kills)
            reason = failure_reason(*evidence, config=cfg, oom_kills=result.oom_kills)
            m = Measurement(
                "failed",
                failure_class=cls,
                returncode=result.returncode,
                # The engine's own lines, then how it ended (a signal leaves no line of its own).
                stderr_tail=f"{result.stderr_tail[-4000:]}\nrigbench: {reason}".lstrip("\n"),
                peak_rss_bytes=result.peak_rss_bytes,
            )
            store.add_point(sweep_id, point_key(cfg), cfg, pred, m)
            summary.failed += 1
            progress(f"FAILED ({cls}: {reason}) {_label(cfg)}")


def _take_record(
    store: Store,
    sweep_id: int,
    opts: SweepOptions,
    remaining: list[tuple[RunConfig, Prediction]],
    stored: list[str],
    summary: SweepSummary,
    progress: Callable[[str], None],
    rec: dict[str, Any],
) -> None:
    """Store one engine record against the point it answers, as soon as it is printed."""
    for i, (cfg, pred) in enumerate(remaining):
        same_test = (rec.get("n_prompt"), rec.get("n_gen"), rec.get("n_depth")) == (
            cfg.n_prompt,
            cfg.n_gen,
            cfg.n_depth,
        )
        if (opts.engine == "llama-cpp-python" and same_test) or _matches(rec, cfg):
            _store_ok(store, sweep_id, cfg, pred, rec)
            stored.append(point_key(cfg))
            summary.ok += 1
            progress(f"ok  {_label(cfg)}: {rec.get('avg_ts', 0):.1f} t/s")
            del remaining[i]
            return


def _label(cfg: RunConfig) -> str:
    return (
        f"{cfg.test} t={cfg.n_threads} ub={cfg.n_ubatch} ngl={cfg.n_gpu_layers} "
        f"fa={int(cfg.flash_attn)} kv={cfg.type_k}/{cfg.type_v}"
    )


def summarise(points: list[StoredPoint], max_cv: float = UNSTABLE_CV) -> list[dict[str, Any]]:
    """Per point: measured vs predicted tokens/s and the error, for the terminal summary."""
    out = []
    for p in points:
        m = p.measurement
        predicted = p.prediction.tokens_per_s(p.kind) if p.prediction else None
        measured = m.avg_ts
        err = (predicted - measured) / measured if predicted and measured else None
        out.append(
            {
                "test": _label(p.config),
                "status": m.status,
                "measured": measured,
                "stddev": m.stddev_ts,
                "predicted": predicted,
                "error": err,
                "why": m.why,
                "unstable": m.unstable(max_cv),
            }
        )
    return out
