#!/usr/bin/env python3
"""`make bench` for the headline model: the full-size gpt-oss-20b twin (24 layers, 2880 wide,
32 MXFP4 experts, 12.1 GB), end to end on this machine, as a user would run it.

1. `bench synth --shape gpt-oss-20b --quant MXFP4` into an empty cache: write time, peak RSS.
2. The local hub serves it as `ggml-org/gpt-oss-20b-GGUF` (the real file name); `bench plan`
   reads its header over HTTP: bytes read.
3. A small llama twin is swept first, so this machine has a calibration from another shape.
4. `bench sweep --model ggml-org/gpt-oss-20b-GGUF` (download into the HF cache, verified):
   pp512 and tg128 at depth 0 and 1024, measured against the prediction stored before each point
   (calibrated on the llama twin) and against the uncalibrated prediction.

Goals (issue 13): twin written in < 90 s at < 2 GiB peak RSS; plan reads < 16 MiB. The
measured-vs-predicted errors are reported, not judged (no goal is set for them yet).
Writes out/bench-headline.json. Needs ~26 GB of free disk (the twin and its download).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _goals import REPO, save, verdict

sys.path.insert(0, str(REPO))

BIN = Path(sys.executable).parent
# out/bench-headline.json schema history: 1 — first version.
SCHEMA_VERSION = 1
REPO_ID = "ggml-org/gpt-oss-20b-GGUF"


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if done.returncode not in (0, 2):  # 2: finished, some timings unstable
        sys.exit(f"{' '.join(argv[:4])} failed: {done.stderr.strip()[-500:]}")
    return done


def main() -> int:
    from bench.run import find_llama_bench

    found = find_llama_bench()  # from rigbench's own cache, before the cache moves below
    if found is None:
        sys.exit("llama-bench is not built: run make install")
    work = Path(tempfile.mkdtemp(prefix="rigbench-headline-"))
    env = {**os.environ, "RIGBENCH_CACHE": str(work / "cache"), "HF_HUB_CACHE": str(work / "hf")}
    env["RIGBENCH_LLAMA_BENCH"] = str(found[0])
    env["RIGBENCH_DB"] = str(work / "results.db")
    try:
        t = time.perf_counter()
        run([str(BIN / "bench"), "synth", "--shape", "gpt-oss-20b", "--quant", "MXFP4"], env)
        write_s = time.perf_counter() - t
        peak_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        os.environ.update(env)  # the hub below finds the twin in the same cache
        from bench.localhub import LocalHub, gpt_oss_repos

        with LocalHub() as hub:
            for repo_id, (files, gated) in gpt_oss_repos(full=True).items():
                hub.add_repo(repo_id, files, gated=gated)
            env["HF_ENDPOINT"] = hub.url
            plan = json.loads(
                run([str(BIN / "bench"), "plan", "-m", REPO_ID, "--format", "json"], env).stdout
            )
            run([str(BIN / "bench"), "sweep", "-m", "synth:llama:250M:Q4_K_M", "-r", "2"], env)
            t = time.perf_counter()
            axes = ["-p", "512", "-n", "128", "--depth", "0,1024", "-r", "2"]
            sweep = json.loads(
                run(
                    [str(BIN / "bench"), "sweep", "-m", REPO_ID, *axes, "--format", "json"], env
                ).stdout
            )
            sweep_s = time.perf_counter() - t
        (result,) = sweep["sweeps"]
        path = next((work / "hf").rglob("gpt-oss-20b-mxfp4.gguf"))
        unc = json.loads(
            run(
                [
                    str(BIN / "bench"),
                    "predict",
                    "-m",
                    str(path),
                    "--depth",
                    "0,1024",
                    "--db",
                    str(work / "none.db"),
                    "--format",
                    "json",
                ],
                env,
            ).stdout
        )["models"][0]["predictions"]
        points = []
        for p in result["points"]:
            depth = 1024 if "@d1024" in p["test"] else 0
            kind = "pp" if p["test"].startswith("pp") else "tg"
            u = next(x for x in unc if x["config"]["n_depth"] == depth)[f"{kind}_tokens_per_s"]
            points.append(
                {
                    **p,
                    "uncalibrated": u,
                    "uncalibrated_error": (u - p["measured"]) / p["measured"]
                    if p["measured"]
                    else None,
                }
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = {
        "schema_version": SCHEMA_VERSION,
        "twin_write_s": write_s,
        "twin_peak_rss_bytes": peak_rss,
        "plan_bytes_read": plan["bytes_read"],
        "plan_quants": [q["quant"] for q in plan["quants"]],
        "sweep_wall_s": sweep_s,
        "points": points,
    }
    save("headline", out)
    for p in points:
        cal = f"{p['error']:+.0%}" if p["error"] is not None else "n/a"
        unc_e = f"{p['uncalibrated_error']:+.0%}" if p["uncalibrated_error"] is not None else "n/a"
        print(
            f"info  gpt-oss-20b twin {p['test'].split()[0]:12s} "
            f"measured {p['measured'] or 0:7.2f} t/s; "
            f"predicted {p['predicted'] or 0:7.2f} (calibrated on a llama twin, {cal}), "
            f"{p['uncalibrated']:7.2f} uncalibrated ({unc_e})"
        )
    return verdict(
        [
            ("full-size gpt-oss-20b twin written in < 90 s", write_s < 90, f"{write_s:.1f} s"),
            ("... at < 2 GiB peak RSS", peak_rss < 2 * 2**30, f"{peak_rss / 2**30:.2f} GiB"),
            (
                "bench plan of the twin repo reads < 16 MiB",
                plan["bytes_read"] < 16 * 2**20,
                f"{plan['bytes_read'] / 2**20:.2f} MiB",
            ),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
