"""ModelSpec: what llama.cpp needs to know about a model, from its GGUF header(s).

Hyper-parameters come from the ``{arch}.*`` keys (llama.cpp src/llama-model.cpp reads the same
ones); per-layer arrays (KV heads, FFN widths, sliding-window pattern) are expanded to one
value per layer.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from bench.model._gguf import GGUFHeader, type_name
from probe.errors import UserError

# ModelSpec schema history:
#   1 — first version (rigbench 0.1).
SCHEMA_VERSION = 1
ARRAY_KEEP = 64  # metadata arrays longer than this are summarised, not stored

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
    schema_version: int = SCHEMA_VERSION

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

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        return {"schema_version": data.pop("schema_version"), **data}


def _per_layer(value: Any, n_layer: int, default: int = 0) -> tuple[int, ...]:
    if isinstance(value, list):
        vals = [int(v) for v in value]
        if len(vals) != n_layer:
            raise UserError(
                f"per-layer array has {len(vals)} entries for {n_layer} layers",
                hint="the GGUF metadata is inconsistent; re-download or re-convert it",
            )
        return tuple(vals)
    return (int(value if value is not None else default),) * n_layer


def _summarise(value: Any) -> Any:
    if isinstance(value, list) and len(value) > ARRAY_KEEP:
        kind = type(value[0]).__name__ if value else "empty"
        return f"<array of {len(value)} {kind}>"
    return value


def _need(meta: dict[str, Any], key: str, label: str) -> Any:
    if key not in meta:
        raise UserError(
            f"{label}: GGUF metadata lacks {key}",
            hint="this model's architecture is not supported yet, or the file is "
            "not a language model",
        )
    return meta[key]


def model_spec(
    headers: list[GGUFHeader],
    files: list[FileFact],
    label: str,
    repo: str | None = None,
    revision: str | None = None,
    quant: str | None = None,
) -> ModelSpec:
    """Build a ModelSpec from the headers of every shard (the first holds the metadata)."""
    meta = headers[0].metadata
    arch = str(_need(meta, "general.architecture", label))

    def k(suffix: str, default: Any = None) -> Any:
        return meta.get(f"{arch}.{suffix}", default)

    n_layer = int(_need(meta, f"{arch}.block_count", label))
    n_embd = int(_need(meta, f"{arch}.embedding_length", label))
    n_head = _per_layer(k("attention.head_count", 0), n_layer)
    n_head_kv = _per_layer(k("attention.head_count_kv", max(n_head)), n_layer)
    head_k = int(k("attention.key_length", n_embd // max(max(n_head), 1)))
    head_v = int(k("attention.value_length", head_k))
    window = int(k("attention.sliding_window", 0) or 0)
    pattern = k("attention.sliding_window_pattern", SWA_PATTERN_DEFAULTS.get(arch, 0))
    if isinstance(pattern, list):
        swa = tuple(bool(x) for x in pattern)
    elif window and pattern:
        swa = tuple((il + 1) % int(pattern) != 0 for il in range(n_layer))  # last of N is global
    else:
        swa = (False,) * n_layer
    tensors = []
    for shard, h in enumerate(headers):
        tensors += [
            TensorSpec(
                t.name, type_name(t.type_id), t.shape, t.n_bytes, h.data_offset + t.offset, shard
            )
            for t in h.tensors
        ]
    tokens = meta.get("tokenizer.ggml.tokens")
    n_vocab = int(k("vocab_size", len(tokens) if isinstance(tokens, list) else 0))
    if not n_vocab:
        emb = next((t for t in tensors if t.name == "token_embd.weight"), None)
        n_vocab = emb.shape[1] if emb else 0
    ftype = meta.get("general.file_type")
    return ModelSpec(
        architecture=arch,
        name=meta.get("general.name"),
        n_layer=n_layer,
        n_embd=n_embd,
        n_head=n_head,
        n_head_kv=n_head_kv,
        head_dim_k=head_k,
        head_dim_v=head_v,
        n_ff=_per_layer(k("feed_forward_length", 0), n_layer),
        n_vocab=n_vocab,
        n_ctx_train=int(k("context_length", 0)),
        n_expert=int(k("expert_count", 0) or 0),
        n_expert_used=int(k("expert_used_count", 0) or 0),
        n_ff_exp=int(k("expert_feed_forward_length", 0) or 0),
        n_ff_shexp=int(k("expert_shared_feed_forward_length", 0) or 0),
        sliding_window=window,
        swa_layers=swa,
        kv_lora_rank=int(k("attention.kv_lora_rank", 0) or 0),
        file_type=_FTYPE_NAMES.get(ftype) if isinstance(ftype, int) else None,
        tensors=tuple(tensors),
        files=tuple(files),
        repo=repo,
        revision=revision,
        quant=quant,
        metadata={key: _summarise(v) for key, v in meta.items()},
    )


def model_spec_from_dict(data: dict[str, Any]) -> ModelSpec:
    version = data.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise UserError(
            f"model spec schema {version!r} is newer than this rigbench reads ({SCHEMA_VERSION})",
            hint="upgrade rigbench: pip install -U rigbench",
        )
    data = dict(data)
    data["tensors"] = tuple(
        TensorSpec(**{**t, "shape": tuple(t["shape"])}) for t in data["tensors"]
    )
    data["files"] = tuple(FileFact(**f) for f in data["files"])
    for key in ("n_head", "n_head_kv", "n_ff", "swa_layers"):
        data[key] = tuple(data[key])
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
