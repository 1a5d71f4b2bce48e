"""The per-backend priors of the speed model: corrections to its starting efficiencies fitted on
published llama-bench results of many machines (scripts/bench_lomo.py --fit), the groups they
are fitted in, and the 80 % spread of the predictions they give on machines held out."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bench.records import Calibration
from probe import CpuInfo, HostProfile


@dataclass(frozen=True, slots=True)
class Prior:
    """A backend's corrections to the starting efficiencies, fitted on published llama-bench
    results of many machines (scripts/bench_lomo.py): bandwidth, matmul compute, attention and
    the fixed per-token/per-layer overhead."""

    k_bw: float = 1.0
    k_compute: float = 1.0
    k_attn: float = 1.0
    k_overhead: float = 1.0
    # CPUs only: what one thread streams, against PER_THREAD_BW (cores differ: a Zen 4 or an
    # Apple P-core reads far more than a server core in a VM, a Cortex-A72 far less); k_bw
    # then scales the socket's bandwidth alone (the lower of the two caps binds)
    k_thread: float = 1.0
    # MoE layers' routing nodes (_speed.MOE_EXTRA_NODES): their fixed cost against the node
    # count's share of layer_s; one value per backend (bench_lomo.py fit_moe: a GPU backend's
    # weakly tied to every GPU's, for few machines publish MoE runs)
    k_moe: float = 1.0
    # MoE expert matmuls in prefill (mul_mat_id) against the dense matmul rate
    k_moe_matmul: float = 1.0
    # GPUs of an APU, sharing the CPU's LPDDR5X and power budget (Strix Halo, GB10, Strix
    # Point; _speed.shares_apu_memory): the compute share of their peak they reach against the
    # discrete cards of their backend; one value for every backend (each has one or two APUs)
    k_uma: float = 1.0
    # GPUs: the recurrent layers' token-by-token scan in prefill (_efficiency.SCAN_STEP_S), one
    # value for every GPU group (few machines publish Qwen3.5/Qwen3-Next/Nemotron-H prefill)
    k_scan: float = 1.0
    # GPUs: what each doubling of the query heads a cached K/V row serves multiplies reading the
    # cache by, from _work.GQA_REF (_work.kv_gqa_doublings); one value for every GPU group
    k_gqa: float = 1.0
    # GPUs: F16/BF16 weights' matmuls at ubatches past _efficiency.F16_GEMM_ABOVE (the GEMM
    # path: cuBLAS/hipBLAS under CUDA/HIP, not llama.cpp's quantized MMQ kernels) against the
    # compute factor; fitted per GPU backend (its subgroups take it), held to the FP16 peak
    k_f16: float = 1.0
    # the backends of _efficiency.MMVQ_COL_SHARE (ROCm): each column past the first of a
    # 2-8-token ubatch's mat-vec kernels, against that share of the weights' read time
    k_mmvq: float = 1.0


NO_PRIOR = Prior()
# Fitted by `python scripts/bench_lomo.py --fit` on tests/fixtures/published/ (1646 llama-bench
# rows of 62 first-hand machines and the second-hand scoreboard copies), each factor on the
# rows it governs, every machine weighing the same, shrunk toward the table by one
# pseudo-machine (a vendor subgroup's toward its parent's; the GPUs' MoE-layer and
# recurrent-scan factors by a twentieth), the bandwidth and attention factors with a Huber
# loss (bench_lomo.py HUBER_BW), the MoE-layer factor per backend (fit_moe), the APU factor
# shared by every group, the scan factor and the cache read's per head doubling (k_gqa) by
# every GPU group (fit_scan, fit_gqa), the F16/BF16 GEMM factor (k_f16) per GPU backend on its
# F16/BF16 prefill rows past 16 tokens a ubatch (Vulkan has no current one: 1), ROCm's mat-vec
# column factor (k_mmvq) on its 2-8-token prefill rows; CUDA and Vulkan rows
# of builds before 2025, ROCm rows before 2025-12 and ROCm prefill rows before 2026-06
# (bench_lomo.py CURRENT_FROM, CURRENT_PP_FROM: those kernels were rewritten since, ROCm's MMQ
# configuration by PR 24127), rows a later change superseded
# (PublishedRow.superseded_by) and GPUs hung off a single-board computer
# (PublishedRow.host_board: the host is not modelled) left out. Held-out error of this
# procedure (make bench, leave-one-machine-out, 894 judged rows of 45 machines): tg median
# 10 %, pp 18 %; Metal tg 8 %, CUDA tg 11 %, CPU tg 13 %, ROCm tg 6 % (p90 27 %: an MI50's
# generation 1.2-1.55x over), CUDA pp 18 % (p90 54 %: a DGX Spark prefills gpt-oss-120b at
# ubatch 512 at 1.5-1.65x), Metal pp 12 %, CPU pp 15 %, ROCm pp 28 %
# (p90 90 %: an MI100 prefills gemma-4-26b-a4b and gpt-oss-20b at 0.3-0.4 of the prediction
# (PR 28709's master column), F16/BF16 weights at 0.2-0.55 on an RX 6800 and an RX 9060 XT
# (PR 24216's Llama 3.2 1B rows, held out with ROCm's k_f16 fitted on the other; an R9700's 9B
# BF16 of April, before PR 24216 reworked the hipBLAS path, ran at 1.4x the prediction without
# it), an MI50 prefills Q4_0 at 2x its prediction); the closing notes of
# issue 14 have the table. The APU factor k_uma is shared by every group: held out, DGX
# Spark's is fitted on Strix Halo's rows and the Radeon 890M's, Strix Halo's on the other two.
# fmt: off
PRIORS: dict[str, Prior] = {
    "cuda": Prior(1.112, 1.667, 0.888, 0.999, k_moe=3.929, k_moe_matmul=0.721, k_uma=0.914,
        k_scan=2.638, k_gqa=1.093, k_f16=0.991),
    "rocm": Prior(0.895, 0.852, 0.888, 1.150, k_moe=7.307, k_moe_matmul=0.403, k_uma=0.914,
        k_scan=2.638, k_gqa=1.093, k_f16=0.375, k_mmvq=1.193),
    "vulkan": Prior(1.245, 0.926, 0.591, 0.963, k_moe=2.307, k_moe_matmul=0.755, k_uma=0.914,
        k_scan=2.638, k_gqa=1.093, k_f16=1.000),
    "metal": Prior(1.055, 1.125, 0.971, 1.028, k_moe=5.200, k_moe_matmul=0.964, k_scan=2.638,
        k_gqa=1.093, k_f16=1.062),
    "cpu": Prior(0.541, 1.206, 1.088, 1.000, k_thread=1.260, k_moe=0.967, k_moe_matmul=0.636),
    # Apple Ultra chips (prior_group): bandwidth factor 0.77 of the table, as two dies imply
    "metal-ultra": Prior(0.786, 1.074, 1.002, 1.209, k_moe=5.200, k_moe_matmul=0.982,
        k_scan=2.638, k_gqa=1.093, k_f16=1.050),
    # NVIDIA under Vulkan (prior_group: coopmat2 shaders): its own compute, bandwidth, attention
    # and MoE-matmul factors
    "vulkan-nvidia": Prior(1.228, 1.667, 0.851, 0.963, k_moe=2.307, k_moe_matmul=0.829,
        k_uma=0.914, k_scan=2.638, k_gqa=1.093, k_f16=1.000),
    # Intel under Vulkan (prior_group: scalar matmul shaders): its own four, as NVIDIA's
    "vulkan-intel": Prior(0.899, 0.499, 0.917, 0.963, k_moe=2.307, k_moe_matmul=0.683,
        k_uma=0.914, k_scan=2.638, k_gqa=1.093, k_f16=1.000),
    # RDNA4 under ROCm (prior_group: the HIP kernels' RDNA4 tables): its own four
    "rocm-rdna4": Prior(1.153, 0.752, 0.961, 1.150, k_moe=7.307, k_moe_matmul=0.498, k_uma=0.914,
        k_scan=2.638, k_gqa=1.093, k_f16=0.375, k_mmvq=1.193),
    # CPU core families (cpu_prior_group): Apple's M-series P-cores, Arm's Neoverse server cores
    "cpu-apple": Prior(0.620, 1.262, 1.061, 1.000, k_thread=1.456, k_moe=0.967, k_moe_matmul=0.700),
    "cpu-neoverse": Prior(0.629, 1.006, 1.061, 1.000, k_thread=1.093, k_moe=0.967,
        k_moe_matmul=0.647),
}
# fmt: on
# measured / predicted over the held-out predictions above, per group and test: the 80 % interval of
# an uncalibrated prediction. Its quantile tails (in the comments) are the narrowest that hold 80 %
# of a held-out machine's rows (bench_lomo.py calibrated_tails): a machine's rows share its errors,
# so the pooled 10th-90th percentiles covered only 63 % of an unseen machine's rows; make bench
# reports the coverage with each machine's tails chosen without it (79 %) and the groups that miss
# 80 % even at 1 % (Metal, Ultra and NVIDIA-Vulkan prefill: 69-72 %). A
# group with held-out rows of fewer than four machines takes its backend's spread, else "*", the
# 10th-90th percentiles of every group's rows. Wide where machines disagree: CPU rows span a
# Raspberry Pi 4 to a Zen 4, Vulkan prefill Intel's scalar paths to NVIDIA's coopmat2.
PRIOR_SPREAD: dict[tuple[str, str], tuple[float, float]] = {
    ("cuda", "pp"): (0.67, 1.38),  # 9% / 91%
    ("cuda", "tg"): (0.80, 1.17),  # 7% / 93%
    ("rocm", "pp"): (0.40, 1.61),  # 6% / 94%
    ("vulkan", "pp"): (0.71, 1.31),  # 6% / 94%
    ("vulkan", "tg"): (0.76, 1.29),  # 8% / 92%
    ("metal", "pp"): (0.82, 1.13),  # 1% / 99%
    ("metal", "tg"): (0.78, 1.19),  # 2% / 98%
    ("cpu", "pp"): (0.66, 1.49),  # 4% / 96%
    ("cpu", "tg"): (0.68, 1.61),  # 5% / 95%
    ("metal-ultra", "pp"): (0.75, 1.29),  # 1% / 99%
    ("metal-ultra", "tg"): (0.72, 1.26),  # 7% / 93%
    ("vulkan-nvidia", "pp"): (0.53, 2.17),  # 1% / 99%
    ("vulkan-nvidia", "tg"): (0.81, 1.71),  # 1% / 99%
    ("*", "pp"): (0.71, 1.28),  # 10% / 90%
    ("*", "tg"): (0.80, 1.19),  # 10% / 90%
}
PRIOR_SPREAD_GROUPS = {b for b, _ in PRIOR_SPREAD}
Z80 = 1.2816  # the standard normal's 90th percentile: mean +- Z80 sd holds 80 %
# A calibrated prediction for another model than the host measured errs by more than the
# calibration's own residuals: its shape meets the factors fitted on another. Measured by
# scripts/bench_predict.py on stop 35's runner, three runs, 24 points of two new twins: log
# errors' RMS 0.097 (0.111, 0.078, 0.099) against in-sample residual sds (_calibrate
# _residual_sd) of 0.069, 0.049 and 0.049, so sqrt(0.097^2 - mean sd^2) = 0.079 of the error
# is the transfer's. An interval from the residuals alone held 12 of the 24; with this added
# in quadrature, 18.
CALIBRATED_TRANSFER_SD = 0.08


def prior_group(
    backend: str, gpu_name: str | None, vendor: str | None = None, gfx: str | None = None
) -> str:
    """The PRIORS group of a GPU: its backend, except
    - Apple's Ultra chips under Metal: two Max dies joined by UltraFusion; llama.cpp reaches a
      smaller share of the doubled bandwidth (discussion #4167's table: an M2 Ultra generates
      ~1.4x an M2 Max, at 2x the bandwidth). Its factors are fitted on the group's own rows,
      but for the MoE layers' (Metal's) and the APU's (every group's).
    - NVIDIA GPUs under Vulkan: NVIDIA's driver exposes VK_NV_cooperative_matrix2, and
      ggml-vulkan builds its matmul pipelines from the coopmat2 shaders there (ggml-vulkan.cpp,
      ggml_vk_mul_mm_cm2_spec); AMD and Intel drivers give KHR_cooperative_matrix or none. The
      compute, bandwidth, attention and MoE expert-matmul factors are fitted apart
      (VENDOR_SUBGROUPS: each vendor's driver and shaders; ggml-vulkan's flash attention runs
      its coopmat2 shader on NVIDIA, coopmat1 or scalar ones elsewhere); the others are
      Vulkan's.
    - Intel GPUs under Vulkan: ggml-vulkan gives Arc A (Xe1) discrete cards no cooperative
      matrices at all ("performance regressions", ggml_vk_khr_cooperative_matrix_support), so
      their matmuls run the scalar shaders, far below the XMX rate the catalog stores; the
      Vulkan scoreboard (#10879, 2025-09) has the Arc A770 and the B580 (Xe2, which today's
      build gives KHR cooperative matrices) prefilling at a sixth to a tenth of AMD's RDNA3/4
      per catalog FLOP. The same four factors apart, as NVIDIA's.
    - RDNA4 GPUs under ROCm (is_rdna4: gfx1200/gfx1201, the RX 9000 series and the Radeon AI
      PRO R9700): the HIP build carries RDNA4's own kernel tables - generation's mat-vec
      launches (ggml-cuda/mmvq.cu MMVQ_PARAMETERS_RDNA4: 8 warps a row for the simple types,
      where RDNA3 (gfx110x) takes its own, stricter table and RDNA2 and RDNA3.5 share one at
      a warp a row), flash attention tuned for gfx1201 (PR 28102) - and its WMMA runs FP16 at
      twice RDNA3's rate per CU. Held out, RDNA4 cards generated at 0.9-1.5x ROCm's shared
      factor (R9700 1.14, RX 9060 XT 1.33) while the RDNA3 cards and APUs ran 0.8-0.9x. The
      same four factors apart. A probed GPU whose gfx target is unknown and whose name is
      generic ("AMD Radeon Graphics") stays in ROCm's group.
    A group without fitted factors falls back to its backend's (scripts/bench_lomo.py)."""
    name = (gpu_name or "").lower()
    if backend == "metal" and " ultra" in name:
        return "metal-ultra"
    if backend == "vulkan" and (vendor or "").lower() == "nvidia":
        return "vulkan-nvidia"
    if backend == "vulkan" and (vendor or "").lower() == "intel":
        return "vulkan-intel"
    if backend == "rocm" and is_rdna4(gpu_name, gfx):
        return "rocm-rdna4"
    return backend


# AMD's RDNA4 cards by name: the Radeon RX 9000 series and the Radeon AI PRO R9000 series
_RDNA4_NAME = re.compile(r"\brx\s*9\d{3}(?!\d)|\bai pro r9\d{3}(?!\d)")


def is_rdna4(gpu_name: str | None, gfx: str | None = None) -> bool:
    """An RDNA4 GPU: its gfx target (gfx12xx) where the probe read one, else its name."""
    if gfx:
        return gfx.lower().startswith("gfx12")
    return bool(_RDNA4_NAME.search((gpu_name or "").lower()))


# Groups that share every factor of their parent but the compute, bandwidth, attention and MoE
# expert-matmul factors, which are fitted on their own prefill, generation, attention-bound and
# MoE-bound prefill rows shrunk toward the parent's (scripts/bench_lomo.py fit_own); the parent's
# own rows (AMD's under Vulkan, the other AMD GPUs' under ROCm) refit them too. Held out, Vulkan
# generation went 15.0 -> 11.2 % median (Strix Halo 1.15 -> 1.06x): AMD's Vulkan drivers stream
# weights at a larger share of their bandwidth than NVIDIA's; and Vulkan prefill 31.5 -> 27.9 %
# median with each vendor's own mul_mat_id factor (AMD 0.76, NVIDIA 0.90: the Radeon PRO W7800, RX
# 7900 XT and Strix Halo prefilled Qwen3.5's MoE at 0.66-0.77x a factor shared with NVIDIA's RTX
# 5090, before the recurrent scan (k_scan) took its share). RDNA4 under ROCm is such a group too: an
# architecture's own kernel tables, as a vendor's own shaders under Vulkan (prior_group). CPU
# core families are such groups too (cpu_prior_group), with their own per-thread factor.
VENDOR_SUBGROUPS = {
    "vulkan-nvidia": "vulkan",
    "vulkan-intel": "vulkan",
    "rocm-rdna4": "rocm",
    "cpu-apple": "cpu",
    "cpu-neoverse": "cpu",
}


def cpu_prior_group(cpu: CpuInfo | None) -> str:
    """The PRIORS group of a CPU: "cpu", except two core families whose threads stream and
    multiply at rates of their own (their compute, bandwidth, attention, MoE-matmul and
    per-thread factors fitted apart, VENDOR_SUBGROUPS):
    - Apple's M-series P-cores: each core keeps far more loads in flight than others (one M1
      Max core alone read ~100 GB/s in AnandTech's "Apple's M1 Pro, M1 Max SoCs Investigated",
      2021-10); held out with the shared factor, an M2 Max's generation was predicted at 0.56x
      and an M4 Max's at 0.80x what they measured, their prefill at 0.8x.
    - Arm's Neoverse server cores (Graviton, Grace, Altra, Cobalt; probe names them from
      /proc/cpuinfo's CPU part): low clocks on a mesh, shared by many cores; held out with the
      shared factor, a Grace's generation was predicted at 1.2x what it measured.
    A probe that saw neither (x86, other Arm cores, an unknown part) stays in "cpu"."""
    if cpu is None:
        return "cpu"
    if (cpu.vendor or "").lower() == "apple" or (cpu.model or "").startswith("Apple M"):
        return "cpu-apple"
    if "neoverse" in (cpu.model or "").lower():
        return "cpu-neoverse"
    return "cpu"


def host_prior_group(host: HostProfile, backend: str) -> str:
    """The PRIORS group whose factors a prediction on ``host`` under ``backend`` takes for its
    main device: the first GPU's (prior_group) under a GPU backend, the CPU's core family's
    (cpu_prior_group) on the CPU."""
    if backend == "cpu":
        return cpu_prior_group(host.cpu)
    g = host.gpus[0] if host.gpus else None
    return prior_group(backend, g.name, g.vendor, g.gfx_target) if g else backend


def prior_of(group: str, backend: str) -> Prior:
    """A group's fitted factors, else its backend's (a group without rows of its own), else
    none (1 each)."""
    return PRIORS.get(group) or PRIORS.get(backend, NO_PRIOR)


def interval(
    backend: str, kind: str, tps: float, used: list[Calibration]
) -> tuple[float, float] | None:
    """An 80 % interval: this host's calibration residuals when it has them, with the error of
    carrying a calibration to another model (CALIBRATED_TRANSFER_SD) added in quadrature
    (log-normal), else the backend's spread on held-out published results."""
    sds = [c.residual_sd for c in used if c.residual_sd is not None and c.n_points >= 4]
    if sds:
        f = math.exp(Z80 * math.hypot(max(sds), CALIBRATED_TRANSFER_SD))
        return (tps / f, tps * f)
    # a group with held-out rows of too few machines has the spread of every group's rows
    spread = PRIOR_SPREAD.get((backend, kind)) or PRIOR_SPREAD.get(("*", kind))
    return (tps * spread[0], tps * spread[1]) if spread and tps else None
