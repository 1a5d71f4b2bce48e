#!/usr/bin/env python3
"""`make bench` for the report (issue 7): render a 1,000-point sweep as HTML, Markdown, JSON
and text from SQLite, in a fresh process each (start-up included); goal under 2 s each.
Writes out/bench-report.json."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _goals import REPO, save, verdict

sys.path.insert(0, str(REPO))

import probe
from bench import Measurement, Prediction, RunConfig, SpeedPrediction, Store

SCHEMA_VERSION = 1  # 1: first version


def main() -> int:
    db = Path(tempfile.mkdtemp(prefix="rigbench-bench-report-")) / "r.db"
    store = Store.open(db)
    fp = store.add_host(probe.detect())
    sid = store.start_sweep(
        fp,
        {"file": "m.gguf", "size_bytes": 2**30},
        None,
        {"kind": "llama-bench", "version": "x"},
        {},
        "k",
    )
    n = 0
    for depth in range(0, 25 * 512, 512):
        for ub in (64, 128, 256, 512, 1024):
            for t in (1, 2, 4, 8):
                for kind in ("pp", "tg"):
                    cfg = RunConfig(
                        n_prompt=512 if kind == "pp" else 0,
                        n_gen=128 if kind == "tg" else 0,
                        n_depth=depth,
                        n_ubatch=ub,
                        n_threads=t,
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
                        0,
                    )
                    m = Measurement(
                        "ok",
                        avg_ts=meas,
                        stddev_ts=1.0,
                        samples_ns=(10**9,) * 3,
                        peak_rss_bytes=2**30 + depth * 1000,
                    )
                    store.add_point(sid, f"p{n}", cfg, Prediction(pred), m)
                    n += 1
    store.close()
    times = {}
    out = Path(tempfile.mkdtemp())
    for fmt in ("html", "md", "json", "text"):
        start = time.perf_counter()
        subprocess.run(
            [
                str(Path(sys.executable).parent / "report"),
                "--db",
                str(db),
                "--format",
                fmt,
                "-o",
                str(out / f"r.{fmt}"),
            ],
            check=True,
        )
        times[fmt] = time.perf_counter() - start
    result = {"schema_version": SCHEMA_VERSION, "points": n, "seconds": times}
    save("report", result)
    figures = ", ".join(f"{k} {v:.2f} s" for k, v in times.items())
    ok = all(t < 2 for t in times.values())
    return verdict([("report of 1,000 points renders in < 2 s", ok, figures)])


if __name__ == "__main__":
    sys.exit(main())
