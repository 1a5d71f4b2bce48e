"""What one token reads and computes beyond the weights, layer by layer: the KV cache or
recurrent state it reads, the attention work it does, the score traffic without flash
attention, and the host/GPU crossings of a split model (bench.predictor._speed's terms)."""

from __future__ import annotations

import itertools

from bench.model import ModelSpec
from bench.predictor._memory import KV_TYPE_BYTES
from bench.records import RunConfig


def _cells(spec: ModelSpec, il: int, depth: float) -> float:
    """The cache cells a query at ``depth`` attends to in layer ``il``: all of them, or at most
    the window on a sliding-window layer."""
    if spec.swa_layers[il] and spec.sliding_window:
        return min(depth, spec.sliding_window)
    return depth


def kv_read(spec: ModelSpec, where: list[int], dev: int, depth: float, cfg: RunConfig) -> float:
    """Bytes of KV cache (or recurrent state) one query at ``depth`` reads from device ``dev``:
    every cached cell's K and V rows (MLA: the compressed latent and the rope part)."""
    total = 0.0
    for il in range(spec.n_layer - spec.n_layer_nextn):
        if where[il] != dev:
            continue
        if spec.is_recurrent(il):
            total += 2 * spec.recurrent_state_bytes  # the state is read and written back
            continue
        cells = _cells(spec, il, depth)
        if spec.kv_lora_rank:
            width = (spec.kv_lora_rank + 64) * KV_TYPE_BYTES[cfg.type_k]
        else:
            width = spec.n_head_kv[il] * (
                spec.head_dim_k * KV_TYPE_BYTES[cfg.type_k]
                + spec.head_dim_v * KV_TYPE_BYTES[cfg.type_v]
            )
        total += cells * width
    return total


# Without flash attention llama.cpp materialises each query's scores (n_head x cells, f32):
# KQ is written, read by the masked softmax, written again and read by the product with V
# (llama-graph.cpp build_attn_mha, the non-FA branch): four passes through memory.
SCORE_PASSES = 4


def score_bytes(spec: ModelSpec, where: list[int], dev: int, depth: float) -> float:
    """Memory traffic of one query's attention scores without flash attention."""
    total = 0.0
    for il in range(spec.n_layer - spec.n_layer_nextn):
        if where[il] != dev or spec.is_recurrent(il):
            continue
        cells = _cells(spec, il, depth)
        total += spec.n_head[il] * cells * 4 * SCORE_PASSES
    return total


def attn_work(spec: ModelSpec, where: list[int], dev: int, depth: float) -> float:
    """Sum over the device's layers of n_head x head_dim x the cells a query attends to (QK^T
    and softmax x V: 4 FLOPs each). A sliding-window layer attends to at most its window; a
    recurrent layer updates its fixed state instead."""
    total = 0.0
    for il in range(spec.n_layer - spec.n_layer_nextn):
        if where[il] != dev:
            continue
        if spec.is_recurrent(il):
            # The gated delta rule / Mamba-2 scan touches each state element a few times per
            # token, whatever the depth: ~4 FLOPs an element, as attention's 4 per cell.
            total += spec.recurrent_state_bytes / 4
            continue
        cells = _cells(spec, il, depth)
        total += spec.n_head[il] * spec.head_dim_k * cells
    return total


def host_hops(where: list[int], cfg: RunConfig, spec: ModelSpec) -> int:
    """Host/GPU crossings per token: device changes along the layers, plus two per layer whose
    experts stay on the CPU (--n-cpu-moe)."""
    changes = sum(1 for a, b in itertools.pairwise(where) if a != b)
    return changes + 2 * min(cfg.n_cpu_moe, spec.n_layer) if spec.n_expert else changes
