"""What one token reads and computes beyond the weights, layer by layer: the KV cache or
recurrent state it reads, the attention work it does, the score traffic without flash
attention, and the host/GPU crossings of a split model (bench.predictor._speed's terms)."""

from __future__ import annotations

import itertools
import math

from bench.model import ModelSpec
from bench.predictor._memory import KV_TYPE_BYTES
from bench.records import RunConfig

# llama.cpp keeps a sliding-window layer's cache in a ring of n_swa + n_ubatch cells padded to
# 256 (llama-kv-cache-iswa.cpp, size_swa). A new token takes the cell of one that left the
# window (find_slot reuses masked cells), so once the ring has wrapped every cell stays in use
# and attention runs over all of it (get_n_kv: used_max_p1), the out-of-window cells masked.
# Metal's and Vulkan's flash-attention kernels skip blocks whose mask is all -inf (ggml-metal
# fa_aux "blk", vulkan-shaders flash_attn*.comp) and ggml-cpu's skips masked cells one by one:
# the window's work. Without flash attention every backend multiplies the whole ring, and so
# does CUDA's/HIP's below a ubatch of 1024 queries; from 1024 on it trims each query tile's
# masked tail (fattn-common.cuh flash_attn_mask_to_KV_max), leaving at least the window and the
# ubatch's earlier tokens (u/2 on average) to scan.
SWA_PAD = 256
SKIPS_MASKED_BLOCKS = ("metal", "vulkan", "cpu")
TRIMS_MASKED_TAIL = ("cuda", "rocm")
TRIM_MIN_QUERIES = 1024


def swa_span(spec: ModelSpec, backend: str, cfg: RunConfig, u: int = 1) -> float | None:
    """The cells a sliding-window layer's attention runs over for one query of a ubatch of
    ``u`` tokens (1: a generated token) on ``backend`` once its ring has filled (None: the
    model has no sliding window)."""
    window = spec.sliding_window
    if not window:
        return None
    if cfg.flash_attn and backend in SKIPS_MASKED_BLOCKS:
        return float(window)
    if cfg.flash_attn and backend in TRIMS_MASKED_TAIL and u >= TRIM_MIN_QUERIES:
        return window + u / 2
    return float(-(-(window + max(cfg.n_ubatch, 1)) // SWA_PAD) * SWA_PAD)


def _cells(spec: ModelSpec, il: int, depth: float, span: float | None) -> float:
    """The cache cells a query at ``depth`` attends to in layer ``il``: all of them, or on a
    sliding-window layer at most ``span`` (swa_span; None: the window)."""
    if spec.swa_layers[il] and spec.sliding_window:
        return min(depth, span or spec.sliding_window)
    return depth


def kv_read(
    spec: ModelSpec,
    where: list[int],
    dev: int,
    depth: float,
    cfg: RunConfig,
    span: float | None = None,
    by_layer: dict[int, float] | None = None,
) -> float:
    """Bytes of KV cache (or recurrent state) one query at ``depth`` reads from device ``dev``:
    every cached cell's K and V rows (MLA: the compressed latent and the rope part); a
    sliding-window layer's up to ``span`` cells (swa_span). ``by_layer``, if given, gets each
    attending layer's bytes (kv_gqa_doublings weighs by them)."""
    total = 0.0
    for il in range(spec.n_layer - spec.n_layer_nextn):
        if where[il] != dev:
            continue
        if spec.is_recurrent(il):
            total += 2 * spec.recurrent_state_bytes  # the state is read and written back
            continue
        cells = _cells(spec, il, depth, span)
        if spec.kv_lora_rank:
            width = (spec.kv_lora_rank + 64) * KV_TYPE_BYTES[cfg.type_k]
        else:
            width = spec.n_head_kv[il] * (
                spec.head_k(il) * KV_TYPE_BYTES[cfg.type_k]
                + spec.head_v(il) * KV_TYPE_BYTES[cfg.type_v]
            )
        total += cells * width
        if by_layer is not None and width:
            by_layer[il] = cells * width
    return total


# The query heads a cached K/V row serves (n_head / n_head_kv: grouped-query attention; an MLA
# latent serves every head) change what reading the cache costs a generated token under a
# GPU's flash attention: its kernel does the dot products and softmax of every query head for
# each row it loads, so the more heads share a row, the longer its read takes. Held out, before
# this term, a row at 8-64k of context over the same test's at depth 0 (predicted / measured):
# a Radeon AI PRO R9700's llama2-7b (one head a row) 0.83-0.87, Gemma 3 4B (2) 0.93-0.97 on a
# DGX Spark and an M2 Ultra, 4-7 heads 1.00-1.13, 8 (gpt-oss, Qwen3-30B-A3B) 1.02-1.18 on four
# machines. Without flash attention each head multiplies the cache through mat-vec kernels of
# their own cost (Strix Halo's llama2 at 4-8k generated tokens: 0.3-0.4 of the prediction):
# not scaled. The priors' k_gqa (one value for the GPU groups, fitted leave-one-machine-out)
# is what each doubling of the heads a row serves multiplies the read's time by, from GQA_REF.
GQA_REF = 4


def kv_gqa_doublings(spec: ModelSpec, by_layer: dict[int, float], read: float) -> float:
    """log2 of the query heads each K/V row serves, over GQA_REF, averaged over the bytes a
    query reads (kv_read's ``by_layer`` of its ``read``: a recurrent state's count at 0)."""
    weighted = 0.0
    for il, n_bytes in by_layer.items():
        heads = spec.n_head[il] if spec.kv_lora_rank else spec.n_head[il] / spec.n_head_kv[il]
        weighted += n_bytes * math.log2(max(heads, 1.0) / GQA_REF)
    return weighted / read if read else 0.0


# Without flash attention llama.cpp materialises each query's scores (n_head x cells, f32):
# KQ is written, read by the masked softmax, written again and read by the product with V
# (llama-graph.cpp build_attn_mha, the non-FA branch): four passes through memory.
SCORE_PASSES = 4


def score_bytes(
    spec: ModelSpec, where: list[int], dev: int, depth: float, span: float | None = None
) -> float:
    """Memory traffic of one query's attention scores without flash attention."""
    total = 0.0
    for il in range(spec.n_layer - spec.n_layer_nextn):
        if where[il] == dev and spec.attends(il):
            total += spec.n_head[il] * _cells(spec, il, depth, span) * 4 * SCORE_PASSES
    return total


def scan_steps(spec: ModelSpec, where: list[int], dev: int) -> int:
    """The recurrent layers on device ``dev``: each scans a ubatch token by token in prefill
    (_efficiency.SCAN_STEP_S), one step a token."""
    trunk = range(spec.n_layer - spec.n_layer_nextn)
    return sum(1 for il in trunk if where[il] == dev and spec.is_recurrent(il))


def attn_work(
    spec: ModelSpec, where: list[int], dev: int, depth: float, span: float | None = None
) -> float:
    """Sum over the device's layers of n_head x head_dim x the cells a query attends to (QK^T
    and softmax x V: 4 FLOPs each). A sliding-window layer runs over at most ``span`` cells
    (swa_span; None: its window); a recurrent layer updates its fixed state instead, and a
    feed-forward-only layer (ModelSpec.attends) attends to nothing."""
    total = 0.0
    for il in range(spec.n_layer - spec.n_layer_nextn):
        if where[il] != dev:
            continue
        if spec.is_recurrent(il):
            # The gated delta rule / Mamba-2 scan touches each state element a few times per
            # token, whatever the depth: ~4 FLOPs an element, as attention's 4 per cell.
            total += spec.recurrent_state_bytes / 4
            continue
        if spec.attends(il):
            total += spec.n_head[il] * spec.head_k(il) * _cells(spec, il, depth, span)
    return total


def host_hops(where: list[int], cfg: RunConfig, spec: ModelSpec) -> int:
    """Host/GPU crossings per token: device changes along the layers, plus two per layer whose
    experts stay on the CPU (--n-cpu-moe)."""
    changes = sum(1 for a, b in itertools.pairwise(where) if a != b)
    return changes + 2 * min(cfg.n_cpu_moe, spec.n_layer) if spec.n_expert else changes
