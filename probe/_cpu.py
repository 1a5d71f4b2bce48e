"""CPU backend: /proc/cpuinfo and sysfs on Linux, ``sysctl`` on macOS, py-cpuinfo elsewhere.

Only the ISA extensions llama.cpp dispatches on are reported (ggml-cpu's feature list,
llama.cpp b6000-era ``ggml_cpu_has_*``), by llama.cpp's names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from probe._catalog_parts import APPLE_P_GHZ
from probe._context import Collected, CommandFailed, ProbeContext, parse_cpu_list, parse_size
from probe._records import CpuInfo

# llama.cpp name -> Linux /proc/cpuinfo flag (x86: arch/x86/include/asm/cpufeatures.h names).
X86_FLAGS: dict[str, str] = {
    "SSE3": "pni",
    "SSSE3": "ssse3",
    "AVX": "avx",
    "AVX2": "avx2",
    "FMA": "fma",
    "F16C": "f16c",
    "AVX_VNNI": "avx_vnni",
    "AVX512_F": "avx512f",
    "AVX512_BW": "avx512bw",
    "AVX512_VL": "avx512vl",
    "AVX512_VNNI": "avx512_vnni",
    "AVX512_BF16": "avx512_bf16",
    "AMX_TILE": "amx_tile",
    "AMX_INT8": "amx_int8",
    "AMX_BF16": "amx_bf16",
}
# arm64 hwcaps as /proc/cpuinfo "Features" spells them.
ARM_FLAGS: dict[str, str] = {
    "NEON": "asimd",
    "SVE": "sve",
    "DOTPROD": "asimddp",
    "I8MM": "i8mm",
}
# macOS sysctl keys (Apple silicon: hw.optional.arm.*; Intel Macs: machdep.cpu.*features words).
MAC_ARM_KEYS: dict[str, tuple[str, ...]] = {
    "NEON": ("hw.optional.AdvSIMD", "hw.optional.neon"),
    "SVE": ("hw.optional.arm.FEAT_SVE",),
    "DOTPROD": ("hw.optional.arm.FEAT_DotProd",),
    "I8MM": ("hw.optional.arm.FEAT_I8MM",),
}
MAC_X86_WORDS: dict[str, str] = {
    "SSE3": "SSE3",
    "SSSE3": "SSSE3",
    "AVX": "AVX1.0",
    "AVX2": "AVX2",
    "FMA": "FMA",
    "F16C": "F16C",
    "AVX512_F": "AVX512F",
    "AVX512_BW": "AVX512BW",
    "AVX512_VL": "AVX512VL",
    "AVX512_VNNI": "AVX512VNNI",
}
# Arm "CPU implementer" / "CPU part" -> name, for arm64 /proc/cpuinfo which has no model name
# (the same table lscpu keeps in util-linux sys-utils/lscpu-arm.c).
ARM_IMPLEMENTERS = {
    0x41: "ARM",
    0x61: "Apple",
    0xC0: "Ampere",
    0x51: "Qualcomm",
    0x48: "HiSilicon",
    0x6D: "Microsoft",
}
ARM_PARTS = {
    (0x41, 0xD0C): "Neoverse-N1",
    (0x41, 0xD40): "Neoverse-V1",
    (0x41, 0xD49): "Neoverse-N2",
    (0x41, 0xD4F): "Neoverse-V2",
    (0x41, 0xD83): "Neoverse-V3AE",
    (0x41, 0xD84): "Neoverse-V3",
    (0x41, 0xD8E): "Neoverse-N3",
    (0x41, 0xD0B): "Cortex-A76",
    (0x41, 0xD41): "Cortex-A78",
    (0x41, 0xD44): "Cortex-X1",
    (0x41, 0xD47): "Cortex-A710",
    (0x41, 0xD48): "Cortex-X2",
    (0x41, 0xD03): "Cortex-A53",
    (0x41, 0xD05): "Cortex-A55",
    (0x41, 0xD08): "Cortex-A72",
    (0xC0, 0xAC3): "AmpereOne",
    (0x6D, 0xD49): "Neoverse-N2",  # Azure Cobalt 100
    (0x48, 0xD01): "Kunpeng-920",
}
X86_VENDORS = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "HygonGenuine": "Hygon"}

name = "cpu"


def available(ctx: ProbeContext) -> tuple[bool, str]:
    return True, ""


def collect(ctx: ProbeContext, measure: bool, out: Collected) -> None:
    if ctx.system == "Linux" and ctx.path("/proc/cpuinfo").exists():
        out.fields["cpu"] = parse_linux(ctx)
    elif ctx.system == "Darwin":
        out.fields["cpu"] = parse_sysctl(read_sysctl(ctx), ctx.machine)
    else:
        out.fields["cpu"] = from_py_cpuinfo(ctx)


def _cpuinfo_blocks(text: str) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, sep, value = line.partition(":")
        if sep:
            current[key.strip()] = value.strip()
    if current:
        blocks.append(current)
    return blocks


def _flag_map(table: dict[str, str], present: Iterable[str]) -> dict[str, bool]:
    have = set(present)
    return {llama_name: token in have for llama_name, token in table.items()}


def parse_linux(ctx: ProbeContext) -> CpuInfo:
    """Parse /proc/cpuinfo plus /sys/devices/system/cpu and /sys/devices/system/node."""
    blocks = [b for b in _cpuinfo_blocks(ctx.read("/proc/cpuinfo") or "") if "processor" in b]
    first = blocks[0] if blocks else {}
    arm = ctx.machine in ("aarch64", "arm64") or "CPU implementer" in first
    online = parse_cpu_list(ctx.read("/sys/devices/system/cpu/online")) or [
        int(b["processor"]) for b in blocks if b["processor"].isdigit()
    ]
    if arm:
        vendor, model = _arm_name(first)
        flags = _flag_map(ARM_FLAGS, first.get("Features", "").split())
    else:
        vendor = X86_VENDORS.get(first.get("vendor_id", ""), first.get("vendor_id"))
        model = first.get("model name")
        flags = _flag_map(X86_FLAGS, first.get("flags", "").split())

    core_of = _core_ids(ctx, online, blocks)
    physical = len(set(core_of.values())) or None
    perf, eff = _hybrid_split(ctx, online, core_of)
    base, top = _clocks(ctx, online, model)
    l1d, l2, l3 = _caches(ctx, online)
    numa = len(ctx.glob("/sys/devices/system/node/node[0-9]*")) or None
    return CpuInfo(
        vendor=vendor,
        model=model,
        arch="aarch64" if arm else ctx.machine,
        physical_cores=physical,
        logical_cores=len(online) or len(blocks) or None,
        performance_cores=perf,
        efficiency_cores=eff,
        base_clock_mhz=base,
        max_clock_mhz=top,
        l1d_cache_bytes=l1d,
        l2_cache_bytes=l2,
        l3_cache_bytes=l3,
        numa_nodes=numa,
        isa_flags=flags,
        source="procfs",
    )


def _arm_name(block: dict[str, str]) -> tuple[str | None, str | None]:
    if "model name" in block:  # some 32-bit and vendor kernels
        return None, block["model name"]
    try:
        impl = int(block.get("CPU implementer", ""), 0)
        part = int(block.get("CPU part", ""), 0)
    except ValueError:
        return None, None
    vendor = ARM_IMPLEMENTERS.get(impl, f"implementer {impl:#x}")
    return vendor, ARM_PARTS.get((impl, part), f"part {part:#x}")


def _core_ids(
    ctx: ProbeContext, online: list[int], blocks: list[dict[str, str]]
) -> dict[int, tuple[str, str]]:
    """Map each online CPU to its (package, core) pair: sysfs topology, else cpuinfo fields."""
    core_of: dict[int, tuple[str, str]] = {}
    for cpu in online:
        base = f"/sys/devices/system/cpu/cpu{cpu}/topology"
        pkg = ctx.read(f"{base}/physical_package_id")
        core = ctx.read(f"{base}/core_id")
        if pkg is not None and core is not None:
            # cluster_id distinguishes cores that repeat core_id across clusters on arm64.
            cluster = ctx.read(f"{base}/cluster_id") or ""
            core_of[cpu] = (pkg, f"{cluster}/{core}")
    if core_of:
        return core_of
    for b in blocks:
        if "physical id" in b and "core id" in b:
            core_of[int(b["processor"])] = (b["physical id"], b["core id"])
    if core_of:
        return core_of
    return {cpu: ("0", str(cpu)) for cpu in online}


def _hybrid_split(
    ctx: ProbeContext, online: list[int], core_of: dict[int, tuple[str, str]]
) -> tuple[int | None, int | None]:
    """Count P and E physical cores: Intel hybrid PMU lists, else arm64 cpu_capacity."""
    p_cpus = parse_cpu_list(ctx.read("/sys/devices/cpu_core/cpus"))
    e_cpus = parse_cpu_list(ctx.read("/sys/devices/cpu_atom/cpus"))
    if not (p_cpus and e_cpus):
        caps = {c: ctx.read_int(f"/sys/devices/system/cpu/cpu{c}/cpu_capacity") for c in online}
        known = {c: v for c, v in caps.items() if v is not None}
        if len(set(known.values())) < 2:
            return None, None
        top = max(known.values())
        p_cpus = [c for c, v in known.items() if v == top]
        e_cpus = [c for c, v in known.items() if v != top]
    p = len({core_of[c] for c in p_cpus if c in core_of})
    e = len({core_of[c] for c in e_cpus if c in core_of})
    return p, e


def _clocks(
    ctx: ProbeContext, online: list[int], model: str | None
) -> tuple[float | None, float | None]:
    tops = [
        ctx.read_int(f"/sys/devices/system/cpu/cpu{c}/cpufreq/cpuinfo_max_freq") for c in online
    ]
    top_khz = max((t for t in tops if t), default=None)
    base_khz = (
        ctx.read_int(f"/sys/devices/system/cpu/cpu{online[0]}/cpufreq/base_frequency")
        if (online)
        else None
    )
    base = base_khz / 1000 if base_khz else None
    if base is None and model:  # "Intel(R) Xeon(R) Platinum 8480+ @ 2.00GHz"
        m = re.search(r"@\s*([\d.]+)\s*GHz", model)
        if m:
            base = float(m.group(1)) * 1000
    return base, (top_khz / 1000 if top_khz else None)


def _caches(ctx: ProbeContext, online: list[int]) -> tuple[int | None, int | None, int | None]:
    """Total bytes of L1d, L2 and L3 across the machine, counting each shared instance once."""
    seen: set[tuple[str, str, str]] = set()
    totals: dict[str, int] = {}
    for cpu in online:
        for idx in ctx.glob(f"/sys/devices/system/cpu/cpu{cpu}/cache/index[0-9]*"):
            rel = "/" + str(idx.relative_to(ctx.root))
            level = ctx.read(f"{rel}/level")
            kind = ctx.read(f"{rel}/type")
            size = parse_size(ctx.read(f"{rel}/size") or "")
            shared = ctx.read(f"{rel}/shared_cpu_list") or str(cpu)
            if level is None or kind is None or size is None or kind == "Instruction":
                continue
            key = (level, kind, shared)
            if key in seen:
                continue
            seen.add(key)
            label = "L1d" if level == "1" else f"L{level}"
            totals[label] = totals.get(label, 0) + size
    return totals.get("L1d"), totals.get("L2"), totals.get("L3")


def read_sysctl(ctx: ProbeContext) -> dict[str, str]:
    """All of ``sysctl hw machdep iogpu`` as a dict (missing ``iogpu`` on Intel Macs is fine)."""
    text = ""
    for tree in ("hw", "machdep", "iogpu"):
        try:
            text += ctx.run(("sysctl", tree)) + "\n"
        except CommandFailed:
            continue
    return parse_sysctl_text(text)


def parse_sysctl_text(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key and " " not in key.strip():
            values[key.strip()] = value.strip()
    return values


def _int(values: dict[str, str], key: str) -> int | None:
    try:
        return int(values[key])
    except (KeyError, ValueError):
        return None


def parse_sysctl(values: dict[str, str], machine: str) -> CpuInfo:
    """Build CpuInfo from macOS ``sysctl`` values (Apple silicon or Intel Mac)."""
    brand = values.get("machdep.cpu.brand_string")
    apple = machine == "arm64" or (brand or "").startswith("Apple")
    if apple:
        flags = {n: any(values.get(k) == "1" for k in keys) for n, keys in MAC_ARM_KEYS.items()}
        vendor = "Apple"
    else:
        words = set(
            (
                values.get("machdep.cpu.features", "")
                + " "
                + values.get("machdep.cpu.leaf7_features", "")
            ).split()
        )
        flags = {n: w in words for n, w in MAC_X86_WORDS.items()}
        vendor = "Intel"
    top_hz = _int(values, "hw.cpufrequency_max")
    base_hz = _int(values, "hw.cpufrequency")
    l2 = _int(values, "hw.perflevel0.l2cachesize") or _int(values, "hw.l2cachesize")
    return CpuInfo(
        vendor=vendor,
        model=brand,
        arch="arm64" if apple else "x86_64",
        physical_cores=_int(values, "hw.physicalcpu"),
        logical_cores=_int(values, "hw.logicalcpu"),
        performance_cores=_int(values, "hw.perflevel0.physicalcpu") if apple else None,
        efficiency_cores=_int(values, "hw.perflevel1.physicalcpu") if apple else None,
        base_clock_mhz=base_hz / 1e6 if base_hz else None,
        # Apple silicon publishes no hw.cpufrequency_max: its P-cores' clock from the catalog
        max_clock_mhz=top_hz / 1e6 if top_hz else (APPLE_P_GHZ.get(brand or "", 0) * 1000 or None),
        l1d_cache_bytes=_int(values, "hw.perflevel0.l1dcachesize")
        or _int(values, "hw.l1dcachesize"),
        l2_cache_bytes=l2,
        l3_cache_bytes=_int(values, "hw.l3cachesize"),
        numa_nodes=1,
        isa_flags=flags,
        source="sysctl",
    )


def from_py_cpuinfo(ctx: ProbeContext) -> CpuInfo:
    """Fallback for platforms without procfs or sysctl (Windows, BSD): py-cpuinfo."""
    import cpuinfo
    import psutil

    info = cpuinfo.get_cpu_info()
    tokens = {str(f).lower() for f in info.get("flags", [])}
    arm = ctx.machine.lower() in ("aarch64", "arm64")
    table = ARM_FLAGS if arm else {**X86_FLAGS, "SSE3": "sse3"}
    adv = info.get("hz_advertised") or [None]  # hz_actual is the current or TSC rate: no max
    return CpuInfo(
        vendor=X86_VENDORS.get(info.get("vendor_id_raw", ""), info.get("vendor_id_raw")),
        model=info.get("brand_raw"),
        arch=ctx.machine,
        physical_cores=psutil.cpu_count(logical=False),
        logical_cores=psutil.cpu_count(logical=True),
        performance_cores=None,
        efficiency_cores=None,
        base_clock_mhz=adv[0] / 1e6 if adv[0] else None,
        max_clock_mhz=None,
        l1d_cache_bytes=info.get("l1_data_cache_size"),
        l2_cache_bytes=info.get("l2_cache_size"),
        l3_cache_bytes=info.get("l3_cache_size"),
        numa_nodes=None,
        isa_flags=_flag_map(table, tokens),
        source="py-cpuinfo",
    )
