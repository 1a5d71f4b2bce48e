"""Deterministic report stores for the renderer tests: a sweep that varies four axes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import probe
from bench import Measurement, Prediction, RunConfig, SpeedPrediction, Store
from bench import store as _store

MODEL = {
    "repo": "rigbench-test/synth-llama-GGUF",
    "quant": "Q4_K_M",
    "file": "m.gguf",
    "size_bytes": 4_370 * 2**20,
}
ENGINE = {"kind": "llama-bench", "version": "0.5.0-dev", "build_commit": "0c1e570"}


def _pred(pp: float, tg: float, calibrated: int, host_bytes: int) -> Prediction:
    s = SpeedPrediction(
        pp,
        tg,
        512 / pp if pp else 1.0,
        "compute",
        "weights",
        pp * 2 or 1.0,
        tg * 1.5 or 1.0,
        {},
        {},
        "cpu",
        calibrated,
        pp_interval_tokens_per_s=(pp * 0.8, pp * 1.25) if pp else None,
        tg_interval_tokens_per_s=(tg * 0.85, tg * 1.2) if tg else None,
    )
    return Prediction(s, totals_bytes=(host_bytes,))


def speeds(depth: int, ub: int, t: int, fa: bool) -> tuple[float, float]:
    """(pp, tg) measured tokens/s of one configuration: a made-up but plausible shape."""
    pp = (900 + ub * 0.8) * (t / 16) ** 0.9 * (1.0 if fa else 0.85) / (1 + depth / 8192)
    tg = 31.5 * (t / 16) ** 0.4 * (1.0 if fa else 0.93) / (1 + depth / 16384) + ub / 512
    return pp, tg


def four_axis_db(path: Path, machine: Any, monkeypatch: Any) -> Path:
    """depth x ubatch x threads x flash attention, pp512 and tg128 at each, one failed (oom,
    with the engine's stderr) and one skipped point."""
    monkeypatch.setattr(_store, "now", lambda: "2026-11-21T12:00:00+00:00")
    store = Store.open(path)
    fp = store.add_host(probe.detect(context=machine("x86-avx512-server")))
    sid = store.start_sweep(fp, MODEL, None, ENGINE, {}, "k4")
    n = 0
    for depth in (0, 4096):
        for ub in (256, 512):
            for t in (8, 16):
                for fa in (True, False):
                    pp, tg = speeds(depth, ub, t, fa)
                    for kind, meas in (("pp", pp), ("tg", tg)):
                        cfg = RunConfig(
                            n_prompt=512 if kind == "pp" else 0,
                            n_gen=128 if kind == "tg" else 0,
                            n_depth=depth,
                            n_ubatch=ub,
                            n_threads=t,
                            flash_attn=fa,
                        )
                        pred = pp * 0.93 if kind == "pp" else tg * 1.04
                        host = (4_700 + depth // 8 + ub) * 2**20
                        m = Measurement(
                            "ok",
                            avg_ts=meas,
                            stddev_ts=meas * 0.012,
                            samples_ns=(10**9, 10**9, 10**9),
                            peak_rss_bytes=host - 90 * 2**20,
                        )
                        p = _pred(
                            pred if kind == "pp" else 0,
                            pred if kind == "tg" else 0,
                            24 * (t == 16),
                            host,
                        )
                        store.add_point(sid, f"p{n}", cfg, p, m)
                        n += 1
    cfg = RunConfig(n_prompt=0, n_gen=128, n_depth=131072, n_ubatch=512, n_threads=16)
    failed = Measurement(
        "failed",
        failure_class="oom",
        returncode=1,
        stderr_tail=(
            "llama_kv_cache: allocating 16384.00 MiB\nggml_backend_cpu_buffer_type_alloc_buffer:"
            " failed to allocate buffer of size 17179869184"
        ),
    )
    store.add_point(sid, "oom", cfg, _pred(0, 12.0, 0, 22 * 2**30), failed)
    cfg = RunConfig(n_prompt=0, n_gen=128, n_depth=1048576, n_ubatch=512, n_threads=16)
    skipped = Measurement("skipped", skip_rule="predicted memory exceeds the device budget")
    store.add_point(sid, "skip", cfg, _pred(0, 1.0, 0, 140 * 2**30), skipped)
    store.close()
    return path
