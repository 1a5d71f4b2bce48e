#!/usr/bin/env python3
"""`make bench` for the probe: wall time of `probe detect` (with Python start-up), of
`probe detect --measure`, and the measured RAM bandwidth against a plain numpy-copy reference
taken in the same run. Prints a table and writes out/bench-probe.json; exits 1 if a goal is missed.

Goals (issue 2): detect < 0.5 s median; --measure < 10 s; bandwidth within 15 % of the reference.
The bandwidth goal compares the probe's own read kernel with the copy pass by pass (medians of
10 s of alternating passes), because the host's bandwidth changes state faster than whole runs.
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

from probe._memory import ReadKernel

PROBE = Path(sys.executable).parent / "probe"
SCHEMA_VERSION = 2  # 1: first version; 2: read and reference compared pass by pass
PAIRED_SECONDS = 10.0


def wall(argv: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout


class CopyReference:
    """A plain numpy copy: threads each np.copyto their slice; bytes moved = 2 x size (STREAM)."""

    def __init__(self, threads: int, buffer_bytes: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        src = np.ones(buffer_bytes // 8)
        dst = np.zeros_like(src)  # zeros, not empty: every destination page is faulted in first
        self.bytes_moved = 2 * src.nbytes
        halves = np.array_split(dst, threads), np.array_split(src, threads)
        self._pairs = list(zip(*halves, strict=True))
        self._pool = ThreadPoolExecutor(threads)

    def pass_rate(self) -> float:
        start = time.perf_counter()
        list(self._pool.map(lambda pair: np.copyto(*pair), self._pairs))
        return self.bytes_moved / (time.perf_counter() - start)


def paired_passes(threads: int, buffer_bytes: int, seconds: float) -> list[tuple[float, float]]:
    """(probe read pass, copy pass) rates, alternating pass by pass in this process.

    The host's bandwidth changes state every few tenths of a second on a shared VM, so a
    comparison is fair only between passes taken back to back; which kernel goes first
    alternates, so neither always follows the other.
    """
    copy = CopyReference(threads, buffer_bytes)
    pairs = []
    with ReadKernel(threads, buffer_bytes) as read:
        read.pass_rate(), copy.pass_rate()  # page faults and frequency ramp, not counted
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            if len(pairs) % 2:
                c = copy.pass_rate()
                r = read.pass_rate()
            else:
                r = read.pass_rate()
                c = copy.pass_rate()
            pairs.append((r, c))
    return pairs


def main() -> int:
    wall([str(PROBE), "detect", "--format", "json"])  # warm the page cache
    detect_times = [wall([str(PROBE), "detect", "--format", "json"])[0] for _ in range(15)]
    measure_runs = [wall([str(PROBE), "detect", "--measure", "--format", "json"]) for _ in range(3)]
    measure_times = [t for t, _ in measure_runs]
    profiles = [json.loads(out) for _, out in measure_runs]
    bws = [p["memory"]["measured_read_bytes_per_s"] for p in profiles]
    threads = profiles[0]["memory"]["measure_threads"]
    buffer_bytes = profiles[0]["memory"]["measure_buffer_bytes"]
    pairs = paired_passes(threads, buffer_bytes, PAIRED_SECONDS)
    ratios = [r / c for r, c in pairs]
    ratio = statistics.median(ratios)
    deciles = statistics.quantiles(ratios, n=10)
    bw = statistics.median(r for r, _ in pairs)
    reference = statistics.median(c for _, c in pairs)
    disk = next((d for d in profiles[0]["disks"] if d["holds_hf_cache"]), None)
    results = {
        "schema_version": SCHEMA_VERSION,
        "host_cpu": profiles[0]["cpu"]["model"],
        "detect_wall_s_median": statistics.median(detect_times),
        "detect_wall_s_all": detect_times,
        "measure_wall_s_median": statistics.median(measure_times),
        "measure_wall_s_all": measure_times,
        "cli_ram_read_bytes_per_s_all": bws,
        "ram_read_bytes_per_s_median": bw,
        "numpy_copy_reference_bytes_per_s_median": reference,
        "paired_passes": [{"read": r, "copy_reference": c} for r, c in pairs],
        "paired_ratio_median": ratio,
        "paired_ratio_deciles": deciles,
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
    print(
        f"info  {len(pairs)} paired passes ({threads} threads, {buffer_bytes // 2**20} MiB): "
        f"read/copy ratio p10 {deciles[0]:.2f}, median {ratio:.2f}, p90 {deciles[-1]:.2f}; "
        f"probe CLI figures {', '.join(f'{b / 1e9:.1f}' for b in bws)} GB/s"
    )
    if abs(ratio - 1) > 0.15:
        print(
            "note  the reference counts a copy's reads and its writes (STREAM Copy); while it "
            f"runs, reads move {reference / 2e9:.1f} GB/s and writes as much again. Where "
            "writes travel apart from reads (AMD chiplets: separate fabric directions), the "
            f"sum passes what reads alone reach ({bw / 1e9:.1f} GB/s), the figure token "
            "generation follows"
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
