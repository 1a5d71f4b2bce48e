#!/usr/bin/env python3
"""`make bench` for serving (issue 17), on a tiny synthetic llama (2 layers, 256 wide, Q8_0, ~2 MB,
the shape tests/test_serve.py serves):

1. `bench sweep` of the model with llama-bench (pp512, pp4096, tg32) into a fresh store: this
   machine's calibration, fitted on llama-bench's numbers only.
2. `bench serve` (run_serve, in this process) at 1, 2, 4 and 8 users for prompts of 512 and
   4096 tokens, predicting with that calibration.

Goals: the load generator (this process's CPU time over each level, client threads included)
costs < 10 % of llama-server's CPU time (psutil) over the same level; TTFT p50 measured vs the
calibrated steady-state prediction within 20 % at both prompt lengths and every user count
(steady state: each user's first request, a burst, left out). Nothing is fitted on the
TTFTs judged. Writes out/bench-serve.json.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from _goals import REPO, save, verdict

sys.path.insert(0, str(REPO))

# 1: first version
SCHEMA_VERSION = 1
BIN = Path(sys.executable).parent
SHAPE = dict(n_layer=2, n_embd=256, n_head=4, n_head_kv=2, n_ff=512, n_vocab=2048, n_ctx=8192)
USERS, PROMPTS, N_GEN = (1, 2, 4, 8), (512, 4096), 32


def main() -> int:
    from bench.model import SynthSpec, synthesize
    from bench.run import ServeRequest, _serve, run_serve

    model = str(synthesize(SynthSpec(**SHAPE, quant="Q8_0")).path)  # type: ignore[arg-type]
    work = Path(tempfile.mkdtemp(prefix="rigbench-serve-"))
    db = work / "results.db"
    env = {**os.environ, "RIGBENCH_DB": str(db)}
    sweep = [str(BIN / "bench"), "sweep", "-m", model, "-p", "512,4096", "-n", str(N_GEN)]
    done = subprocess.run([*sweep, "-r", "3"], capture_output=True, text=True, env=env)
    if done.returncode not in (0, 2):  # 2: finished, some timings unstable
        sys.exit(f"bench sweep failed: {done.stderr.strip()[-500:]}")
    calibration = [x for x in done.stderr.splitlines() if x.startswith("calibration")]

    cpu: list[dict[str, float]] = []
    real_drive = _serve.drive_level

    def drive(*a: Any, **k: Any) -> Any:
        """One level, with this process's and llama-server's CPU seconds over it."""
        servers = [p for p in psutil.Process().children(recursive=True) if "server" in p.name()]
        s0 = sum(sum(p.cpu_times()[:2]) for p in servers)
        c0 = time.process_time()
        out = real_drive(*a, **k)
        c1 = time.process_time()
        s1 = sum(sum(p.cpu_times()[:2]) for p in servers)
        cpu.append({"client_cpu_s": c1 - c0, "server_cpu_s": s1 - s0})
        return out

    _serve.drive_level = drive
    req = ServeRequest(
        model=model, ctx=max(USERS) * (max(PROMPTS) + N_GEN + 64), users=USERS, prompts=PROMPTS,
        n_gen=N_GEN, duration_s=15.0, batched_bench=False, db=db,
    )  # fmt: skip
    outcome = run_serve(req)
    levels = []
    for lv, c in zip(outcome.levels, cpu, strict=True):
        s = lv.stats(req.price_kwh)
        p = outcome.prediction.level(lv.users, lv.n_prompt)
        steady = steady_ttft_p50(lv.requests)
        pred = p.ttft_s if p else None
        err = (pred - steady) / steady if pred and steady else None
        share = c["client_cpu_s"] / c["server_cpu_s"] if c["server_cpu_s"] else None
        levels.append(
            {"users": lv.users, "n_prompt": lv.n_prompt, "requests": s["requests"],
             "errors": s["errors"], "ttft_p50_s": s["ttft_p50_s"], "ttft_p50_steady_s": steady,
             "predicted_ttft_s": pred, "ttft_error": err,
             "per_user_tokens_per_s": s["per_user_tokens_per_s"],
             "predicted_per_user_tokens_per_s": p.per_user_tokens_per_s if p else None,
             "aggregate_tokens_per_s": s["aggregate_tokens_per_s"],
             "predicted_aggregate_tokens_per_s": p.aggregate_tokens_per_s if p else None,
             **c, "client_share": share}
        )  # fmt: skip
    save("serve", {"schema_version": SCHEMA_VERSION, "model": Path(model).name, "users": USERS,
                   "calibration": calibration, "levels": levels})  # fmt: skip
    print(f"info  {calibration[0] if calibration else 'no calibration line'}")
    goals = []
    for row in levels:
        share, e = row["client_share"], row["ttft_error"]
        print(
            f"info  {row['users']} users, prompt {row['n_prompt']}: {row['requests']} requests, "
            f"{row['errors']} errors; client CPU {row['client_cpu_s']:.2f} s, llama-server CPU "
            f"{row['server_cpu_s']:.2f} s; per-user tg {_f(row['per_user_tokens_per_s'])} "
            f"(predicted {_f(row['predicted_per_user_tokens_per_s'])}), aggregate "
            f"{_f(row['aggregate_tokens_per_s'])} ({_f(row['predicted_aggregate_tokens_per_s'])})"
        )
        if row["users"] == max(USERS):
            goals.append(
                (f"load generator < 10 % of server CPU, {row['users']} users, prompt "
                 f"{row['n_prompt']}", share is not None and share < 0.10,
                 "NA" if share is None else f"{share:.1%}")
            )  # fmt: skip
        figure = "NA" if e is None else (
            f"{row['ttft_p50_steady_s'] * 1e3:.1f} ms measured, "
            f"{row['predicted_ttft_s'] * 1e3:.1f} ms predicted ({e:+.0%})"
        )  # fmt: skip
        goals.append(
            (f"TTFT p50 within 20 % of prediction, {row['users']} users, prompt {row['n_prompt']}",
             e is not None and abs(e) <= 0.20, figure)
        )  # fmt: skip
    return verdict(goals)


def steady_ttft_p50(requests: Any) -> float | None:
    """Median TTFT of the steady state: every request but each user's first (those start
    together, a burst the prediction gives apart as ttft_burst_s)."""
    first: dict[int, float] = {}
    for r in requests:
        first[r.user] = min(first.get(r.user, r.sent_s), r.sent_s)
    ttfts = [r.ttft_s for r in requests if r.ttft_s is not None and r.sent_s > first[r.user]]
    return statistics.median(ttfts) if ttfts else None


def _f(x: float | None) -> str:
    return "NA" if x is None else f"{x:.1f}"


if __name__ == "__main__":
    sys.exit(main())
