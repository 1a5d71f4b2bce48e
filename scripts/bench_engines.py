#!/usr/bin/env python3
"""`make bench` for the engines: synthetic-model generation time, and pp512 / tg128 of a
250M Q4_K_M synthetic model in llama-bench vs llama-cpp-python in the same run, same threads,
batch, ubatch and flash-attention setting. Interleaves the engines over several rounds so drift
on a shared machine hits both alike; reports medians. Writes out/bench-engines.json.

Goals (issue 3): generation < 60 s; llama-cpp-python >= 95 % of llama-bench for pp and tg.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

from _goals import REPO, save, verdict

sys.path.insert(0, str(REPO))

from bench.model import parse_params, spec_for_params, synthesize
from bench.run import find_llama_bench, inspect_llama_bench, run_llama_bench, run_llama_cpp_python

SCHEMA_VERSION = 1  # 1: first version
ROUNDS = 3
REPS = 3


def main() -> int:
    found = find_llama_bench()
    if found is None:
        print("llama-bench not found: run `make install` first", file=sys.stderr)
        return 1
    binary = found[0]
    info = inspect_llama_bench(*found)
    spec = spec_for_params(parse_params("250M"), quant="Q4_K_M")
    with tempfile.TemporaryDirectory() as fresh:  # time a real generation, not a cache hit
        os.environ["RIGBENCH_CACHE"] = fresh
        gen = synthesize(spec)
        gen_s = gen.seconds
        model = Path(fresh) / "model.gguf"
        gen.path.rename(model)
        threads = os.cpu_count() or 1
        common = {"t": threads, "b": 2048, "ub": 512, "fa": 0, "r": REPS}
        tests = [
            {"n_prompt": 512, "n_gen": 0, "n_depth": 0},
            {"n_prompt": 0, "n_gen": 128, "n_depth": 0},
        ]
        rounds: list[dict[str, float]] = []
        for _ in range(ROUNDS):
            lb = run_llama_bench(binary, model, {**common, "p": 512, "n": 128})
            py = run_llama_cpp_python(
                {
                    "model": str(model),
                    "n_threads": threads,
                    "n_batch": 2048,
                    "n_ubatch": 512,
                    "flash_attn": 0,
                    "repetitions": REPS,
                    "tests": tests,
                }
            )
            rounds.append(
                {
                    "lb_pp": next(r["avg_ts"] for r in lb if r["n_prompt"] == 512),
                    "lb_tg": next(r["avg_ts"] for r in lb if r["n_gen"] == 128),
                    "py_pp": next(r["avg_ts"] for r in py if r["n_prompt"] == 512),
                    "py_tg": next(r["avg_ts"] for r in py if r["n_gen"] == 128),
                }
            )
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    ratio_pp, ratio_tg = med["py_pp"] / med["lb_pp"], med["py_tg"] / med["lb_tg"]
    results = {
        "schema_version": SCHEMA_VERSION,
        "llama_bench": {"path": str(binary), "version": info.version, "commit": info.build_commit},
        "model": {
            "spec": spec.file_name(),
            "n_params": spec.n_params(),
            "size_bytes": model.stat().st_size if model.exists() else None,
        },
        "threads": threads,
        "rounds": rounds,
        "medians_tokens_per_s": med,
        "generation_s": gen_s,
        "ratio_pp": ratio_pp,
        "ratio_tg": ratio_tg,
    }
    save("engines", results)
    goals = [
        ("synthetic 250M Q4_K_M generation < 60 s", gen_s < 60, f"{gen_s:.1f} s"),
        (
            "pp512: llama-cpp-python >= 95 % of llama-bench",
            ratio_pp >= 0.95,
            f"{med['py_pp']:.1f} vs {med['lb_pp']:.1f} t/s (ratio {ratio_pp:.3f})",
        ),
        (
            "tg128: llama-cpp-python >= 95 % of llama-bench",
            ratio_tg >= 0.95,
            f"{med['py_tg']:.1f} vs {med['lb_tg']:.1f} t/s (ratio {ratio_tg:.3f})",
        ),
    ]
    return verdict(goals)


if __name__ == "__main__":
    sys.exit(main())
