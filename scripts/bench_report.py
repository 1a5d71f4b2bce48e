#!/usr/bin/env python3
"""`make bench` for the report (issues 7 and 15): render a 1,000-point sweep as HTML, Markdown,
JSON and text from SQLite, in a fresh process each (start-up included), goal under 2 s each;
and a 10,000-point sweep as HTML and Markdown, goal under 10 s each. The Markdown of the
1,000-point sweep must stay under 200 KiB (GitHub's step summary). Writes
out/bench-report.json."""

from __future__ import annotations

import itertools
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _goals import REPO, save, verdict

sys.path.insert(0, str(REPO))

import probe
from bench import Measurement, Prediction, RunConfig, SpeedPrediction, Store

# 1: first version; 2: a 10,000-point case, per-size figures and the Markdown's size
SCHEMA_VERSION = 2


def make_store(db: Path, host: probe.HostProfile, big: bool) -> int:
    """25 depths x 5 ubatches x 4 thread counts x pp/tg = 1,000 points; ``big`` adds flash
    attention on/off and 5 GPU-layer counts: 10,000. Every 97th point failed (oom)."""
    store = Store.open(db)
    fp = store.add_host(host)
    sid = store.start_sweep(
        fp,
        {"file": "m.gguf", "size_bytes": 2**30},
        None,
        {"kind": "llama-bench", "version": "x"},
        {},
        "k",
    )
    fas = (True, False) if big else (True,)
    ngls = (0, 8, 16, 24, -1) if big else (-1,)
    n = 0
    axes = itertools.product(range(0, 25 * 512, 512), (64, 128, 256, 512, 1024), (1, 2, 4, 8))
    for (depth, ub, t), fa, ngl in itertools.product(axes, fas, ngls):
        for kind in ("pp", "tg"):
            cfg = RunConfig(
                n_prompt=512 if kind == "pp" else 0,
                n_gen=128 if kind == "tg" else 0,
                n_depth=depth,
                n_ubatch=ub,
                n_threads=t,
                flash_attn=fa,
                n_gpu_layers=ngl,
            )
            meas = 100.0 + n % 37
            pred = SpeedPrediction(
                meas * 1.1,
                meas * 0.9,
                1,
                "compute",
                "weights",
                meas * 2,
                meas * 2,
                {},
                {},
                "cpu",
                n % 2,
                pp_interval_tokens_per_s=(meas, meas * 1.3),
                tg_interval_tokens_per_s=(meas * 0.7, meas),
            )
            if n % 97 == 96:
                m = Measurement("failed", failure_class="oom", returncode=1, stderr_tail="oom")
            else:
                m = Measurement(
                    "ok",
                    avg_ts=meas,
                    stddev_ts=1.0,
                    samples_ns=(10**9,) * 3,
                    peak_rss_bytes=2**30 + depth * 1000,
                )
            store.add_point(sid, f"p{n}", cfg, Prediction(pred, totals_bytes=(2**30,)), m)
            n += 1
    store.close()
    return n


def timed(db: Path, fmt: str, out: Path) -> float:
    start = time.perf_counter()
    report = str(Path(sys.executable).parent / "report")
    subprocess.run([report, "--db", str(db), "--format", fmt, "-o", str(out)], check=True)
    return time.perf_counter() - start


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="rigbench-bench-report-"))
    host = probe.detect()
    small, big = tmp / "r1k.db", tmp / "r10k.db"
    n_small = make_store(small, host, big=False)
    n_big = make_store(big, host, big=True)
    times = {fmt: timed(small, fmt, tmp / f"r1k.{fmt}") for fmt in ("html", "md", "json", "text")}
    big_times = {fmt: timed(big, fmt, tmp / f"r10k.{fmt}") for fmt in ("html", "md")}
    md_bytes = (tmp / "r1k.md").stat().st_size
    result = {
        "schema_version": SCHEMA_VERSION,
        "points": n_small,
        "seconds": times,
        "big_points": n_big,
        "big_seconds": big_times,
        "md_bytes": md_bytes,
    }
    save("report", result)
    figures = ", ".join(f"{k} {v:.2f} s" for k, v in times.items())
    big_figures = ", ".join(f"{k} {v:.2f} s" for k, v in big_times.items())
    return verdict(
        [
            (f"report of {n_small:,} points renders in < 2 s", max(times.values()) < 2, figures),
            (
                f"report of {n_big:,} points (html, md) in < 10 s",
                max(big_times.values()) < 10,
                big_figures,
            ),
            (
                f"Markdown of {n_small:,} points < 200 KiB",
                md_bytes < 200 * 1024,
                f"{md_bytes / 1024:.0f} KiB",
            ),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
