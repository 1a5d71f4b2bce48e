#!/usr/bin/env python3
"""`make bench` for the sweep (issue 6): a 12-point sweep of a 250M Q4_K_M synthetic model
(pp128/pp256 and tg32, depth 0 and 512, 1 and 2 threads), llama-bench, 3 repetitions.

Reports the orchestration overhead — sweep wall time / wall time of the engine processes it
ran — (goal: <= 1.10), sweep wall time / the engine's own timed samples for reference, and the
number of model loads against running every point in its own process. out/bench-sweep.json.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path

from _goals import REPO, save, verdict

sys.path.insert(0, str(REPO))

import probe
from bench import Axes, Store, SweepOptions
from bench.model import load_local, parse_params, spec_for_params, synthesize
from bench.predictor import budget
from bench.run import find_llama_bench, inspect_llama_bench, sweep

SCHEMA_VERSION = 1  # 1: first version


def main() -> int:
    found = find_llama_bench()
    if found is None:
        print("llama-bench not found: run `make install` first", file=sys.stderr)
        return 1
    info = {**dataclasses.asdict(inspect_llama_bench(*found)), "backend": "cpu"}
    host = probe.detect()
    model = synthesize(spec_for_params(parse_params("250M"), quant="Q4_K_M")).path
    store = Store.open(Path(tempfile.mkdtemp(prefix="rigbench-bench-sweep-")) / "r.db")
    fp = store.add_host(host)
    axes = Axes(n_prompt=[128, 256], n_gen=[32], n_depth=[0, 512], n_threads=[1, 2])
    points = len(axes.points(2))
    s = sweep(
        store,
        host,
        fp,
        load_local(model),
        model,
        {"file": model.name},
        axes,
        SweepOptions(repetitions=3),
        info,
        budget(host),
    )
    overhead = s.wall_seconds / s.process_seconds
    loads_separately = points
    out = {
        "schema_version": SCHEMA_VERSION,
        "points": points,
        "ok": s.ok,
        "wall_s": s.wall_seconds,
        "engine_process_s": s.process_seconds,
        "engine_sample_s": s.engine_seconds,
        "overhead_vs_processes": overhead,
        "overhead_vs_samples": s.wall_seconds / s.engine_seconds,
        "processes": s.processes,
        "model_loads": s.processes,
        "model_loads_if_separate": loads_separately,
    }
    save("sweep", out)
    print(
        f"info  {points} points in {s.wall_seconds:.1f} s; engine processes "
        f"{s.process_seconds:.1f} s, of which timed samples {s.engine_seconds:.1f} s "
        f"(wall / samples {out['overhead_vs_samples']:.2f}: warm-ups, depth prefill, loads)"
    )
    print(
        f"info  model loads: {s.processes} (one llama-bench process per model-load cell) "
        f"instead of {loads_separately} with a process per point"
    )
    ok = overhead <= 1.10 and s.ok == points
    return verdict([("orchestration overhead <= 1.10 (12-point sweep)", ok, f"{overhead:.3f}")])


if __name__ == "__main__":
    sys.exit(main())
