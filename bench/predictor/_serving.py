"""Serving prediction: what N users of one llama-server see (issue 17).

Built on ``predict_speed``'s terms, not beside them:

- decode with N active sequences: one step reads the weights once for all of them, and each
  sequence adds its own KV-cache reads and its own matmul FLOPs. A step costs
  ``max(weights, N x compute) + N x kv + overhead``, so aggregate tokens/s rises with N while
  the weight read is shared, and levels off once compute (or the KV reads) is the bound.
- prefill: a prompt starts at depth 0 (``cache_prompt`` off, a cleared slot) and costs
  predict_speed's pp time for its length. Prefills of all users go through the same machine
  one after another and stall every decoding user while they run (llama-server puts a prompt
  chunk and the decode tokens in one batch; the chunk dominates).
- TTFT = fixed overhead + queueing (another user's prompt in flight) + own prefill. The first
  token is sampled from the prompt's last logits, so no decode step is added.
- memory: the -c cells are split over the -np slots (``n_ctx_seq = n_ctx / n_seq_max`` without
  --kv-unified, llama.cpp 0c1e570 src/llama-context.cpp); the KV bytes are those of -c.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from bench.model import ModelSpec
from bench.predictor._memory import kv_bytes_per_layer, predict_formula
from bench.predictor._speed import predict_speed
from bench.records import Calibration, MemConfig, RunConfig
from probe import HostProfile

SERVING_PREDICTOR = "rigbench-serving"
# History: 1 — shared-weight decode steps, serialized prefills, queue from prefill overlap.
SERVING_PREDICTOR_VERSION = "1"
# What llama-server adds to a request beyond its prefill, on 127.0.0.1: HTTP parse, task
# queue hand-off, slot launch, sampling and the first SSE frame. `bench serve` on this project's
# 2-core runner (llama.cpp 0c1e570, synthetic Q8_0 of 2 M and 156 M parameters, 1 user, prompt
# 32-512): TTFT minus the server's own prompt_ms, median per level, 0.8-1.9 ms; 2 ms here.
REQUEST_OVERHEAD_S = 2e-3


@dataclass(frozen=True, slots=True)
class ServingLevel:
    """Predicted figures of N users, each sending ``n_prompt``-token prompts for ``n_gen``
    tokens, back to back. Seconds and tokens/s."""

    users: int
    n_prompt: int
    n_gen: int
    ttft_s: float  # a request in steady state
    ttft_burst_s: float  # every user's first request at once: all prompts prefilled together
    ttft_terms_s: dict[str, float]
    step_s: float  # one decode step with ``users`` sequences
    per_user_tokens_per_s: float  # generated tokens over a user's decode phase
    aggregate_tokens_per_s: float  # generated tokens of all users over wall time
    decode_bound: str  # weights | compute | kv_cache | overhead
    fits_slot: bool  # prompt + gen fit one slot's share of the context


@dataclass(frozen=True, slots=True)
class ServingMemory:
    """The KV cache of -c split over the slots, and the predicted total per device."""

    n_ctx: int
    n_slots: int
    ctx_per_slot: int
    kv_bytes: int
    kv_bytes_per_slot: int
    device_total_bytes: dict[str, int]


@dataclass(frozen=True, slots=True)
class ServingPrediction:
    levels: tuple[ServingLevel, ...]
    memory: ServingMemory
    backend: str
    predictor: str = SERVING_PREDICTOR
    predictor_version: str = SERVING_PREDICTOR_VERSION
    speed_predictor_version: str = ""

    def level(self, users: int, n_prompt: int) -> ServingLevel | None:
        return next(
            (lv for lv in self.levels if lv.users == users and lv.n_prompt == n_prompt), None
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def serving_memory(spec: ModelSpec, mem: MemConfig, n_slots: int) -> ServingMemory:
    """KV bytes of ``mem.n_ctx`` cells and each slot's share of them."""
    kv = sum(kv_bytes_per_layer(spec, mem, il) for il in range(spec.n_layer))
    pred = predict_formula(spec, mem)
    slots = max(n_slots, 1)
    return ServingMemory(
        n_ctx=mem.n_ctx,
        n_slots=slots,
        ctx_per_slot=mem.n_ctx // slots,
        kv_bytes=kv,
        kv_bytes_per_slot=kv // slots,
        device_total_bytes={d.device: d.total_bytes for d in pred.devices},
    )


def predict_serving(
    spec: ModelSpec,
    host: HostProfile,
    base: RunConfig,
    n_ctx: int,
    users: list[int],
    prompts: list[int],
    n_gen: int,
    calibrations: dict[str, Calibration] | None = None,
    backend: str | None = None,
) -> ServingPrediction:
    """TTFT, per-user and aggregate tokens/s of every (users, prompt) level.

    Args:
        spec: The model.
        host: The machine.
        base: Placement and kernel flags (ngl, n_cpu_moe, threads, batch, fa, KV types).
        n_ctx: llama-server's -c, split over ``max(users)`` slots.
        users: Concurrent users per level.
        prompts: Prompt lengths in tokens.
        n_gen: Tokens generated per request.
        calibrations: This host's fitted corrections per backend.
        backend: The llama.cpp backend (see ``predict_speed``).
    """
    slots = max(users)
    memory = serving_memory(spec, dataclasses.replace(base.mem_config(), n_ctx=n_ctx), slots)
    # Matmul seconds per token when tokens come in a batch: predict_speed's compute term of a
    # 512-token prompt (read-bound models leave it 0: the weight read is the bound then).
    pp512 = predict_speed(
        spec, host, dataclasses.replace(base, n_prompt=512, n_gen=0, n_depth=0), calibrations,
        backend,
    )  # fmt: skip
    compute_per_token = pp512.pp_terms_s["compute"] / 512
    levels = []
    main = pp512.backend
    for p in prompts:
        prefill = pp512 if p == 512 else predict_speed(
            spec, host, dataclasses.replace(base, n_prompt=p, n_gen=0, n_depth=0),
            calibrations, backend,
        )  # fmt: skip
        t_pf = p / prefill.pp_tokens_per_s if prefill.pp_tokens_per_s else math.inf
        # Decode attends to the prompt and half the answer on average.
        tg = predict_speed(
            spec, host, dataclasses.replace(base, n_prompt=0, n_gen=n_gen, n_depth=p),
            calibrations, backend,
        )  # fmt: skip
        terms = tg.tg_terms_s
        for n in users:
            levels.append(_level(n, p, n_gen, t_pf, terms, compute_per_token, memory.ctx_per_slot))
    return ServingPrediction(
        tuple(levels), memory, main, speed_predictor_version=pp512.predictor_version
    )


def _level(
    n: int,
    p: int,
    g: int,
    t_pf: float,
    tg_terms: dict[str, float],
    compute_per_token: float,
    ctx_per_slot: int,
) -> ServingLevel:
    weights, compute = tg_terms["weights"], n * compute_per_token
    kv = n * tg_terms["kv_cache"]
    overhead = tg_terms["overhead"] + tg_terms["host_hop"]
    step = max(weights, compute) + kv + overhead
    parts = {"weights": weights, "compute": compute, "kv_cache": kv, "overhead": overhead}
    bound = max(parts, key=lambda k: parts[k])
    # One cycle: every user's prompt is prefilled once (serially), and g decode steps run.
    # The first token comes from the prefill, so a request decodes g - 1 steps.
    decode = max(g - 1, 0) * step
    cycle = REQUEST_OVERHEAD_S + n * t_pf + decode
    # A user's decode phase is stalled by the n - 1 other prefills that land inside it.
    others = (n - 1) * t_pf * min(1.0, decode / cycle) if cycle else 0.0
    per_user = max(g - 1, 0) / (decode + others) if decode + others else 0.0
    # A new prompt meets another user's prompt in flight with probability (n-1) t_pf / cycle;
    # llama-server then batches both, so it waits about half of the other one on average.
    queue = (n - 1) * (t_pf / cycle) * t_pf / 2 if cycle else 0.0
    ttft_terms = {"overhead": REQUEST_OVERHEAD_S, "queue": queue, "prefill": t_pf}
    return ServingLevel(
        users=n,
        n_prompt=p,
        n_gen=g,
        ttft_s=sum(ttft_terms.values()),
        ttft_burst_s=REQUEST_OVERHEAD_S + n * t_pf,
        ttft_terms_s=ttft_terms,
        step_s=step,
        per_user_tokens_per_s=per_user,
        aggregate_tokens_per_s=n * g / cycle if cycle else 0.0,
        decode_bound=bound,
        fits_slot=p + g <= ctx_per_slot,
    )
