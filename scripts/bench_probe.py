#!/usr/bin/env python3
"""`make bench` for the probe: wall time of `probe detect` (with Python start-up), of
`probe detect --measure`, and the measured RAM bandwidth against a plain numpy-copy reference
taken in the same run. Prints a table and writes out/bench-probe.json; exits 1 if a goal is missed.

Goals (issue 2): detect < 0.5 s median; --measure < 10 s; bandwidth within 15 % of the reference.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _goals import save, verdict

PROBE = Path(sys.executable).parent / "probe"
SCHEMA_VERSION = 1  # 1: first version


def wall(argv: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout


def numpy_copy_reference(buffer_bytes: int, threads: int, seconds: float = 2.0) -> float:
    """Best-of-N np.copyto over slices of one buffer per thread; bytes moved = 2 x size."""
    from concurrent.futures import ThreadPoolExecutor

    src = np.ones(buffer_bytes // 8)
    dst = np.empty_like(src)
    pairs = list(zip(np.array_split(dst, threads), np.array_split(src, threads), strict=True))
    best = 0.0
    deadline = time.perf_counter() + seconds
    with ThreadPoolExecutor(threads) as pool:
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            list(pool.map(lambda p: np.copyto(*p), pairs))
            best = max(best, 2 * src.nbytes / (time.perf_counter() - t))
    return best


def main() -> int:
    wall([str(PROBE), "detect", "--format", "json"])  # warm the page cache
    detect_times = [wall([str(PROBE), "detect", "--format", "json"])[0] for _ in range(15)]
    measure_runs = [wall([str(PROBE), "detect", "--measure", "--format", "json"]) for _ in range(3)]
    measure_times = [t for t, _ in measure_runs]
    profiles = [json.loads(out) for _, out in measure_runs]
    bws = [p["memory"]["measured_read_bytes_per_s"] for p in profiles]
    threads = profiles[0]["memory"]["measure_threads"]
    buffer_bytes = profiles[0]["memory"]["measure_buffer_bytes"]
    reference = numpy_copy_reference(buffer_bytes, threads)
    bw = statistics.median(bws)
    ratio = bw / reference
    disk = next((d for d in profiles[0]["disks"] if d["holds_hf_cache"]), None)
    results = {
        "schema_version": SCHEMA_VERSION,
        "host_cpu": profiles[0]["cpu"]["model"],
        "detect_wall_s_median": statistics.median(detect_times),
        "detect_wall_s_all": detect_times,
        "measure_wall_s_median": statistics.median(measure_times),
        "measure_wall_s_all": measure_times,
        "ram_read_bytes_per_s_median": bw,
        "ram_read_bytes_per_s_all": bws,
        "numpy_copy_reference_bytes_per_s": reference,
        "bandwidth_ratio": ratio,
        "disk_read_bytes_per_s": disk and disk["measured_read_bytes_per_s"],
        "disk_measure_method": disk and disk["measure_method"],
    }
    goals = [
        (
            "probe detect median wall < 0.5 s",
            results["detect_wall_s_median"] < 0.5,
            f"{results['detect_wall_s_median']:.3f} s",
        ),
        (
            "probe detect --measure median wall < 10 s",
            results["measure_wall_s_median"] < 10,
            f"{results['measure_wall_s_median']:.2f} s",
        ),
        (
            "RAM bandwidth within 15 % of numpy-copy reference",
            abs(ratio - 1) <= 0.15,
            f"{bw / 1e9:.1f} GB/s vs {reference / 1e9:.1f} GB/s (ratio {ratio:.3f})",
        ),
    ]
    written = save("probe", results)
    status = verdict(goals, width=55)
    if abs(ratio - 1) > 0.15:
        print(
            f"note  the reference counts a copy's read and write traffic (STREAM Copy, "
            f"{threads} threads); a read-only kernel reaches {ratio:.0%} of it here: copies "
            "stream non-temporal stores beside the reads, pure reads are limited by each "
            "core's outstanding misses"
        )
    if disk and disk["measured_read_bytes_per_s"]:
        print(
            f"info  disk read {disk['measured_read_bytes_per_s'] / 1e9:.2f} GB/s "
            f"({disk['measure_method']})"
        )
    print(f"wrote {written}", file=sys.stderr)
    return status


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
