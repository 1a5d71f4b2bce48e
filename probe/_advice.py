"""Advice lines computed from a HostProfile: the checks local-LLM guides tell people to make,
and which llama.cpp backends this host can use."""

from __future__ import annotations

import ctypes.util

from probe._context import ProbeContext
from probe._records import CpuInfo, DiskInfo, GpuInfo, MemoryInfo

GIB = 1024**3


def usable_backends(ctx: ProbeContext, gpus: tuple[GpuInfo, ...]) -> tuple[str, ...]:
    """llama.cpp backends this host can run: always cpu, plus what its GPUs and libraries allow."""
    found = ["cpu"]
    vendors = {g.vendor for g in gpus}
    if "nvidia" in vendors:
        found.append("cuda")
    if "amd" in vendors:
        found.append("rocm")
    if "apple" in vendors:
        found.append("metal")
    if ctx.is_live and (vendors - {"apple"}) and ctypes.util.find_library("vulkan"):
        found.append("vulkan")
    return tuple(found)


def advise(
    cpu: CpuInfo | None,
    memory: MemoryInfo | None,
    gpus: tuple[GpuInfo, ...],
    disks: tuple[DiskInfo, ...],
) -> tuple[str, ...]:
    lines: list[str] = []
    discrete = [g for g in gpus if not g.unified_memory and g.total_bytes]
    vram = sum(g.total_bytes or 0 for g in discrete)
    ram = memory.total_bytes if memory else None
    if discrete and ram:
        ratio = ram / vram
        verdict = "meets" if ratio >= 2 else "misses"
        lines.append(
            f"RAM {ram / GIB:.0f} GiB is {ratio:.1f}x VRAM {vram / GIB:.0f} GiB: {verdict} the "
            "'RAM >= 2x VRAM' rule (room to load and to offload layers to the CPU)"
        )
    unified = [g for g in gpus if g.unified_memory and g.usable_bytes]
    for g in unified:
        lines.append(
            f"{g.name}: unified memory, the GPU can use {g.usable_bytes / GIB:.0f} GiB "  # type: ignore[operator]
            "(plan models against this, not the RAM total)"
        )
    cpu_only_x86 = cpu is not None and not gpus and cpu.arch in ("x86_64", "AMD64")
    if cpu_only_x86 and cpu is not None and not cpu.isa_flags.get("AVX2"):
        lines.append(
            "CPU-only inference without AVX2: llama.cpp falls back to slow SSE/AVX paths; "
            "expect several times fewer tokens/s than on an AVX2 CPU"
        )
    for d in disks:
        if d.holds_hf_cache and d.rotational:
            lines.append(
                f"The Hugging Face cache is on a spinning disk ({d.device}): model loads will "
                "take minutes; move HF_HUB_CACHE to an SSD"
            )
    return tuple(lines)
