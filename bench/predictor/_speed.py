"""Speed prediction: prompt processing (pp) and generation (tg) tokens/s, from physics.

tg: every generated token reads the weights it uses (MoE: the used experts and the shared
tensors) and the KV cache up to its position, from the device holding them; split models add
a host/GPU hop per boundary; each layer adds a fixed launch/sync overhead.
pp: each ubatch does 2 x active params FLOPs per token plus attention work that grows with
depth, at the device's peak times an efficiency; on a GPU the ubatch's weight reads add to
that (tile loads, then matmuls), on a CPU the larger of the two counts, so a small ubatch is
bound by reading the weights; with partial offload, host weights cross PCIe to the GPU once
per ubatch. An APU's GPU reaches the shared APU share of its compute (Prior.k_uma).

Efficiency factors start from EFFICIENCY (sources there); ``bench calibrate`` refits them per host.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import probe
from bench.model import ARCHITECTURES, ModelSpec
from bench.predictor._efficiency import (
    ATTN_RATIO,
    BYTES_PER_SM_CYCLE,
    DEFAULT_GPU_FLOPS,
    EFFICIENCY,
    GB,
    GPU_BACKENDS,
    HOP_LATENCY_S,
    LAYER_NODES,
    MOE_EXTRA_NODES,
    MOE_NODE_COST,
    MOE_RATIO,
    NO_DOTPROD_RATIO,
    PCIE_DEFAULT_BW,
    PCIE_GEN_BW,
    PER_THREAD_BW,
    SCAN_STEP_S,
    SIDES,
    SM_RATE_BACKENDS,
    SPEC_TO_ACHIEVABLE,
    TG_ATTN_RATIO,
    VULKAN_DP4A_TYPES,
    cpu_peak_flops,
    cpu_type_gain,
    f16_gemm_factor,
    lacks_dotprod,
    layer_node_weight,
    mmq_padding_cost,
    mmvq_column_cost,
    shares_apu_memory,
    sustained_clock_gain,
    thread_clock_factor,
    thread_stream_factor,
    vulkan_dp4a_gain,
)
from bench.predictor._memory import Device, home_layer, layer_devices, read_per_token
from bench.predictor._native_fp4 import NATIVE_FP4_TYPES, fp4_scale, native_fp4
from bench.predictor._priors import (
    PRIOR_SPREAD_GROUPS,
    Prior,
    cpu_prior_group,
    interval,
    prior_group,
    prior_of,
)
from bench.predictor._work import (
    attn_work,
    host_hops,
    kv_gqa_doublings,
    kv_read,
    scan_steps,
    score_bytes,
    swa_span,
)
from bench.records import (
    SPEED_PREDICTOR,
    SPEED_PREDICTOR_VERSION,
    Calibration,
    RunConfig,
    SpeedPrediction,
)
from probe import HostProfile
from probe.errors import UserError

PREDICTOR = SPEED_PREDICTOR
PREDICTOR_VERSION = SPEED_PREDICTOR_VERSION
NATIVE_BACKEND = {"nvidia": "cuda", "amd": "rocm", "apple": "metal"}


# Architectures whose tensors, cache and state the terms below know (bench.model's, and the
# synthetic MoE families): anything else gets no speed prediction rather than a silent guess.
MODELLED = (*ARCHITECTURES, "qwen2moe")


class NotModelled(UserError):
    """A model whose architecture the speed model does not describe."""


def choose_backend(host: HostProfile, asked: str | None = None) -> str:
    """The llama.cpp backend the host's GPUs run: the one asked (``cpu``: a CPU-only build, the
    GPUs unused), else the vendor's own when the host lists it (or lists no GPU backend), else
    the GPU backend it lists (``catalog NAME:vulkan``, a probed host with only Vulkan)."""
    if asked:
        asked = asked.lower()
        if asked not in EFFICIENCY:
            raise UserError(
                f"no speed model for the {asked!r} backend",
                hint=f"choose one of {', '.join(EFFICIENCY)}",
            )
        return asked
    if not host.gpus:
        return "cpu"
    declared = [b for b in host.backends if b in GPU_BACKENDS]
    native = NATIVE_BACKEND.get(host.gpus[0].vendor, "vulkan")
    return native if native in declared or not declared else declared[0]


def quant_family(type_name: str) -> str:
    t = type_name.upper()
    if t in ("F16", "BF16", "F32"):
        return "f16"
    if t.startswith("Q8"):
        return "q8"
    if t.endswith("_K") or t.startswith("IQ"):
        return "kquant"
    return "quant"


def _bulk(spec: ModelSpec, key: Callable[[str], str]) -> str | None:
    """The ``key`` of a tensor type that holds the bulk of the matrix bytes (None: no matrix)."""
    by: dict[str, int] = {}
    for t in spec.tensors:
        if len(t.shape) > 1:
            by[key(t.type)] = by.get(key(t.type), 0) + t.n_bytes
    return max(by, key=lambda k: by[k]) if by else None


def model_family(spec: ModelSpec) -> str:
    """The family of the bulk of the weight bytes."""
    return _bulk(spec, quant_family) or "f16"


@dataclass(frozen=True, slots=True)
class _Dev:
    name: str
    backend: str
    bw: float  # bytes/s
    flops: float  # FLOP/s
    pcie: float  # bytes/s to the host (inf for unified memory)
    prior: str = ""  # the PRIORS group (prior_group); "" = the backend's own
    mmq_flops: float = 0.0  # quantized-matmul ceiling on CUDA (GpuInfo.spec_mmq_flops); 0: flops
    raw_bw: float = 0.0  # bw before any prior (the CPU's caps at factor 1); 0: bw itself
    int8_dot: bool = True  # a CPU with int8 dot products (Arm without them: NO_DOTPROD_RATIO)
    repack: float = 1.0  # a CPU's prefill kernels for these weight types (cpu_type_gain)
    dp4a_gain: float = 1.0  # Vulkan's DP4A quantized matmuls against flops (vulkan_dp4a_gain)
    apu: bool = False  # a GPU sharing an APU's memory and power (shares_apu_memory)
    # matmul peak over the ALUs' attention runs at (probe.matrix_unit_gain: an M5's tensor API
    tensor_gain: float = 1.0  # runs only mul_mm.metal, the one file using mpp::tensor_ops)
    fp4: bool = False  # MMQ multiplies FP4 weights natively (_native_fp4: Blackwell 12.x)

    @property
    def attn_peak(self) -> float:
        return self.flops / self.tensor_gain

    @property
    def ceiling_bw(self) -> float:
        """The bandwidth the physical ceiling uses: a CPU's socket or thread figure without the
        prior (its bw carries the prior's factors), a GPU's spec or measured figure."""
        return self.raw_bw or self.bw

    @property
    def stream_cap(self) -> float:
        """Bytes/s one token's mat-vec reads reach at most: SM-bound on NVIDIA parts under CUDA
        or Vulkan (SM_RATE_BACKENDS) where SMs x clock are known (BYTES_PER_SM_CYCLE), else
        unbounded."""
        if self.backend in SM_RATE_BACKENDS and self.mmq_flops:
            return self.mmq_flops / 512 * BYTES_PER_SM_CYCLE
        return math.inf

    def matmul_flops(self, family: str) -> float:
        """The peak a matmul of weights of ``family`` runs against: on CUDA, quantized weights
        go through MMQ (int8 mma.sync, every quant type from Turing on), F16/BF16 through
        cuBLAS at the FP16 tensor peak; an Arm CPU without SDOT multiplies quantized weights at
        NO_DOTPROD_RATIO of its peak, other CPUs by their types' kernels (cpu_type_gain); under
        Vulkan, a GPU without cooperative matrices runs them through DP4A (vulkan_dp4a_gain)."""
        if self.backend == "cuda" and family != "f16" and self.mmq_flops:
            return self.mmq_flops
        if not self.int8_dot and family != "f16":
            return self.flops * NO_DOTPROD_RATIO
        if family == "f16":  # no int8 path; a CPU's BF16 GEMM can run faster (cpu_type_gain)
            return self.flops * self.repack
        return self.flops * self.dp4a_gain * self.repack


def host_bandwidth(host: HostProfile) -> tuple[float, str]:
    m = host.memory
    if m and m.measured_read_bytes_per_s:
        return m.measured_read_bytes_per_s, "measured"
    if m and m.spec_bandwidth_bytes_per_s:
        return m.spec_bandwidth_bytes_per_s * SPEC_TO_ACHIEVABLE, "spec x 0.8"
    return 50 * GB, "unknown: 50 GB/s assumed (run probe detect --measure)"


def _devices(
    host: HostProfile,
    threads: int,
    backend: str,
    spec: ModelSpec,
    family: str,
    cpu_cal: Calibration | None = None,
) -> tuple[_Dev, list[_Dev], dict[str, Any]]:
    bw, bw_how = host_bandwidth(host)
    cpu_flops, flops_how = cpu_peak_flops(host, threads)
    # Two caps on what the CPU reads: the socket's (the prior's bandwidth factor corrects a spec
    # figure; one measured here is what this machine reaches) and what the threads stream (the
    # prior's per-thread factor; the weights' types, thread_stream_factor; their cores' clock,
    # thread_clock_factor): a few fast cores read more of a desktop's DDR than its share.
    group = cpu_prior_group(host.cpu)  # its core family's factors (Apple, Neoverse) or "cpu"
    prior = prior_of(group, "cpu")
    # this host's calibration scales both caps by its k_bw, or the socket's by k_socket where
    # it fitted that apart (a measured socket: _calibrate)
    k_threads = cpu_cal.k_bw if cpu_cal else 1.0
    k_socket = cpu_cal.k_socket if cpu_cal and cpu_cal.k_socket is not None else k_threads
    socket_bw = bw * (1.0 if bw_how == "measured" else prior.k_bw) * k_socket
    c = host.cpu
    cpu_only = backend == "cpu" or not host.gpus  # only then does llama.cpp repack weights
    per_thread = PER_THREAD_BW * thread_stream_factor(c, spec, cpu_only) * thread_clock_factor(c)
    thread_bw = threads * per_thread * prior.k_thread * k_threads
    cpu = _Dev(
        "host",
        "cpu",
        min(socket_bw, thread_bw),
        cpu_flops,
        math.inf,
        prior=group,
        raw_bw=min(bw, threads * per_thread),
        int8_dot=not lacks_dotprod(host.cpu),
        repack=cpu_type_gain(c, spec, family) if cpu_only else 1.0,
    )
    gpus = []
    unknown_flops: list[str] = []
    for g in host.gpus if backend != "cpu" else ():
        pcie = (
            math.inf
            if g.unified_memory
            else (
                PCIE_GEN_BW.get(g.pcie_gen_max or 4, PCIE_DEFAULT_BW)
                * (g.pcie_width_max or 16)
                / 16
            )
        )
        # A profile probed before schema 3 (cached, saved, stored) has no figures: the catalog's
        # by name, as detection now fills them; else a default peak, said in the inputs.
        g = probe.with_catalog_figures(g)
        clock = sustained_clock_gain(g)  # a GeForce board's clock above its rated boost
        fp16, mmq = (g.spec_fp16_flops or 0.0) * clock, (g.spec_mmq_flops or 0.0) * clock
        fp16 = mmq if backend == "vulkan" and mmq else fp16  # all its matmuls: SM_RATE_BACKENDS
        if not fp16:
            unknown_flops.append(g.name or f"{g.vendor}:{g.index}")
        gpus.append(
            _Dev(
                f"{g.vendor}:{g.index}",
                backend,
                g.measured_bandwidth_bytes_per_s or g.spec_bandwidth_bytes_per_s or bw,
                fp16 or DEFAULT_GPU_FLOPS,
                pcie,
                prior_group(backend, g.name, g.vendor, g.gfx_target),
                mmq,
                apu=shares_apu_memory(backend, g),
                dp4a_gain=vulkan_dp4a_gain(g) if backend == "vulkan" else 1.0,
                tensor_gain=probe.matrix_unit_gain(g) if backend == "metal" else 1.0,
                fp4=native_fp4(backend, g),
            )
        )
    inputs = {
        "gpu_flops": (
            f"unknown for {', '.join(unknown_flops)}: {DEFAULT_GPU_FLOPS / 1e12:.0f} TFLOPS assumed"
            if unknown_flops
            else "spec"
        ),
        "backend": backend,
        "host_bandwidth": bw_how,
        "cpu_flops": flops_how,
        "threads": threads,
        "host_bytes_per_s": cpu.bw,
        "host_socket_bytes_per_s": socket_bw,
        "host_thread_bytes_per_s": thread_bw,
        "cpu_flops_per_s": cpu.flops,
    }
    return cpu, gpus, inputs


def _prior(d: _Dev) -> Prior:
    return prior_of(d.prior or d.backend, d.backend)


def _eff(d: _Dev, family: str, cal: Calibration | None) -> tuple[float, float, float]:
    """(bandwidth efficiency, compute efficiency, seconds per layer per token): the table's
    starting values, times the device's prior fitted on published results, times this host's
    calibration."""
    table = EFFICIENCY[d.backend]
    e = table[family]
    prior = _prior(d)
    # The prior's bandwidth factor corrects spec figures (fitted on catalog machines); a CPU's bw
    # already carries it and the calibration's (_devices: the socket's and the threads' caps).
    k_bw = 1.0 if d.backend == "cpu" else (cal.k_bw if cal else 1.0) * prior.k_bw
    k_c = (cal.k_compute if cal else 1.0) * prior.k_compute * (prior.k_uma if d.apu else 1.0)
    return e["bw"] * k_bw, e["compute"] * k_c, table["_"]["layer_s"] * prior.k_overhead


def _attn_eff(d: _Dev, family: str, cal: Calibration | None) -> float:
    """Attention FLOP efficiency: the matmul efficiency times the backend's attention ratio."""
    k_a = (cal.k_attn if cal else 1.0) * _prior(d).k_attn
    return _eff(d, family, cal)[1] * ATTN_RATIO[d.backend] * k_a


def _token_s(d: _Dev) -> float:
    return EFFICIENCY[d.backend]["_"]["token_s"] * _prior(d).k_overhead


def predict_speed(
    spec: ModelSpec,
    host: HostProfile,
    cfg: RunConfig,
    calibrations: dict[str, Calibration] | None = None,
    backend: str | None = None,
) -> SpeedPrediction:
    """Prompt-processing and generation tokens/s of one point (``cfg``: llama-bench's fields) of
    ``spec`` on ``host``, term by term, with this host's ``calibrations`` per backend.

    Args:
        backend: The llama.cpp backend the GPUs run (``choose_backend``): cuda, rocm, metal,
            vulkan, or cpu for a CPU-only build; None picks the host's own.
    """
    if spec.architecture not in MODELLED:
        raise NotModelled(
            f"architecture {spec.architecture} not modelled: memory from the tensor list only, "
            "no speed prediction",
            hint=f"modelled: {', '.join(MODELLED)}; bench sweep still measures it",
        )
    threads = cfg.n_threads or (
        host.cpu.physical_cores if host.cpu and host.cpu.physical_cores else 1
    )
    family = model_family(spec)
    cals = calibrations or {}
    cpu, gpus, inputs = _devices(
        host, threads, choose_backend(host, backend), spec, family, cals.get("cpu")
    )
    if _bulk(spec, str.upper) not in VULKAN_DP4A_TYPES:  # no DP4A shader for the bulk
        gpus = [dataclasses.replace(g, dp4a_gain=1.0) for g in gpus]
    devs = [cpu, *gpus]
    mem = cfg.mem_config()
    where = layer_devices(spec, mem, [Device(g.name, g.backend, None) for g in gpus])
    main = gpus[0].backend if gpus and where[spec.n_layer] > 0 else "cpu"

    # Bytes and FLOPs per device.
    read_tg = [0.0] * len(devs)  # weights read per generated token
    read_pp = [0.0] * len(devs)  # dense weights read per ubatch
    xread_pp = [0.0] * len(devs)  # expert weights, all of them (a ubatch touches a share)
    xread_tg = [0.0] * len(devs)  # the experts' part of read_tg
    params = [0.0] * len(devs)  # active dense parameters (matmul FLOPs / 2 per token)
    xparams = [0.0] * len(devs)  # active expert parameters (mul_mat_id FLOPs / 2 per token)
    fp4p, fp4x = [0.0] * len(devs), [0.0] * len(devs)  # their MXFP4/NVFP4 parts (_native_fp4)
    layers = [0] * len(devs)
    head_read = [0.0] * len(devs)  # the output head's bytes: prefill reads it once
    expert_frac = spec.n_expert_used / spec.n_expert if spec.n_expert else 1.0
    # the output head (ModelSpec.output_head): read whole per token on the output layer's device
    head = spec.output_head
    for t in spec.tensors:
        il = home_layer(spec, t)
        if not read_per_token(spec, t):
            continue  # a lookup: one row per token; a NextN block: not loaded, not run
        cpu_expert = t.is_expert and il is not None and il < cfg.n_cpu_moe
        dev = where[spec.n_layer] if il is None else (0 if cpu_expert else where[il])
        n = math.prod(t.shape)
        frac = expert_frac if t.is_expert else 1.0
        # The experts one token reads stream at the dense rate (MOE_NODE_COST: their fixed cost
        # is the MoE term's); their prefill FLOPs take MOE_RATIO of the device running them.
        read_tg[dev] += t.n_bytes * frac
        if t.name == head:
            # The output head: llama-bench's prompt wants the last token's logits only (no
            # logits set: llama-batch.cpp outputs the last; the last layer keeps output rows by
            # inp_out_ids), so prefill multiplies one row by it: a read, no matmul to count.
            head_read[dev] += t.n_bytes
            continue
        if t.is_expert:
            xread_tg[dev] += t.n_bytes * frac
            xread_pp[dev] += t.n_bytes
        else:
            read_pp[dev] += t.n_bytes
        if len(t.shape) > 1:
            if t.is_expert:
                xparams[dev] += n * frac
            else:
                params[dev] += n
            if t.type.upper() in NATIVE_FP4_TYPES:
                (fp4x if t.is_expert else fp4p)[dev] += n * frac
    trunk = spec.n_layer - spec.n_layer_nextn  # the layers each token runs through
    for il in range(trunk):
        layers[where[il]] += 1
    # MoE layers per device (where their experts run): each adds the routing nodes' fixed cost
    moe_layers = [0] * len(devs)
    for il in sorted({t.layer for t in spec.tensors if t.is_expert and t.layer is not None}):
        if il < trunk:
            moe_layers[0 if il < cfg.n_cpu_moe else where[il]] += 1
    moe_share = (MOE_EXTRA_NODES + spec.n_expert_used) / LAYER_NODES
    nodes_w = layer_node_weight(spec.architecture, spec.is_moe, spec.n_embd_per_layer > 0)
    # tg: the average context a generated token attends to.
    tg_depth = cfg.n_depth + cfg.n_gen / 2
    t_w = t_kv = t_over = t_moe = t_experts = 0.0
    gqa_doublings = gqa_kv = 0.0  # kv_gqa_doublings, for bench_lomo's refit of k_gqa
    ceil_tg = 0.0
    # Both sides of every max the terms take, summed over devices (and ubatches, for pp):
    # scripts/bench_lomo.py refits the priors from them, so it needs the side that lost too.
    sides: dict[str, float] = dict.fromkeys(SIDES, 0.0)
    moe_s = [0.0] * len(devs)  # each device's MoE routing cost per token (and per ubatch)
    for i, d in enumerate(devs):
        bw_e, _, layer_s = _eff(d, family, cals.get(d.backend))
        moe_s[i] = moe_layers[i] * layer_s * moe_share * MOE_NODE_COST[d.backend] * _prior(d).k_moe
        t_moe += moe_s[i]
        span = swa_span(spec, d.backend, cfg)
        by_layer: dict[int, float] = {}
        kv = kv_read(spec, where, i, tg_depth, cfg, span, by_layer)
        attn_flops = 4 * attn_work(spec, where, i, tg_depth, span)
        rate, cap = d.bw * bw_e, d.stream_cap
        stream = min(rate, cap)
        t_w += read_tg[i] / stream
        t_experts += xread_tg[i] / stream
        # Attending to the cache: reading it (under a GPU's flash attention longer the more
        # query heads each row serves: _work.GQA_REF), or computing on it, whichever is slower.
        gpu_fa = d.backend != "cpu" and cfg.flash_attn
        doublings = kv_gqa_doublings(spec, by_layer, kv) if gpu_fa else 0.0
        if kv > gqa_kv:  # the device reading the most cache (of several GPUs) speaks for all
            gqa_doublings, gqa_kv = doublings, kv
        kv_compute = attn_flops / (
            d.attn_peak * _attn_eff(d, family, cals.get(d.backend)) * TG_ATTN_RATIO[d.backend]
        )
        t_kv += max(kv * _prior(d).k_gqa ** doublings / stream, kv_compute)
        scores = 0.0 if cfg.flash_attn else score_bytes(spec, where, i, tg_depth, span) / rate
        t_kv += scores
        t_over += layers[i] * layer_s * nodes_w
        ceil_tg += (read_tg[i] + kv) / d.ceiling_bw
        sides["tg_weights_stream"] += read_tg[i] / rate
        sides["tg_weights_cap"] += read_tg[i] / cap  # 0 where no cap (inf)
        sides["tg_kv_stream"] += kv / rate
        sides["tg_kv_cap"] += kv / cap
        sides["tg_kv_compute"] += kv_compute
        sides["tg_scores"] += scores
    t_over += _token_s(devs[where[spec.n_layer]])
    hops = host_hops(where, cfg, spec)
    pcie = min((g.pcie for g in gpus), default=math.inf)
    t_hop = hops * (HOP_LATENCY_S + spec.n_embd * 4 / pcie) if gpus else 0.0
    tg_terms = {
        "weights": t_w,
        "kv_cache": t_kv,
        "overhead": t_over,
        "moe": t_moe,
        "host_hop": t_hop,
    }
    tg_time = sum(tg_terms.values())

    # pp: per ubatch.
    ub = max(1, min(cfg.n_ubatch, cfg.n_batch, max(cfg.n_prompt, 1)))
    n_ub = math.ceil(max(cfg.n_prompt, 1) / ub)
    t_comp = t_xcomp = t_attn = t_scan = t_read = t_xfer = t_pover = t_pmoe = 0.0
    steps = [scan_steps(spec, where, i) for i in range(len(devs))]  # the same every ubatch
    ceil_pp = 0.0
    for k in range(n_ub):
        u = min(ub, cfg.n_prompt - k * ub) if cfg.n_prompt else 1
        depth = cfg.n_depth + k * ub + u / 2
        # The experts u tokens route to: each token picks n_expert_used of n_expert, so a share
        # 1 - (1 - used/n)^u of them is read (uniform routing); one token reads its own experts,
        # a big ubatch all of them.
        touched = 1 - (1 - expert_frac) ** u if spec.n_expert else 1.0
        for i, d in enumerate(devs):
            weights_read = read_pp[i] + xread_pp[i] * touched
            if k == n_ub - 1:
                weights_read += head_read[i]
            if weights_read == 0 and layers[i] == 0:
                continue
            bw_e, c_e, layer_s = _eff(d, family, cals.get(d.backend))
            matmul = 2 * (params[i] + xparams[i]) * u
            span = swa_span(spec, d.backend, cfg, u)
            attn = 4 * attn_work(spec, where, i, depth, span) * u
            runs_on = d
            if i == 0 and gpus and u >= 32 and weights_read > 0 and not cfg.no_op_offload:
                # llama.cpp offloads host-weight matmuls of big batches to the GPU: the weights
                # cross PCIe once per ubatch, the FLOPs run at GPU speed.
                runs_on = gpus[0]
                t_xfer += weights_read / pcie
                _, c_e, _ = _eff(runs_on, family, cals.get(runs_on.backend))
            a_e = _attn_eff(runs_on, family, cals.get(runs_on.backend))
            f16 = f16_gemm_factor(family, u, _prior(runs_on).k_f16)  # F16/BF16 through GEMMs
            mm = 2 * params[i] * u / (runs_on.matmul_flops(family) * c_e * f16)
            mm *= fp4_scale(runs_on.fp4, u, fp4p[i], params[i])  # Blackwell's native FP4 MMQ
            # expert matmuls (mul_mat_id, tokens sorted by expert) at MOE_RATIO x the prior's
            xmm = 2 * xparams[i] * u / (runs_on.matmul_flops(family) * c_e * f16)
            xmm /= MOE_RATIO[runs_on.backend] * _prior(runs_on).k_moe_matmul
            # CUDA's MMQ tiles as wide as the ubatch asks, not as the expert's tokens fill
            xmm *= mmq_padding_cost(runs_on.backend, family, spec, u)
            xmm *= fp4_scale(runs_on.fp4, u, fp4x[i], xparams[i])
            at = attn / (runs_on.attn_peak * a_e)
            # the recurrent layers' token-by-token scan: a latency per step, not a FLOP rate
            scan = u * steps[i] * SCAN_STEP_S[runs_on.backend] * _prior(runs_on).k_scan
            # without flash attention the scores go through memory, not a fused kernel
            scores = (
                0.0
                if cfg.flash_attn
                else u * score_bytes(spec, where, i, depth, span) / (runs_on.bw * bw_e)
            )
            sides["pp_compute"] += mm
            sides["pp_moe_compute"] += xmm
            sides["pp_attention"] += at
            sides["pp_scores"] += scores
            sides["pp_scan"] += scan
            at += scores
            # memory side: the weights, and the KV cache the ubatch attends to (a small ubatch
            # deep in the context is bound by reading the cache, as one generated token is)
            kv = kv_read(spec, where, i, depth, cfg, span)
            read = (weights_read + kv) / (d.bw * bw_e)
            if runs_on is not d:  # offloaded: the GPU computes on weights the PCIe copy
                read = 0.0  # brings (t_xfer, reading host memory): no host read to wait for
            sides["pp_read"] += read
            # ggml-cuda's mat-vec kernels (2-8 tokens) redo each block's dot product per column
            mv = mmvq_column_cost(runs_on.backend, u) * weights_read / (d.bw * bw_e)
            sides["pp_mmvq"] += mv
            t_comp += mv * _prior(runs_on).k_mmvq
            # A GPU's matmul kernels (MMQ, mul_mm) load each weight tile into shared memory,
            # synchronise, then multiply it: the read and the math of a ubatch add up (the
            # RTX 3090's ub32-64 prefill runs at 0.6-0.85 of the overlapped prediction; held
            # out, GPU prefill median 35 -> 28 %). A CPU core's prefetchers overlap them.
            if runs_on.backend != "cpu" or mm + xmm + at >= read:
                t_comp += mm
                t_xcomp += xmm
                t_attn += at
                t_scan += scan
            if runs_on.backend != "cpu" or mm + xmm + at < read:
                t_read += read
            t_pover += layers[i] * layer_s * nodes_w
            t_pmoe += moe_s[i]
            ceil_pp += max(
                matmul / runs_on.matmul_flops(family) + attn / runs_on.attn_peak,
                (weights_read + kv) / d.ceiling_bw,
            )
    t_pover += n_ub * _token_s(devs[where[spec.n_layer]])
    pp_terms = {
        "compute": t_comp,
        "moe_compute": t_xcomp,
        "attention": t_attn,
        "scan": t_scan,
        "weights": t_read,
        "host_hop": t_xfer,
        "overhead": t_pover,
        "moe": t_pmoe,
    }
    pp_time = sum(pp_terms.values())
    n_p = max(cfg.n_prompt, 1)
    pp_tps = n_p / pp_time if pp_time else 0.0
    tg_tps = 1 / tg_time if tg_time else 0.0
    used = [cals[b] for b in {d.backend for d in devs} if b in cals]
    # the PRIORS group the main device's factors came from; its interval is the group's own
    # spread where it has one, else its backend's
    group = gpus[0].prior if main != "cpu" else cpu.prior
    spread = group if group in PRIOR_SPREAD_GROUPS else main
    intervals = {k: interval(spread, k, v, used) for k, v in (("pp", pp_tps), ("tg", tg_tps))}
    return SpeedPrediction(
        pp_tokens_per_s=pp_tps,
        tg_tokens_per_s=tg_tps,
        ttft_s=pp_time + (1 / tg_tps if tg_tps else 0.0),
        pp_dominant=max(pp_terms, key=lambda k: pp_terms[k]),
        tg_dominant=max(tg_terms, key=lambda k: tg_terms[k]),
        pp_ceiling_tokens_per_s=n_p / ceil_pp if ceil_pp else 0.0,
        tg_ceiling_tokens_per_s=1 / ceil_tg if ceil_tg else 0.0,
        tg_terms_s=tg_terms,
        pp_terms_s=pp_terms,
        backend=main,
        calibrated_points=sum(c.n_points for c in used),
        predictor=PREDICTOR,
        predictor_version=PREDICTOR_VERSION,
        inputs={
            **inputs,
            "family": family,
            "layers_per_device": layers,
            "hops": hops,
            "prior": group,
            "sides_s": sides,
            # the experts' part of tg's weights term (where each device reads them)
            "tg_experts_s": t_experts,
            # log2 of the query heads a GPU's cached K/V row serves over GQA_REF (of several
            # devices, the one reading the most cache; 0 on a CPU): k_gqa's exponent
            "kv_gqa_doublings": gqa_doublings,
        },
        pp_interval_tokens_per_s=intervals["pp"],
        tg_interval_tokens_per_s=intervals["tg"],
    )
