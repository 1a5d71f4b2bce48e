#!/usr/bin/env python3
"""`make bench` for bench plan: a remote repo of 10 quants served by the local HF endpoint.

Counts the bytes the endpoint sends and the wall time of `bench plan` (a subprocess, Python
start-up included), median of 5 runs. The model has a 151,936-token vocabulary (Qwen's), so a
naive reader would fetch ~4 MB of tokenizer per quant. Writes out/bench-plan.json.

Goals (issue 4): under 16 MB read in total; under 3 s. Issue 11: `bench plan` of a computed
model (`shape:gpt-oss-20b:MXFP4`, `synth:qwen3moe:2B:Q4_K_M`) for a catalog machine answers in
under 1 s (the plan's own seconds) and writes nothing under the model cache.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _goals import REPO, save, verdict

sys.path.insert(0, str(REPO))

from bench.localhub import LocalHub
from bench.model import SynthSpec, split_gguf, synthesize

# out/bench-plan.json schema history:
#   1 — first version; 2 — "computed": plans of shape:/synth: models for a catalog machine.
SCHEMA_VERSION = 2
COMPUTED = ("shape:gpt-oss-20b:MXFP4", "synth:qwen3moe:2B:Q4_K_M")
QUANTS = ("Q2_K", "Q3_K_M", "Q4_0", "IQ4_XS", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "BF16", "F16")
BASE = SynthSpec(
    n_layer=12, n_embd=512, n_head=8, n_head_kv=2, n_ff=1536, n_vocab=151936, n_ctx=32768
)
REPO_ID = "rigbench-bench/qwen-shaped-GGUF"


def main() -> int:
    files: dict[str, Path | bytes | str] = {"README.md": "# bench\n"}
    shards = Path(tempfile.mkdtemp(prefix="rigbench-bench-"))
    for q in QUANTS:
        path = synthesize(dataclasses.replace(BASE, quant=q)).path
        if q == "F16":
            for s in split_gguf(path, shards / "m-F16.gguf", 2):
                files[f"F16/{s.name}"] = s
        else:
            files[f"m-{q}.gguf"] = path
    with LocalHub() as hub:
        hub.add_repo(REPO_ID, files)
        env = {**os.environ, "HF_ENDPOINT": hub.url}
        argv = [
            str(Path(sys.executable).parent / "bench"),
            "plan",
            "-m",
            REPO_ID,
            "--hardware",
            "rtx4090",
            "--format",
            "json",
        ]
        walls, sent = [], []
        for _ in range(5):
            hub.reset_counters()
            t = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
            walls.append(time.perf_counter() - t)
            sent.append(hub.bytes_sent)
        result = json.loads(done.stdout)
        repo_bytes = sum(f.size for f in hub.repos[REPO_ID].files.values())
    computed = {m: plan_computed(m) for m in COMPUTED}
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "computed": computed,
        "quants": len(result["quants"]),
        "repo_bytes": repo_bytes,
        "bytes_sent": sent,
        "wall_s": walls,
        "wall_s_median": statistics.median(walls),
        "bytes_sent_median": statistics.median(sent),
    }
    save("plan", out)
    goals = [
        (
            "bench plan, 10 remote quants: < 16 MB read",
            out["bytes_sent_median"] < 16 * 2**20,
            f"{out['bytes_sent_median'] / 2**20:.2f} MiB of a {repo_bytes / 2**20:.0f} MiB repo",
        ),
        (
            "bench plan, 10 remote quants: < 3 s",
            out["wall_s_median"] < 3,
            f"{out['wall_s_median']:.2f} s median of 5",
        ),
    ]
    for m, c in computed.items():
        goals.append(
            (
                f"plan {m.split(':')[1]} for rtx3060-12gb: < 1 s, no file",
                c["plan_s"] < 1 and not c["files_written"],
                f"{c['plan_s']:.3f} s plan, {c['wall_s']:.2f} s wall, "
                f"{c['files_written']} files written",
            )
        )
    return verdict(goals)


def plan_computed(model: str) -> dict[str, float | int]:
    """`bench plan` of a computed model in a fresh cache: its own seconds, the wall time with
    Python start-up, and how many files it wrote under the cache."""
    cache = Path(tempfile.mkdtemp(prefix="rigbench-bench-cache-"))
    env = {**os.environ, "RIGBENCH_CACHE": str(cache / "rigbench"), "HF_HOME": str(cache / "hf")}
    argv = [str(Path(sys.executable).parent / "bench"), "plan", "-m", model]
    argv += ["--hardware", "rtx3060-12gb", "--format", "json"]
    t = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    wall = time.perf_counter() - t
    written = sum(1 for f in cache.rglob("*") if f.is_file())
    return {"plan_s": json.loads(done.stdout)["seconds"], "wall_s": wall, "files_written": written}


if __name__ == "__main__":
    sys.exit(main())
