"""ModelSpec: what llama.cpp needs to know about a model, from its GGUF header(s).

Hyper-parameters come from the ``{arch}.*`` keys (llama.cpp src/llama-model.cpp reads the same
ones); per-layer arrays (KV heads, FFN widths, sliding-window pattern) are expanded to one
value per layer. Every count is checked against a bound before anything is sized from it, so a
small hostile header cannot make a spec of fifty million layers.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.model._arch import NEMOTRON, RECURRENT_ARCHES
from bench.model._gguf import ARRAY_KEEP, GGUFHeader, LongArray, type_name
from probe.errors import UserError

# ModelSpec schema history:
#   1 — first version (rigbench 0.1).
#   2 — recurrent_layers and recurrent_state_bytes (Qwen3.5 linear attention, Mamba-2); a
#       version 1 spec reads as one without recurrent layers.
#   3 — head_dim_k_swa/head_dim_v_swa, n_layer_kv and n_embd_per_layer (Gemma 4: wider heads on
#       full layers, KV shared by the last layers, per-layer embeddings); older specs read as
#       ones with every layer's heads alike, every layer's own KV and no per-layer embeddings.
SCHEMA_VERSION = 3
# Architectures a schema 1-2 spec cannot describe (read before rigbench modelled them: their
# window heads, shared KV or recurrent layers were not kept, and the stored metadata
# summarises the long arrays they would be rebuilt from): such specs are refused.
REMODELLED = ("gemma4", "gemma3n", "qwen3next", "nemotron_h_moe")
# Bounds on header counts, each well past the largest published model, so a hostile header is
# refused before anything is sized from it. llama.cpp itself stops at LLAMA_MAX_LAYERS = 512
# and LLAMA_MAX_EXPERTS = 1024 (src/llama-hparams.h, llama-cpp-python 0.3.36's llama.cpp).
MAX_LAYERS = 4096
MAX_EXPERTS = 4096
MAX_HEADS = 1 << 14  # published: at most 128 (DeepSeek-V3, Llama 3.1 405B)
MAX_WIDTH = 1 << 20  # n_embd, FFN and head widths; published: at most 53,248 (405B's FFN)
MAX_VOCAB = 1 << 24  # published: at most 262,144 (Gemma 3)
MAX_SCALAR = (1 << 63) - 1  # context lengths, windows: stored, never sized from
_ARRAYS = (list, np.ndarray, LongArray)  # how the header reader gives arrays

# Architectures whose sliding-window layout is fixed in llama.cpp's code rather than in the
# GGUF (llama-model.cpp, 2025-2026): every Nth layer is global ("pattern N"), the rest SWA.
SWA_PATTERN_DEFAULTS = {"gemma2": 2, "gemma3": 6, "gemma3n": 5, "gpt-oss": 2, "cohere2": 4}


@dataclass(frozen=True, slots=True)
class TensorSpec:
    name: str
    type: str
    shape: tuple[int, ...]  # ggml ne order
    n_bytes: int
    offset: int
    shard: int = 0

    @property
    def layer(self) -> int | None:
        """``blk.12.attn_q.weight`` -> 12; None for non-repeating tensors."""
        parts = self.name.split(".")
        return int(parts[1]) if parts[0] == "blk" and parts[1].isdigit() else None

    @property
    def is_expert(self) -> bool:
        return "_exps." in self.name or "_chexps." in self.name


@dataclass(frozen=True, slots=True)
class FileFact:
    name: str
    size_bytes: int | None
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class ModelSpec:
    architecture: str
    name: str | None
    n_layer: int
    n_embd: int
    n_head: tuple[int, ...]
    n_head_kv: tuple[int, ...]
    head_dim_k: int
    head_dim_v: int
    n_ff: tuple[int, ...]
    n_vocab: int
    n_ctx_train: int
    n_expert: int
    n_expert_used: int
    n_ff_exp: int
    n_ff_shexp: int
    sliding_window: int
    swa_layers: tuple[bool, ...]
    kv_lora_rank: int
    file_type: str | None
    tensors: tuple[TensorSpec, ...]
    files: tuple[FileFact, ...]
    repo: str | None = None
    revision: str | None = None
    quant: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # Layers that keep a fixed recurrent state instead of a KV cache, and that state's bytes
    # for one sequence (f32 convolution and recurrent state, llama_memory_recurrent).
    recurrent_layers: tuple[bool, ...] = ()
    recurrent_state_bytes: int = 0
    # Sliding-window layers' head widths when they differ from the full layers' (llama.cpp's
    # n_embd_head_k_swa, {arch}.attention.key_length_swa; 0: the same), the layers from the
    # start that keep their own KV (n_layer_kv_from_start; 0: all) and the per-layer embedding
    # width (Gemma 4 E2B/E4B: embedding_length_per_layer_input).
    head_dim_k_swa: int = 0
    head_dim_v_swa: int = 0
    n_layer_kv: int = 0
    n_embd_per_layer: int = 0
    schema_version: int = SCHEMA_VERSION

    def is_recurrent(self, il: int) -> bool:
        return bool(self.recurrent_layers) and self.recurrent_layers[il]

    def attends(self, il: int) -> bool:
        """Whether layer ``il`` attends over a KV cache: not a recurrent layer, nor one of
        Nemotron-H's feed-forward-only layers (src/models/nemotron-h.cpp builds attention only
        where n_ff(il) == 0; the GGUF gives the others head_count_kv 0, and llama-model.cpp
        create_memory keeps them no cache). MLA layers cache their latent whatever n_head_kv."""
        return not self.is_recurrent(il) and (bool(self.kv_lora_rank) or self.n_head_kv[il] > 0)

    def head_k(self, il: int) -> int:
        """Layer ``il``'s K and Q head width (llama_hparams::n_embd_head_k(il))."""
        return (
            self.head_dim_k_swa if self.head_dim_k_swa and self.swa_layers[il] else self.head_dim_k
        )

    def head_v(self, il: int) -> int:
        return (
            self.head_dim_v_swa if self.head_dim_v_swa and self.swa_layers[il] else self.head_dim_v
        )

    def has_kv(self, il: int) -> bool:
        """Whether layer ``il`` caches its own K and V; the later ones attend over an earlier
        layer's cache (llama_hparams::has_kv, Gemma 4's shared_kv_layers)."""
        return not self.n_layer_kv or il < self.n_layer_kv

    @property
    def weight_bytes(self) -> int:
        return sum(t.n_bytes for t in self.tensors)

    @property
    def n_params(self) -> int:
        total = 0
        for t in self.tensors:
            n = 1
            for d in t.shape:
                n *= d
            total += n
        return total

    @property
    def is_moe(self) -> bool:
        return self.n_expert > 0

    @property
    def n_layer_nextn(self) -> int:
        """The NextN/MTP blocks at the end (``{arch}.nextn_predict_layers``): in the file, but
        neither loaded nor computed nor cached by llama.cpp unless it drafts with them
        (glm4-moe.cpp, deepseek2.cpp: their tensors TENSOR_SKIP without load_mtp; the KV cache
        filters them out, llama-model.cpp create_memory)."""
        n = self.metadata.get(f"{self.architecture}.nextn_predict_layers", 0)
        return n if isinstance(n, int) and 0 <= n < self.n_layer else 0

    def is_nextn(self, il: int) -> bool:
        return il >= self.n_layer - self.n_layer_nextn

    def is_loaded(self, t: TensorSpec) -> bool:
        """Whether llama.cpp allocates the tensor (every one but a NextN block's)."""
        return t.layer is None or not self.is_nextn(t.layer)

    def is_run(self, t: TensorSpec) -> bool:
        """Whether the graph reads the tensor: every loaded one but a KV-shared layer's K and V
        projections (in the file and loaded; gemma4.cpp builds those layers' attention from an
        earlier layer's cache)."""
        if t.layer is not None and not self.has_kv(t.layer):
            return not t.name.endswith((".attn_k.weight", ".attn_v.weight", ".attn_k_norm.weight"))
        return self.is_loaded(t)

    @property
    def ties_output(self) -> bool:
        """Whether the output head is the token embedding: a file without ``output.weight``.
        llama.cpp then creates the output from ``token_embd.weight`` with TENSOR_DUPLICATED
        (llama-model.cpp, every architecture's load_tensors), and the loader puts a second copy
        in the output layer's buffer when that is not the input's (llama-model-loader.cpp
        create_tensor: a GPU holding the output holds the table too). Every generated token
        multiplies by the whole table (Llama 3.2 1B: 263M of 1.24B weights; Gemma 3 4B: 671M
        of 3.9B)."""
        names = {t.name for t in self.tensors}
        return "token_embd.weight" in names and "output.weight" not in names

    @property
    def output_head(self) -> str:
        """The tensor the output head multiplies: the token embedding when tied (ties_output),
        else ``output.weight``."""
        return "token_embd.weight" if self.ties_output else "output.weight"

    @property
    def loaded_weight_bytes(self) -> int:
        """The weights llama.cpp allocates: the file's tensors less the NextN blocks'."""
        return sum(t.n_bytes for t in self.tensors if self.is_loaded(t))

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        return {"schema_version": data.pop("schema_version"), **data}


class SpecError(UserError):
    """A GGUF header whose hyper-parameters cannot describe a model: one line naming the key."""

    def __init__(self, label: str, key: str, problem: str) -> None:
        super().__init__(
            f"{label}: GGUF metadata {key} {problem}",
            hint="the file's metadata is damaged or not a language model's; re-download or "
            "re-convert it",
        )


def _int(value: Any, key: str, label: str, high: int, low: int = 0) -> int:
    """``value`` as an int in [low, high], or a SpecError naming ``key``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise SpecError(label, key, f"is {type(value).__name__}, not a number")
    if isinstance(value, (float, np.floating)) and not float(value).is_integer():
        raise SpecError(label, key, f"is {value!r}, not a whole number")
    n = int(value)
    if not low <= n <= high:
        raise SpecError(label, key, f"is {n}, outside {low}…{high}")
    return n


def _per_layer(
    meta: dict[str, Any], key: str, n_layer: int, label: str, high: int, default: Any = 0
) -> tuple[int, ...]:
    """One value per layer from a scalar or an array of exactly ``n_layer`` entries."""
    value = meta.get(key, default)
    if not isinstance(value, _ARRAYS):
        return (_int(value, key, label, high),) * n_layer
    if len(value) != n_layer:
        raise SpecError(label, key, f"has {len(value)} entries for {n_layer} layers")
    if isinstance(value, LongArray):
        raise SpecError(label, key, "is an array of strings, not of numbers")
    return tuple(_int(v, key, label, high) for v in value)


def _flag(value: Any, key: str, label: str) -> bool:
    return bool(value) if isinstance(value, (bool, np.bool_)) else bool(_int(value, key, label, 1))


def _swa_layers(
    meta: dict[str, Any], arch: str, n_layer: int, window: int, label: str
) -> tuple[bool, ...]:
    """Which layers use the sliding window. An array is read as llama.cpp's get_arr does: its
    first entries, the rest not SWA; a number N makes every Nth layer global."""
    key = f"{arch}.attention.sliding_window_pattern"
    pattern = meta.get(key, SWA_PATTERN_DEFAULTS.get(arch, 0))
    if isinstance(pattern, _ARRAYS):
        if isinstance(pattern, LongArray) or len(pattern) > MAX_LAYERS:
            raise SpecError(label, key, f"has {len(pattern)} entries; at most {MAX_LAYERS}")
        flags = [_flag(v, key, label) for v in pattern[:n_layer]]
        return (*flags, *[False] * (n_layer - len(flags)))
    every = _int(pattern, key, label, MAX_LAYERS)
    if window and every:
        return tuple((il + 1) % every != 0 for il in range(n_layer))  # last of N is global
    return (False,) * n_layer


def _summarise(value: Any) -> Any:
    """A metadata value as JSON: arrays longer than ARRAY_KEEP become a one-line summary."""
    if isinstance(value, LongArray):
        return f"<array of {value.count} {value.kind}>"
    if isinstance(value, np.ndarray):
        if len(value) > ARRAY_KEEP:
            kind = {"b": "bool", "f": "float"}.get(value.dtype.kind, "int")
            return f"<array of {len(value)} {kind}>"
        return value.tolist()
    if isinstance(value, list):
        return [_summarise(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return repr(value)  # JSON has no NaN or Infinity
    return value


def _need(meta: dict[str, Any], key: str, label: str) -> Any:
    if key not in meta:
        raise UserError(
            f"{label}: GGUF metadata lacks {key}",
            hint="this model's architecture is not supported yet, or the file is "
            "not a language model",
        )
    return meta[key]


def _layers_in(tensors: list[TensorSpec]) -> int:
    """1 + the highest ``blk.N.`` index among the tensors (0 without repeating layers)."""
    return 1 + max((t.layer for t in tensors if t.layer is not None), default=-1)


def model_spec(
    headers: list[GGUFHeader],
    files: list[FileFact],
    label: str,
    repo: str | None = None,
    revision: str | None = None,
    quant: str | None = None,
) -> ModelSpec:
    """Build a ModelSpec from the headers of every shard (the first holds the metadata).

    Raises:
        UserError: a required key is missing, or a count is not a number, out of its bound, or
            more than the tensor list holds (``SpecError``, naming the key).
    """
    meta = headers[0].metadata
    arch = _need(meta, "general.architecture", label)
    if not isinstance(arch, str) or not arch.isprintable() or not 0 < len(arch) <= 64:
        raise SpecError(label, "general.architecture", f"is {str(arch)[:40]!r}, not a name")

    def k(suffix: str, default: Any = None) -> Any:
        return meta.get(f"{arch}.{suffix}", default)

    def num(suffix: str, high: int, default: Any = 0) -> int:
        return _int(k(suffix, default), f"{arch}.{suffix}", label, high)

    tensors = []
    for shard, h in enumerate(headers):
        tensors += [
            TensorSpec(
                t.name, type_name(t.type_id), t.shape, t.n_bytes, h.data_offset + t.offset, shard
            )
            for t in h.tensors
        ]
    key = f"{arch}.block_count"
    n_layer = _int(_need(meta, key, label), key, label, MAX_LAYERS, low=1)
    if n_layer > _layers_in(tensors):
        raise SpecError(label, key, f"is {n_layer}, but the tensors hold {_layers_in(tensors)}")
    key = f"{arch}.embedding_length"
    n_embd = _int(_need(meta, key, label), key, label, MAX_WIDTH, low=1)
    n_head = _per_layer(meta, f"{arch}.attention.head_count", n_layer, label, MAX_HEADS)
    n_head_kv = _per_layer(
        meta, f"{arch}.attention.head_count_kv", n_layer, label, MAX_HEADS, max(n_head)
    )
    head_k = num("attention.key_length", MAX_WIDTH, n_embd // max(max(n_head), 1))
    head_v = num("attention.value_length", MAX_WIDTH, head_k)
    n_expert = num("expert_count", MAX_EXPERTS)
    n_expert_used = num("expert_used_count", n_expert)
    window = num("attention.sliding_window", MAX_SCALAR)
    num("rope.dimension_count", MAX_WIDTH)  # bench.predictor reads it from the metadata
    num("nextn_predict_layers", n_layer)  # llama.cpp asserts n_layer_nextn <= n_layer_all
    tokens = meta.get("tokenizer.ggml.tokens")
    n_vocab = num("vocab_size", MAX_VOCAB, len(tokens) if isinstance(tokens, _ARRAYS) else 0)
    if not n_vocab:
        emb = next((t for t in tensors if t.name == "token_embd.weight"), None)
        n_vocab = emb.shape[1] if emb and len(emb.shape) > 1 else 0
    ftype = meta.get("general.file_type")
    name = meta.get("general.name")
    n_ff = _per_layer(meta, f"{arch}.feed_forward_length", n_layer, label, MAX_WIDTH)
    shared = num("attention.shared_kv_layers", n_layer - 1)
    return ModelSpec(
        architecture=arch,
        name=name if isinstance(name, str) else None,
        n_layer=n_layer,
        n_embd=n_embd,
        n_head=n_head,
        n_head_kv=n_head_kv,
        head_dim_k=head_k,
        head_dim_v=head_v,
        n_ff=n_ff,
        n_vocab=n_vocab,
        n_ctx_train=num("context_length", MAX_SCALAR),
        n_expert=n_expert,
        n_expert_used=n_expert_used,
        n_ff_exp=num("expert_feed_forward_length", MAX_WIDTH),
        # DeepSeek/GLM write the shared experts' count; their width is count x expert width
        # (deepseek2.cpp: ffn_*_shexp are n_ff_exp * n_expert_shared wide).
        n_ff_shexp=num("expert_shared_feed_forward_length", MAX_WIDTH)
        or num("expert_shared_count", 64) * num("expert_feed_forward_length", MAX_WIDTH),
        sliding_window=window,
        swa_layers=_swa_layers(meta, arch, n_layer, window, label),
        kv_lora_rank=num("attention.kv_lora_rank", MAX_WIDTH),
        file_type=_FTYPE_NAMES.get(ftype) if isinstance(ftype, int) else None,
        tensors=tuple(tensors),
        files=tuple(files),
        repo=repo,
        revision=revision,
        quant=quant,
        metadata={key: _summarise(v) for key, v in meta.items()},
        **_recurrent(arch, n_layer, n_head_kv, n_ff, num),
        head_dim_k_swa=num("attention.key_length_swa", MAX_WIDTH),
        head_dim_v_swa=num("attention.value_length_swa", MAX_WIDTH),
        n_layer_kv=n_layer - shared if shared else 0,
        n_embd_per_layer=num("embedding_length_per_layer_input", MAX_WIDTH),
    )


def _recurrent(
    arch: str, n_layer: int, n_head_kv: tuple[int, ...], n_ff: tuple[int, ...], num: Any
) -> dict[str, Any]:
    """Which layers are recurrent, as llama.cpp decides (qwen35*: all but every
    full_attention_interval-th; nemotron_h: layers with neither KV heads nor an FFN), and the
    state one keeps (llama_hparams::n_embd_r + n_embd_s, f32)."""
    if arch not in RECURRENT_ARCHES:
        return {}
    if arch in NEMOTRON:
        recurrent = tuple(n_head_kv[il] == 0 and n_ff[il] == 0 for il in range(n_layer))
    else:
        interval = max(num("full_attention_interval", 1 << 10, 4), 1)
        recurrent = tuple((il + 1) % interval != 0 for il in range(n_layer))
    conv, inner = num("ssm.conv_kernel", 1 << 10), num("ssm.inner_size", MAX_WIDTH)
    state, groups = num("ssm.state_size", MAX_WIDTH), num("ssm.group_count", 1 << 16)
    r = max(conv - 1, 0) * (inner + 2 * groups * state)
    return {"recurrent_layers": recurrent, "recurrent_state_bytes": 4 * (r + state * inner)}


def model_spec_from_dict(data: dict[str, Any]) -> ModelSpec:
    version = data.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise UserError(
            f"model spec schema {version!r} is newer than this rigbench reads ({SCHEMA_VERSION})",
            hint="upgrade rigbench: pip install -U rigbench",
        )
    if version < 3 and data.get("architecture") in REMODELLED:
        raise UserError(
            f"a stored model spec of {data.get('architecture')} (schema {version}) predates "
            "rigbench's model of that architecture: its per-layer heads, shared KV and "
            "recurrent layers were not recorded",
            hint="read the GGUF again (bench plan --model PATH) or sweep it again",
        )
    data = dict(data)
    data["tensors"] = tuple(
        TensorSpec(**{**t, "shape": tuple(t["shape"])}) for t in data["tensors"]
    )
    data["files"] = tuple(FileFact(**f) for f in data["files"])
    # 1 -> 2: no recurrent layers; 2 -> 3: uniform heads, own KV everywhere (the defaults)
    data["schema_version"] = SCHEMA_VERSION
    for key in ("n_head", "n_head_kv", "n_ff", "swa_layers", "recurrent_layers"):
        data[key] = tuple(data.get(key, ()))
    return ModelSpec(**data)


def dumps(spec: ModelSpec) -> str:
    return json.dumps(spec.to_dict(), indent=2)


# llama_ftype -> the name llama.cpp prints (llama_model_ftype_name).
_FTYPE_NAMES = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    36: "TQ1_0",
    37: "TQ2_0",
    38: "MXFP4",
}
