"""Built-in hardware catalog: HostProfiles of machines you may not own, for `--hardware NAME`.

Figures are vendor specifications (sources beside each entry): memory size, memory bandwidth,
and peak throughput — dense FP16 tensor/matrix math with FP32 accumulate for GPUs (no
sparsity), FP32 FMA throughput for CPUs (cores x clock x FLOP per cycle).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from probe._records import CpuInfo, GpuInfo, HostProfile, MemoryInfo, OsInfo
from probe.errors import UserError

GB = 1000**3
GIB = 1024**3
T = 1e12


@dataclass(frozen=True, slots=True)
class _Cpu:
    model: str
    cores: int
    threads: int
    ghz: float
    flop_per_cycle: int  # FP32 per core: AVX-512 2xFMA 64, AVX2 2xFMA 32, NEON 4x128 FMA 32
    arch: str = "x86_64"
    vendor: str = "AMD"


@dataclass(frozen=True, slots=True)
class _Gpu:
    name: str
    vendor: str
    mem_gib: float
    bw_gbs: float
    fp16_tflops: float
    unified: bool = False
    usable_gib: float | None = None  # unified: what the GPU may allocate


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    title: str
    cpu: _Cpu
    ram_gib: float
    ram_bw_gbs: float
    gpus: tuple[_Gpu, ...]
    sources: tuple[str, ...]


RYZEN_7950X = _Cpu("AMD Ryzen 9 7950X", 16, 32, 5.1, 64)
I9_13900K = _Cpu("Intel Core i9-13900K", 24, 32, 5.8, 32, vendor="Intel")
XEON_8480 = _Cpu("Intel Xeon Platinum 8480+", 56, 112, 3.8, 64, vendor="Intel")
EPYC_9654 = _Cpu("AMD EPYC 9654", 96, 192, 3.7, 64)

RTX_3060 = _Gpu("NVIDIA GeForce RTX 3060 12GB", "nvidia", 12, 360, 25.6)
RTX_3070 = _Gpu("NVIDIA GeForce RTX 3070", "nvidia", 8, 448, 40.6)
RTX_3080 = _Gpu("NVIDIA GeForce RTX 3080 10GB", "nvidia", 10, 760.3, 59.5)
RTX_3080TI = _Gpu("NVIDIA GeForce RTX 3080 Ti", "nvidia", 12, 912.4, 68.2)
RTX_4070TI = _Gpu("NVIDIA GeForce RTX 4070 Ti", "nvidia", 12, 504.2, 80.2)
RTX_4080 = _Gpu("NVIDIA GeForce RTX 4080", "nvidia", 16, 716.8, 97.5)
RTX_3090 = _Gpu("NVIDIA GeForce RTX 3090", "nvidia", 24, 936.2, 71.0)
RTX_4060TI = _Gpu("NVIDIA GeForce RTX 4060 Ti 16GB", "nvidia", 16, 288, 44.1)
RTX_4090 = _Gpu("NVIDIA GeForce RTX 4090", "nvidia", 24, 1008, 165.2)
RTX_5090 = _Gpu("NVIDIA GeForce RTX 5090", "nvidia", 32, 1792, 209.5)
H100 = _Gpu("NVIDIA H100 80GB HBM3 (SXM5)", "nvidia", 80, 3350, 989.4)
A100 = _Gpu("NVIDIA A100 80GB (SXM4)", "nvidia", 80, 2039, 312)
L40S = _Gpu("NVIDIA L40S", "nvidia", 48, 864, 362.1)
RX_7900XTX = _Gpu("AMD Radeon RX 7900 XTX", "amd", 24, 960, 122.8)
MI300X = _Gpu("AMD Instinct MI300X", "amd", 192, 5300, 1307.4)
# GeForce tensor cores run FP16 with FP32 accumulate at half rate: 512 FLOP/clk per SM from
# Turing to Blackwell (the whitepapers' 71.0 for the 3090 = 82 SM x 512 x 1.695 GHz, 53.8 for the
# 2080 Ti = 68 x 512 x 1.545); RTX PRO and data-centre parts run it at full rate.
RTX_2070 = _Gpu("NVIDIA GeForce RTX 2070", "nvidia", 8, 448, 29.9)
RTX_2080TI = _Gpu("NVIDIA GeForce RTX 2080 Ti", "nvidia", 11, 616, 53.8)
RTX_3090TI = _Gpu("NVIDIA GeForce RTX 3090 Ti", "nvidia", 24, 1008, 80.0)
RTX_5060TI = _Gpu("NVIDIA GeForce RTX 5060 Ti 16GB", "nvidia", 16, 448, 47.4)
RTX_5070TI = _Gpu("NVIDIA GeForce RTX 5070 Ti", "nvidia", 16, 896, 87.9)
RTX_5080 = _Gpu("NVIDIA GeForce RTX 5080", "nvidia", 16, 960, 112.6)
RTX_PRO_6000 = _Gpu("NVIDIA RTX PRO 6000 Blackwell", "nvidia", 96, 1792, 503.8)
V100_PCIE = _Gpu("NVIDIA Tesla V100 PCIe 32GB", "nvidia", 32, 900, 112)
# RDNA2 and GCN have no matrix units: their packed-FP16 vector rate (Polaris: the FP32 rate).
# RDNA3 WMMA runs FP16 at 512 FLOP/clk per CU, RDNA4 at 1024 (AMD's "matrix" figures: the
# RX 9070 XT's 779 INT8 TOPS with sparsity = 64 CU x 1024 x 2 x 2.97 GHz x 2).
RX_580 = _Gpu("AMD Radeon RX 580 8GB", "amd", 8, 256, 6.17)
RX_6800XT = _Gpu("AMD Radeon RX 6800 XT", "amd", 16, 512, 41.47)
RX_7900XT = _Gpu("AMD Radeon RX 7900 XT", "amd", 20, 800, 103.2)
W7900 = _Gpu("AMD Radeon PRO W7900", "amd", 48, 864, 122.6)
RX_9060XT = _Gpu("AMD Radeon RX 9060 XT 16GB", "amd", 16, 320, 102.6)
RX_9070 = _Gpu("AMD Radeon RX 9070", "amd", 16, 640, 144.5)
RX_9070XT = _Gpu("AMD Radeon RX 9070 XT", "amd", 16, 640, 194.6)
R9700 = _Gpu("AMD Radeon AI PRO R9700", "amd", 32, 640, 191.4)
MI50 = _Gpu("AMD Instinct MI50 32GB", "amd", 32, 1024, 26.5)
# Intel XMX: 2048 FP16 FLOP/clk per Xe core on Alchemist and Battlemage (Intel's Xe2 disclosure:
# 4096 INT8 ops/clk per Xe core; the Arc Pro B50's 170 INT8 TOPS = 16 Xe x 4096 x 2.6 GHz).
ARC_A770 = _Gpu("Intel Arc A770 16GB", "intel", 16, 560, 137.6)
ARC_B580 = _Gpu("Intel Arc B580", "intel", 12, 456, 116.7)
ARC_PRO_B50 = _Gpu("Intel Arc Pro B50", "intel", 16, 224, 85.2)

NV = "NVIDIA product pages and architecture whitepapers (Ampere GA102, Ada, Blackwell, Hopper)"
AMD = "AMD product pages (radeon/instinct specifications)"
INTEL = "Intel ARK / Arc product pages (Xe cores, graphics clock, memory bus)"
# With every layer offloaded the host does not enter a prediction.
HOST_UNKNOWN = "host not stated in the published results: a generic Ryzen 9 7950X desktop"
APPLE = (
    "Apple tech specs (support.apple.com) for memory and bandwidth; GPU FP32 = cores x 128 "
    "ALUs x 2 x clock (FP16 runs at the FP32 rate on Apple GPUs)"
)


def _apple(
    name: str,
    chip: str,
    cpu_p: int,
    cpu_e: int,
    gpu_cores: int,
    ghz: float,
    ram_gib: int,
    bw: float,
) -> Entry:
    usable = ram_gib * (2 / 3 if ram_gib <= 36 else 3 / 4)  # macOS default wired limit
    return Entry(
        name,
        f"{chip} ({gpu_cores}-core GPU), {ram_gib} GB unified memory",
        _Cpu(chip, cpu_p + cpu_e, cpu_p + cpu_e, 4.05, 32, arch="arm64", vendor="Apple"),
        ram_gib,
        bw,
        (
            _Gpu(
                f"{chip} ({gpu_cores}-core GPU)",
                "apple",
                ram_gib,
                bw,
                gpu_cores * 128 * 2 * ghz / 1000,
                unified=True,
                usable_gib=usable,
            ),
        ),
        (APPLE,),
    )


def _gpu_box(name: str, gpu: _Gpu, *sources: str) -> Entry:
    """A GPU known only by name from a published table, in the generic desktop host."""
    short = gpu.name.removeprefix("NVIDIA ").removeprefix("AMD ").removeprefix("Intel ")
    title = f"Ryzen 9 7950X + {short}, 64 GB DDR5"
    return Entry(name, title, RYZEN_7950X, 64, 96, (gpu,), (*sources, HOST_UNKNOWN))


# GPUs seen in published tables (llama.cpp PRs, scoreboards) that name only the GPU.
GPU_BOXES: tuple[tuple[Any, ...], ...] = (
    ("rtx2070", RTX_2070, "NVIDIA Turing whitepaper: RTX 2070 29.9 TFLOPS FP16 (FP32 acc)"),
    ("rtx2080ti", RTX_2080TI, "NVIDIA Turing whitepaper: RTX 2080 Ti 53.8 TFLOPS FP16 (FP32 acc)"),
    ("rtx3090ti", RTX_3090TI, NV, "84 SM x 512 FP16 FLOP/clk x 1.86 GHz = 80.0 TFLOPS"),
    ("rtx5060ti-16gb", RTX_5060TI, NV, "36 SM x 512 x 2.572 GHz; 28 Gbps x 128-bit = 448 GB/s"),
    ("rtx5070ti", RTX_5070TI, NV, "70 SM x 512 x 2.452 GHz; 28 Gbps x 256-bit = 896 GB/s"),
    ("rtx5080", RTX_5080, NV, "84 SM x 512 x 2.617 GHz; 30 Gbps x 256-bit = 960 GB/s"),
    ("rtx-pro-6000-blackwell", RTX_PRO_6000,
     "NVIDIA RTX PRO 6000 Blackwell datasheet: 96 GB GDDR7, 1792 GB/s, 4 PFLOPS FP4 sparse; "
     "188 SM x 1024 FP16 FLOP/clk x 2.617 GHz = 503.8 TFLOPS (FP4 sparse / 8)"),
    ("v100-pcie-32gb", V100_PCIE,
     "NVIDIA Tesla V100 datasheet (PCIe): 32 GB HBM2, 900 GB/s, 112 TFLOPS tensor"),
    ("rx580-8gb", RX_580, AMD, "Polaris 36 CU x 128 x 1.34 GHz = 6.17 TFLOPS (FP16 = FP32)"),
    ("rx6800xt", RX_6800XT, AMD, "RX 6800 XT: 41.47 TFLOPS peak half precision, 512 GB/s"),
    ("rx7900xt", RX_7900XT, AMD, "RDNA3: 84 CU x 512 FP16 FLOP/clk x 2.4 GHz = 103.2"),
    ("w7900", W7900, AMD,
     "Radeon PRO W7900: 48 GB, 864 GB/s, 122.6 TFLOPS FP16 (96 CU x 512 x 2.495 GHz); the Dual "
     "Slot board is modelled with the same figures"),
    ("rx9060xt-16gb", RX_9060XT, AMD, "RDNA4: 32 CU x 1024 x 3.13 GHz; 20 Gbps x 128-bit"),
    ("rx9070", RX_9070, AMD, "RDNA4: 56 CU x 1024 x 2.52 GHz; 20 Gbps x 256-bit"),
    ("rx9070xt", RX_9070XT, AMD, "RDNA4: 64 CU x 1024 x 2.97 GHz; 20 Gbps x 256-bit"),
    ("radeon-ai-pro-r9700", R9700, AMD, "RDNA4: 64 CU x 1024 x 2.92 GHz; 32 GB, 640 GB/s"),
    ("mi50-32gb", MI50, AMD, "Instinct MI50: 60 CU, 1725 MHz, 26.5 TFLOPS FP16, 1024 GB/s HBM2"),
    ("arc-a770-16gb", ARC_A770, INTEL, "32 Xe x 2048 x 2.1 GHz; 17.5 Gbps x 256-bit = 560 GB/s"),
    ("arc-b580", ARC_B580, INTEL, "20 Xe2 x 2048 x 2.85 GHz (233 INT8 TOPS); 456 GB/s"),
    ("arc-pro-b50", ARC_PRO_B50, INTEL, "16 Xe2 x 2048 x 2.6 GHz (170 INT8 TOPS); 224 GB/s"),
)  # fmt: skip


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
        _Cpu(
            "NVIDIA GB10 (10x Cortex-X925 + 10x Cortex-A725)", 20, 20, 3.9, 32, "aarch64", "NVIDIA"
        ),
        128,
        273,
        (_Gpu("NVIDIA GB10", "nvidia", 128, 273, 62.5, unified=True, usable_gib=119),),
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
        _Cpu("AMD Ryzen AI Max+ 395", 16, 32, 5.1, 64),
        128,
        256,
        (
            _Gpu(
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
    _apple("macbook-air-m1-8gb", "Apple M1", 4, 4, 7, 1.278, 8, 68.25),
    _apple("m1-max-64gb", "Apple M1 Max", 8, 2, 32, 1.296, 64, 409.6),
    _apple("m2-max-96gb", "Apple M2 Max", 8, 4, 38, 1.398, 96, 409.6),
    _apple("m2-ultra-192gb", "Apple M2 Ultra", 16, 8, 76, 1.398, 192, 819.2),
    _apple("m3-max-128gb", "Apple M3 Max", 12, 4, 40, 1.398, 128, 409.6),
    _apple("m3-ultra-512gb", "Apple M3 Ultra", 24, 8, 80, 1.398, 512, 819.2),
    _apple("m4-pro-48gb", "Apple M4 Pro", 10, 4, 20, 1.578, 48, 273),
    _apple("m4-max-128gb", "Apple M4 Max", 12, 4, 40, 1.578, 128, 546),
    _apple("macbook-air-m2-16gb", "Apple M2", 4, 4, 10, 1.398, 16, 102.4),
    _apple("mac-mini-m4-16gb", "Apple M4", 4, 6, 10, 1.578, 16, 120),
    # Each GPU bin of llama.cpp discussion #4167's table, at the largest memory Apple sells it
    # with (the table gives no RAM; F16 7B needs more than the 16 GB parts can wire).
    _apple("m1-7c-16gb", "Apple M1", 4, 4, 7, 1.278, 16, 68.25),
    _apple("m1-16gb", "Apple M1", 4, 4, 8, 1.278, 16, 68.25),
    _apple("m1-pro-14c-32gb", "Apple M1 Pro", 6, 2, 14, 1.296, 32, 204.8),
    _apple("m1-pro-32gb", "Apple M1 Pro", 8, 2, 16, 1.296, 32, 204.8),
    _apple("m1-max-24c-64gb", "Apple M1 Max", 8, 2, 24, 1.296, 64, 409.6),
    _apple("m1-ultra-48c-128gb", "Apple M1 Ultra", 16, 4, 48, 1.296, 128, 819.2),
    _apple("m1-ultra-128gb", "Apple M1 Ultra", 16, 4, 64, 1.296, 128, 819.2),
    _apple("m2-8c-24gb", "Apple M2", 4, 4, 8, 1.398, 24, 102.4),
    _apple("m2-24gb", "Apple M2", 4, 4, 10, 1.398, 24, 102.4),
    _apple("m2-pro-16c-32gb", "Apple M2 Pro", 6, 4, 16, 1.398, 32, 204.8),
    _apple("m2-pro-32gb", "Apple M2 Pro", 8, 4, 19, 1.398, 32, 204.8),
    _apple("m2-max-30c-64gb", "Apple M2 Max", 8, 4, 30, 1.398, 64, 409.6),
    _apple("m2-ultra-60c-192gb", "Apple M2 Ultra", 16, 8, 60, 1.398, 192, 819.2),
    _apple("m3-24gb", "Apple M3", 4, 4, 10, 1.398, 24, 102.4),
    _apple("m3-pro-14c-36gb", "Apple M3 Pro", 5, 6, 14, 1.398, 36, 153.6),
    _apple("m3-pro-36gb", "Apple M3 Pro", 6, 6, 18, 1.398, 36, 153.6),
    _apple("m3-max-30c-96gb", "Apple M3 Max", 10, 4, 30, 1.398, 96, 307.2),
    _apple("m3-ultra-60c-256gb", "Apple M3 Ultra", 20, 8, 60, 1.398, 256, 819.2),
    _apple("m4-32gb", "Apple M4", 4, 6, 10, 1.578, 32, 120),
    _apple("m4-pro-16c-64gb", "Apple M4 Pro", 8, 4, 16, 1.578, 64, 273),
    _apple("m4-max-32c-36gb", "Apple M4 Max", 10, 4, 32, 1.578, 36, 410),
    Entry(
        "laptop-16gb",
        "16 GB laptop: Core Ultra 7 155H, LPDDR5X-7467, no discrete GPU",
        _Cpu("Intel Core Ultra 7 155H", 16, 22, 4.8, 32, vendor="Intel"),
        16,
        119.5,
        (),
        ("Intel ARK: Core Ultra 7 155H, LPDDR5X-7467 128-bit = 119.5 GB/s",),
    ),
    Entry(
        "desktop-7950x-cpu",
        "Ryzen 9 7950X, 64 GB DDR5-6000, CPU only",
        RYZEN_7950X,
        64,
        96,
        (),
        ("AMD Ryzen 9 7950X spec page",),
    ),
    Entry(
        "epyc-9654-cpu",
        "EPYC 9654, 768 GB DDR5-4800 (12 channels), CPU only",
        EPYC_9654,
        768,
        460.8,
        (),
        ("AMD EPYC 9654 spec page: 12 x DDR5-4800 = 460.8 GB/s",),
    ),
    Entry(
        "threadripper-5975wx-cpu",
        "Threadripper PRO 5975WX, 256 GB DDR4-3200 (8 channels), CPU only",
        _Cpu("AMD Ryzen Threadripper PRO 5975WX", 32, 64, 4.5, 32),
        256,
        204.8,
        (),
        ("AMD spec page: 32 Zen 3 cores, 4.5 GHz boost, 8 x DDR4-3200 = 204.8 GB/s",),
    ),
    Entry(
        "graviton3-c7g-16xl",
        "AWS c7g.16xlarge: 64 Graviton3 cores, 128 GB DDR5",
        _Cpu("AWS Graviton3 (Neoverse-V1)", 64, 64, 2.6, 32, "aarch64", "ARM"),
        128,
        307.2,
        (),
        ("AWS Graviton3: 8 x DDR5-4800 = 307.2 GB/s",),
    ),
    Entry(
        "raspberry-pi-5-8gb",
        "Raspberry Pi 5, 8 GB LPDDR4X-4267",
        _Cpu("Broadcom BCM2712 (Cortex-A76)", 4, 4, 2.4, 16, "aarch64", "ARM"),
        8,
        17.1,
        (),
        ("Raspberry Pi 5 product brief: LPDDR4X-4267 32-bit = 17.1 GB/s",),
    ),
    *(_gpu_box(name, gpu, *src) for name, gpu, *src in GPU_BOXES),
    Entry(
        "macbook-pro-2014-i5-4278u",
        "MacBook Pro (2014) Core i5-4278U, 8 GB DDR3L-1600, CPU only",
        _Cpu("Intel Core i5-4278U", 2, 4, 3.1, 32, vendor="Intel"),
        8,
        25.6,
        (),
        ("Intel ARK: i5-4278U 2 cores (Haswell, AVX2 + FMA), 3.1 GHz turbo, DDR3L-1600 x2 = 25.6",),
    ),
    Entry(
        "framework12-i3-1315u",
        "Framework Laptop 12, Core i3-1315U, 16 GB DDR5, CPU only",
        _Cpu("Intel Core i3-1315U", 6, 8, 4.5, 32, vendor="Intel"),
        16,
        83.2,
        (),
        (
            "Intel ARK: i3-1315U 2P+4E cores, P-core 4.5 GHz turbo, AVX2, 83.2 GB/s max; RAM size "
            "not published with the results: 16 GB (fits every model run)",
        ),
    ),
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
        flags = {"NEON": True, "DOTPROD": True}
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
