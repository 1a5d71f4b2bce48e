"""Memory prediction: bytes per device (GPUs and host), split into weights, KV cache, compute
buffers and output, the way llama.cpp allocates them.

Two engines:
- ``formula`` (always available): from tensor byte sizes and the architecture, term by term
  (see ``predict_formula``), checked against ``exact`` on a grid of synthetic models in tests.
- ``exact``: llama.cpp's own dry run, ``llama-fit-params --fit-print on``, which allocates
  nothing and reads no weights; run on a local file, or on a sparse file (the real header then
  a hole as large as the tensor data) for a remote one.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.model import ModelSpec, TensorSpec
from bench.records import DeviceMemory, MemConfig
from probe.errors import UserError

FORMULA_VERSION = "1"
EXACT_PREDICTOR = "llama-fit-params"
FIT_RETRIES = 12  # runs of ~0.2 s; at the cut rate measured below, all 12 cut about 1 in 10^7
MIB = 1024 * 1024
KV_PAD = 256  # llama.cpp pads the KV cache to a multiple of 256 cells (llama-context.cpp)
# Tables llama.cpp looks rows up in and keeps in host memory (the input layer,
# LLM_TENSOR_LAYER_INPUT in llama-arch.cpp): the token embeddings and Gemma 4's per-layer ones.
INPUT_TABLES = ("token_embd", "per_layer_token_embd")
# Architectures whose load_arch_tensors create the tied output (TENSOR_DUPLICATED) before the
# token embeddings: the loader's same-buffer check (llama-model-loader.cpp create_tensor) only
# finds an original created earlier, so the table is allocated twice even on the CPU
# (src/models/gemma4.cpp, gemma3n.cpp; measured: llama-fit-params gives a Gemma 4 twin's host
# model buffer as its file plus the table, tests/test_twins.py). With mmap on the CPU both copies
# may map the same pages; the planner counts what llama-fit-params counts.
OUTPUT_FIRST = ("gemma4", "gemma3n")
# A per-layer embedding table over 4 GiB is read row by row from the mapped file, never made
# resident (llama-model-loader.cpp lazy_read::add, --lazy-mode auto, the default: "on, but
# only for tensors larger than 4 GiB"): Gemma 4 E4B's at BF16 is 5.6 GB, at Q8_0 3.0 GB. Auto
# turns it off when a device cannot map files (llama-model.cpp, #28160): integrated GPUs under
# CUDA/HIP and Vulkan (ggml-cuda.cu, ggml-vulkan.cpp mmap_support = !integrated).
LAZY_TABLE = "per_layer_token_embd.weight"
LAZY_MIN_BYTES = 4 << 30
# Bytes per element of the KV-cache types llama.cpp accepts for -ctk/-ctv.
KV_TYPE_BYTES = {
    "f32": 4.0,
    "f16": 2.0,
    "bf16": 2.0,
    "q8_0": 34 / 32,
    "q4_0": 18 / 32,
    "q4_1": 20 / 32,
    "q5_0": 22 / 32,
    "q5_1": 24 / 32,
    "iq4_nl": 18 / 32,
}
# Memory a GPU backend takes beyond llama.cpp's buffers (context, cuBLAS/hipBLAS workspace):
# llama.cpp's memory breakdown calls it "unaccounted"; 300-600 MiB on RTX 30/40 with CUDA 12.
BACKEND_OVERHEAD_BYTES = {
    "cuda": 400 * MIB,
    "rocm": 400 * MIB,
    "vulkan": 200 * MIB,
    "metal": 0,
    "cpu": 0,
}


@dataclass(frozen=True, slots=True)
class Device:
    """Where buffers can go: ``host`` or a GPU, with the memory rigbench may plan to use."""

    name: str
    backend: str  # cpu | cuda | rocm | metal | vulkan
    budget_bytes: int | None
    unified: bool = False


@dataclass(frozen=True, slots=True)
class MemoryPrediction:
    predictor: str
    predictor_version: str
    config: MemConfig
    devices: tuple[DeviceMemory, ...]  # host first
    notes: tuple[str, ...] = field(default_factory=tuple)

    def device(self, name: str) -> DeviceMemory:
        return next(d for d in self.devices if d.device == name)

    @property
    def host(self) -> DeviceMemory:
        return self.devices[0]


def _pad(x: int, to: int) -> int:
    return -(-x // to) * to


def layer_devices(spec: ModelSpec, cfg: MemConfig, gpus: list[Device]) -> list[int]:
    """Device index (0 = host, 1.. = GPUs) of each layer 0..n_layer, the last being the output.

    llama.cpp (llama-model.cpp load_tensors): ``i_gpu_start = max(n_layer + 1 - ngl, 0)``; layer
    il is offloaded when il >= i_gpu_start, the output counting as layer n_layer, so ``-ngl 1``
    offloads only the output. Offloaded layers are split across GPUs in proportion to their
    memory, in contiguous blocks.
    """
    n = spec.n_layer
    ngl = n + 1 if cfg.n_gpu_layers < 0 else min(cfg.n_gpu_layers, n + 1)
    if not gpus:
        return [0] * (n + 1)
    start = max(n + 1 - ngl, 0)
    weights = [max(g.budget_bytes or 1, 1) for g in gpus]
    total = sum(weights)
    bounds, acc = [], 0.0
    for w in weights:
        acc += w / total
        bounds.append(acc)
    out = []
    for il in range(n + 1):
        if il < start:
            out.append(0)
            continue
        frac = (il - start) / max(ngl, 1)
        out.append(1 + next(i for i, b in enumerate(bounds) if frac < b - 1e-12))
    return out


def _ffn_width(spec: ModelSpec) -> int:
    """Widest per-token FFN activation: dense n_ff, or the used experts plus a shared one."""
    if spec.is_moe:
        return spec.n_expert_used * spec.n_ff_exp + spec.n_ff_shexp
    return max(spec.n_ff) if spec.n_ff else 4 * spec.n_embd


def compute_bytes(spec: ModelSpec, cfg: MemConfig, has_layers: bool, has_output: bool) -> int:
    """The compute buffer: the peak of the graph's live tensors for one ubatch.

    llama.cpp reserves the graph for ``n_ubatch`` tokens all producing logits. Peak = the larger
    of two stages (fitted against llama-fit-params on CPU, llama.cpp 0c1e570, within 1 MiB):
    - attention: without flash attention, the scores ``ub * n_kv * n_head * 4`` and the KQ mask
      ``ub * n_kv * 4``; with it, an f16 mask ``ub * n_kv * 2`` and seven ``ub * n_embd * 4``
      activations (Q/K/V views, the fused output); both plus the FFN activations alive beside
      them, ``ub * 2 * ffn_width * 4``;
    - output: logits ``ub * n_vocab * 4`` plus two ``ub * n_embd * 4`` activations (three when
      flash attention runs on a quantized KV cache).
    """
    ub = min(cfg.n_ubatch, cfg.n_batch, cfg.n_ctx)  # llama.cpp clamps the batch to the context
    n_kv = _pad(cfg.n_ctx, KV_PAD)
    act = ub * spec.n_embd * 4
    attn = out = 0
    if has_layers:
        if cfg.flash_attn:
            attn = ub * n_kv * 2 + 7 * act
        else:
            attn = ub * n_kv * max(spec.n_head) * 4 + ub * n_kv * 4
        attn += ub * 2 * _ffn_width(spec) * 4
    if has_output:
        quantized_kv = cfg.type_k not in ("f16", "f32", "bf16") or cfg.type_v not in (
            "f16",
            "f32",
            "bf16",
        )
        out = ub * spec.n_vocab * 4 + (3 if cfg.flash_attn and quantized_kv else 2) * act
    return max(attn, out)


def read_per_token(spec: ModelSpec, t: TensorSpec) -> bool:
    """Whether generating a token reads ``t`` whole: not a NextN block (never run), and not an
    input table (one row looked up) unless it is the tied output head."""
    tied = spec.ties_output and t.name == "token_embd.weight"
    return spec.is_run(t) and (not t.name.startswith(INPUT_TABLES) or tied)


def home_layer(spec: ModelSpec, t: TensorSpec) -> int | None:
    """The layer whose buffer holds the tensor: its blk.N, or for tensors llama.cpp creates
    with a layer though their names carry none (llama-arch.cpp LAYER_REPEATING, created with
    bid 0 in gemma4.cpp) Gemma 4's per-layer projection and its norm with layer 0, the full
    layers' shared rope_freqs with the first full layer; None: the output layer's."""
    if t.layer is not None:
        return t.layer
    if t.name.startswith(("per_layer_model_proj.", "per_layer_proj_norm.")):
        return 0
    if t.name.startswith("rope_freqs."):
        return next((il for il, swa in enumerate(spec.swa_layers) if not swa), 0)
    return None


def v_width_max(spec: ModelSpec) -> int:
    """The widest layer's V row (llama_hparams::n_embd_v_gqa_max): without flash attention the
    V cache is stored transposed and every layer's is padded to it (llama-kv-cache.cpp,
    [TAG_V_CACHE_VARIABLE]: Gemma 4 31B's full layers, 4 x 512, take 16 x 256 like the window
    layers')."""
    return max((n * spec.head_v(il) for il, n in enumerate(spec.n_head_kv)), default=0)


def kv_bytes_per_layer(spec: ModelSpec, cfg: MemConfig, il: int, v_max: int | None = None) -> int:
    """KV cache of one layer: cells x (K width x K type size + V width x V type size).

    Cells: the context padded to 256; a sliding-window layer keeps only
    ``pad(n_swa + n_ubatch, 256)`` cells unless --swa-full. MLA (DeepSeek-style) caches the
    compressed latent plus the RoPE part as K and no separate V. A NextN/MTP block keeps none
    (llama-model.cpp create_memory filters il < n_layer() without an MTP context).
    """
    if spec.is_nextn(il) or not spec.has_kv(il):
        return 0  # a KV-shared layer (Gemma 4 E2B/E4B) attends over an earlier layer's cache
    if spec.is_recurrent(il):
        # A recurrent layer keeps its state, f32 whatever -ctk/-ctv say, one per sequence
        # (llama_memory_recurrent, mem_size = max(1, n_seq_max)); llama-bench runs one.
        return spec.recurrent_state_bytes
    if not spec.attends(il):
        return 0  # Nemotron-H's feed-forward-only layers (ModelSpec.attends) keep no cache
    cells = _pad(cfg.n_ctx, KV_PAD)
    if spec.swa_layers[il] and spec.sliding_window and not cfg.swa_full:
        cells = min(cells, _pad(spec.sliding_window + cfg.n_ubatch, KV_PAD))
    if spec.kv_lora_rank:
        rope = int(spec.metadata.get(f"{spec.architecture}.rope.dimension_count", 64) or 64)
        k_elems, v_elems = spec.kv_lora_rank + rope, 0
    else:
        k_elems = spec.n_head_kv[il] * spec.head_k(il)
        v_elems = spec.n_head_kv[il] * spec.head_v(il)
        if not cfg.flash_attn:  # the transposed V cache, padded to the widest layer's
            v_elems = v_width_max(spec) if v_max is None else v_max
    k = k_elems * KV_TYPE_BYTES[cfg.type_k]
    v = v_elems * KV_TYPE_BYTES[cfg.type_v]
    return int(cells * (k + v))


def predict_formula(
    spec: ModelSpec, cfg: MemConfig, gpus: list[Device] | None = None
) -> MemoryPrediction:
    """Bytes per device, term by term. Host first, then each GPU in order."""
    gpus = gpus or []
    for kv_type in (cfg.type_k, cfg.type_v):
        if kv_type not in KV_TYPE_BYTES:
            raise UserError(
                f"unknown KV cache type {kv_type!r}",
                hint=f"choose one of {', '.join(KV_TYPE_BYTES)}",
            )
    where = layer_devices(spec, cfg, gpus)
    n_dev = 1 + len(gpus)
    lazy = not any(g.unified and g.backend in ("cuda", "rocm", "vulkan") for g in gpus)
    weights = [0] * n_dev
    kv = [0] * n_dev
    layers = [0] * n_dev
    for t in spec.tensors:
        il = home_layer(spec, t)
        if not spec.is_loaded(t) or (lazy and t.name == LAZY_TABLE and t.n_bytes > LAZY_MIN_BYTES):
            continue  # a NextN block's: skipped at load; a lazy table: read from the file
        if t.name.startswith(INPUT_TABLES):
            dev = 0  # llama.cpp keeps the input embeddings on the CPU
        elif il is None:
            dev = where[spec.n_layer]  # output norm and output head go with the output layer
        elif t.is_expert and il < cfg.n_cpu_moe:
            dev = 0  # --n-cpu-moe: this layer's experts stay in host memory
        else:
            dev = where[il]
        weights[dev] += t.n_bytes
        if (
            t.name == "token_embd.weight"
            and spec.ties_output
            and (where[spec.n_layer] != 0 or spec.architecture in OUTPUT_FIRST)
        ):
            # the output head's copy of a tied table, in the output layer's buffer
            weights[where[spec.n_layer]] += t.n_bytes
    v_max = v_width_max(spec)
    for il in range(spec.n_layer):
        layers[where[il]] += 1
        kv[0 if cfg.no_kv_offload else where[il]] += kv_bytes_per_layer(spec, cfg, il, v_max)
    out_dev = where[spec.n_layer]
    devices = []
    for i in range(n_dev):
        name = "host" if i == 0 else gpus[i - 1].name
        backend = "cpu" if i == 0 else gpus[i - 1].backend
        comp = compute_bytes(spec, cfg, layers[i] > 0, out_dev == i)
        if i == 0 and gpus and comp == 0:
            comp = min(cfg.n_ubatch, cfg.n_batch) * spec.n_embd * 8  # staging for GPU inputs
        devices.append(
            DeviceMemory(
                device=name,
                weights_bytes=weights[i],
                kv_bytes=kv[i],
                compute_bytes=comp,
                output_bytes=spec.n_vocab * 4 if i == 0 else 0,  # the logits buffer, in host RAM
                overhead_bytes=BACKEND_OVERHEAD_BYTES.get(backend, 0) if i > 0 and layers[i] else 0,
                layers=layers[i] + (1 if out_dev == i else 0),
            )
        )
    return MemoryPrediction("formula", FORMULA_VERSION, cfg, tuple(devices))


# -- the exact engine ------------------------------------------------------------------------

_ROW = re.compile(r"\|\s+-\s+(?P<name>.+?)\s+\|(?P<rest>.*)\|\s*$")
_NUMS = re.compile(r"\d+")


def parse_breakdown(text: str) -> dict[str, tuple[int, int, int]]:
    """llama.cpp's memory breakdown table -> {device: (model, context, compute) in MiB}.

    Host rows:  ``| - Host | 274 = 63 + 64 + 147 |``
    GPU rows:   ``| - CUDA0 (RTX 4090) | 24077 = 945 + (19187 = 17904 + 384 + 898) + 3945 |``
    Extra buffer types of the host (CPU_REPACK, CUDA_Host) are separate rows.
    """
    rows: dict[str, tuple[int, int, int]] = {}
    for line in text.splitlines():
        if "memory_breakdown_print" not in line:
            continue
        m = _ROW.search(line)
        if not m or "memory breakdown" in line:
            continue
        nums = [int(x) for x in _NUMS.findall(m.group("rest"))]
        if "(" in m.group("rest") and len(nums) >= 7:
            rows[m.group("name")] = (nums[3], nums[4], nums[5])
        elif len(nums) >= 4:
            rows[m.group("name")] = (nums[1], nums[2], nums[3])
    return rows


def table_is_whole(rows: dict[str, tuple[int, int, int]], weight_bytes: int | None) -> bool:
    """Whether the breakdown's model columns account for all the weights (each row floors to
    whole MiB, so each may be up to 1 MiB short). Without ``weight_bytes`` any table counts."""
    if weight_bytes is None:
        return True
    return sum(model for model, _, _ in rows.values()) >= weight_bytes // MIB - len(rows)


def exact_args(cfg: MemConfig) -> list[str]:
    ngl = 999 if cfg.n_gpu_layers < 0 else cfg.n_gpu_layers
    args = [
        "-c",
        str(cfg.n_ctx),
        "-b",
        str(cfg.n_batch),
        "-ub",
        str(cfg.n_ubatch),
        "-ngl",
        str(ngl),
        "-ctk",
        cfg.type_k,
        "-ctv",
        cfg.type_v,
        "-fa",
        "on" if cfg.flash_attn else "off",
        "--fit-print",
        "on",
        "-v",
    ]
    if cfg.n_cpu_moe:
        args += ["--n-cpu-moe", str(cfg.n_cpu_moe)]
    if cfg.no_kv_offload:
        args += ["--no-kv-offload"]
    if cfg.swa_full:
        args += ["--swa-full"]
    return args


def predict_exact(
    fit_params: Path,
    model_path: Path,
    cfg: MemConfig,
    timeout_s: float = 120,
    weight_bytes: int | None = None,
) -> MemoryPrediction:
    """llama.cpp's own dry run on this host's devices. Host rows are summed into ``host``.

    ``weight_bytes`` (the tensor bytes llama.cpp loads: ``ModelSpec.loaded_weight_bytes``, the
    NextN blocks left out) lets a table cut short be told from a whole one:
    the rows' model columns add up to the weights, give or take each row's rounding to MiB.
    """
    argv = [str(fit_params), "-m", str(model_path), *exact_args(cfg)]
    # llama.cpp logs from a worker thread; an exit can cut the log's tail (0c1e570, see
    # run_to_files), usually the whole table, rarely between its rows (Host printed, CPU_REPACK
    # lost). The dry run takes ~0.1 s: run it again rather than guess.
    for attempt in range(FIT_RETRIES):
        try:
            done, out_text, err_text = run_to_files(argv, timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise UserError("llama-fit-params timed out", hint="use --engine formula") from exc
        text = out_text + err_text
        rows = parse_breakdown(text)
        complete = bool(rows) and table_is_whole(rows, weight_bytes)
        if not complete and done.returncode == 0:
            # The compact rows --fit-print writes to stdout itself (printf: never cut). They
            # leave out extra host buffer types (CPU_REPACK), whose size a dry run does not log:
            # with no GPU every tensor is in host memory, so the host's model bytes are the
            # weights.
            rows = parse_compact(out_text)
            if weight_bytes and list(rows) == ["Host"]:
                rows["Host"] = (weight_bytes // MIB, *rows["Host"][1:])
            complete = bool(rows) and table_is_whole(rows, weight_bytes)
        # On a host without GPUs the log's sharper CPU compute line can be cut while the table
        # survives (it then reads as whole MiB: 64 for 64.5); one more run usually keeps it.
        host_only = all(name == "Host" or name.startswith("CPU") for name in rows)
        sharp = not host_only or _CPU_COMPUTE.search(text) is not None
        if done.returncode != 0 or (complete and (sharp or attempt == FIT_RETRIES - 1)):
            break
    if done.returncode != 0 or not complete:
        tail = " | ".join(text.strip().splitlines()[-2:])
        what = (
            f"failed (exit {done.returncode})"
            if done.returncode
            else f"cut its table {FIT_RETRIES} times"
        )
        raise UserError(
            f"llama-fit-params {what}: {tail[:200]}",
            hint="use --engine formula, or rebuild it: bench engines build",
        )
    host = [0, 0, 0]
    gpus: list[DeviceMemory] = []
    for name, (model, ctx, comp) in rows.items():
        if name == "Host" or name.startswith(("CPU", "Host")) or name.endswith("_Host"):
            host = [host[0] + model, host[1] + ctx, host[2] + comp]
        else:
            gpus.append(DeviceMemory(name, model * MIB, ctx * MIB, comp * MIB, 0))
    # Sharper than the table's whole MiB where the log prints them (KV and CPU compute). A model
    # with sliding-window layers has two caches (llama_kv_cache_iswa: base and SWA), one line each.
    # Recurrent layers (Qwen3.5, Mamba) keep their state in an "RS" buffer, also context.
    kv_sizes = re.findall(r"llama_kv_cache: size =\s+([\d.]+) MiB", text)
    kv_sizes += re.findall(r"llama_memory_recurrent:\s+\S+ RS buffer size =\s+([\d.]+) MiB", text)
    cpu_comp = _CPU_COMPUTE.search(text)
    out = re.search(r"\bCPU\s+output buffer size =\s+([\d.]+) MiB", text)
    host_dev = DeviceMemory(
        "host",
        host[0] * MIB,
        int(sum(float(k) for k in kv_sizes) * MIB) if kv_sizes and not gpus else host[1] * MIB,
        int(float(cpu_comp.group(1)) * MIB) if cpu_comp else host[2] * MIB,
        int(float(out.group(1)) * MIB) if out else 0,
    )
    return MemoryPrediction(EXACT_PREDICTOR, _fit_params_version(text), cfg, (host_dev, *gpus))


_CPU_COMPUTE = re.compile(r"\bCPU compute buffer size =\s+([\d.]+) MiB")


def parse_compact(stdout: str) -> dict[str, tuple[int, int, int]]:
    """``--fit-print`` rows on stdout: ``Host 178 42 20`` (device, model, context, compute MiB;
    common_fit_print in common/fit.cpp), the main buffer type of each device only."""
    return {
        m.group(1): (int(m.group(2)), int(m.group(3)), int(m.group(4)))
        for m in re.finditer(r"^(\S+) (\d+) (\d+) (\d+) ?$", stdout, re.M)
    }


def run_to_files(
    argv: list[str], timeout_s: float, **popen: Any
) -> tuple[subprocess.CompletedProcess[bytes], str, str]:
    """Run a llama.cpp tool with stdout and stderr going to files, not pipes: llama.cpp's logger
    thread is still writing its debug log (300 KB for a 90-layer model) when main() returns, and
    loses its tail (the table) in 4 runs of 10 into a pipe, 11 of 40 into a file (a 46-layer MoE
    twin, llama.cpp 0c1e570), nearly always on a loaded machine; stdout's compact rows survive.
    ``popen``: further subprocess.run arguments (process group, parent-death signal). Raises
    subprocess.TimeoutExpired past ``timeout_s``."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        done = subprocess.run(argv, stdout=out, stderr=err, timeout=timeout_s, check=False, **popen)
        out.seek(0)
        err.seek(0)
        return done, out.read().decode(errors="replace"), err.read().decode(errors="replace")


def _fit_params_version(text: str) -> str:
    m = re.search(r"build:\s*(\S+ \([0-9a-f]+\))", text) or re.search(r"version:\s*(.+?)\n", text)
    return m.group(1).strip() if m else "unknown"


def make_sparse(headers: list[tuple[bytes, int]], folder: Path, names: list[str]) -> Path:
    """Write each shard as its real header bytes followed by a hole up to its full size.

    llama.cpp's dry run maps the file and checks sizes but never reads tensor data, so the
    hole costs no disk and no download. Returns the first shard's path.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for (head, size), name in zip(headers, names, strict=True):
        p = folder / name.rsplit("/", 1)[-1]
        with p.open("wb") as f:
            f.write(head)
            f.truncate(size)
        paths.append(p)
    return paths[0]


def parse_load_log(text: str) -> DeviceMemory:
    """What a real llama.cpp load reports for the host: its buffer lines, summed.

    ``load_tensors: CPU model buffer size = 63.03 MiB`` (+ CPU_REPACK …), ``KV buffer size``,
    ``output buffer size``, ``compute buffer size``. With mmap the whole file is mapped
    (``CPU_Mapped``) and CPU-repacked tensors are copied beside it (``CPU_REPACK``): both are
    counted, since a process that touched every weight holds both.
    """

    def total(pattern: str) -> int:
        return int(sum(float(v) for v in re.findall(pattern, text)) * MIB)

    weights = total(r"load_tensors:\s+\S+ model buffer size =\s+([\d.]+) MiB")
    kv = total(r"llama_kv_cache:\s+\S+ KV buffer size =\s+([\d.]+) MiB")
    out = total(r"llama_context:\s+\S+\s+output buffer size =\s+([\d.]+) MiB")
    comp = total(r"sched_reserve:\s+\S+ compute buffer size =\s+([\d.]+) MiB")
    return DeviceMemory("host", weights, kv, comp, out)
