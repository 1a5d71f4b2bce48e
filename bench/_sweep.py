"""The sweep: expand axes into points, predict each one, run them cell by cell in llama-bench
(or llama-cpp-python) subprocesses, classify failures, and store every point as it lands.

A cell is what needs its own model load (n_gpu_layers, n_cpu_moe): its points run in one
llama-bench process, whose JSONL records are stored as they stream out. If the process dies,
the points it had not reported are retried one per process, so one bad point (an allocation
that fails, a flag this build rejects) costs only itself.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench._mempredict import predict_formula
from bench._model import ModelSpec
from bench._plan import Budget, fits
from bench._runners import llama_bench_argv, parse_jsonl
from bench._speed import RunConfig, predict_speed
from bench._store import Store
from probe import HostProfile
from probe.errors import UserError

FA = {"on": True, "off": False, "1": True, "0": False}


def parse_axis(text: str | int | None, default: list[int]) -> list[int]:
    """``1,2,4`` / ``0-40+8`` (step) / ``512-4096*2`` (multiply), as llama-bench reads them."""
    if text is None or text == "":
        return default
    values: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)-(\d+)([+*])(\d+)", part)
        if m:
            lo, hi, op, step = int(m.group(1)), int(m.group(2)), m.group(3), int(m.group(4))
            if step <= (0 if op == "+" else 1) or lo > hi or (op == "*" and lo == 0):
                raise UserError(
                    f"cannot expand range {part!r}", hint="write ranges like 0-40+8 or 512-4096*2"
                )
            v = lo
            while v <= hi:
                values.append(v)
                v = v + step if op == "+" else v * step
        elif re.fullmatch(r"-?\d+", part):
            values.append(int(part))
        else:
            raise UserError(
                f"cannot read axis value {part!r}",
                hint="give numbers, lists (1,2,4) or ranges (0-40+8, 512-4096*2)",
            )
    return values


@dataclass(frozen=True, slots=True)
class Axes:
    """Every axis a sweep can vary. Defaults are modest: a few minutes on a laptop."""

    n_prompt: list[int] = field(default_factory=lambda: [512])
    n_gen: list[int] = field(default_factory=lambda: [128])
    n_depth: list[int] = field(default_factory=lambda: [0])
    n_batch: list[int] = field(default_factory=lambda: [2048])
    n_ubatch: list[int] = field(default_factory=lambda: [512])
    n_threads: list[int] = field(default_factory=lambda: [0])
    n_gpu_layers: list[int] = field(default_factory=lambda: [-1])
    n_cpu_moe: list[int] = field(default_factory=lambda: [0])
    flash_attn: list[bool] = field(default_factory=lambda: [True])
    type_k: list[str] = field(default_factory=lambda: ["f16"])
    type_v: list[str] = field(default_factory=lambda: ["f16"])

    def points(self, threads_default: int) -> list[RunConfig]:
        """pp tests (n_gen 0) and tg tests (n_prompt 0), as llama-bench splits them."""
        out: list[RunConfig] = []
        for ngl, moe, fa, tk, tv, t, b, ub, d in itertools.product(
            self.n_gpu_layers,
            self.n_cpu_moe,
            self.flash_attn,
            self.type_k,
            self.type_v,
            self.n_threads,
            self.n_batch,
            self.n_ubatch,
            self.n_depth,
        ):
            base = RunConfig(
                n_depth=d,
                n_batch=b,
                n_ubatch=ub,
                n_threads=t or threads_default,
                n_gpu_layers=ngl,
                n_cpu_moe=moe,
                type_k=tk,
                type_v=tv,
                flash_attn=fa,
            )
            out += [replace(base, n_prompt=p, n_gen=0) for p in self.n_prompt if p]
            out += [replace(base, n_prompt=0, n_gen=n) for n in self.n_gen if n]
        return out


def point_key(cfg: RunConfig) -> str:
    return hashlib.sha256(json.dumps(asdict(cfg), sort_keys=True).encode()).hexdigest()[:16]


def cell_of(cfg: RunConfig) -> tuple[int, int]:
    """What forces a model reload in llama-bench: the model parameters."""
    return (cfg.n_gpu_layers, cfg.n_cpu_moe)


# -- failure classification ------------------------------------------------------------------

_OOM = re.compile(
    r"out of memory|failed to allocate|cudaMalloc failed|ErrorOutOfDeviceMemory|"
    r"unable to allocate|std::bad_alloc|hipErrorOutOfMemory|"
    r"failed to create context",
    re.IGNORECASE,
)
_UNSUPPORTED = re.compile(
    r"error: invalid parameter|unknown argument|not supported|"
    r"invalid argument|unrecognized",
    re.IGNORECASE,
)


def classify(returncode: int | None, stderr: str, timed_out: bool) -> str:
    """oom | timeout | unsupported | crash, from the exit status and stderr of a failed run."""
    if timed_out:
        return "timeout"
    if _OOM.search(stderr) or returncode == -signal.SIGKILL:
        return "oom"  # SIGKILL without a timeout: the kernel's OOM killer
    if _UNSUPPORTED.search(stderr):
        return "unsupported"
    return "crash"


# -- running ----------------------------------------------------------------------------------


@dataclass
class RunResult:
    records: list[dict[str, Any]]
    returncode: int | None
    stderr_tail: str
    timed_out: bool
    seconds: float
    peak_rss_bytes: int | None
    peak_gpu_bytes: dict[str, int] = field(default_factory=dict)


def _lb_options(points: list[RunConfig], reps: int, delay: int) -> dict[str, Any]:
    def vals(name: str) -> list[Any]:
        return sorted({getattr(p, name) for p in points}, key=str)

    opts: dict[str, Any] = {
        "p": vals("n_prompt"),
        "n": vals("n_gen"),
        "d": vals("n_depth"),
        "b": vals("n_batch"),
        "ub": vals("n_ubatch"),
        "t": vals("n_threads"),
        "ngl": [99 if v < 0 else v for v in vals("n_gpu_layers")],
        "fa": [int(v) for v in vals("flash_attn")],
        "ctk": vals("type_k"),
        "ctv": vals("type_v"),
        "r": reps,
    }
    moe = vals("n_cpu_moe")
    if moe != [0]:
        opts["ncmoe"] = moe
    if delay:
        opts["delay"] = delay
    return opts


def run_process(
    argv: list[str],
    timeout_s: float,
    on_record: Callable[[dict[str, Any]], None],
    load_nvml: Callable[[], Any] | None = None,
) -> RunResult:
    """Run one engine process, passing each JSONL record on as soon as it is printed."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    stderr_lines: list[str] = []
    records: list[dict[str, Any]] = []
    peak = [0]

    def drain_err() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            stderr_lines.append(line)
            del stderr_lines[:-200]

    from probe._context import _import_pynvml
    from probe._nvidia import MemorySampler

    gpus = MemorySampler(load_nvml or _import_pynvml)

    def sample() -> None:  # peak RSS and GPU memory beside the engine, every 50 ms
        try:
            p = psutil.Process(proc.pid)
            while proc.poll() is None:
                peak[0] = max(peak[0], p.memory_info().rss)
                gpus.sample()
                time.sleep(0.05)
        except psutil.Error:
            pass

    threads = [
        threading.Thread(target=drain_err, daemon=True),
        threading.Thread(target=sample, daemon=True),
    ]
    for t in threads:
        t.start()
    timed_out = False
    timer = threading.Timer(timeout_s, lambda: _kill(proc))
    timer.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            for rec in parse_jsonl(line):
                records.append(rec)
                on_record(rec)
        proc.wait()
    except KeyboardInterrupt:
        _kill(proc)
        raise
    finally:
        timed_out = not timer.is_alive() and proc.returncode is not None and proc.returncode < 0
        timer.cancel()
        for t in threads:
            t.join(timeout=2)
    return RunResult(
        records,
        proc.returncode,
        "".join(stderr_lines[-20:]),
        timed_out,
        time.perf_counter() - start,
        peak[0] or None,
        gpus.close(),
    )


def _kill(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


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
    )


# -- the sweep ---------------------------------------------------------------------------------


@dataclass
class SweepOptions:
    engine: str = "llama-bench"  # or llama-cpp-python
    repetitions: int = 3
    delay_s: int = 0
    timeout_s: float = 600
    force: bool = False
    resume: bool = False


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
    rows: list[dict[str, Any]] = field(default_factory=list)


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
    calibrations: dict[str, Any] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> SweepSummary:
    start = time.perf_counter()
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
    sweep_id = store.find_sweep(fp, args_key) if opts.resume else None
    if sweep_id is None:
        sweep_id = store.start_sweep(
            fp, model_facts, json.dumps(spec.to_dict()), engine_info, args, args_key
        )
    done = store.done_keys(sweep_id)
    summary = SweepSummary(sweep_id, resumed=len([p for p in points if point_key(p) in done]))
    todo: list[tuple[RunConfig, dict[str, Any]]] = []
    for cfg in points:
        key = point_key(cfg)
        if key in done:
            continue
        speed = predict_speed(spec, host, cfg, calibrations)
        mem = predict_formula(spec, cfg.mem_config(), list(budget.gpus))
        prediction = {
            "speed": asdict(speed),
            "memory_total_bytes": [d.total_bytes for d in mem.devices],
            "memory": [asdict(d) for d in mem.devices],
        }
        if not opts.force and not fits(mem, budget):
            store.add_point(
                sweep_id,
                key,
                asdict(cfg),
                prediction,
                "skipped",
                skip_rule="predicted memory exceeds the device budget "
                "(use --force to run it anyway)",
            )
            summary.skipped += 1
            continue
        todo.append((cfg, prediction))
    by_cell: dict[tuple[int, int], list[tuple[RunConfig, dict[str, Any]]]] = {}
    for cfg, pred in todo:
        by_cell.setdefault(cell_of(cfg), []).append((cfg, pred))
    for cell_points in by_cell.values():
        _run_cell(store, sweep_id, model_path, cell_points, opts, engine_info, summary, progress)
    summary.wall_seconds = time.perf_counter() - start
    store.finish_sweep(sweep_id, "done" if not summary.failed else "done-with-failures")
    summary.rows = [dict(r) for r in store.points(sweep_id=sweep_id)]
    return summary


def _store_ok(
    store: Store,
    sweep_id: int,
    cfg: RunConfig,
    pred: dict[str, Any],
    rec: dict[str, Any],
    result: RunResult | None,
) -> None:
    store.add_point(
        sweep_id,
        point_key(cfg),
        asdict(cfg),
        pred,
        "ok",
        avg_ts=rec.get("avg_ts"),
        stddev_ts=rec.get("stddev_ts"),
        samples_ns_json=rec.get("samples_ns"),
        engine_record_json=rec,
        load_s=rec.get("load_s"),
        peak_rss_bytes=result.peak_rss_bytes if result else None,
        returncode=0,
    )


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
        return [sys.executable, "-m", "bench._pyrunner", json.dumps(cfg)]
    return llama_bench_argv(
        Path(engine_info["path"]), model, _lb_options(pts, opts.repetitions, opts.delay_s)
    )


def _groups(
    opts: SweepOptions, pts: list[tuple[RunConfig, dict[str, Any]]]
) -> list[list[tuple[RunConfig, dict[str, Any]]]]:
    """llama-bench takes a whole cell; llama-cpp-python one context config per process."""
    if opts.engine != "llama-cpp-python":
        return [pts]
    groups: dict[tuple[Any, ...], list[tuple[RunConfig, dict[str, Any]]]] = {}
    for cfg, pred in pts:
        k = (cfg.n_threads, cfg.n_batch, cfg.n_ubatch, cfg.type_k, cfg.type_v, cfg.flash_attn)
        groups.setdefault(k, []).append((cfg, pred))
    return list(groups.values())


def _run_cell(
    store: Store,
    sweep_id: int,
    model: Path,
    pts: list[tuple[RunConfig, dict[str, Any]]],
    opts: SweepOptions,
    engine_info: dict[str, Any],
    summary: SweepSummary,
    progress: Callable[[str], None],
) -> None:
    pending = list(pts)
    queue: Iterator[list[tuple[RunConfig, dict[str, Any]]]] = iter(_groups(opts, pending))
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
        result = run_process(argv, opts.timeout_s * max(1, len(group)), on_record)
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
            cls = classify(result.returncode, result.stderr_tail, result.timed_out)
            store.add_point(
                sweep_id,
                point_key(cfg),
                asdict(cfg),
                pred,
                "failed",
                failure_class=cls,
                returncode=result.returncode,
                stderr_tail=result.stderr_tail[-4000:],
                peak_rss_bytes=result.peak_rss_bytes,
            )
            summary.failed += 1
            progress(f"FAILED ({cls}) {_label(cfg)}")


def _take_record(
    store: Store,
    sweep_id: int,
    opts: SweepOptions,
    remaining: list[tuple[RunConfig, dict[str, Any]]],
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
            _store_ok(store, sweep_id, cfg, pred, rec, None)
            stored.append(point_key(cfg))
            summary.ok += 1
            progress(f"ok  {_label(cfg)}: {rec.get('avg_ts', 0):.1f} t/s")
            del remaining[i]
            return


def _label(cfg: RunConfig) -> str:
    test = f"pp{cfg.n_prompt}" if cfg.n_prompt else f"tg{cfg.n_gen}"
    if cfg.n_depth:
        test += f"@d{cfg.n_depth}"
    return (
        f"{test} t={cfg.n_threads} ub={cfg.n_ubatch} ngl={cfg.n_gpu_layers} "
        f"fa={int(cfg.flash_attn)} kv={cfg.type_k}/{cfg.type_v}"
    )


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per point: measured vs predicted tokens/s and the error, for the terminal summary."""
    out = []
    for r in rows:
        cfg = RunConfig(**json.loads(r["config_json"]))
        pred = json.loads(r["prediction_json"]) if r["prediction_json"] else {}
        speed = pred.get("speed", {})
        predicted = speed.get("pp_tokens_per_s") if cfg.n_prompt else speed.get("tg_tokens_per_s")
        measured = r["avg_ts"]
        err = (predicted - measured) / measured if predicted and measured else None
        out.append(
            {
                "test": _label(cfg),
                "status": r["status"],
                "measured": measured,
                "stddev": r["stddev_ts"],
                "predicted": predicted,
                "error": err,
                "why": r["failure_class"] or r["skip_rule"],
            }
        )
    return out


def replace_axes(axes: Axes, **changes: Any) -> Axes:
    return replace(axes, **changes)
