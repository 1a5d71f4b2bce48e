"""The records that cross bench's boundaries: what a point is (RunConfig, MemConfig), what was
predicted for it (Prediction), what was measured (Measurement), and what the store gives back
(StoredPoint, SweepInfo). Frozen, slotted, JSON-serialisable; units in field names.

The JSON forms are what the store keeps in its ``*_json`` columns; ``from_dict`` reads every
form the store has ever written (schema history beside each constant).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from probe import HostProfile
from probe.errors import UserError

# Prediction JSON schema history (the store's points.prediction_json):
#   1 — {"speed": {...}, "memory_total_bytes": [...], "memory": [...]} (rigbench 0.1); the
#       schema key was added with the typed records, files without it are version 1.
PREDICTION_SCHEMA_VERSION = 1

# The speed predictor's name and version, stored with every prediction; a report compares a
# measurement only with predictions of the current version, and calibrations fitted under
# another version are not applied. History: 1 — first version; 2 — CUDA quantized matmuls
# against GpuInfo.spec_mmq_flops, priors refitted (machine-weighted, GPU rows from 2025 on);
# 3 — the CPU prior's bandwidth factor scales the socket's bandwidth only, its per-thread
# factor the threads' (a CPU calibration fitted under 2 combined them); MoE layers' fixed cost
# and expert-matmul rate (Prior.k_moe, k_moe_matmul); a small ubatch reads only the experts its
# tokens route to, and the KV cache it attends to; priors refitted; 4 — GPU prefill adds a
# ubatch's weight reads to its matmuls (a factor fitted under 3 counted them overlapped); an
# APU GPU's compute factor (Prior.k_uma); Arm without SDOT; priors refitted; 5 — a tied
# output head (ModelSpec.ties_output) is read every generated token, and prefill multiplies
# only the last token by the output head (llama-bench asks its logits alone); priors refitted;
# 6 — a sliding-window layer's attention runs over what each backend's kernels scan of the
# window's cache ring (all of it without flash attention and on CUDA/HIP below a ubatch of 1024:
# _work.swa_span), not the window alone; Intel GPUs under Vulkan take a compute factor of
# their own (prior_group "vulkan-intel"), and Vulkan GPUs without cooperative matrices multiply
# quantized weights at their DP4A rate (_efficiency.vulkan_dp4a_gain); priors refitted;
# 7 — a layer's fixed cost scales with the compute nodes its architecture's graph runs
# (_efficiency.LAYER_NODES_BY_ARCH, measured on twins: gated delta net, MLA and Gemma 4 layers
# run 1.5-2.5 llama layers' nodes); Gemma 4 and Qwen3-Next are modelled; priors refitted.
# 8 — CPUs: generation reads the chosen experts at the dense rate, an MoE layer's nodes cost
# 3.2x (_efficiency.MOE_NODE_COST), and what an x86 thread streams depends on the weight type
# (_efficiency.THREAD_STREAM); all measured on twins; priors refitted.
# 9 — what a CPU thread streams scales with its core's clock (_efficiency.thread_clock_factor);
# Apple chips carry their P-cores' clocks; Arm CPUs prefill the types ggml-cpu repacks 2.2x
# faster (_efficiency.arm_repack_gain); priors refitted.
# 10 — an M5's matmul peak counts its Neural Accelerators (catalog flop_clk 1024); priors
# refitted on more published rows. 11 — the MoE layers' fixed cost is fitted per backend
# (scripts/bench_lomo.py fit_moe). 12 — NVIDIA and Intel under Vulkan take their own bandwidth
# factor too (VENDOR_SUBGROUPS). 13 — on an M5 only the matmuls run at the Neural
# Accelerators' rate, attention at the ALUs' (probe.matrix_unit_gain); a probed Mac's
# GPU gets its chip's FP16 rate per core (probe.with_figures).
# 14 — each Vulkan vendor fits its own MoE expert-matmul factor (VENDOR_SUBGROUPS); priors
# refitted on more published rows, with Vulkan MoE prefill of rewritten kernels as history.
# 15 — a GPU's prefill of recurrent layers (gated delta net, Mamba-2) adds their token-by-token
# scan, a latency per token and layer (_efficiency.SCAN_STEP_S, the priors' shared k_scan).
# 16 — an x86 CPU prefills each weight type at its own kernel's rate (_efficiency.X86_PREFILL,
# measured on twins); Arm's repack gain goes through the same cpu_type_gain; priors refitted.
# 17 — an x86 core with AVX512_BF16 prefills BF16 weights at its native bf16 rate
# (_efficiency.X86_PREFILL: 1.52x F16 on twins).
# 18 — CPU priors refitted without generation rows measured before their type's repack
# (repack.cpp's GEMV: 1.19-1.71x a thread on twins).
# 19 — NVIDIA workstation and data-centre parts under Vulkan run at their SMs x clock rate, as
# under CUDA (_efficiency.SM_RATE_BACKENDS), not their FP32-accumulate tensor peak; GPU
# priors refitted with an L40S's prefill rows and each row's flash attention as it ran.
# 20 — priors refitted with an R9700's ROCm rows at 16-64k tokens of context, an RTX 4080's
# gpt-oss and three Graviton PRs' CPU rows (ROCm attention 0.905 -> 0.776).
# 21 — Nemotron-H's feed-forward-only layers (no KV heads) add no attention FLOPs or score
# traffic (ModelSpec.attends); priors refitted (ROCm attention 0.703, the GPUs' scan 2.47).
# 22 — priors refitted on rows that keep flash attention as they ran (llama-bench's default was
# off until PR 23714, 2026-06) and without PR 27470's rows (a file 4.6 % over the quant's size).
# 23 — Vulkan's attention factor fitted per vendor (NVIDIA's coopmat2 flash attention apart).
# 24 — RDNA4 under ROCm fits its own factors (rocm-rdna4); new ROCm and 8060S rows.
# 25 — a GPU's flash-attention cache read in generation scales with the query heads each K/V
# row serves (_work.kv_gqa_doublings, the GPU groups' shared k_gqa); priors refitted.
# 26 — desktop GeForce compute at their sustained clock above the rated boost
# (_efficiency.GEFORCE_CLOCK_GAIN); an Arm core streams the types it does not repack at the
# x86 per-type rates (thread_stream_factor); Apple and Neoverse CPU cores take priors of their
# own (cpu_prior_group); priors refitted on 1425 rows (new sources).
# 27 — a CPU calibration with a measured socket fits the socket's factor (k_socket, at least 1)
# apart from the threads' (k_bw): what the calibration points read short of the measured socket
# is the threads' decode, so other weight types keep their own per-thread rates. CUDA's expert
# matmuls pay for MMQ tiles as wide as the ubatch asks (_efficiency.mmq_expert_padding, at its
# square root); priors refitted.
# 28 — F16/BF16 weights' prefill matmuls take their GPU backend's own factor (Prior.k_f16: the
# cuBLAS/hipBLAS GEMMs, not MMQ); under ROCm a 2-8-token ubatch's mat-vec kernels pay each
# column past the first (Prior.k_mmvq); priors refitted on 1564 rows (new ROCm and Vulkan
# sources).
# 29 — Blackwell GPUs of compute capability 12.x multiply MXFP4/NVFP4 weights in prefill on their
# native FP4 instruction (_native_fp4: PR 17906); priors refitted on 1646 rows (new CUDA, Metal,
# Vulkan and ROCm sources; superseded Vulkan generation and DGX Spark int8-path rows).
SPEED_PREDICTOR = "rigbench-speed"
SPEED_PREDICTOR_VERSION = "29"

STATUSES = ("ok", "failed", "skipped")
FAILURE_CLASSES = ("oom", "timeout", "crash", "unsupported")
# Timings whose spread (stddev / mean of tokens/s) exceeds this are not trustworthy: llama-bench
# reports its own stddev over -r repetitions; 5 % is pyperf's "unstable" warning threshold.
UNSTABLE_CV = 0.05


@dataclass(frozen=True, slots=True)
class MemConfig:
    """The knobs that change memory; names follow llama.cpp's flags."""

    n_ctx: int = 8192
    n_batch: int = 2048
    n_ubatch: int = 512
    n_gpu_layers: int = -1  # -1: all (llama.cpp's 999)
    n_cpu_moe: int = 0
    type_k: str = "f16"
    type_v: str = "f16"
    flash_attn: bool = True
    no_kv_offload: bool = False
    swa_full: bool = False


@dataclass(frozen=True, slots=True)
class RunConfig:
    """One benchmark point, named like llama-bench's fields."""

    n_prompt: int = 512
    n_gen: int = 128
    n_depth: int = 0
    n_batch: int = 2048
    n_ubatch: int = 512
    n_threads: int = 0  # 0: physical cores
    n_gpu_layers: int = -1
    n_cpu_moe: int = 0
    type_k: str = "f16"
    type_v: str = "f16"
    flash_attn: bool = True
    no_op_offload: bool = False  # llama-bench -nopo 1: host-weight matmuls stay on the CPU

    @property
    def kind(self) -> str:
        """``pp`` for a prompt-processing test, ``tg`` for a generation test."""
        return "pp" if self.n_prompt else "tg"

    @property
    def test(self) -> str:
        """llama-bench's test name with the depth: ``pp512``, ``tg128@d4096``."""
        t = f"pp{self.n_prompt}" if self.n_prompt else f"tg{self.n_gen}"
        return t + (f"@d{self.n_depth}" if self.n_depth else "")

    def mem_config(self) -> MemConfig:
        return MemConfig(
            n_ctx=max(self.n_depth + self.n_prompt + self.n_gen, 1),
            n_batch=self.n_batch,
            n_ubatch=self.n_ubatch,
            n_gpu_layers=self.n_gpu_layers,
            n_cpu_moe=self.n_cpu_moe,
            type_k=self.type_k,
            type_v=self.type_v,
            flash_attn=self.flash_attn,
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def identity(self) -> dict[str, Any]:
        """The fields that name the point: every field, but those added after rigbench 0.1 only
        when set, so a point stored before keeps its key (and --resume finds it)."""
        data = self.to_dict()
        if not self.no_op_offload:
            del data["no_op_offload"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True, slots=True)
class Calibration:
    """Multiplicative corrections of one host+backend's efficiencies, fitted on measurements."""

    k_bw: float = 1.0
    k_compute: float = 1.0
    k_attn: float = 1.0
    n_points: int = 0
    residual_sd: float | None = None
    # A CPU's socket bandwidth factor, fitted apart from the threads' (k_bw) where the socket's
    # read was measured (bench.predictor._calibrate); None: k_bw scales both caps
    k_socket: float | None = None


@dataclass(frozen=True, slots=True)
class DeviceMemory:
    """Predicted bytes on one device (``host`` or a GPU), by kind of buffer."""

    device: str
    weights_bytes: int
    kv_bytes: int
    compute_bytes: int
    output_bytes: int
    overhead_bytes: int = 0
    layers: int = 0

    @property
    def total_bytes(self) -> int:
        return (
            self.weights_bytes
            + self.kv_bytes
            + self.compute_bytes
            + self.output_bytes
            + self.overhead_bytes
        )


@dataclass(frozen=True, slots=True)
class SpeedPrediction:
    """Predicted tokens/s of one point, with its terms (seconds per token) and the ceiling."""

    pp_tokens_per_s: float
    tg_tokens_per_s: float
    ttft_s: float
    pp_dominant: str
    tg_dominant: str
    pp_ceiling_tokens_per_s: float
    tg_ceiling_tokens_per_s: float
    tg_terms_s: dict[str, float]
    pp_terms_s: dict[str, float]
    backend: str
    calibrated_points: int
    predictor: str = SPEED_PREDICTOR
    predictor_version: str = SPEED_PREDICTOR_VERSION
    inputs: dict[str, Any] = field(default_factory=dict)
    # 80 % intervals (tokens/s): from held-out published results for the backend, or from this
    # host's calibration residuals once it has them; None where neither exists.
    pp_interval_tokens_per_s: tuple[float, float] | None = None
    tg_interval_tokens_per_s: tuple[float, float] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpeedPrediction:
        names = {f.name for f in dataclasses.fields(cls)}
        kept = {k: v for k, v in data.items() if k in names}
        for k in ("pp_interval_tokens_per_s", "tg_interval_tokens_per_s"):
            v = kept.get(k)
            kept[k] = (
                (float(v[0]), float(v[1])) if isinstance(v, list | tuple) and len(v) == 2 else None
            )
        return cls(**kept)


@dataclass(frozen=True, slots=True)
class Prediction:
    """What rigbench predicted for one point before measuring it: speed and memory per device
    (host first)."""

    speed: SpeedPrediction | None
    memory: tuple[DeviceMemory, ...] = ()
    # Totals per device when the breakdown is not known (imports, older stores).
    totals_bytes: tuple[int, ...] = ()

    @property
    def memory_total_bytes(self) -> tuple[int, ...]:
        """Predicted bytes per device, host first."""
        return tuple(d.total_bytes for d in self.memory) or self.totals_bytes

    def tokens_per_s(self, kind: str) -> float | None:
        if self.speed is None:
            return None
        return self.speed.pp_tokens_per_s if kind == "pp" else self.speed.tg_tokens_per_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": PREDICTION_SCHEMA_VERSION,
            "speed": dataclasses.asdict(self.speed) if self.speed else None,
            "memory_total_bytes": list(self.memory_total_bytes),
            "memory": [dataclasses.asdict(d) for d in self.memory],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Prediction:
        version = int(data.get("schema_version", 1))
        if version > PREDICTION_SCHEMA_VERSION:
            raise UserError(
                f"a stored prediction has schema {version}; this rigbench reads up to "
                f"{PREDICTION_SCHEMA_VERSION}",
                hint="upgrade rigbench: pip install -U rigbench",
            )
        speed = data.get("speed")
        names = {f.name for f in dataclasses.fields(DeviceMemory)}
        memory = tuple(
            DeviceMemory(**{k: v for k, v in d.items() if k in names})
            for d in data.get("memory") or []
            if isinstance(d, dict)
        )
        totals = tuple(int(x) for x in data.get("memory_total_bytes") or [] if isinstance(x, int))
        return cls(SpeedPrediction.from_dict(speed) if speed else None, memory, totals)


@dataclass(frozen=True, slots=True)
class Measurement:
    """What one point did: ok with its timings, failed with a class, or skipped by a rule."""

    status: str  # ok | failed | skipped
    avg_ts: float | None = None  # mean tokens/s over the repetitions
    stddev_ts: float | None = None
    samples_ns: tuple[int, ...] = ()
    failure_class: str | None = None  # oom | timeout | crash | unsupported
    skip_rule: str | None = None
    engine_record: dict[str, Any] | None = None  # the engine's own record, verbatim
    load_s: float | None = None
    peak_rss_bytes: int | None = None
    peak_gpu_bytes: dict[str, int] | None = None
    returncode: int | None = None
    stderr_tail: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown measurement status {self.status!r}")

    @property
    def why(self) -> str | None:
        return self.failure_class or self.skip_rule

    @property
    def cv(self) -> float | None:
        """Coefficient of variation of the repetitions (stddev / mean tokens/s)."""
        if self.status != "ok" or not self.avg_ts or self.stddev_ts is None:
            return None
        return self.stddev_ts / self.avg_ts if math.isfinite(self.stddev_ts) else math.inf

    def unstable(self, max_cv: float = UNSTABLE_CV) -> bool:
        """True when the repetitions spread more than ``max_cv`` around their mean."""
        cv = self.cv
        return cv is not None and cv > max_cv


@dataclass(frozen=True, slots=True)
class StoredPoint:
    """One point as the store gives it back."""

    id: int
    sweep_id: int
    key: str
    created_at: str
    host_fingerprint: str
    config: RunConfig
    prediction: Prediction | None
    measurement: Measurement

    @property
    def kind(self) -> str:
        return self.config.kind

    @property
    def test(self) -> str:
        return self.config.test


@dataclass(frozen=True, slots=True)
class SweepInfo:
    """One stored sweep: a model measured by one engine on one host."""

    id: int
    created_at: str
    host_fingerprint: str
    model: dict[str, Any]
    model_spec: dict[str, Any] | None
    engine: dict[str, Any]
    args: dict[str, Any]
    status: str | None


# -- sweeps ------------------------------------------------------------------------------------

MAX_POINTS = 10_000  # a sweep expands to at most this many points (a week of llama-bench cells)

FA = {"on": True, "off": False, "1": True, "0": False}


def parse_axis(text: str | int | None, default: list[int]) -> list[int]:
    """``1,2,4`` / ``0-40+8`` (step) / ``512-4096*2`` (multiply), as llama-bench reads them."""
    if text is None or text == "":
        return default
    values: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)-(\d+)([+*])(\d+)", part)
        if m:
            lo, hi, op, step = int(m.group(1)), int(m.group(2)), m.group(3), int(m.group(4))
            if step <= (0 if op == "+" else 1) or lo > hi or (op == "*" and lo == 0):
                raise UserError(
                    f"cannot expand range {part!r}", hint="write ranges like 0-40+8 or 512-4096*2"
                )
            v = lo
            while v <= hi:
                if len(values) >= MAX_POINTS:
                    raise UserError(
                        f"range {part!r} expands to more than {MAX_POINTS:,} values",
                        hint="use a larger step, e.g. 0-32768*2 or 0-32768+4096",
                    )
                values.append(v)
                v = v + step if op == "+" else v * step
        elif re.fullmatch(r"-?\d+", part):
            values.append(int(part))
        else:
            raise UserError(
                f"cannot read axis value {part!r}",
                hint="give numbers, lists (1,2,4) or ranges (0-40+8, 512-4096*2)",
            )
    return values


@dataclass(frozen=True, slots=True)
class Axes:
    """Every axis a sweep can vary. Defaults are modest: a few minutes on a laptop."""

    n_prompt: list[int] = field(default_factory=lambda: [512])
    n_gen: list[int] = field(default_factory=lambda: [128])
    n_depth: list[int] = field(default_factory=lambda: [0])
    n_batch: list[int] = field(default_factory=lambda: [2048])
    n_ubatch: list[int] = field(default_factory=lambda: [512])
    n_threads: list[int] = field(default_factory=lambda: [0])
    n_gpu_layers: list[int] = field(default_factory=lambda: [-1])
    n_cpu_moe: list[int] = field(default_factory=lambda: [0])
    flash_attn: list[bool] = field(default_factory=lambda: [True])
    type_k: list[str] = field(default_factory=lambda: ["f16"])
    type_v: list[str] = field(default_factory=lambda: ["f16"])

    def points(self, threads_default: int) -> list[RunConfig]:
        """pp tests (n_gen 0) and tg tests (n_prompt 0), as llama-bench splits them."""
        out: list[RunConfig] = []
        for ngl, moe, fa, tk, tv, t, b, ub, d in itertools.product(
            self.n_gpu_layers,
            self.n_cpu_moe,
            self.flash_attn,
            self.type_k,
            self.type_v,
            self.n_threads,
            self.n_batch,
            self.n_ubatch,
            self.n_depth,
        ):
            base = RunConfig(
                n_depth=d,
                n_batch=b,
                n_ubatch=ub,
                n_threads=t or threads_default,
                n_gpu_layers=ngl,
                n_cpu_moe=moe,
                type_k=tk,
                type_v=tv,
                flash_attn=fa,
            )
            out += [replace(base, n_prompt=p, n_gen=0) for p in self.n_prompt if p]
            out += [replace(base, n_prompt=0, n_gen=n) for n in self.n_gen if n]
        return out


@dataclass(frozen=True, slots=True)
class SweepOptions:
    """How each point is measured."""

    engine: str = "llama-bench"  # or llama-cpp-python
    repetitions: int = 3
    delay_s: int = 0
    timeout_s: float = 600
    force: bool = False  # run points predicted not to fit
    resume: bool = False  # skip points this sweep already stored
    retry_failed: bool = False  # resume, and run the points that failed again
    max_cv: float = UNSTABLE_CV  # a point whose stddev/mean exceeds this makes the sweep exit 2


@dataclass(frozen=True, slots=True)
class SweepRequest:
    """Everything ``bench sweep`` is asked: the model, the axes, and how to run them."""

    model: str  # any syntax bench.model.resolve_model reads
    axes: Axes = field(default_factory=Axes)
    quants: tuple[str, ...] = ()
    ctx: int = 4096  # target context for choosing the quant
    ctx_auto: bool = False  # depths from the largest context that really loads
    ngl_auto: bool = False  # GPU layers: the most that really load
    options: SweepOptions = field(default_factory=SweepOptions)
    engine: str | None = None  # llama-bench | llama-cpp-python | None: llama-bench if found
    llama_bench: str | None = None  # this llama-bench binary
    db: Path | None = None  # the results store (default: the user's data dir)
    dry_run: bool = False  # plan and stop before downloading or measuring
    offline: bool = False  # the HF cache only
    reprobe: bool = False  # probe this machine again instead of the per-boot cache
    host: HostProfile | None = None  # None: this machine
