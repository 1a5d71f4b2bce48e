"""Serving prediction: what N users of one llama-server see (issue 17).

Built on ``predict_speed``'s terms, not beside them:

- decode with N active sequences: one step reads the weights once for all of them, and each
  sequence adds its own KV-cache reads and its own matmul FLOPs. A step costs
  ``max(weights, N x compute) + N x kv + overhead``, so aggregate tokens/s rises with N while
  the weight read is shared, and levels off once compute (or the KV reads) is the bound.
- prefill: a prompt starts at depth 0 (``cache_prompt`` off, a cleared slot) and costs
  predict_speed's pp time for its length.
- the users together: llama-server's scheduler is simulated, not summed up in a formula.
  Each iteration puts one token of every generating slot and then prompt tokens of the slots
  still prefilling, in slot order, into one batch of at most -b tokens; a request waits for the
  iteration in flight; a long prompt takes several iterations; every decoding user gets one
  token per iteration, so other users' prompt chunks stall it. Closed-form queueing formulas
  under-counted this (TTFT at 8 users, 512-token prompts: 20 ms predicted, 54 ms measured).
- TTFT = fixed overhead + the simulated wait from arrival to the end of the iteration that
  holds the prompt's last chunk. The first token is sampled from the prompt's last logits.
- memory: the -c cells are split over the -np slots (``n_ctx_seq = n_ctx / n_seq_max`` without
  --kv-unified, llama.cpp 0c1e570 src/llama-context.cpp); the KV bytes are those of -c.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from dataclasses import dataclass
from typing import Any

from bench.model import ModelSpec
from bench.predictor._memory import kv_bytes_per_layer, predict_formula, v_width_max
from bench.predictor._speed import predict_speed
from bench.records import Calibration, MemConfig, RunConfig
from probe import HostProfile
from probe.errors import UserError

SERVING_PREDICTOR = "rigbench-serving"
# History: 1 — shared-weight decode steps, serialized prefills, queue from prefill overlap;
# 2 — llama-server's batching simulated per iteration (prompt chunks up to -b, decode stalls).
SERVING_PREDICTOR_VERSION = "2"
# What llama-server adds to a request beyond its prefill, on 127.0.0.1: HTTP parse, task
# queue hand-off, slot launch, sampling and the first SSE frame. `bench serve` on this project's
# 2-core runner (llama.cpp 0c1e570, synthetic Q8_0 of 2 M and 156 M parameters, 1 user, prompt
# 32-512): TTFT minus the server's own prompt_ms, median per level, 0.8-1.9 ms; 2 ms here.
REQUEST_OVERHEAD_S = 2e-3
# Between a response's last token and the next request reaching the server: the client's next
# prompt and HTTP hand-off. bench serve's own client on this runner, 2-8 users back to back:
# median 0.2 ms (512-token prompts) to 1.3 ms (4096). The server starts its next iteration
# without waiting, so the new request waits for that iteration to end.
CLIENT_GAP_S = 0.5e-3


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
    v_max = v_width_max(spec)
    kv = sum(kv_bytes_per_layer(spec, mem, il, v_max) for il in range(spec.n_layer))
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
    if not users or min(users) < 1 or not prompts or min(prompts) < 1 or n_gen < 1:
        raise UserError(
            f"serving levels need users, prompt and gen >= 1 (got users {users}, prompt "
            f"{prompts}, gen {n_gen})",
            hint="e.g. --users 1,4 --prompt 512 --gen 128",
        )
    if base.n_batch < 1 or n_ctx < 1:
        raise UserError(f"-b {base.n_batch} and -c {n_ctx} must be >= 1", hint="e.g. -b 2048")
    slots = max(users)
    memory = serving_memory(spec, dataclasses.replace(base.mem_config(), n_ctx=n_ctx), slots)
    n_batch = min(base.n_batch, n_ctx)  # llama.cpp caps -b at -c (src/llama-context.cpp)
    # Matmul seconds per token when tokens come in a batch: predict_speed's compute terms of a
    # 512-token prompt (read-bound models leave it 0: the weight read is the bound then).
    pp512 = predict_speed(
        spec, host, dataclasses.replace(base, n_prompt=512, n_gen=0, n_depth=0), calibrations,
        backend,
    )  # fmt: skip
    compute_per_token = (pp512.pp_terms_s["compute"] + pp512.pp_terms_s["moe_compute"]) / 512
    share = spec.n_expert_used / spec.n_expert if spec.n_expert else 1.0
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
        costs = _Costs(
            t_pf=t_pf,
            n_prompt=p,
            weights=terms["weights"],
            compute_per_token=compute_per_token,
            kv_per_seq=terms["kv_cache"],
            overhead=terms["overhead"] + terms["moe"] + terms["host_hop"],
            # one token's expert reads (predict_speed, on the devices holding them: the CPU's
            # under --n-cpu-moe) scaled to all of them
            all_experts=tg.inputs["tg_experts_s"] / share,
            expert_share=share,
        )
        for n in users:
            levels.append(_level(n, p, n_gen, n_batch, costs, memory.ctx_per_slot))
    return ServingPrediction(
        tuple(levels), memory, main, speed_predictor_version=pp512.predictor_version
    )


@dataclass(frozen=True, slots=True)
class _Costs:
    """Seconds of the pieces one llama-server iteration is made of (predict_speed's terms)."""

    t_pf: float  # one prompt's whole prefill, alone on the machine
    n_prompt: int
    weights: float  # reading the weights one token uses (a decode step's floor)
    compute_per_token: float  # matmul seconds of one token inside a batch
    kv_per_seq: float  # one decoding sequence's KV-cache reads per step
    overhead: float  # per decode step: launches, host hops
    # MoE: seconds to read every expert once, and the share of them one token routes to; n
    # decoding sequences read 1 - (1 - share)^n of the experts (uniform routing)
    all_experts: float = 0.0
    expert_share: float = 1.0

    def step_weights(self, n_dec: int) -> float:
        """Weight reads of a step carrying ``n_dec`` tokens: the dense part once, the experts
        their tokens route to."""
        one = self.all_experts * self.expert_share
        many = self.all_experts * (1 - (1 - self.expert_share) ** max(n_dec, 1))
        return self.weights - one + many

    def decode_step(self, n_dec: int) -> float:
        return (
            max(self.step_weights(n_dec), n_dec * self.compute_per_token)
            + n_dec * self.kv_per_seq
            + self.overhead
        )

    def iteration(self, n_dec: int, prompt_tokens: int) -> float:
        """A batch of ``n_dec`` decode tokens and ``prompt_tokens`` prompt tokens. A prompt
        chunk costs its share of the prompt's prefill (which carries the prefill's own fixed
        costs); the decode tokens ride along at their matmul and KV cost."""
        if not prompt_tokens:
            return self.decode_step(n_dec)
        chunk = self.t_pf * prompt_tokens / self.n_prompt
        mixed = max(self.step_weights(n_dec), chunk + n_dec * self.compute_per_token)
        mixed += n_dec * self.kv_per_seq
        return max(mixed, self.decode_step(n_dec))  # never cheaper than the decode tokens alone


@dataclass
class _User:
    arrives: float = 0.0  # when the next request was sent (and reaches the server)
    prompt_left: int = 0
    gen_left: int = 0  # decode steps still to run
    first_token: float | None = None
    done: int = 0  # requests finished


def _simulate(
    n: int, g: int, n_batch: int, c: _Costs, requests_per_user: int
) -> tuple[list[float], list[float], list[float], float, int]:
    """llama-server's loop (tools/server/server-context.cpp update_slots, llama.cpp 0c1e570)
    with ``n`` users sending requests back to back, every user's first request at time 0.

    One iteration builds one batch: a token for every generating slot, then prompt tokens of
    the slots still prefilling, in slot order, until the batch holds ``n_batch`` tokens (-b);
    a request that arrives during an iteration waits for the next one. A prompt's last chunk
    yields its first token at the end of that iteration; every generating slot gets one token
    per iteration, however long the iteration is.

    Returns steady-state TTFTs (every request but each user's first), burst TTFTs (the
    first ones), per-request decode rates, the simulated time and the generated tokens."""
    users = [_User(prompt_left=c.n_prompt) for _ in range(n)]
    steady: list[float] = []
    burst: list[float] = []
    rates: list[float] = []
    t, tokens = 0.0, 0
    while any(u.done < requests_per_user for u in users):
        active = [u for u in users if u.done < requests_per_user and u.arrives <= t]
        if not active:  # every live user is between requests
            t = min(u.arrives for u in users if u.done < requests_per_user)
            continue
        decoding = [u for u in active if u.first_token is not None]
        budget = n_batch - len(decoding)
        chunks: list[tuple[_User, int]] = []
        for u in active:
            if u.first_token is None and budget > 0:
                take = min(u.prompt_left, budget)
                chunks.append((u, take))
                budget -= take
        t += c.iteration(len(decoding), sum(k for _, k in chunks))
        finished = []
        for u in decoding:
            u.gen_left -= 1
            tokens += 1
            if u.gen_left <= 0:
                finished.append(u)
        for u, k in chunks:
            u.prompt_left -= k
            if u.prompt_left == 0:
                u.first_token = t
                tokens += 1
                (burst if u.done == 0 else steady).append(t - u.arrives)
                u.gen_left = g - 1
                if u.gen_left <= 0:
                    finished.append(u)
        for u in finished:
            assert u.first_token is not None
            if g > 1:
                rates.append((g - 1) / (t - u.first_token))
            u.done += 1
            u.arrives = t + CLIENT_GAP_S
            u.prompt_left, u.first_token = c.n_prompt, None
    return steady, burst, rates, t, tokens


def _level(n: int, p: int, g: int, n_batch: int, c: _Costs, ctx_per_slot: int) -> ServingLevel:
    step = c.decode_step(n)
    parts = {
        "weights": c.step_weights(n),
        "compute": n * c.compute_per_token,
        "kv_cache": n * c.kv_per_seq,
        "overhead": c.overhead,
    }
    bound = max(parts, key=lambda k: parts[k])
    # Enough requests that the burst of first requests is a small part of the steady state.
    steady, burst, rates, t_end, tokens = _simulate(n, g, n_batch, c, max(4, 64 // n))
    wait = statistics.median(steady or burst)  # arrival to first token, in the server
    queue = max(wait - c.t_pf, 0.0)
    ttft_terms = {"overhead": REQUEST_OVERHEAD_S, "queue": queue, "prefill": wait - queue}
    return ServingLevel(
        users=n,
        n_prompt=p,
        n_gen=g,
        ttft_s=wait + REQUEST_OVERHEAD_S,
        ttft_burst_s=max(burst) + REQUEST_OVERHEAD_S,
        ttft_terms_s=ttft_terms,
        step_s=step,
        per_user_tokens_per_s=statistics.median(rates) if rates else 0.0,
        aggregate_tokens_per_s=tokens / t_end if t_end else 0.0,
        decode_bound=bound,
        fits_slot=p + g <= ctx_per_slot,
    )
