"""Blackwell's native FP4 matmuls: which GPUs run MXFP4/NVFP4 weights on their 4-bit tensor-core
instruction in prefill, and what that takes off the matmuls' time (bench.predictor._speed).

Since PR 17906 ('CUDA: experimental native mxfp4 support for blackwell', am17an, described
2025-12-10, merged by 2026-01: PR 18736 of 2026-01-10 fixes its tests), ggml-cuda's MMQ
multiplies MXFP4 and NVFP4 weights by activations quantized to FP4 on GPUs of compute
capability 12.x (mmq.cu ggml_cuda_mmq_get_prec_src1, blackwell_mma_available: GeForce RTX 50x0,
RTX PRO Blackwell, GB10), not by Q8_1 activations on the int8 instruction. The FP4 instruction
(mma m16n8k64) does twice the products of the int8 one (m16n8k32) per issue, the PR says ("2x
throughput compared to int8 tensor cores"). End to end its own tables show less, since reads
and attention do not change: gpt-oss-20b pp512-8192 1.26-1.27x the int8 path on an RTX 5090,
gpt-oss-120b pp512-8192 1.16-1.29x on a DGX Spark. Ubatches of at most MMVQ_MAX_BATCH tokens
stay on the mat-vec kernels, and data-centre Blackwell (compute capability 10.x, tcgen05) and
Rubin do not take this path.
"""

from __future__ import annotations

import re

from bench.predictor._efficiency import MMVQ_MAX_BATCH
from probe import GpuInfo

NATIVE_FP4_TYPES = frozenset({"MXFP4", "NVFP4"})
NATIVE_FP4_GAIN = 2.0  # m16n8k64 FP4 against m16n8k32 int8 products per instruction
# names of compute capability 12.x parts, for a GPU known by name only (the catalog's)
_BLACKWELL_12 = re.compile(r"geforce rtx 50\d0\b|rtx pro \d+ blackwell|\bgb10\b")


def native_fp4(backend: str, gpu: GpuInfo) -> bool:
    """Whether ``gpu`` under ``backend`` multiplies FP4 weights natively: a CUDA NVIDIA part of
    compute capability 12.x (probed), or of a name of that generation (not probed)."""
    if backend != "cuda" or (gpu.vendor or "").lower() != "nvidia":
        return False
    if gpu.compute_capability:
        return gpu.compute_capability.split(".")[0] == "12"
    return bool(_BLACKWELL_12.search((gpu.name or "").lower()))


def fp4_scale(native: bool, ubatch: int, fp4_params: float, params: float) -> float:
    """What a ubatch's matmuls of ``params`` parameters take of their int8-path time when
    ``fp4_params`` of them have FP4 weights: those at NATIVE_FP4_GAIN on a native-FP4 GPU past
    the mat-vec sizes, else 1."""
    if not native or ubatch <= MMVQ_MAX_BATCH or params <= 0:
        return 1.0
    return 1 - fp4_params / params * (1 - 1 / NATIVE_FP4_GAIN)
