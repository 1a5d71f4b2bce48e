"""The speed model's starting efficiencies and physical constants, each with its source:
what llama.cpp's kernels reach per backend and quant family before the published priors
(_priors) and a host's calibration correct them (bench.predictor._speed uses them)."""

from __future__ import annotations

import functools
import math
import re

from bench.model import ModelSpec
from bench.predictor._memory import read_per_token
from probe import CpuInfo, GpuInfo, HostProfile

GB = 1e9

# Per-backend starting efficiencies, by quant family:
#   bw      fraction of spec memory bandwidth llama.cpp's mat-vec kernels reach on big models;
#   compute fraction of peak dense FP16 matrix throughput (GPU) or FP32 FMA throughput (CPU)
#           reached in prompt processing at ubatch 512;
#   layer_s fixed time per layer per token (kernel launches, thread barriers).
# Sources: bw — llama.cpp PR #2188 (M1/M2 Max GPUs sustain 340 of 400 GB/s, 0.85) and the Q6_K
# Metal commit of ikawrakow (290 GB/s of 400 on M2 Max for Q6_K, 0.72): F16/Q8_0 0.80, K-quants
# 0.70, other block quants 0.65 on GPUs; CPUs 0.95 of what their threads can read (rigbench's
# own runner: tg of a 500M Q8_0 at 96 % of the measured read bandwidth).
# compute — XiongjieDai/GPU-Benchmarks-on-LLM-Inference, LLaMA 2 7B table (Dec 2023): RTX 30/40
# reach 0.43-0.69 of dense FP16 tensor peak, Apple M2 Ultra/M3 Max 0.58-0.69 of ALU peak;
# RDNA3 WMMA and CPUs about 0.35-0.40 (ik_llama.cpp PR #54, mainline columns: Ryzen 7950X 1.9
# of 5.2 TFLOPS). layer_s — order of magnitude of one kernel launch per op (~15 us CUDA with
# graphs, ~20 us Metal/HIP/Vulkan); on CPUs ~20 ops a layer with a thread barrier each.
# token_s — fixed cost of one graph (build, schedule, synchronise): on CPUs 150 us + 25 us a
# layer fits both a 4-layer synthetic model (265-350 us/token against 79 us of weight reads)
# and a 16-layer one; 50 us elsewhere.
EFFICIENCY: dict[str, dict[str, dict[str, float]]] = {
    "cuda": {
        "f16": {"bw": 0.80, "compute": 0.60},
        "q8": {"bw": 0.80, "compute": 0.50},
        "kquant": {"bw": 0.70, "compute": 0.50},
        "quant": {"bw": 0.65, "compute": 0.50},
        "_": {"layer_s": 15e-6, "token_s": 50e-6},
    },
    "metal": {
        "f16": {"bw": 0.80, "compute": 0.65},
        "q8": {"bw": 0.75, "compute": 0.60},
        "kquant": {"bw": 0.65, "compute": 0.60},
        "quant": {"bw": 0.65, "compute": 0.60},
        "_": {"layer_s": 20e-6, "token_s": 50e-6},
    },
    "rocm": {
        "f16": {"bw": 0.75, "compute": 0.40},
        "q8": {"bw": 0.70, "compute": 0.35},
        "kquant": {"bw": 0.65, "compute": 0.35},
        "quant": {"bw": 0.60, "compute": 0.35},
        "_": {"layer_s": 20e-6, "token_s": 50e-6},
    },
    "vulkan": {
        "f16": {"bw": 0.70, "compute": 0.35},
        "q8": {"bw": 0.65, "compute": 0.30},
        "kquant": {"bw": 0.60, "compute": 0.30},
        "quant": {"bw": 0.60, "compute": 0.30},
        "_": {"layer_s": 25e-6, "token_s": 50e-6},
    },
    # CPU family ratios, llama.cpp 0c1e570 (K-quants, Q4_0 and IQ4_NL repacked for AVX2/512):
    # one 250M synthetic shape in four quants, pp512 on 2 Zen4 threads, medians of 3 rounds —
    # Q8_0 0.82x, Q4_0 1.06x, F16 0.80x the Q4_K_M rate.
    "cpu": {
        "f16": {"bw": 0.95, "compute": 0.32},
        "q8": {"bw": 0.95, "compute": 0.33},
        "kquant": {"bw": 0.95, "compute": 0.40},
        "quant": {"bw": 0.95, "compute": 0.42},
        "_": {"layer_s": 25e-6, "token_s": 150e-6},
    },
}
# Attention (QK^T, softmax, xV) against the quantized matmuls, per backend: GPUs run it in fused
# flash-attention kernels near matmul efficiency; ggml-cpu runs it in F16/F32 kernels without
# the int8 dot-product paths, at about 0.3 of them (rigbench sweeps of synthetic models on Zen4,
# pp512 at depth 0 vs 1024).
ATTN_RATIO = {"cuda": 1.0, "metal": 1.0, "rocm": 1.0, "vulkan": 1.0, "cpu": 0.3}
# Generation attends with one query: on CPUs that runs about 5x below prefill attention (the
# same sweeps: tg at depth 512-1024 adds 12-16 GFLOPS-worth of time on 2 Zen4 threads, pp 62).
TG_ATTN_RATIO = {"cuda": 1.0, "metal": 1.0, "rocm": 1.0, "vulkan": 1.0, "cpu": 0.2}
# MoE expert matmuls in prefill (ggml's mul_mat_id: scattered expert slices, a few tokens per
# expert) run below dense matmuls on CPUs: 0.75-0.8 of the dense rate in rigbench's qwen3moe
# sweeps. (Generation reads the chosen experts at the dense rate: MOE_NODE_COST.) On GPUs the
# published prefill runs set the prior's k_moe_matmul instead (CUDA 0.74: gpt-oss and
# Qwen3-30B-A3B on a DGX Spark and an RTX 4090 prefill at 0.4-0.7 of the dense prediction);
# their generation is costed by the MoE layers' fixed cost (MOE_EXTRA_NODES).
# Arm cores without the int8 dot product (ARMv8.0: Cortex-A72, the Raspberry Pi 4): ggml-cpu
# multiplies quantized blocks through ggml_vdotq_s32's fallback (ggml-cpu-impl.h: two vmull_s8,
# two vpaddlq_s16 and two vaddq_s32 where SDOT is one instruction), and the repacked Q4_0/IQ4_NL
# GEMMs need the dot product: the int8 inner loop takes ~6x the instructions, the block scales
# and dequantisation around it do not change, so quantized matmuls run at about a third of
# the rate the CPU compute efficiencies (measured on cores with int8 dot products) assume.
NO_DOTPROD_RATIO = 1 / 3
MOE_RATIO = {"cuda": 1.0, "metal": 1.0, "rocm": 1.0, "vulkan": 1.0, "cpu": 0.75}
# CUDA's quantized expert matmuls (MMQ for mul_mat_id, ggml-cuda/mmq.cu) pick their tile width J
# (8-128 columns in steps of 8: mul_mat_q_switch_J) as the fewest tiles over the whole ubatch
# (`ncols_opt = ne12`; only RDNA3/4 under HIP use the tokens per expert), and every expert a
# token routed to multiplies whole J-wide tiles: an RTX 3090 prefilling deepseek-v2-lite (64
# experts, 6 used) at ubatch 128 gives each expert ~12 tokens in a 128-column tile. Ubatches of
# at most MMVQ_MAX_BATCH_SIZE tokens take the mat-vec kernels instead (mmvq.cuh: 8).
MMVQ_MAX_BATCH = 8
MMQ_MAX_J = 128
# The padded columns' cost: the tile's weight loads overlap part of its int8 MMA, so a padded
# column costs less than a real one. Held out (leave one machine out, 142 CUDA prefill rows),
# charging the padding at full cost (exponent 1) over-corrects (RTX 3090 gpt-oss-20b ub 64-128
# 1.4-1.7x over became 0.5x under, RTX 4090 qwen3-30b-a3b ub 64 0.84 -> 0.46; CUDA pp
# median / p90 16.5 / 51.9 % -> 16.5 / 49.0 %); its square root (chosen among 0, 1/2 and 1 by
# that held-out error, not fitted per machine): 15.0 / 45.2 %.
MMQ_PADDING_EXPONENT = 0.5


@functools.lru_cache(maxsize=4096)
def mmq_expert_padding(n_expert: int, n_used: int, ubatch: int) -> float:
    """The columns CUDA's MMQ multiplies for an MoE layer's experts over the columns its tokens
    fill, for a ubatch of ``ubatch`` tokens routed uniformly (each to ``n_used`` of
    ``n_expert``): every expert multiplies ceil(tokens / J) tiles of J (MMQ_MAX_J, J chosen
    against the ubatch). 1 for mat-vec sized ubatches and for no experts."""
    if n_expert <= 0 or n_used <= 0 or ubatch <= MMVQ_MAX_BATCH or n_used >= n_expert:
        return 1.0
    tiles = math.ceil(ubatch / MMQ_MAX_J)
    j = math.ceil(ubatch / tiles / 8) * 8
    p = n_used / n_expert
    # E[ceil(n / J)] for n ~ Binomial(ubatch, p), over n within 12 sd of the mean (the rest
    # holds under 1e-30 of the mass)
    mean, sd = ubatch * p, math.sqrt(ubatch * p * (1 - p))
    lo, hi = max(0, int(mean - 12 * sd)), min(ubatch, int(mean + 12 * sd) + 1)
    log_p, log_q = math.log(p), math.log1p(-p)
    tiles_expected = 0.0
    for n in range(lo, hi + 1):
        log_pmf = (
            math.lgamma(ubatch + 1)
            - math.lgamma(n + 1)
            - math.lgamma(ubatch - n + 1)
            + n * log_p
            + (ubatch - n) * log_q
        )
        tiles_expected += math.exp(log_pmf) * math.ceil(n / j)
    return max(1.0, n_expert * j * tiles_expected / (ubatch * n_used))


APU_BACKENDS = ("cuda", "rocm", "vulkan")  # where an APU GPU takes Prior.k_uma


def shares_apu_memory(backend: str, gpu: GpuInfo | None) -> bool:
    """A GPU built into an APU with the CPU's memory (Strix Halo, Strix Point, DGX Spark's
    GB10, Jetson), under CUDA, ROCm or Vulkan: the priors' shared k_uma scales its compute
    (matmuls and attention). Not Apple silicon: Metal's priors are fitted on Apple chips alone."""
    return (
        gpu is not None
        and backend in APU_BACKENDS
        and bool(gpu.unified_memory)
        and (gpu.vendor or "").lower() != "apple"
    )


# ggml-cuda's mat-vec kernels (mmvq.cu, mmvf.cu; the HIP build runs the same) multiply a ubatch
# of 2 to MMVQ_MAX_COLS tokens in one launch (MMVQ_MAX_BATCH_SIZE), but redo each weight block's
# dequantisation and dot product for every column (mul_mat_vec_q: vec_dot_q_cuda inside the
# loop over ncols_dst): past the first token each column adds a share of the weights' read
# time. The start share is a round figure; the prior's k_mmvq is fitted per backend, held out
# (bench_lomo.py). What the published ubatch sweeps show, for scale: an R9700 (PR 26705, llama
# 8B Q2_K) adds ~2.2 ms a column to 8.6 ms at one token, an RX 6800 (PR 24216, Llama 3.2 1B
# F16) ~1.75 ms to 7.1 ms, a Tesla P40 (llama 8B Q4_0) ~3.6 ms to 17.8 ms past two tokens.
# ROCm only: CUDA's Ampere and later cards pay far less a column than its Pascal and Volta ones
# (held out with CUDA at the same share, a Tesla P40's and a V100's small ubatches came right,
# while an RTX 3090's F16 at 8 tokens ran 1.65x its prediction and an RTX 5090's Gemma 4
# 1.2-1.5x; CUDA prefill 15.1 -> 16.5 % median).
MMVQ_MAX_COLS = 8
MMVQ_COL_SHARE = {"rocm": 0.1}


def mmvq_column_cost(backend: str, ubatch: int) -> float:
    """The columns past the first that ggml-cuda's mat-vec kernels redo a weight block's dot
    product for, times MMVQ_COL_SHARE: a multiple of the ubatch's weight-read time (0 outside
    2..MMVQ_MAX_COLS tokens and on other backends, whose kernels are not modelled so)."""
    if not 1 < ubatch <= MMVQ_MAX_COLS:
        return 0.0
    return (ubatch - 1) * MMVQ_COL_SHARE.get(backend, 0.0)


# F16/BF16 weights (and F32) multiply a ubatch of more than this many tokens through the GEMM
# kernels: on CUDA/HIP, ggml_cuda_should_use_mmf keeps up to 16 columns on llama.cpp's own
# MMF/MMVF kernels and sends wider ones to cuBLAS/hipBLAS; Metal's and Vulkan's matrix-matrix
# shaders take over at a few columns too. Their rate against the compute factor is the prior's
# k_f16, fitted on the F16/BF16 prefill rows at such ubatches (bench_lomo.py).
F16_GEMM_ABOVE = 16


def f16_gemm_factor(family: str, ubatch: int, k_f16: float) -> float:
    """What a ubatch's matmuls of ``family`` weights take of the prior's k_f16: all of it for
    F16/BF16 weights past F16_GEMM_ABOVE tokens (the GEMM path), none (1) otherwise."""
    return k_f16 if family == "f16" and ubatch > F16_GEMM_ABOVE else 1.0


def mmq_padding_cost(backend: str, family: str, spec: ModelSpec, ubatch: int) -> float:
    """What an MoE layer's expert matmuls cost over their tokens' columns: CUDA's quantized
    ones (MMQ) pay for their tiles' padding (mmq_expert_padding, at MMQ_PADDING_EXPONENT); F16
    and BF16 experts (cuBLAS, mmf) and other backends do not. A Volta part runs ubatches of 64
    and more through cuBLAS (ggml_cuda_should_use_mmq): not told apart here."""
    if backend != "cuda" or family == "f16":
        return 1.0
    pad = mmq_expert_padding(spec.n_expert, spec.n_expert_used, ubatch)
    return pad**MMQ_PADDING_EXPONENT


# An MoE layer runs more graph nodes than a dense one: build_moe_ffn (src/llama-graph.cpp) adds
# the router matmul, its softmax or sigmoid, the top-k argsort, the gather of the chosen
# weights, their normalisation (sum_rows, clamp, div), three mul_mat_id, the weighting mul, and
# one add per used expert to sum them: ~12 + n_expert_used nodes where a dense FFN has ~6, in a
# layer of ~20 (norms, q/k/v/o matmuls, rope, attention, FFN, residual adds). Its fixed cost
# starts at that share of the backend's layer_s; the prior's k_moe corrects it, fitted per
# backend on published MoE generation (scripts/bench_lomo.py fit_moe: GPUs run it at about 3
# (CUDA, Vulkan) to 5 (Metal) times this launch count's share).
MOE_EXTRA_NODES = 12 - 6
# Those nodes' cost against a dense layer's nodes, per backend. On CPUs each is a thread barrier
# around real work (the router's argsort, get_rows, mul_mat_id's per-expert row grouping and
# input conversion), measured on rigbench's twins (llama.cpp 0c1e570, llama-bench tg64 at 2
# threads of this project's EPYC runner, medians of 9 runs): a 12-layer qwen3moe twin against a
# llama twin of the same active FFN bytes generates 0.42-0.50 ms/token slower at 2 experts used
# (of 8, 32 or 128: the count of experts does not matter) and 0.66-1.06 ms at 8 used (of 16,
# 64 or 128) — 39 and 71 us an MoE layer, 3.1-3.2x the nodes' share of layer_s, so the CPU's
# k_moe is pulled toward 1 (bench_lomo.py fit_moe) — while its experts stream at the dense
# rate (64 experts, 8 used, n_ff_exp 128 to 1024: 33 GB/s per added byte, the dense twins' 32
# GB/s). GPUs: the priors' k_moe alone.
MOE_NODE_COST = {"cuda": 1.0, "metal": 1.0, "rocm": 1.0, "vulkan": 1.0, "cpu": 3.2}
# A recurrent layer (gated delta net: Qwen3.5, Qwen3-Next; Mamba-2: Nemotron-H) prefills a
# ubatch through one fused kernel per layer that walks its tokens one after another: in the
# vendored build, build_delta_net_fused (src/models/delta-net-base.cpp, fused_gdn_ch on by
# default) emits GGML_OP_GATED_DELTA_NET, whose Vulkan shader (gated_delta_net.comp) loops
# `for t < n_tokens` with two subgroup reductions and the token's q/k/v/g loads each step, and
# Mamba-2's ssm_scan does the same. Every head and state column runs in parallel, so a step
# costs a load's latency and two reductions whatever the GPU's size: about 1 us, the order of
# a GPU DRAM round trip. Its tokens x layers steps add to prefill (_work.scan_steps); the
# priors' k_scan (one value for every GPU group, fitted leave-one-machine-out) corrects the
# step. CPUs run the op's heads across threads at their attention rate: attn_work costs it.
SCAN_STEP_S = {"cuda": 1e-6, "metal": 1e-6, "rocm": 1e-6, "vulkan": 1e-6, "cpu": 0.0}
LAYER_NODES = 19  # a llama layer's compute nodes (LAYER_NODES_BY_ARCH)
# Compute nodes one layer runs (views and reshapes, which no backend dispatches, left out),
# measured on rigbench's twins with llama.cpp 0c1e570's scheduler print (GGML_SCHED_DEBUG=2
# llama-fit-params -v, CPU; the nodes of a 2N-layer twin less an N-layer one's, over N; MoE
# twins at 2 experts used, less their routing's MOE_EXTRA_NODES + 2, which the MoE term
# costs): llama 19, qwen2 22 (biases), qwen3/qwen3moe 23-24 (q/k norms), gpt-oss 25, gemma3 28,
# gemma4 29 (E2B/E4B 34: per-layer embeddings; 26B-A4B 47: a dense MLP and four norms beside
# the experts), glm4moe 31, deepseek2 33 (MLA), qwen35 37 and qwen35moe 46 (three gated delta
# net layers per attention one), qwen3next 48.5, nemotron_h 17 (Mamba-2, attention and MLP
# layers in the Nano's order), nemotron_h_moe 20 (Mamba-2, attention and expert layers). A
# layer's fixed cost is its backend's layer_s, fitted on the published rows, times its nodes
# over a llama layer's.
LAYER_NODES_BY_ARCH = {
    "llama": 19.0,
    "qwen2": 22.0,
    "qwen3": 23.0,
    "qwen3moe": 24.0,
    "gpt-oss": 25.0,
    "gemma3": 28.0,
    "gemma4": 29.0,
    "glm4moe": 31.0,
    "deepseek2": 33.0,
    "qwen35": 37.25,
    "qwen35moe": 46.25,
    "qwen3next": 48.5,
    "nemotron_h": 17.4,
    "nemotron_h_moe": 20.0,
}
GEMMA4_PLE_NODES = 34.0  # E2B/E4B twin
GEMMA4_MOE_NODES = 46.8  # 26B-A4B twin, routing out


def layer_node_weight(arch: str, is_moe: bool, per_layer_embd: bool) -> float:
    """A layer's fixed cost in llama layers (LAYER_NODES_BY_ARCH; unknown architectures: 1)."""
    nodes = LAYER_NODES_BY_ARCH.get(arch, LAYER_NODES)
    if arch == "gemma4":
        nodes = GEMMA4_MOE_NODES if is_moe else GEMMA4_PLE_NODES if per_layer_embd else nodes
    return nodes / LAYER_NODES


# What one core streams from DRAM: 16.8 GB/s per thread on this project's 2-core EPYC runner;
# Zen 4 desktops and Apple P-cores read more (ik_llama.cpp discussion #164: a 7950X's tg128 at
# 2 threads reads ~26 GB/s a thread): the CPU prior's k_thread, fitted leave-one-machine-out.
PER_THREAD_BW = 16 * GB
# ...at a core clock of THREAD_CLOCK_GHZ: generation's mat-vec kernels are bound by each
# thread's block unpacking (THREAD_STREAM, below: the weight types differ by their decode work,
# not their bytes), so what a thread streams scales with its clock (thread_clock_factor). The
# published per-thread rates agree, per GHz of the catalog's P-core clock: a 7950X at 2-4
# threads (ik_llama.cpp discussion #164, PR 54) ~5 GB/s per GHz, an M2 Max at 4 threads and an
# M4 Max at 8 (#164; llama.cpp PRs 16739 and 18888) 5.4-5.9, where a flat per-thread figure
# had the M4 Max 1.35x and the M2 Max 0.94x its held-out predictions. The prior's k_thread is
# fitted on that scale; a CPU whose clock is not known (a VM's procfs) is taken at it.
THREAD_CLOCK_GHZ = 4.0


def is_arm(cpu: CpuInfo | None) -> bool:
    """An Arm CPU (its architecture as procfs, sysctl or the catalog spell it)."""
    return ((cpu.arch if cpu else None) or "").lower() in ("aarch64", "arm64", "armv8")


def is_x86(cpu: CpuInfo | None) -> bool:
    """An x86 CPU (its architecture as procfs, sysctl, Windows or the catalog spell it)."""
    return ((cpu.arch if cpu else None) or "").lower() in ("x86_64", "amd64", "x86", "i686")


def thread_clock_factor(cpu: CpuInfo | None) -> float:
    """What a thread of ``cpu`` streams against one at THREAD_CLOCK_GHZ: its top clock over it
    (a clock outside 0.5-7 GHz, or none, is not believed: 1)."""
    mhz = cpu.max_clock_mhz if cpu else None
    if not mhz or not 500 <= mhz <= 7000:
        return 1.0
    return mhz / 1000 / THREAD_CLOCK_GHZ


# What one x86 thread streams depends on the weight type it decodes: generation's mat-vec
# kernels are bound by the per-block unpacking, not DRAM, one thread at a time. Measured on
# this project's runner (EPYC, llama.cpp 0c1e570, 250M synthetic twins, llama-bench tg48 at 1
# thread, 6 runs each, less 0.55 ms of fixed cost a token): F16 and BF16 27.2 GB/s, Q6_K 22.1,
# Q8_0 21.9, Q4_K_M 19.1, Q4_0 19.0, IQ4_NL 18.7, Q5_K_M 16.0, Q3_K_M 14.1, Q2_K 13.9, IQ4_XS
# 13.1, Q5_0 12.1, Q4_1 10.3; each type alone, taking the mixes' Q6_K/Q5_K/Q4_K/Q3_K parts
# out: Q4_K 17.8, Q5_K 14.3, Q3_K 10.4, Q2_K 13.2. Stored against the Q4_K_M mix (19.1 GB/s,
# the common case PER_THREAD_BW and the prior's k_thread were fitted on). Arm cores with the
# int8 dot product decode the types ggml-cpu repacks for them (ARM_REPACKED: Q4_0, Q4_K, Q5_K,
# Q6_K, Q8_0, IQ4_NL, MXFP4; the Q4_K_M mix's Q4_K and Q6_K among them) through the repacked
# GEMV, and the rest through the same generic vec_dot kernels as x86: those take this table's
# rates, the repacked ones the mix's (1). The published Arm rows agree on the order, not every
# figure: ik_llama.cpp discussion #164's M2 Max at 4 threads streams F16 32 GB/s a thread,
# repacked Q4_0 and IQ4_NL 28, IQ4_XS 18, Q5_0 17, Q3_K_S 10 (against the repacked rate F16
# 1.14, IQ4_XS 0.64, Q5_0 0.61, Q3_K_S 0.36, where the table has 1.42, 0.61, 0.58, 0.54); the
# M4 Max's repacked Q4_K_M, Q5_K_M and Q6_K within 0.9-1.0 of each other (llama.cpp PRs 18860,
# 18888), so Q6_K and Q8_0 at the mix's rate there, not the table's 1.15-1.16.
# Held out (bench_lomo.py), CPU generation 10.6 / 43.8 % median / p90 with every type at 1 on
# Arm, 10.0 / 39.4 % so.
THREAD_STREAM = {
    "F16": 1.42, "BF16": 1.42, "F32": 1.42, "Q6_K": 1.16, "Q8_0": 1.15, "Q4_K": 0.93,
    "Q4_0": 0.95, "IQ4_NL": 0.96, "Q5_K": 0.75, "IQ4_XS": 0.61, "Q3_K": 0.54, "Q2_K": 0.69,
    "Q5_0": 0.58, "Q4_1": 0.48,
}  # fmt: skip


def thread_stream_factor(cpu: CpuInfo | None, spec: ModelSpec, repacked: bool = True) -> float:
    """What a thread streams of the weights a token reads against the Q4_K_M mix (THREAD_STREAM):
    their bytes over the time each type takes at its own rate (_memory.read_per_token says which
    the predictor counts as read). On Arm cores with the int8 dot product the types ggml-cpu
    repacks (ARM_REPACKED) stream at the mix's rate, which is itself repacked there, and the
    others at the x86 table's; 1 on other CPUs. ``repacked`` False: the CPU's weights sit in a
    GPU backend's host buffer, which llama.cpp does not repack (cpu_type_gain), so an Arm core
    streams every type at the table's rate."""
    arm = is_arm(cpu) and not lacks_dotprod(cpu)
    if not is_x86(cpu) and not arm:
        return 1.0
    total = time = 0.0
    for t in spec.tensors:
        if read_per_token(spec, t):
            total += t.n_bytes
            kind = t.type.upper()
            own = arm and repacked and kind in ARM_REPACKED
            rate = 1.0 if own else THREAD_STREAM.get(kind, 1.0)
            time += t.n_bytes / rate
    return total / time if time else 1.0


def cpu_peak_flops(host: HostProfile, threads: int) -> tuple[float, str]:
    """FP32 FMA throughput of ``threads`` cores: spec if given, else cores x clock x width."""
    cpu = host.cpu
    cores = cpu.physical_cores if cpu and cpu.physical_cores else 1
    used = min(threads, cores)
    if cpu and cpu.spec_fp32_flops:
        return cpu.spec_fp32_flops * used / cores, "spec"
    flags = cpu.isa_flags if cpu else {}
    per_cycle = (
        64
        if flags.get("AVX512_F")
        else 32
        if flags.get("AVX2")
        else 16
        if (flags.get("NEON") or flags.get("SVE"))
        else 8
    )
    ghz = (cpu.max_clock_mhz or cpu.base_clock_mhz or 3000) / 1000 if cpu else 3.0
    how = "cores x clock x FMA width" + (
        "" if cpu and cpu.max_clock_mhz else " (clock unknown: 3 GHz)"
    )
    return used * ghz * 1e9 * per_cycle, how


def lacks_dotprod(cpu: CpuInfo | None) -> bool:
    """An Arm CPU known to lack the int8 dot product: its flags were read (NEON seen) and say
    DOTPROD false. A probe that saw no flags (Windows on Arm) or an Apple chip (every one has
    it, whatever an old macOS sysctl says) is not slowed."""
    if cpu is None or not is_arm(cpu):
        return False
    flags = cpu.isa_flags
    apple = (cpu.vendor or "").lower() == "apple"
    return bool(flags.get("NEON")) and flags.get("DOTPROD") is False and not apple


# Arm cores with the int8 dot product prefill the weight types ggml-cpu repacks into
# interleaved blocks (repack.cpp ggml_repack_get_optimal_repack_type, the vendored build: Q4_0,
# Q4_K, Q5_K, Q6_K, Q8_0, IQ4_NL and MXFP4 with dotprod or i8mm) through GEMM kernels, the others
# through per-row dot products. The gain is measured off the machines judged here: a Raspberry
# Pi 5's pp512 with the repack off and on, llama.cpp PRs 19356 (Q5_K: 1.86x and 1.91x) and 19360
# (Q6_K: 2.60x and 2.65x), geometric mean 2.2.
ARM_REPACKED = frozenset({"Q4_0", "Q4_K", "Q5_K", "Q6_K", "Q8_0", "IQ4_NL", "MXFP4"})
ARM_REPACK_GAIN = 2.2
# x86 cores prefill each weight type through its own kernel: Q4_0, Q4_K and IQ4_NL repacked to
# 8x8 GEMMs (repack.cpp, AVX2), Q8_0/Q5_0/F16/BF16 through llamafile's tinyBLAS (sgemm.cpp), the
# other K-quants and IQ4_XS through ggml-cpu/tiled's K-quant mul_mat (llama.cpp PR 27851), Q4_1
# and Q5_1 through per-row dot products. What each type's matmuls reach against the Q4_K_M mix
# (the "kquant" CPU efficiency above): this project's runner (EPYC Zen 4, AVX-512 VNNI), the
# vendored build, 250M synthetic twins of 17 quants, llama-bench pp512 at 2 threads, medians of 3
# rounds (Q4_K_M 625 t/s, Q5_K_S 882, IQ4_XS 914, Q6_K 726, Q3_K_S 716, Q4_0 634, Q8_0 513, Q5_0
# 430, F16 450, Q2_K 454, Q4_1 221, Q5_1 194), less 0.25 ms a token of attention (the predictor's
# own share at depth 0-512), each type alone solved out of the mixes. Types not listed run at
# their family's rate. BF16 runs 1.02 on cores with AVX512_BF16 (tinyBLAS's native bf16 dot
# products, sgemm.cpp under __AVX512BF16__), F16's rate on the others (converted to FP32 as F16
# is): the catalog's CPUs carry no such flag, so only a probed host gets it. The Dec-2024 build
# ran the K-quants at half these rates (ik_llama.cpp discussion 164's 7950X, and the same twins
# here: those rows are history, PublishedRow.superseded_by).
X86_PREFILL = {
    "Q4_K": 0.98, "Q5_K": 1.40, "Q6_K": 1.16, "Q3_K": 1.13, "Q2_K": 0.55, "IQ4_XS": 1.58,
    "Q4_0": 1.00, "IQ4_NL": 0.96, "Q5_0": 0.64, "Q4_1": 0.31, "Q5_1": 0.27, "Q8_0": 0.78,
    "F16": 0.67, "BF16": 1.02,
}  # fmt: skip
# What the family efficiencies were measured on: the rate X86_PREFILL gains are taken against
# (None: the Q4_K_M mix, 1).
X86_PREFILL_FAMILY = {"kquant": None, "quant": "Q4_0", "q8": "Q8_0", "f16": "F16"}


def cpu_type_gain(cpu: CpuInfo | None, spec: ModelSpec, family: str) -> float:
    """How much faster a CPU multiplies ``spec``'s weights in prefill than its CPU efficiency
    for ``family`` assumes, by each type's share of the matmul FLOPs (the output head left out:
    it multiplies one row per prompt): on Arm cores with the int8 dot product ARM_REPACK_GAIN on
    the types they repack (ARM_REPACKED); on x86 each type's X86_PREFILL rate against the
    family's own (an unlisted type at the family's; BF16 at F16's without AVX512_BF16); 1
    elsewhere. (llama.cpp repacks only weights in the CPU's own buffers: on a host whose GPU
    backend is loaded, CPU layers sit in the GPU's pinned host buffer, llama-model.cpp
    make_cpu_buft_list, so the caller applies it to CPU-only runs.)"""
    arm, x86 = is_arm(cpu), is_x86(cpu)
    if not (arm or x86):
        return 1.0
    ref = X86_PREFILL_FAMILY.get(family) if x86 else None
    base = X86_PREFILL[ref] if ref else 1.0  # the rate the family's efficiency holds
    bf16 = bool(cpu and cpu.isa_flags.get("AVX512_BF16"))
    head = spec.output_head
    total = time = 0.0
    for t in spec.tensors:
        if len(t.shape) > 1 and t.name != head and read_per_token(spec, t):
            used = spec.n_expert_used / spec.n_expert if t.is_expert and spec.n_expert else 1
            n = math.prod(t.shape) * used
            kind = t.type.upper()
            if arm:
                rate = ARM_REPACK_GAIN if kind in ARM_REPACKED else 1.0
            else:
                rate = X86_PREFILL.get("F16" if kind == "BF16" and not bf16 else kind, base)
            total += n
            time += n / rate
    return total / time / base if time else 1.0


# A measured STREAM-like read reaches about 80 % of a DDR spec figure; the CPU efficiencies
# above are against what can be read, so a spec bandwidth is scaled down by this first.
SPEC_TO_ACHIEVABLE = 0.80
PCIE_DEFAULT_BW = 25 * GB  # effective PCIe 4.0 x16
PCIE_GEN_BW = {3: 12 * GB, 4: 25 * GB, 5: 50 * GB}  # effective x16, scaled by width
HOP_LATENCY_S = 10e-6
DEFAULT_GPU_FLOPS = 10e12  # a GPU neither its driver nor the catalog gives a figure for
# One token's mat-vec reads are latency-bound per SM: llama.cpp reaches about 5 bytes per SM per
# clock on data-centre parts, far below their HBM rate (CUDA scoreboard #15013, LLaMA 2 7B Q4_0
# tg128 less ~0.7 ms of per-layer cost: H100 SXM 1.25 TB/s = 4.8 B per SM-cycle of 132 SMs x
# 1.98 GHz, A100 0.84 TB/s = 5.5 of 108 x 1.41). Applied where SMs x clock are known
# (GpuInfo.spec_mmq_flops / 512); a GDDR card's own bandwidth binds first.
BYTES_PER_SM_CYCLE = 5.0
# Backends whose kernels run on an NVIDIA part at its SMs x clock rate (GpuInfo.spec_mmq_flops)
# rather than its FP16 tensor peak: CUDA's MMQ, and Vulkan, whose quantized and F16 matmuls take
# the f16-accumulate coopmat2 or the int8 pipelines (ggml-vulkan.cpp
# ggml_vk_get_mul_mat_mat_f16acc: f16acc for every quant type under coopmat2 at the default
# precision; the int8 MMQ path first where it exists). A workstation part on a GeForce die (RTX
# PRO, RTX 6000 Ada, A6000, L40S) runs those at its GeForce twin's rate per SM and clock: only
# FP32 accumulation is halved on GeForce, and that full-rate figure is what the catalog stores
# for it. Every published NVIDIA Vulkan row, which fit the Vulkan factors, is a GeForce (FP16
# figure = SMs x 512 x clock). A data-centre die (A100, H100) has larger tensor cores per SM,
# which llama.cpp's CUDA MMQ is measured not to use (mmq_tflops); with no Vulkan row on one, it
# is held to the same SM rate. Held to the catalog's peak instead, an H100 under Vulkan was
# predicted to prefill 3.6x and generate 1.5x its CUDA prediction, where every GeForce card's
# Vulkan prediction is 0.57x (pp) and 0.92x (tg) its CUDA one.
SM_RATE_BACKENDS = frozenset({"cuda", "vulkan"})


GPU_BACKENDS = ("cuda", "rocm", "metal", "vulkan")
# SpeedPrediction.inputs["sides_s"]: both sides of each max in the terms (seconds, summed over
# devices and ubatches): tg weights and KV reads at the stream rate and at the per-SM cap, the
# KV cache's attention compute, score traffic; pp matmul, expert-matmul, attention and score
# time (the compute side) against weight and KV reads (the memory side).
SIDES = (
    "tg_weights_stream",
    "tg_weights_cap",
    "tg_kv_stream",
    "tg_kv_cap",
    "tg_kv_compute",
    "tg_scores",
    "pp_compute",
    "pp_moe_compute",
    "pp_attention",
    "pp_scores",
    "pp_scan",
    "pp_read",
    "pp_mmvq",
)


# ggml-vulkan multiplies quantized weights with its DP4A MMQ shaders (PR 12135) on a device with
# integer dot products and no cooperative matrices (ggml_vk_khr_cooperative_matrix_support):
# AMD RDNA2 and Vega 20 run V_DOT4_I32_I8, four int8 multiply-adds a lane and clock, twice the
# packed-FP16 rate the catalog stores for them (PR 12135's RX 6800 XT: 1846 t/s pp512 of LLaMA 3
# 8B Q4_0 on that path, 921 on the FP16 shaders before it); Intel's Arc A (Xe1) cards run DP4A
# on their vector engines, 4x their FP32 rate = half the XMX rate the catalog stores. RDNA1 has
# no dot4 (PR 13324's RX 5700 XT prints "int dot: 0"), RDNA3/4 and Arc B take the cooperative
# matrices, NVIDIA coopmat2: the stored figure.
VULKAN_DP4A_GAIN = {"amd": 2.0, "intel": 0.5}
_AMD_DP4A_GFX = ("gfx103", "gfx906")  # RDNA2 (Navi 2x, Rembrandt), Vega 20
_AMD_DP4A_NAME = re.compile(
    r"\bRX\s*6\d{3}[MS]?\b|\bW6\d{3}M?\b|\b6[0-9]0M\b|RADEON VII|\bPRO VII\b|\bMI(50|60)\b"
    r"|\bNAVI\s*2\d\b|REMBRANDT|VANGOGH|RAPHAEL|MENDOCINO",  # RADV's codenames, RDNA2
    re.I,
)
# The weight types ggml-vulkan has DP4A MMQ shaders for (ggml-vulkan.cpp, the integer-dot
# matmul pipelines without cooperative matrices); other types (IQ1/IQ2, IQ3_XXS, IQ4_NL, TQ)
# take the FP16 shaders.
VULKAN_DP4A_TYPES = frozenset(
    {"Q2_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "MXFP4", "IQ3_S", "IQ4_XS"}
    | {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"}
)


_INTEL_XE1_NAME = re.compile(r"\bArc(\(TM\))?\s+(Pro\s+)?A\d{2,3}", re.I)


def vulkan_dp4a_gain(gpu: GpuInfo) -> float:
    """What a GPU's quantized matmuls reach under Vulkan against its catalog FP16 figure when
    ggml-vulkan runs them through DP4A (VULKAN_DP4A_GAIN); 1 on the other paths."""
    vendor, name = (gpu.vendor or "").lower(), gpu.name or ""
    if vendor == "amd":
        gfx = (gpu.gfx_target or "").lower()
        hit = gfx.startswith(_AMD_DP4A_GFX) if gfx else bool(_AMD_DP4A_NAME.search(name))
        return VULKAN_DP4A_GAIN["amd"] if hit else 1.0
    if vendor == "intel" and _INTEL_XE1_NAME.search(name):
        return VULKAN_DP4A_GAIN["intel"]
    return 1.0


# GeForce boards run above the boost clock their FLOPS figures are computed at (the catalog's
# SMs x 512 x boost clock): GPU Boost raises the clock while power and temperature allow. A
# stock RTX 4090 held 2730 MHz at 97 % load against its rated 2520 (hothardware.com, "Overclocking
# NVIDIA's GeForce RTX 4090 To 3.2GHz", GPU-Z at stock, 2022-10), 1.08x; a stock demo sat at
# 2810-2850 (tweaktown.com news 88568). Matmul-heavy prefill meets the power limit sooner than
# a game, so the lower figure. Workstation and data-centre boards (RTX PRO, A/H/L series)
# are sold at the clocks they hold under load; laptop GeForce parts at their power cap: 1.
GEFORCE_CLOCK_GAIN = 1.08


def sustained_clock_gain(gpu: GpuInfo) -> float:
    """A GPU's sustained compute clock against the boost clock of its catalog FLOPS figure:
    GEFORCE_CLOCK_GAIN for desktop GeForce boards, 1 for the rest."""
    name = (gpu.name or "").lower()
    if (gpu.vendor or "").lower() == "nvidia" and "geforce" in name and "laptop" not in name:
        return GEFORCE_CLOCK_GAIN
    return 1.0
