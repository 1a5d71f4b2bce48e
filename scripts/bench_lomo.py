#!/usr/bin/env python3
"""`make bench` for predictions on machines rigbench has never seen (issue 14).

Every published llama-bench row in tests/fixtures/published/ is predicted with the machine's
rows held out: the per-backend priors (bandwidth, per-thread bandwidth, compute, attention,
overhead and MoE expert-matmul factors, the MoE-layer factor per backend (fit_moe), the
APU-compute factor every backend shares, the recurrent-scan factor every GPU group shares
(fit_scan) and each GPU backend's F16/BF16 GEMM factor; see bench/predictor/_priors.py PRIORS)
are fitted on
the other machines' rows only, every machine weighing the same, then the held-out machine is
predicted (leave-one-machine-out); model() rebuilds the predictor's terms from both sides of
each of its maxes (SpeedPrediction.inputs "sides_s"; every published row has all its layers on
one device, which model() assumes). The 80 % intervals are calibrated on held-out machines too
(calibrated_tails). GPU rows of builds before CURRENT_FROM (ROCm prefill: CURRENT_PP_FROM),
and rows a later change superseded (PublishedRow.superseded_by), are history: reported, never
fitted or judged; so are GPUs hung off a single-board computer (PublishedRow.host_board), each
a machine of its own ("gpu@board").
Reported beside it, on the same rows:
  - table: the starting efficiencies alone (no prior);
  - llmfit: generation = bandwidth / model bytes x 0.55 (the rule llmfit and others use);
  - roofline: tg = a x bandwidth / bytes read per token, pp = c x peak FLOPS / (2 x active
    params), a and c fitted per backend, also leave-one-machine-out.
Rows from files marked SECONDARY (numbers copied second-hand) help fit the priors but are
evaluated apart, never in the goals.

`python scripts/bench_lomo.py --fit` prints the priors fitted on all rows, to paste into
PRIORS, and the calibrated 80 % intervals, to paste into PRIOR_SPREAD. Writes
out/bench-lomo.json; goals as issue 14 states them.
"""

from __future__ import annotations

import math
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from _goals import REPO, save, verdict

sys.path.insert(0, str(REPO))

import numpy as np

from bench.predictor import _speed, choose_backend, predict_speed, published_rows
from bench.predictor._efficiency import APU_BACKENDS, EFFICIENCY, F16_GEMM_ABOVE, MMVQ_COL_SHARE
from bench.predictor._priors import PRIORS, VENDOR_SUBGROUPS, host_prior_group

# out/bench-lomo.json schema history: 1 — first version.
SCHEMA_VERSION = 1
FOLDER = REPO / "tests" / "fixtures" / "published"
BACKENDS = ("cuda", "rocm", "vulkan", "metal", "cpu")
# the PRIORS groups (bench.predictor.prior_group): each fitted on its own rows
GROUPS = (*BACKENDS, "metal-ultra", *VENDOR_SUBGROUPS)
K_MIN, K_MAX = 0.05, 20.0
MIN_MACHINES = 4  # a group's own 80 % interval needs held-out rows of this many machines
SHRINK = 1.0  # the weight, in machines, of the starting table's value in every fit
# ... but the GPUs' MoE-layer factor's (fit_moe): a twentieth of a machine
MOE_SHRINK = 0.05
# The bandwidth factor is fitted with a Huber loss on log(measured / predicted): quadratic up to
# a factor e^0.5 = 1.65, linear beyond. Published generation rows include set-ups the model does
# not describe (experimental drivers, an issue filed because its numbers were anomalous, MLA
# models far off) at 0.3-0.5x of the rest; squared, such machines (with the board-hosted GPUs,
# which now fit nothing: PublishedRow.host_board) held Vulkan's bandwidth factor at 0.84 while
# 14 of 18 machines ran 1.2-1.9x its predictions. Held out then, tg median 30 -> 23 %.
# The attention factor takes the same loss: few machines publish attention-bound rows, and one
# MLA prefill at depth without flash attention (GLM-4.7-Flash on a 7900 XTX under Vulkan, 0.16x
# the prediction) moved Vulkan's from 1.01 to 0.61 when squared, while one factor served every
# vendor. Fitted per vendor (fit_own), AMD's is 0.63 under the Huber loss, on the rows of four
# AMD machines at 8-32k tokens of context.
HUBER_BW = 0.5
HUBER_FACTORS = (0, 2)  # the indices in K fitted with HUBER_BW: bandwidth and attention
# The llama.cpp the predictor predicts is today's (the vendored build, 2026). On the GPU
# backends whose matmul kernels were rewritten since, rows measured on builds before 2025 are
# kept and reported as history, but neither fit priors nor judge them: CUDA's quantized matmuls
# moved to int8 mma in mid-2024 (PR 7676), Vulkan gained cooperative-matrix kernels in 2025
# (RTX 4070 pp512 5573 t/s in 2025-01 where the 2024 tables print a fraction). ROCm's quantized
# prefill on RDNA3 left the dequantize + rocBLAS GEMM path for WMMA MMQ kernels in PR 17576
# (merged 2025-11; its own 'master' column is the old path): Strix Halo's July 2025 runs on
# rocBLAS without tuned gfx1151 kernels prefill at a fifth of its 2026 builds (PR 18749: 0.7-0.9
# of the prediction). Metal kernels of the stock quants changed little: all rows count. CPU
# prefill changed type by type as ggml-cpu repacked weights for GEMM kernels (x86: Q4_0 PR 10446
# 2024-12, Q4_K PR 12332 2025-03, IQ4_NL PR 14904 2025-08, MXFP4 PR 19738 2026-02; arm64: Q4_K
# PR 16739 2025-11/12, Q8_0 PR 18096 2025-12, Q5_K/Q6_K PRs 18860/18888 2026-01): a CPU row
# measured before its type's repack reached its ISA is marked superseded_by in the fixtures, its
# generation too (the repack's GEMV: this runner's twins generate Q4_0 1.48x, IQ4_NL 1.71x,
# Q4_K_M 1.28x, MXFP4 1.19x faster with it, llama-bench tg64 at 1 thread --repack 1 over 0).
CURRENT_FROM = {"cuda": "2025-01", "vulkan": "2025-01", "rocm": "2025-12"}
# ROCm's prefill changed again in 2026: PR 24127 ('CUDA: refactor MMQ kernel configuration',
# merged 2026-06, HIP included) ran the Radeon 8060S's LLaMA 3 8B Q4_0 matmuls at ubatch 128-512
# 2.8-3.0x faster (PR 28102's tables against PR 22880's of May), and an RX 7900 XTX's prefill
# went from 0.59x the prediction (PR 17495, 2025-11) to 1.46x (PR 26284, 2026-08). Its
# generation kernels (MMVQ) were not touched, so ROCm's prefill rows count from 2026-06 and its
# generation rows from CURRENT_FROM. (On the MI100 the PR's own table shows 0.90-0.93x of
# master for Q4_0: not every card gained.)
CURRENT_PP_FROM = {"rocm": "2026-06"}


def current_from(backend: str, kind: str) -> str:
    """The first llama.cpp build month whose rows of ``backend`` and test ``kind`` measure the
    kernels predicted (CURRENT_FROM, CURRENT_PP_FROM): "" for every build."""
    start = CURRENT_FROM.get(backend, "")
    return max(start, CURRENT_PP_FROM.get(backend, "")) if kind == "pp" else start


@dataclass
class Row:
    machine: str
    backend: str
    group: str  # the PRIORS group (bench.predictor.prior_group): backend, metal-ultra or a subgroup
    kind: str
    deep: bool
    small_ubatch: bool  # a microbatch sweep below llama-bench's default 512 (PR tables)
    secondary: bool
    # measured on a llama.cpp build from its CURRENT_FROM on (the one predicted), not superseded
    current: bool
    measured: float
    n: float  # tokens the test times (n_prompt for pp, 1 per generated token)
    terms: dict[str, float]  # seconds at prior 1: the predictor's own terms
    llmfit: float
    roof: float  # bandwidth / bytes a token (tg) or FLOPS / (2 x params) (pp), at efficiency 1
    # CPU rows: (bandwidth the terms used, the socket's, the threads' at k_thread 1), bytes/s
    cap: tuple[float, float, float] = (0.0, 0.0, 0.0)
    sides: dict[str, float] | None = None  # both sides of each max (SpeedPrediction.inputs)
    board: str | None = None  # a GPU hung off a single-board computer (PublishedRow.host_board)
    socket_measured: bool = False  # CPU rows: the socket's bandwidth is a measured one (no k_bw)
    uma: bool = False  # a GPU sharing an APU's memory, not under Metal (Prior.k_uma)
    gqa: float = 0.0  # GPU rows: k_gqa's exponent in the cache read (_work.kv_gqa_doublings)
    # prefill of F16/BF16 (or F32) weights (model_family "f16") at ubatches past F16_GEMM_ABOVE:
    # its matmuls take Prior.k_f16 (_efficiency.f16_gemm_factor)
    f16: bool = False

    @property
    def fits(self) -> bool:
        """Fits priors and (first-hand) is judged: a current build on a host the model knows."""
        return self.current and self.board is None


def load() -> list[Row]:
    PRIORS.clear()  # the terms at prior 1: the fit below finds the priors
    out = []
    for r in published_rows(FOLDER):
        backend = choose_backend(r.host, r.backend)
        p = predict_speed(r.spec, r.host, r.cfg, None, backend=r.backend)
        terms = p.tg_terms_s if r.kind == "tg" else p.pp_terms_s
        gpu = r.host.gpus[0] if r.host.gpus and backend != "cpu" else None
        bw = (
            (gpu.spec_bandwidth_bytes_per_s if gpu else None)
            or (r.host.memory.spec_bandwidth_bytes_per_s if r.host.memory else None)
            or 1e11
        )
        flops = (
            (gpu.spec_fp16_flops if gpu else None)
            or (r.host.cpu.spec_fp32_flops if r.host.cpu else None)
            or 1e12
        )
        active = r.spec.n_params * (
            r.spec.n_expert_used / r.spec.n_expert if r.spec.n_expert else 1
        )
        weight = r.spec.weight_bytes
        per_token = weight * (r.spec.n_expert_used / r.spec.n_expert if r.spec.n_expert else 1)
        out.append(
            Row(
                # a board-hosted GPU is a machine of its own: its rows share the board's errors
                f"{r.machine}@{r.host_board}" if r.host_board else r.machine,
                backend,
                host_prior_group(r.host, backend),
                r.kind,
                r.cfg.n_depth >= 8192,
                r.cfg.n_ubatch < 512,
                "SECONDARY" in r.source,
                r.measured_on >= current_from(backend, r.kind) and not r.superseded_by,
                r.measured,
                float(r.cfg.n_prompt or 1),
                dict(terms),
                bw / weight * 0.55 if r.kind == "tg" else math.nan,
                bw / per_token if r.kind == "tg" else flops / (2 * active),
                (
                    p.inputs["host_bytes_per_s"],
                    p.inputs["host_socket_bytes_per_s"],
                    p.inputs["host_thread_bytes_per_s"],
                )
                if backend == "cpu"
                else (0.0, 0.0, 0.0),
                dict(p.inputs["sides_s"]),
                r.host_board,
                p.inputs["host_bandwidth"] == "measured",
                _speed.shares_apu_memory(backend, gpu),
                float(p.inputs["kv_gqa_doublings"]),
                p.inputs["family"] == "f16"
                and min(r.cfg.n_ubatch, r.cfg.n_batch, r.cfg.n_prompt) > F16_GEMM_ABOVE,
            )
        )
    return out


# (bw, compute, attention, overhead, thread, MoE layer, MoE matmul, APU compute, GPU scan,
# GPU cache read per doubling of the heads a K/V row serves, F16/BF16 GEMMs, mat-vec columns)
K = tuple[float, ...]
NO_K: K = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
THREAD = 4  # the index of the CPUs' per-thread bandwidth factor in K
MOE = 5  # the index of the MoE-layer factor in K (one per backend: fit_moe)
MOE_MATMUL = 6  # the index of the MoE expert-matmul factor in K (fit_own refits it per vendor)
UMA = 7  # the index of the shared APU compute factor in K
SCAN = 8  # the index of the GPUs' shared recurrent-scan factor in K
GQA = 9  # the index of the GPUs' shared cache-read factor per head doubling in K
F16 = 10  # the index of the F16/BF16 weights' matmul factor in K (one per backend: fit)
MMVQ = 11  # the index of the mat-vec kernels' per-column factor in K (MMVQ_COL_SHARE's: fit)


def model(rows: list[Row], k: K) -> np.ndarray:
    """The predictor's tokens/s with priors k = (bw, compute, attention, overhead, per-thread
    bandwidth, MoE layers' fixed cost, MoE expert matmuls, an APU GPU's compute, recurrent scan,
    cache read per head doubling, F16/BF16 GEMMs, mat-vec columns), from both
    sides of each of its maxes at prior 1 (Row.sides), every piece scaled by its own factor as
    _speed.py applies them: on CPUs the bandwidth pieces with the lower of the socket's
    bandwidth times k_bw (a measured socket: as is) and what the threads stream times k_thread
    (_speed._devices); a CUDA stream cap is no bandwidth factor's; a GPU row's prefill adds its
    reads to its compute, a CPU row's takes the larger (a GPU row with layers on the CPU would
    mix both: no published row has one)."""
    kbw, kc0, ka, ko, kt, km, kx, ku, ks, kg, kf, kv_cols = k
    out = []
    for r in rows:
        t, sd = r.terms, r.sides or {}
        kc = kc0 * ku if r.uma else kc0
        used, socket, thread = r.cap
        reach = socket * (1.0 if r.socket_measured else kbw)
        kb = min(reach, thread * kt) / used if used else kbw
        # the MoE term is charged at layer_s, which the overhead factor scales too
        fixed = t["overhead"] * ko + t["moe"] * ko * km + t["host_hop"]
        if r.kind == "tg":
            weights = max(sd["tg_weights_stream"] / kb, sd["tg_weights_cap"])
            kv_read = max(sd["tg_kv_stream"] / kb, sd["tg_kv_cap"]) * kg**r.gqa
            kv = max(kv_read, sd["tg_kv_compute"] / (kc * ka))
            s = weights + kv + sd["tg_scores"] / kb + fixed
        else:
            # F16/BF16 weights' GEMMs: their own factor (attention is no weight matmul)
            compute = (sd["pp_compute"] + sd["pp_moe_compute"] / kx) / (kc * (kf if r.f16 else 1))
            compute += sd["pp_attention"] / (kc * ka) + sd["pp_scores"] / kb
            compute += sd["pp_scan"] * ks  # a latency per token step: no rate divides it
            # ggml-cuda's mat-vec kernels per column past the first: a share of the read time
            compute += sd.get("pp_mmvq", 0.0) * kv_cols / kb
            # a GPU's tile loads and matmuls add up, a CPU's overlap (_speed.predict_speed)
            read = sd["pp_read"] / kb
            s = (compute + read if r.backend != "cpu" else max(compute, read)) + fixed
        out.append(r.n / s)
    return np.array(out)


def _golden(f: object, lo: float = K_MIN, hi: float = K_MAX, iters: int = 40) -> float:
    a, b = math.log(lo), math.log(hi)
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(math.exp(c)), f(math.exp(d))  # type: ignore[operator]
    for _ in range(iters):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(math.exp(c))  # type: ignore[operator]
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(math.exp(d))  # type: ignore[operator]
    return math.exp((a + b) / 2)


def _bound_by(r: Row, term: str, share: float) -> bool:
    """Whether predictor term ``term`` (at prior 1) takes more than ``share`` of the row's time:
    the rows a factor of that term is fitted on."""
    return r.terms.get(term, 0) > share * sum(r.terms.values())


def _machine_weights(rows: list[Row]) -> np.ndarray:
    """Every machine weighs the same, however many rows its source printed."""
    per_machine: dict[str, int] = defaultdict(int)
    for r in rows:
        per_machine[r.machine] += 1
    return np.array([1.0 / per_machine[r.machine] for r in rows])


def fit(
    rows: list[Row],
    k_moe: float = 1.0,
    k_uma: float = 1.0,
    k_scan: float = 1.0,
    k_gqa: float = 1.0,
) -> K:
    """Least squares on log(measured / predicted) (Huber for bandwidth and attention), by
    coordinate descent, each factor on the rows it governs: bandwidth on generation, compute on
    prefill, attention and the fixed overhead on the rows where they take a fifth of the time or
    more, the per-thread bandwidth on CPU generation, the F16/BF16 GEMMs on GPU prefill of such
    weights (held to the FP16 peak) and the mat-vec columns on 2-8-token GPU prefill."""
    if not rows:
        return (*NO_K[:MOE], k_moe, 1.0, k_uma, k_scan, k_gqa, 1.0, 1.0)
    subsets = [
        [r for r in rows if r.kind == "tg"],
        [r for r in rows if r.kind == "pp"],
        [r for r in rows if _bound_by(r, "attention", 0.2)],
        [r for r in rows if _bound_by(r, "overhead", 0.2)],
        [r for r in rows if r.kind == "tg" and r.cap[0]],  # CPUs: the thread cap
        [],  # the MoE layers' factor: one per backend (fit_moe)
        [r for r in rows if _bound_by(r, "moe_compute", 0.2)],
        [],  # the APU compute factor: shared by every group (fit_uma)
        [],  # the GPUs' recurrent-scan factor: shared by every GPU group (fit_scan)
        [],  # the GPUs' cache-read factor per head doubling: shared too (fit_gqa)
        # GPUs' F16/BF16 GEMMs (a CPU's per-type rates are measured: cpu_type_gain)
        [r for r in rows if r.f16 and r.backend != "cpu"],
        # 2-8-token ubatches through ggml-cuda's mat-vec kernels (MMVQ_COL_SHARE's backends)
        [r for r in rows if r.kind == "pp" and (r.sides or {}).get("pp_mmvq", 0) > 0],
    ]
    k = [*NO_K[:MOE], k_moe, 1.0, k_uma, k_scan, k_gqa, 1.0, 1.0]
    for _ in range(4):
        for i, sub in enumerate(subsets):
            if not sub:
                continue

            def at(x: float, i: int = i, sub: list[Row] = sub) -> np.ndarray:
                return model(sub, (*k[:i], x, *k[i + 1 :]))

            # the bandwidth and attention factors: robust to a few machines far off
            k[i] = _fit_factor(sub, at, huber=HUBER_BW if i in HUBER_FACTORS else None)
            if i == F16:  # no F16 GEMM faster than the FP16 peak
                k[i] = min(k[i], 1 / (EFFICIENCY[sub[0].backend]["f16"]["compute"] * k[1]))
    return tuple(k)


def _fit_factor(
    sub: list[Row],
    predicted: Callable[[float], np.ndarray],
    center: float = 1.0,
    huber: float | None = None,
    shrink: float = SHRINK,
) -> float:
    """The factor x whose predictions ``predicted(x)`` of ``sub`` minimise the squared (or
    Huber) log error, every machine weighing the same, plus ``shrink`` pseudo-machines at
    ``center``: few machines move a factor little."""
    meas = np.log([r.measured for r in sub])
    w = _machine_weights(sub)

    def loss(x: float) -> float:
        e = np.abs(meas - np.log(predicted(x)))
        e2 = e**2 if huber is None else np.where(e <= huber, e**2, 2 * huber * e - huber**2)
        return float(np.sum(w * e2) + shrink * math.log(x / center) ** 2)

    return _golden(loss)


def _fit_at(rows: list[Row], ks: dict[str, K], i: int, center: float, shrink: float) -> float:
    """Factor i fitted on ``rows``, each row at its group's other factors."""
    return _fit_factor(
        rows,
        lambda x: np.array(
            [model([r], (*ks[r.group][:i], x, *ks[r.group][i + 1 :]))[0] for r in rows]
        ),
        center=center,
        shrink=shrink,
    )


def fit_uma(rows: list[Row], ks: dict[str, K]) -> float:
    """The APU compute factor every group shares, on the APUs' prefill rows."""
    sub = [r for r in rows if r.uma and r.kind == "pp"]
    return _fit_at(sub, ks, UMA, 1.0, SHRINK) if sub else 1.0


def fit_scan(rows: list[Row], ks: dict[str, K]) -> float:
    """The recurrent layers' scan factor every GPU group shares, on the prefill rows where the
    scan takes a twentieth of the time or more (Qwen3.5, Qwen3-Next, Nemotron-H: few machines
    publish them, on Metal and Vulkan alike; the step is a latency, not a backend's rate). Shrunk
    by MOE_SHRINK machines toward the table, as the MoE layers' factor: the table's step is a
    latency estimate, not a measurement (at a full machine's shrink it held at 1.06 where the
    rows' loss is least near 2)."""
    sub = [r for r in rows if _bound_by(r, "scan", 0.05)]
    return _fit_at(sub, ks, SCAN, 1.0, MOE_SHRINK) if sub else 1.0


def fit_gqa(rows: list[Row], ks: dict[str, K]) -> float:
    """The GPUs' cache-read factor per doubling of the query heads a K/V row serves, shared by
    every GPU group (few machines publish generation deep enough for the cache to count), on
    the GPU generation rows where reading the cache takes a fifth of the time or more (those
    without flash attention have no exponent: Row.gqa 0), shrunk by SHRINK machines toward 1
    (no dependence on the heads)."""
    sub = [
        r for r in rows if r.backend != "cpu" and r.kind == "tg" and _bound_by(r, "kv_cache", 0.2)
    ]
    return _fit_at(sub, ks, GQA, 1.0, SHRINK) if sub else 1.0


def fit_moe(rows: list[Row], ks: dict[str, K]) -> dict[str, float]:
    """The MoE layers' factor per backend, on the rows where that cost is a twentieth of the
    time or more. A GPU backend's is shrunk by MOE_SHRINK machines toward the one every GPU row
    fits ("gpu"), itself weakly shrunk toward the table: the table's GPU cost is a count of
    kernel launches, not a measurement (the held-out MoE generation of an RTX 4090, an RTX PRO
    6000, an M2 Ultra and an M5 Max runs at 0.65-0.8 of it at the factor 1.2 a full-strength
    shrink held). The CPU's is shrunk by SHRINK toward the table, whose MOE_NODE_COST was
    measured on twins."""
    moe = [r for r in rows if _bound_by(r, "moe", 0.05)]
    gpu_rows = [r for r in moe if r.backend != "cpu"]
    out = {"gpu": _fit_at(gpu_rows, ks, MOE, 1.0, MOE_SHRINK) if gpu_rows else 1.0}
    for b in sorted({r.backend for r in rows}):
        own = [r for r in moe if r.backend == b]
        center, shrink = moe_center(b, out["gpu"])
        out[b] = _fit_at(own, ks, MOE, center, shrink) if own else center
    return out


def moe_center(backend: str, gpu: float) -> tuple[float, float]:
    """Where a backend's MoE-layer factor is pulled, and by how many machines: the CPU's
    toward its measured table (1, SHRINK), a GPU's toward every GPU's (``gpu``, MOE_SHRINK)."""
    return (1.0, SHRINK) if backend == "cpu" else (gpu, MOE_SHRINK)


def fit_own(rows: list[Row], k: K) -> K:
    """k with its compute factor refitted on ``rows``' prefill, its bandwidth factor on their
    generation (Huber), its attention factor on their attention-bound rows (Huber) and its MoE
    expert-matmul factor on their MoE-bound prefill, each shrunk by SHRINK machines toward k's
    own: a vendor subgroup and the rest of its parent (VENDOR_SUBGROUPS). Each vendor's driver
    runs its own mul_mat_id shaders (NVIDIA's the coopmat2 ones): held out, AMD's MoE prefill
    ran at 0.66-0.77x a factor shared with NVIDIA, whose own MoE rows sat near 1. So with
    flash attention: ggml-vulkan runs it through flash_attn_cm2.comp where the driver gives
    NV_cooperative_matrix2 (NVIDIA), through the KHR coopmat1 or scalar shaders elsewhere
    (ggml-vulkan.cpp, FA_COOPMAT2 / FA_COOPMAT1 / FA_SCALAR; one generated token always takes
    the scalar shader, yet its attention FLOPs take the group's factor too: a token's attention
    is bound by reading the KV cache, rarely by its FLOPs). Held out, a shared factor left
    AMD's prefill at 8k-32k tokens of context at 0.58-0.87 (Strix Halo, W7800, RX 7900 XT/XTX)
    and NVIDIA's at 1.02-1.20 (RTX 5090, RTX 4090). A CPU core family (cpu_prior_group) refits
    its per-thread factor on its generation too. Three rounds: the compute factor sees the MoE
    and attention rows too."""
    subsets = (
        (1, [r for r in rows if r.kind == "pp"], None),
        (0, [r for r in rows if r.kind == "tg"], HUBER_BW),
        (2, [r for r in rows if _bound_by(r, "attention", 0.2)], HUBER_BW),
        (
            MOE_MATMUL,
            [r for r in rows if r.kind == "pp" and _bound_by(r, "moe_compute", 0.2)],
            None,
        ),
        # a CPU core family's threads (cpu_prior_group): what each streams
        (THREAD, [r for r in rows if r.kind == "tg" and r.cap[0]], None),
    )
    start = k
    for _ in range(3):
        for i, sub, huber in subsets:
            if sub:

                def at(x: float, i: int = i, sub: list[Row] = sub, k: K = k) -> np.ndarray:
                    return model(sub, (*k[:i], x, *k[i + 1 :]))

                k = (*k[:i], _fit_factor(sub, at, center=start[i], huber=huber), *k[i + 1 :])
    return k


def fit_all(rows: list[Row]) -> dict[str, K]:
    """Every group's factors, the MoE layers' per backend (fit_moe), the APU compute factor
    every group shares and the recurrent-scan factor every GPU group shares (fit_scan): the
    groups fitted at the table's values of those, those at the groups' values, the groups again
    at them, four rounds. A vendor subgroup (VENDOR_SUBGROUPS) is fitted with its parent; then
    each has its own compute, bandwidth, attention and MoE-matmul factors. The key "_shared"
    holds the factors a group without rows of its own takes (MoE: every GPU's)."""
    parent = {r.group: VENDOR_SUBGROUPS.get(r.group, r.group) for r in rows}
    groups = sorted(set(parent.values()))
    moe: dict[str, float] = {}
    k_uma = k_scan = k_gqa = 1.0
    ks: dict[str, K] = {}

    def k_moe(group: str) -> float:
        return moe.get(group.split("-")[0], moe.get("gpu", 1.0))

    # four rounds: with two, the shared APU factor stopped at 0.82 where the joint fit is 0.77
    # (each group's compute factor had first absorbed its APUs' share at k_uma = 1)
    for last in (False, False, False, True):
        joint = {
            g: fit([r for r in rows if parent[r.group] == g], k_moe(g), k_uma, k_scan, k_gqa)
            for g in groups
        }
        ks = dict(joint)
        # each subgroup, and its parent's own rows, refit compute, bandwidth, attention and MoE
        # matmuls around the joint fit (a subgroup without rows of its own: the joint fit's)
        for sub, par in VENDOR_SUBGROUPS.items():
            if par in joint:
                ks[sub] = fit_own([r for r in rows if r.group == sub], joint[par])
        for par in {p for p in VENDOR_SUBGROUPS.values() if p in joint}:
            ks[par] = fit_own([r for r in rows if r.group == par], joint[par])
        if not last:
            moe = fit_moe(rows, ks)
            k_uma = fit_uma(rows, ks)
            k_scan = fit_scan(rows, ks)
            k_gqa = fit_gqa(rows, ks)
    ks["_shared"] = (*NO_K[:MOE], moe.get("gpu", 1.0), 1.0, k_uma, k_scan, k_gqa, 1.0, 1.0)
    return ks


def lomo(rows: list[Row]) -> dict[str, np.ndarray]:
    """Held-out predictions per method, aligned with rows."""
    pred = {m: np.zeros(len(rows)) for m in ("rigbench", "table", "llmfit", "roofline")}
    machines = sorted({r.machine for r in rows})
    for m in machines:
        test = [i for i, r in enumerate(rows) if r.machine == m]
        # second-hand rows train, never judge; rows of old builds do neither
        train = [r for r in rows if r.machine != m and r.fits]
        fits = fit_all(train)
        shared = fits.pop("_shared", NO_K)
        k_moe, k_uma, k_scan, k_gqa = shared[MOE], shared[UMA], shared[SCAN], shared[GQA]
        for b in {rows[i].group for i in test}:
            idx = [i for i in test if rows[i].group == b]
            held = [rows[i] for i in idx]
            # a group without training rows takes its parent's or backend's (a vendor subgroup
            # always has the joint fit's, as fit_all builds it)
            parent = VENDOR_SUBGROUPS.get(b, b.split("-")[0])
            k = (
                fits.get(b)
                or fits.get(parent)
                or fit([], moe_center(b, k_moe)[0], k_uma, k_scan, k_gqa)
            )
            pred["rigbench"][idx] = model(held, k)
            pred["table"][idx] = model(held, NO_K)
            pred["llmfit"][idx] = [r.llmfit for r in held]
            for kind in ("pp", "tg"):
                ref = [r for r in train if r.group == b and r.kind == kind]
                eff = statistics.median(r.measured / r.roof for r in ref) if ref else 0.5
                for i in idx:
                    if rows[i].kind == kind:
                        pred["roofline"][i] = eff * rows[i].roof
    return pred


def _weighted_quantile(values: list[tuple[str, float]], q: float) -> float:
    """The q-quantile of (machine, value) pairs, every machine weighing the same."""
    n: dict[str, int] = defaultdict(int)
    for m, _ in values:
        n[m] += 1
    order = sorted(values, key=lambda x: x[1])
    w = np.array([1.0 / n[m] for m, _ in order])
    cum = (np.cumsum(w) - w / 2) / w.sum()
    return float(np.interp(q, cum, [v for _, v in order]))


Tails = dict[tuple[str, str], float]  # (group, test kind) -> quantile tail of its interval


def spreads(
    rows: list[Row], pred: np.ndarray, tails: Tails | float
) -> dict[tuple[str, str], tuple[float, float]]:
    """Per group and test kind: the tail and 1 - tail quantiles of measured / predicted over
    held-out predictions, every machine weighing the same (PRIOR_SPREAD)."""
    out = {}
    for b in (*GROUPS, "*"):
        for kind in ("pp", "tg"):
            sel = [
                (r.machine, r.measured / p)
                for r, p in zip(rows, pred, strict=True)
                if b in ("*", r.group) and r.kind == kind and p > 0
            ]
            # a group's own spread from MIN_MACHINES machines on (second-hand copies count: they
            # are held-out predictions of real measurements too); "*": every group's rows, for
            # the groups with fewer
            if len({m for m, _ in sel}) >= MIN_MACHINES:
                t = tails if isinstance(tails, float) else tails.get((b, kind), 0.10)
                out[(b, kind)] = (_weighted_quantile(sel, t), _weighted_quantile(sel, 1 - t))
    return out


def _spread_key(spread: dict[tuple[str, str], tuple[float, float]], r: Row) -> tuple[str, str]:
    """The PRIOR_SPREAD entry a row's prediction takes, as predict_speed looks it up: its
    group's, else its backend's, else every group's ("*")."""
    for key in ((r.group, r.kind), (r.backend, r.kind)):
        if key in spread:
            return key
    return ("*", r.kind)


def _inside(
    rows: list[Row], pred: np.ndarray, tails: Tails | float | None
) -> dict[tuple[str, str], tuple[int, int]]:
    """Per group and test kind: (rows inside, rows) of first-hand rows in an interval made
    without their machine, at the given tails or (None) at tails calibrated without it too."""
    count: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for m in sorted({r.machine for r in rows if not r.secondary and r.fits}):
        others = [i for i, r in enumerate(rows) if r.machine != m and r.fits]
        rest = [rows[i] for i in others]
        t = calibrated_tails(rest, pred[others]) if tails is None else tails
        spread = spreads(rest, pred[others], t)
        for r, p in zip(rows, pred, strict=True):
            key = _spread_key(spread, r)
            if r.machine != m or r.secondary or not r.fits or key not in spread:
                continue
            lo, hi = spread[key]
            count[key][1] += 1
            count[key][0] += lo * p <= r.measured <= hi * p
    return {k: (v[0], v[1]) for k, v in count.items()}


def coverage(rows: list[Row], pred: np.ndarray) -> float:
    """How many first-hand rows fall inside their 80 % interval when their machine helped
    choose neither the interval nor its width (calibrated_tails without it)."""
    inside = _inside(rows, pred, None).values()
    total = sum(n for _, n in inside)
    return sum(i for i, _ in inside) / total if total else float("nan")


def calibrated_tails(rows: list[Row], pred: np.ndarray) -> Tails:
    """Per group and test kind, the quantile tail whose interval holds 80 % of a held-out
    machine's rows. A machine's rows share its errors (one machine's kernels, driver, clocks),
    so the pooled 10th-90th percentiles of held-out ratios cover far fewer than 80 % of an
    unseen machine's rows: the narrowest of 40, 39, ... 1 % whose coverage (each machine's
    interval made without it) reaches 80 % - split-conformal calibration, machines as the
    exchangeable units. A group that misses 80 % even at 1 % keeps 1 % (main() says so)."""
    tails: Tails = {}
    for pct in range(40, 0, -1):
        for key, (inside, n) in _inside(rows, pred, pct / 100).items():
            # "*" stands in for groups it has not seen: it keeps the plain 10th-90th percentiles
            if key[0] != "*" and key not in tails and (inside >= 0.8 * n or pct == 1):
                tails[key] = pct / 100
    return tails


def summary(rows: list[Row], pred: np.ndarray, keep: list[bool]) -> dict[str, float | int]:
    errs = [abs(p / r.measured - 1) for r, p, k in zip(rows, pred, keep, strict=True) if k]
    errs = [e for e in errs if math.isfinite(e)]
    if not errs:
        return {"rows": 0}
    q = statistics.quantiles(errs, n=10) if len(errs) > 1 else [errs[0]] * 9
    return {"rows": len(errs), "median": statistics.median(errs), "p90": q[-1]}


def main() -> int:
    rows = load()
    if "--fit" in sys.argv:
        fits = fit_all([r for r in rows if r.fits])
        for b in GROUPS:
            k = fits[b]
            thread = f", k_thread={k[THREAD]:.3f}" if k[THREAD] != 1.0 else ""
            # the APU factor: GPUs of APUs under CUDA, ROCm and Vulkan (shares_apu_memory)
            backend = b.split("-")[0]
            apu = f", k_uma={k[UMA]:.3f}" if backend in APU_BACKENDS else ""
            gpu = backend != "cpu"
            scan = f", k_scan={k[SCAN]:.3f}, k_gqa={k[GQA]:.3f}, k_f16={k[F16]:.3f}" if gpu else ""
            # the mat-vec columns' factor: the backends whose kernels are modelled so
            scan += f", k_mmvq={k[MMVQ]:.3f}" if backend in MMVQ_COL_SHARE else ""
            print(
                f'    "{b}": Prior({k[0]:.3f}, {k[1]:.3f}, {k[2]:.3f}, {k[3]:.3f}{thread}, '
                f"k_moe={k[MOE]:.3f}, k_moe_matmul={k[MOE_MATMUL]:.3f}{apu}{scan}),"
            )
        held = lomo(rows)["rigbench"]
        cur = [i for i, r in enumerate(rows) if r.fits]
        tails = calibrated_tails(rows, held)
        for (b, kind), (lo, hi) in spreads([rows[i] for i in cur], held[cur], tails).items():
            t = tails.get((b, kind), 0.10)
            print(f'    ("{b}", "{kind}"): ({lo:.2f}, {hi:.2f}),  # {t:.0%} / {1 - t:.0%}')
        return 0
    pred = lomo(rows)
    tails = calibrated_tails(rows, pred["rigbench"])
    covered = coverage(rows, pred["rigbench"])
    by_group = _inside(rows, pred["rigbench"], tails)
    table: dict[str, dict[str, Any]] = defaultdict(dict)
    for method, values in pred.items():
        for b in (*BACKENDS, "all"):
            for kind in ("pp", "tg"):
                keep = [
                    (b in ("all", r.backend)) and r.kind == kind and not r.secondary and r.fits
                    for r in rows
                ]
                table[method][f"{b} {kind}"] = summary(rows, values, keep)
            deep = [
                (b in ("all", r.backend)) and r.deep and not r.secondary and r.fits for r in rows
            ]
            table[method][f"{b} deep"] = summary(rows, values, deep)
            for kind in ("pp", "tg"):
                std = [
                    (b in ("all", r.backend))
                    and r.kind == kind
                    and not r.secondary
                    and r.fits
                    and not r.small_ubatch
                    for r in rows
                ]
                table[method][f"{b} {kind} ub512"] = summary(rows, values, std)
        second = [r.secondary for r in rows]
        table[method]["secondary"] = summary(rows, values, second)
        for kind in ("pp", "tg"):
            old = [
                not r.secondary and not r.current and r.kind == kind and not r.board for r in rows
            ]
            table[method][f"history {kind}"] = summary(rows, values, old)
            board = [r.board is not None and r.kind == kind for r in rows]
            table[method][f"boards {kind}"] = summary(rows, values, board)
    machines = len({r.machine for r in rows if not r.secondary})
    judged = [r for r in rows if not r.secondary and r.fits]
    save(
        "lomo",
        {
            "schema_version": SCHEMA_VERSION,
            "rows": len(rows),
            "machines": machines,
            "judged_rows": len(judged),
            "judged_machines": len({r.machine for r in judged}),
            "current_from": CURRENT_FROM,
            "current_pp_from": CURRENT_PP_FROM,
            "interval_tails": {f"{b} {kind}": t for (b, kind), t in sorted(tails.items())},
            "interval_coverage": covered,
            "methods": table,
        },
    )
    print(
        f"info  {len(rows)} rows, {machines} machines (first-hand); judged: "
        f"{len(judged)} first-hand rows of current builds (CURRENT_FROM), "
        f"{len({r.machine for r in judged})} machines; |error| median / p90:"
    )
    for b in (*BACKENDS, "all"):
        cells = []
        for method in ("rigbench", "table", "roofline", "llmfit"):
            for kind in ("tg", "pp"):
                s = table[method][f"{b} {kind}"]
                if s.get("rows"):
                    cells.append(f"{method} {kind} {s['median']:.0%}/{s['p90']:.0%} ({s['rows']})")
        print(f"info  {b:6s} " + "; ".join(cells))
    for b in (*BACKENDS, "all"):
        s = table["rigbench"][f"{b} pp ub512"]
        if s.get("rows"):
            d = table["rigbench"][f"{b} deep"]
            at_depth = (
                f"{d['median']:.0%}/{d['p90']:.0%} ({d['rows']})" if d.get("rows") else "none"
            )
            print(
                f"info  {b:6s} rigbench pp at ubatch >= 512: {s['median']:.0%}/{s['p90']:.0%} "
                f"({s['rows']}); rows at depth >= 8192: {at_depth}"
            )
    apart = (
        ("history", "history (builds before CURRENT_FROM or superseded, not judged)"),
        ("boards", "GPUs on single-board hosts (host not modelled, not judged)"),
    )
    for key, label in apart:
        for kind in ("tg", "pp"):
            h = table["rigbench"][f"{key} {kind}"]
            if h.get("rows"):
                print(f"info  {label} {kind}: {h['median']:.0%}/{h['p90']:.0%} ({h['rows']})")
    print(
        "info  80 % intervals (PRIOR_SPREAD): per group and test, the quantile tails of held-out "
        "ratios that cover 80 % of a held-out machine's rows (calibrated_tails): "
        + ", ".join(f"{b} {kind} {t:.0%}" for (b, kind), t in sorted(tails.items()))
    )
    short = [
        f"{b} {kind} {i / n:.0%}" for (b, kind), (i, n) in sorted(by_group.items()) if i < 0.8 * n
    ]
    if short:
        print("info  groups under 80 % even at their widest (1 %) interval: " + ", ".join(short))
    goals = [
        ("80 % intervals cover 70-90 % of held-out rows", 0.70 <= covered <= 0.90, f"{covered:.0%}")
    ]
    for b in (*BACKENDS, "all"):
        for kind, median, p90 in (("tg", 0.10, 0.25), ("pp", 0.20, 0.50)):
            s = table["rigbench"][f"{b} {kind}"]
            if s.get("rows"):
                goals.append(
                    (
                        f"LOMO {kind} {b}: median <= {median * 100:.0f} %, "
                        f"p90 <= {p90 * 100:.0f} %",
                        s["median"] <= median and s["p90"] <= p90,
                        f"{s['median']:.1%} / {s['p90']:.1%} on {s['rows']} rows",
                    )
                )
    return verdict(goals, width=48)


if __name__ == "__main__":
    sys.exit(main())
