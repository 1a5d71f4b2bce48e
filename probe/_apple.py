"""Apple silicon backend: chip, unified memory, GPU cores, wired limit and spec bandwidth.

Cross-check with ``sysctl hw.memsize iogpu.wired_limit_mb`` and
``system_profiler SPDisplaysDataType`` (GPU core count).
"""

from __future__ import annotations

import re

from probe._context import Collected, CommandFailed, ProbeContext
from probe._cpu import read_sysctl
from probe._records import GpuInfo

name = "apple"

GIB = 1024**3

# Chip -> list of (GPU cores at or above which this bandwidth applies, GB/s), from Apple's
# published specifications (apple.com/mac/compare and each chip's press release). Where a chip
# ships with two memory-bus widths, the bin with more GPU cores has the wider bus.
BANDWIDTH_GBS: dict[str, list[tuple[int, float]]] = {
    "M1": [(0, 68.25)],
    "M1 Pro": [(0, 204.8)],
    "M1 Max": [(0, 409.6)],
    "M1 Ultra": [(0, 819.2)],
    "M2": [(0, 102.4)],
    "M2 Pro": [(0, 204.8)],
    "M2 Max": [(0, 409.6)],
    "M2 Ultra": [(0, 819.2)],
    "M3": [(0, 102.4)],
    "M3 Pro": [(0, 153.6)],
    "M3 Max": [(0, 307.2), (40, 409.6)],
    "M3 Ultra": [(0, 819.2)],
    "M4": [(0, 120.0)],
    "M4 Pro": [(0, 273.0)],
    "M4 Max": [(0, 410.0), (40, 546.0)],
    "M5": [(0, 153.6)],
    # Apple newsroom (2026-03): M5 Pro 307 GB/s. The M5 Max's 614 GB/s is its 40-core part's;
    # the bandwidth of a cut-down bin is not published, so a probe measures it (--measure).
    "M5 Pro": [(0, 307.0)],
}


def chip_bandwidth_bytes_per_s(chip: str | None, gpu_cores: int | None) -> float | None:
    """Spec bandwidth for an ``Apple M3 Max``-style brand string, or None when unknown."""
    if not chip:
        return None
    key = chip.removeprefix("Apple ").strip()
    bins = BANDWIDTH_GBS.get(key)
    if not bins:
        return None
    gbs = bins[0][1]
    for min_cores, value in bins:
        if gpu_cores is not None and gpu_cores >= min_cores:
            gbs = value
    return gbs * 1e9


def default_wired_limit_bytes(total_bytes: int) -> int:
    """The share of unified memory macOS lets the GPU wire when iogpu.wired_limit_mb is 0.

    Metal's recommendedMaxWorkingSetSize, as llama.cpp's Metal backend logs it: about 2/3 of
    RAM up to 36 GiB, 3/4 above (e.g. 10.7 GiB of 16, 48 GiB of 64, 96 GiB of 128).
    """
    share = 2 / 3 if total_bytes <= 36 * GIB else 3 / 4
    return int(total_bytes * share)


def available(ctx: ProbeContext) -> tuple[bool, str]:
    if ctx.system != "Darwin" or ctx.machine != "arm64":
        return False, "not an Apple silicon Mac"
    return True, ""


def parse_gpu_cores(ioreg_text: str) -> int | None:
    """``"gpu-core-count" = 40`` from ``ioreg -rc AGXAccelerator -d1``."""
    m = re.search(r'"gpu-core-count"\s*=\s*(\d+)', ioreg_text)
    return int(m.group(1)) if m else None


def collect(ctx: ProbeContext, measure: bool, out: Collected) -> None:
    values = read_sysctl(ctx)
    chip = values.get("machdep.cpu.brand_string")
    total = int(values.get("hw.memsize", "0")) or None
    try:
        cores = parse_gpu_cores(ctx.run(("ioreg", "-rc", "AGXAccelerator", "-d1")))
    except CommandFailed as exc:
        cores = None
        out.warnings.append(f"apple: GPU core count unknown ({exc})")
    wired_mb = int(values.get("iogpu.wired_limit_mb", "0") or 0)
    usable = None
    if total:
        usable = wired_mb * 1024 * 1024 if wired_mb > 0 else default_wired_limit_bytes(total)
    bandwidth = chip_bandwidth_bytes_per_s(chip, cores)
    if chip and bandwidth is None:
        out.warnings.append(f"apple: no spec bandwidth known for {chip}; run probe --measure")
    out.gpus.append(
        GpuInfo(
            index=0,
            vendor="apple",
            name=chip,
            source="sysctl",
            total_bytes=total,
            usable_bytes=usable,
            unified_memory=True,
            spec_bandwidth_bytes_per_s=bandwidth,
            multiprocessor_count=cores,
        )
    )
