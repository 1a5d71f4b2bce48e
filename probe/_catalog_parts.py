"""Building blocks of the hardware catalog: CPU, GPU and machine records, shared sources.

Figures are vendor specifications (sources beside each entry): memory size, memory bandwidth,
and peak throughput — dense FP16 tensor/matrix math with FP32 accumulate for GPUs (no
sparsity), FP32 FMA throughput for CPUs (cores x clock x FLOP per cycle).
"""

from __future__ import annotations

from dataclasses import dataclass

GB = 1000**3
GIB = 1024**3
T = 1e12


@dataclass(frozen=True, slots=True)
class Cpu:
    model: str
    cores: int
    threads: int
    ghz: float
    flop_per_cycle: int  # FP32 per core: AVX-512 2xFMA 64, AVX2 2xFMA 32, NEON 4x128 FMA 32
    arch: str = "x86_64"
    vendor: str = "AMD"
    # Arm: the SDOT/UDOT int8 dot product (ARMv8.2 FEAT_DotProd; Cortex-A55/A75 on, Apple,
    # Neoverse). ARMv8.0 cores such as the Cortex-A72 lack it.
    dotprod: bool = True


@dataclass(frozen=True, slots=True)
class Gpu:
    name: str
    vendor: str
    mem_gib: float
    bw_gbs: float
    fp16_tflops: float
    unified: bool = False
    usable_gib: float | None = None  # unified: what the GPU may allocate
    # NVIDIA parts whose FP16 tensor rate is not the GeForce 512 FLOP/clk/SM: SMs x 512 x boost
    # clock (GpuInfo.spec_mmq_flops); None elsewhere (GeForce: the FP16 figure already is it).
    mmq_tflops: float | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    title: str
    cpu: Cpu
    ram_gib: float
    ram_bw_gbs: float
    gpus: tuple[Gpu, ...]
    sources: tuple[str, ...]
    # A published measurement of what the CPU reads from RAM (GB/s, pure reads), where the
    # spec figure is known to be far off (sources name it): planned as a measured bandwidth.
    ram_read_gbs: float | None = None


RYZEN_7950X = Cpu("AMD Ryzen 9 7950X", 16, 32, 5.1, 64)
I9_13900K = Cpu("Intel Core i9-13900K", 24, 32, 5.8, 32, vendor="Intel")
XEON_8480 = Cpu("Intel Xeon Platinum 8480+", 56, 112, 3.8, 64, vendor="Intel")
EPYC_9654 = Cpu("AMD EPYC 9654", 96, 192, 3.7, 64)

NV = "NVIDIA product pages and architecture whitepapers (Ampere GA102, Ada, Blackwell, Hopper)"
AMD = "AMD product pages (radeon/instinct specifications)"
INTEL = "Intel ARK / Arc product pages (Xe cores, graphics clock, memory bus)"
# With every layer offloaded the host does not enter a prediction.
HOST_UNKNOWN = "host not stated in the published results: a generic Ryzen 9 7950X desktop"
APPLE = (
    "Apple tech specs (support.apple.com) for memory and bandwidth; GPU FP32 = cores x 128 "
    "ALUs x 2 x clock (FP16 runs at the FP32 rate on Apple GPUs)"
)


# The performance cores' top clock per chip (the CPU entry's GHz: cores x clock x width is its
# FP32 peak, the clock scales what a thread streams, bench.predictor thread_clock_factor):
# notebookcheck's chip pages and reviews — M1 Pro/Max/Ultra 3.22 GHz (M1 3.2), M2 Pro/Max/Ultra
# up to 3.7 (the M2 Max page; M2 3.49), M3 family 4.05-4.056, M4 4.4, M4 Pro/Max 4.512 (the M4
# Pro analysis), M5 4.61 in the MacBook Pro (multiplayer.it's Geekbench report); M5 Pro/Max
# share the M5's cores (taken at its clock).
APPLE_P_GHZ = {
    "Apple M1": 3.2, "Apple M1 Pro": 3.22, "Apple M1 Max": 3.22, "Apple M1 Ultra": 3.22,
    "Apple M2": 3.49, "Apple M2 Pro": 3.7, "Apple M2 Max": 3.7, "Apple M2 Ultra": 3.7,
    "Apple M3": 4.05, "Apple M3 Pro": 4.056, "Apple M3 Max": 4.056, "Apple M3 Ultra": 4.056,
    "Apple M4": 4.4, "Apple M4 Pro": 4.512, "Apple M4 Max": 4.512,
    "Apple M5": 4.61, "Apple M5 Pro": 4.61, "Apple M5 Max": 4.61,
}  # fmt: skip


# FP16 FLOPs per Apple GPU core and clock: the ALUs' (128 FP32 lanes x 2, one FMA), and, on the
# chips whose cores carry matrix units llama.cpp reaches (the M5's Neural Accelerators, through
# the Metal 4 tensor API: _catalog_apple's sources), the matrix units' rate, 4x.
APPLE_ALU_FLOP_CLK = 128 * 2
APPLE_TENSOR_FLOP_CLK = {
    chip: 4 * APPLE_ALU_FLOP_CLK for chip in ("Apple M5", "Apple M5 Pro", "Apple M5 Max")
}


def apple(
    name: str,
    chip: str,
    cpu_p: int,
    cpu_e: int,
    gpu_cores: int,
    ghz: float,
    ram_gib: int,
    bw: float,
) -> Entry:
    """An Apple silicon machine; its GPU's FP16 matmul peak is cores x FLOPs per core and
    clock (APPLE_TENSOR_FLOP_CLK where the cores carry matrix units, else the ALUs') x clock."""
    flop_clk = APPLE_TENSOR_FLOP_CLK.get(chip, APPLE_ALU_FLOP_CLK)
    usable = ram_gib * (2 / 3 if ram_gib <= 36 else 3 / 4)  # macOS default wired limit
    return Entry(
        name,
        f"{chip} ({gpu_cores}-core GPU), {ram_gib} GB unified memory",
        Cpu(chip, cpu_p + cpu_e, cpu_p + cpu_e, APPLE_P_GHZ[chip], 32, "arm64", "Apple"),
        ram_gib,
        bw,
        (
            Gpu(
                f"{chip} ({gpu_cores}-core GPU)",
                "apple",
                ram_gib,
                bw,
                gpu_cores * flop_clk * ghz / 1000,
                unified=True,
                usable_gib=usable,
            ),
        ),
        (APPLE,),
    )


def gpu_box(name: str, gpu: Gpu, *sources: str) -> Entry:
    """A GPU known only by name from a published table, in the generic desktop host."""
    short = gpu.name.removeprefix("NVIDIA ").removeprefix("AMD ").removeprefix("Intel ")
    title = f"Ryzen 9 7950X + {short}, 64 GB DDR5"
    return Entry(name, title, RYZEN_7950X, 64, 96, (gpu,), (*sources, HOST_UNKNOWN))
