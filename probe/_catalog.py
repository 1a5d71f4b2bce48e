"""Built-in hardware catalog: HostProfiles of machines you may not own, for `--hardware NAME`.

The machines are built from parts (_catalog_parts) and GPUs by vendor (_catalog_nvidia,
_catalog_amd); Apple silicon and CPU-only machines have their own modules. Figures are vendor
specifications, with their sources beside each entry.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace

from probe._catalog_amd import AMD_INTEL_BOXES, MI300X, RADEON_780M, RADEON_8050S, RX_7900XTX
from probe._catalog_apple import APPLE_HOSTS
from probe._catalog_cpus import CPU_HOSTS
from probe._catalog_nvidia import (
    A100,
    H100,
    JETSON_AGX_THOR,
    JETSON_ORIN_NANO_SUPER,
    L40S,
    NVIDIA_BOXES,
    RTX_3060,
    RTX_3070,
    RTX_3080,
    RTX_3080TI,
    RTX_3090,
    RTX_4060TI,
    RTX_4070TI,
    RTX_4080,
    RTX_4090,
    RTX_5090,
)
from probe._catalog_parts import (
    AMD,
    APPLE_ALU_FLOP_CLK,
    APPLE_TENSOR_FLOP_CLK,
    EPYC_9654,
    GIB,
    I9_13900K,
    NV,
    RYZEN_7950X,
    XEON_8480,
    Cpu,
    Entry,
    Gpu,
    T,
    gpu_box,
)
from probe._records import CpuInfo, GpuInfo, HostProfile, MemoryInfo, OsInfo
from probe.errors import UserError

CATALOG: tuple[Entry, ...] = (
    Entry(
        "rtx3060-12gb",
        "Ryzen 9 7950X + RTX 3060 12GB, 64 GB DDR5-6000",
        RYZEN_7950X,
        64,
        96,
        (RTX_3060,),
        (NV, "AMD Ryzen 9 7950X spec page; DDR5-6000 dual channel = 96 GB/s"),
    ),
    Entry(
        "rtx3070",
        "Ryzen 9 7950X + RTX 3070 8GB, 64 GB DDR5",
        RYZEN_7950X,
        64,
        96,
        (RTX_3070,),
        (NV,),
    ),
    Entry(
        "rtx3080-10gb",
        "Ryzen 9 7950X + RTX 3080 10GB, 64 GB DDR5",
        RYZEN_7950X,
        64,
        96,
        (RTX_3080,),
        (NV,),
    ),
    Entry(
        "rtx3080ti",
        "Ryzen 9 7950X + RTX 3080 Ti, 64 GB DDR5",
        RYZEN_7950X,
        64,
        96,
        (RTX_3080TI,),
        (NV,),
    ),
    Entry(
        "rtx4070ti",
        "Ryzen 9 7950X + RTX 4070 Ti 12GB, 64 GB DDR5",
        RYZEN_7950X,
        64,
        96,
        (RTX_4070TI,),
        (NV,),
    ),
    Entry(
        "rtx4080",
        "Ryzen 9 7950X + RTX 4080 16GB, 64 GB DDR5",
        RYZEN_7950X,
        64,
        96,
        (RTX_4080,),
        (NV,),
    ),
    Entry(
        "rtx3090", "Ryzen 9 7950X + RTX 3090, 64 GB DDR5", RYZEN_7950X, 64, 96, (RTX_3090,), (NV,)
    ),
    Entry(
        "2x-rtx3090",
        "Ryzen 9 7950X + 2x RTX 3090, 128 GB DDR5",
        RYZEN_7950X,
        128,
        96,
        (RTX_3090, RTX_3090),
        (NV,),
    ),
    Entry(
        "rtx4060ti-16gb",
        "Core i9-13900K + RTX 4060 Ti 16GB, 32 GB DDR5-5600",
        I9_13900K,
        32,
        89.6,
        (RTX_4060TI,),
        (NV,),
    ),
    Entry(
        "rtx4090",
        "Ryzen 9 7950X + RTX 4090, 64 GB DDR5-6000",
        RYZEN_7950X,
        64,
        96,
        (RTX_4090,),
        (NV, "NVIDIA Ada Lovelace whitepaper: 165.2 TFLOPS FP16 (FP32 acc)"),
    ),
    Entry(
        "rtx5090",
        "Ryzen 9 7950X + RTX 5090, 96 GB DDR5-6000",
        RYZEN_7950X,
        96,
        96,
        (RTX_5090,),
        (NV, "NVIDIA RTX Blackwell whitepaper"),
    ),
    Entry("l40s", "Xeon 8480+ + L40S 48GB, 512 GB DDR5", XEON_8480, 512, 307, (L40S,), (NV,)),
    Entry(
        "a100-80gb",
        "EPYC 9654 + A100 80GB SXM4, 1 TB DDR5",
        EPYC_9654,
        1024,
        460.8,
        (A100,),
        (NV, "NVIDIA A100 datasheet: 2039 GB/s, 312 TFLOPS FP16 dense"),
    ),
    Entry(
        "h100",
        "Xeon 8480+ + H100 80GB SXM5, 1 TB DDR5-4800",
        XEON_8480,
        1024,
        307,
        (H100,),
        (NV, "NVIDIA H100 datasheet: 3.35 TB/s, 989.4 TFLOPS FP16 dense"),
    ),
    Entry(
        "3x-h100",
        "Xeon 8480+ + 3x H100 80GB SXM5, 2 TB DDR5",
        XEON_8480,
        2048,
        307,
        (H100, H100, H100),
        (NV,),
    ),
    Entry(
        "8x-h100",
        "DGX H100: 2x Xeon 8480C + 8x H100 80GB, 2 TB",
        XEON_8480,
        2048,
        614,
        (H100,) * 8,
        (NV, "NVIDIA DGX H100 datasheet"),
    ),
    Entry(
        "rx7900xtx",
        "Ryzen 9 7950X + Radeon RX 7900 XTX, 64 GB DDR5",
        RYZEN_7950X,
        64,
        96,
        (RX_7900XTX,),
        (AMD, "RDNA3: 96 CU x 512 FP16 FLOP/clk x 2.5 GHz = 122.8 TFLOPS"),
    ),
    Entry(
        "mi300x",
        "EPYC 9654 + Instinct MI300X 192GB, 1.5 TB DDR5",
        EPYC_9654,
        1536,
        460.8,
        (MI300X,),
        (AMD, "AMD Instinct MI300X datasheet: 5.3 TB/s, 1307.4 TFLOPS FP16"),
    ),
    Entry(
        "dgx-spark",
        "NVIDIA DGX Spark (GB10), 128 GB LPDDR5X unified",
        Cpu(
            "NVIDIA GB10 (10x Cortex-X925 + 10x Cortex-A725)", 20, 20, 3.9, 32, "aarch64", "NVIDIA"
        ),
        128,
        273,
        (Gpu("NVIDIA GB10", "nvidia", 128, 273, 62.5, unified=True, usable_gib=119),),
        (
            "NVIDIA DGX Spark datasheet: 128 GB LPDDR5X at 273 GB/s, 1 PFLOP FP4 sparse "
            "= 125 TFLOPS FP16 dense with FP16 accumulate (halving per precision and for "
            "sparsity); this catalog's convention is FP32 accumulate, which GB10 (a GeForce-"
            "class Blackwell, as the RTX 50 whitepaper tables) runs at half rate: 62.5",
        ),
    ),
    Entry(
        "ryzen-ai-max-395-128gb",
        "AMD Ryzen AI Max+ 395 (Strix Halo), 128 GB LPDDR5X-8000",
        Cpu("AMD Ryzen AI Max+ 395", 16, 32, 5.1, 64),
        128,
        256,
        (
            Gpu(
                "AMD Radeon 8060S (gfx1151, 40 CU)",
                "amd",
                128,
                256,
                59.4,
                unified=True,
                usable_gib=120,
            ),
        ),
        (
            "AMD Ryzen AI Max+ 395 spec page: 256-bit LPDDR5X-8000 = 256 GB/s; RDNA3.5 40 CU x "
            "512 FP16 FLOP/clk x 2.9 GHz = 59.4 TFLOPS; usable: GTT raised to 120 GiB",
        ),
    ),
    Entry(
        "ryzen-ai-max-385-32gb",
        "AMD Ryzen AI Max 385 (Strix Halo), 32 GB LPDDR5X-8000",
        Cpu("AMD Ryzen AI Max 385", 8, 16, 5.0, 64),
        32,
        256,
        (RADEON_8050S,),
        (
            "AMD Ryzen AI Max 385 spec page: 8 Zen 5 cores / 16 threads, up to 5.0 GHz boost; "
            "Radeon 8050S, 32 CU at 2.8 GHz: RDNA3.5 32 x 512 FP16 FLOP/clk x 2.8 = 45.88 "
            "TFLOPS; 256-bit LPDDR5X-8000 = 8000 MT/s x 32 B = 256 GB/s; 32 GB (Framework "
            "Desktop's 385 configuration); usable: GTT raised to 24 GiB (8 GiB to the OS, as "
            "the 395 entry leaves)",
        ),
    ),
    Entry(
        "radeon-780m",
        "Ryzen 7 8700G + Radeon 780M (12 CU), 64 GB DDR5-5200",
        Cpu("AMD Ryzen 7 8700G", 8, 16, 5.1, 64),
        64,
        83.2,
        (RADEON_780M,),
        (
            "AMD Ryzen 7 8700G spec page: 8 Zen 4 cores / 16 threads, 5.1 GHz max boost "
            "(AVX-512, entered at 64 FLOP/cycle as the Zen 4 7950X), Radeon 780M 12 CU at "
            "2.9 GHz: RDNA3 12 x 512 FP16 FLOP/clk x 2.9 = 17.82 TFLOPS; memory up to "
            "DDR5-5200 dual channel = 5200 MT/s x 2 x 8 B = 83.2 GB/s; 64 GB, a quarter kept by "
            "the OS (usable 48 GiB, as the radeon-890m's 32 GB keeps 8)",
        ),
    ),
    Entry(
        "jetson-orin-nano-super-8gb",
        "NVIDIA Jetson Orin Nano Super Developer Kit, 8 GB LPDDR5 unified",
        Cpu("NVIDIA Orin Nano (6x Cortex-A78AE)", 6, 6, 1.7, 16, "aarch64", "NVIDIA"),
        8,
        102.4,
        (JETSON_ORIN_NANO_SUPER,),
        (
            "NVIDIA Jetson Orin Nano Super Developer Kit datasheet (JetPack 6.2, MAXN SUPER): "
            "1024-core Ampere GPU with 32 tensor cores (8 SM) at 1.02 GHz, 67 sparse INT8 TOPS "
            "= 8 x 4096 x 1.02 x 2; FP16 dense 8 x 2048 x 1.02 = 16.71 TFLOPS, mmq 8 x 512 x "
            "1.02 = 4.18; 8 GB 128-bit LPDDR5 at 6400 MT/s x 16 B = 102.4 GB/s (NVIDIA: 102 "
            "GB/s); CPU 6x Cortex-A78AE at 1.7 GHz, 2 x 128-bit NEON FMA = 16 FLOP/cycle "
            "(ARMv8.2, dot product); usable 6.5 GiB: 7620 MB visible to Linux, ~0.9 GB kept by "
            "a headless L4T",
        ),
    ),
    Entry(
        "jetson-agx-thor",
        "NVIDIA Jetson AGX Thor Developer Kit (T5000), 128 GB LPDDR5X unified",
        Cpu("NVIDIA Thor (14x Neoverse-V3AE)", 14, 14, 2.6, 32, "aarch64", "NVIDIA"),
        128,
        273,
        (JETSON_AGX_THOR,),
        (
            "NVIDIA Jetson Thor technical brief (TB-12572-001): T5000 2560-core Blackwell GPU, "
            "10 TPCs = 20 SM (CUDA reports 20), 1.57 GHz max; 2070 TFLOPS FP4 sparse, 258 "
            "FP16 dense (= 20 SM x 8192 x 1.57 = 257); mmq 20 x 512 x 1.57 = 16.08; 128 GB "
            "256-bit LPDDR5X, 273 GB/s (8533 MT/s x 32 B); 14-core Neoverse-V3AE at 2.6 GHz, "
            "4 x 128-bit SVE2/NEON FMA = 32 FLOP/cycle; usable 119 GiB as the DGX Spark's",
        ),
    ),
    *APPLE_HOSTS,
    *CPU_HOSTS,
    *(gpu_box(name, gpu, *src) for name, gpu, *src in (*NVIDIA_BOXES, *AMD_INTEL_BOXES)),
)

_X86_FLAGS = ("SSE3", "SSSE3", "AVX", "AVX2", "FMA", "F16C")


def _profile(e: Entry) -> HostProfile:
    c = e.cpu
    if c.arch == "x86_64":
        flags = {f: True for f in _X86_FLAGS}
        if c.flop_per_cycle >= 64:
            flags.update(
                {"AVX512_F": True, "AVX512_BW": True, "AVX512_VL": True, "AVX512_VNNI": True}
            )
    else:
        flags = {"NEON": True, "DOTPROD": c.dotprod}
    gpus = tuple(
        GpuInfo(
            index=i,
            vendor=g.vendor,
            name=g.name,
            source="catalog",
            total_bytes=int(g.mem_gib * GIB),
            usable_bytes=int((g.usable_gib or g.mem_gib) * GIB),
            unified_memory=g.unified,
            spec_bandwidth_bytes_per_s=g.bw_gbs * 1e9,
            spec_fp16_flops=g.fp16_tflops * T,
            spec_mmq_flops=g.mmq_tflops * T if g.mmq_tflops else None,
        )
        for i, g in enumerate(e.gpus)
    )
    backends = [
        "cpu",
        *sorted(
            {
                {"nvidia": "cuda", "amd": "rocm", "apple": "metal", "intel": "vulkan"}[g.vendor]
                for g in e.gpus
            }
        ),
    ]
    return HostProfile(
        cpu=CpuInfo(
            vendor=c.vendor,
            model=c.model,
            arch=c.arch,
            physical_cores=c.cores,
            logical_cores=c.threads,
            performance_cores=None,
            efficiency_cores=None,
            base_clock_mhz=None,
            max_clock_mhz=c.ghz * 1000,
            l1d_cache_bytes=None,
            l2_cache_bytes=None,
            l3_cache_bytes=None,
            numa_nodes=None,
            isa_flags=flags,
            source="catalog",
            spec_fp32_flops=c.cores * c.ghz * 1e9 * c.flop_per_cycle,
        ),
        memory=MemoryInfo(
            int(e.ram_gib * GIB),
            int(e.ram_gib * GIB * 0.9),
            0,
            0,
            spec_bandwidth_bytes_per_s=e.ram_bw_gbs * 1e9,
            measured_read_bytes_per_s=e.ram_read_gbs * 1e9 if e.ram_read_gbs else None,
            measure_method="published (catalog sources)" if e.ram_read_gbs else None,
        ),
        gpus=gpus,
        disks=(),
        os=OsInfo("Darwin" if c.vendor == "Apple" else "Linux", "catalog", c.arch, ""),
        backends=tuple(backends),
        hf_cache_dir=None,
        hostname=e.name,
        advice=(),
        warnings=(),
        source=f"catalog:{e.name}",
    )


def _gpu_key(name: str) -> str:
    """A GPU name as probes and the catalog both write it, without vendor words, memory size or
    edition ("NVIDIA H100 80GB HBM3" and "NVIDIA H100 80GB HBM3 (SXM5)" are one key; a
    "Laptop GPU" keeps its words: another chip than the desktop card)."""
    n = re.sub(r"\(.*?\)", " ", name.lower()).replace("-", " ")
    # PCIe stays in the key: an H100 PCIe is another board (fewer SMs, lower clocks) than the
    # catalog's SXM5, whose NVML names say no form ("NVIDIA H100 80GB HBM3", "A100-SXM4-80GB").
    words = (
        r"nvidia|geforce|tesla|amd|radeon|intel|\d+\s*gb|hbm\d?e?|sxm\d?|graphics"
        r"|workstation edition|server edition"
    )
    n = re.sub(rf"\b(?:{words})\b", " ", n)
    return " ".join(n.split())


@functools.cache
def _gpus_by_key() -> dict[str, Gpu]:
    """Every catalog GPU under its name's key, the first one where several share it."""
    out: dict[str, Gpu] = {}
    for e in CATALOG:
        for g in e.gpus:
            if g.vendor != "apple":  # one chip name, several core bins: _apple_rate_per_core
                out.setdefault(_gpu_key(g.name), g)
    return out


# A catalog Apple GPU's name: its chip and its bin's GPU cores (_catalog_parts.apple)
_APPLE_BIN = re.compile(r"(.+) \((\d+)-core GPU\)")


def matrix_unit_gain(g: GpuInfo) -> float:
    """A GPU's FP16 figure (a catalog Apple chip's, its matrix units' rate) over the ALU rate
    its other ops run at: APPLE_TENSOR_FLOP_CLK over the ALUs' for an M5, else 1."""
    if (g.vendor or "").lower() != "apple" or not g.name:
        return 1.0
    m = _APPLE_BIN.fullmatch(g.name)  # a catalog name; a probe's is the chip alone
    chip = m.group(1) if m else g.name
    return APPLE_TENSOR_FLOP_CLK.get(chip, APPLE_ALU_FLOP_CLK) / APPLE_ALU_FLOP_CLK


MAX_APPLE_GPU_CORES = 256  # the most GPU cores a probed Apple chip may claim (M3 Ultra: 80)


@functools.cache
def _apple_rate_per_core() -> dict[str, float]:
    """Each Apple chip's GPU FP16 rate per GPU core (TFLOPS), from its catalog entries: one
    clock and one per-core rate per chip, whatever its bin (_catalog_parts.apple)."""
    out: dict[str, float] = {}
    for e in CATALOG:
        for g in e.gpus:
            m = _APPLE_BIN.fullmatch(g.name)
            if g.vendor == "apple" and m:
                out.setdefault(m.group(1), g.fp16_tflops / int(m.group(2)))
    return out


def with_figures(g: GpuInfo) -> GpuInfo:
    """A probed GPU with the catalog's FP16 and MMQ throughput, found by its name, when its
    profile has none (NVML and amdsmi report memory and clocks, not FLOPS; profiles written
    before schema 3 lack them). An Apple GPU, whose chip name covers several GPU-core counts,
    gets its chip's per-core rate times the cores the probe counted (ioreg)."""
    if g.spec_fp16_flops is not None or not g.name:
        return g
    if (g.vendor or "").lower() == "apple":
        per_core = _apple_rate_per_core().get(g.name)
        cores = g.multiprocessor_count
        if per_core is None or cores is None or not 0 < cores <= MAX_APPLE_GPU_CORES:
            return g  # a profile's count is untrusted: none, or not a GPU Apple makes
        return replace(g, spec_fp16_flops=per_core * cores * T)
    known = _gpus_by_key().get(_gpu_key(g.name))
    if known is None:
        return g
    mmq = known.mmq_tflops * T if known.mmq_tflops else None
    return replace(g, spec_fp16_flops=known.fp16_tflops * T, spec_mmq_flops=mmq)


def names() -> list[str]:
    return [e.name for e in CATALOG]


def entry(name: str) -> Entry:
    for e in CATALOG:
        if e.name == name.lower():
            return e
    close = [n for n in names() if name.lower().split("-")[0] in n]
    raise UserError(
        f"no hardware named {name!r} in the catalog",
        hint=f"try one of: {', '.join(close or names()[:8])} (bench hardware lists all)",
    )


# GPU vendors each llama.cpp backend runs on (ggml-cuda: NVIDIA; ggml-hip: AMD; ggml-metal:
# Apple; ggml-vulkan: any GPU with a Vulkan driver, Apple through MoltenVK only, so not listed).
BACKEND_VENDORS = {
    "cuda": ("nvidia",),
    "rocm": ("amd",),
    "metal": ("apple",),
    "vulkan": ("nvidia", "amd", "intel"),
    "cpu": ("nvidia", "amd", "apple", "intel"),
}


def host_profile(name: str) -> HostProfile:
    """A catalog machine; ``NAME:BACKEND`` (e.g. ``strix-halo-128gb:vulkan``) names the llama.cpp
    backend it runs, else its GPU vendor's own (CUDA, ROCm, Metal)."""
    base, _, backend = name.partition(":")
    profile = _profile(entry(base))
    if not backend:
        return profile
    backend = backend.lower()
    vendors = {g.vendor for g in profile.gpus}
    if backend not in BACKEND_VENDORS or not vendors <= set(BACKEND_VENDORS[backend]):
        usable = [b for b, v in BACKEND_VENDORS.items() if vendors <= set(v)]
        raise UserError(
            f"{base} cannot run llama.cpp's {backend!r} backend",
            hint=f"backends for its GPUs: {', '.join(usable)} (e.g. --hardware {base}:{usable[0]})",
        )
    return replace(profile, backends=("cpu", backend), source=f"catalog:{base}:{backend}")
