"""ModelSpecs without files: from a synthetic spec or a published model's shape, with the tensor
types llama.cpp's quantizer would choose, so any model can be planned or predicted for any
machine without downloading or writing it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bench.model._gguf import tensor_nbytes
from bench.model._spec import ModelSpec, TensorSpec
from bench.model._synthetic import MOE_ARCHES, SynthSpec, tensor_shapes, validate
from probe.errors import UserError

# ftype -> (default type, output type). Rules of llama.cpp's llama_tensor_get_type (src/llama-
# quant.cpp, 2025-2026), the parts that move sizes by more than a percent: the output head is
# Q6_K for K-, I- and legacy 4/5-bit quants; _M variants keep attn_v and ffn_down at a higher
# type on the first and last eighth of layers and every third layer between ("use_more_bits").
_FTYPES: dict[str, tuple[str, str]] = {
    "F32": ("F32", "F32"),
    "F16": ("F16", "F16"),
    "BF16": ("BF16", "BF16"),
    "Q8_0": ("Q8_0", "Q8_0"),
    "Q6_K": ("Q6_K", "Q6_K"),
    "Q5_K_M": ("Q5_K", "Q6_K"),
    "Q5_K_S": ("Q5_K", "Q6_K"),
    "Q4_K_M": ("Q4_K", "Q6_K"),
    "Q4_K_S": ("Q4_K", "Q6_K"),
    "Q3_K_M": ("Q3_K", "Q6_K"),
    "Q3_K_S": ("Q3_K", "Q6_K"),
    "Q3_K_L": ("Q3_K", "Q6_K"),
    "Q2_K": ("Q2_K", "Q6_K"),
    "Q4_0": ("Q4_0", "Q6_K"),
    "Q4_1": ("Q4_1", "Q6_K"),
    "Q5_0": ("Q5_0", "Q6_K"),
    "Q5_1": ("Q5_1", "Q6_K"),
    "IQ4_NL": ("IQ4_NL", "Q6_K"),
    "IQ4_XS": ("IQ4_XS", "Q6_K"),
    "MXFP4": ("Q8_0", "Q8_0"),
}
_MORE_BITS = {"Q4_K_M": "Q6_K", "Q5_K_M": "Q6_K", "Q3_K_M": "Q4_K", "Q3_K_L": "Q5_K"}


def _use_more_bits(il: int, n: int) -> bool:
    return il < n // 8 or il >= 7 * n // 8 or (il - n // 8) % 3 == 2


def _type_id(name: str) -> int:
    from gguf.constants import GGMLQuantizationType

    return int(GGMLQuantizationType[name])


def tensor_type(quant: str, name: str, shape: tuple[int, ...], n_layer: int) -> str:
    if len(shape) == 1:
        return "F32"
    base, out = _FTYPES[quant]
    if quant == "MXFP4" and "_exps." in name:
        return "MXFP4"
    if name == "output.weight":
        return out
    if quant in _MORE_BITS and (".attn_v." in name or ".ffn_down" in name):
        il = int(name.split(".")[1])
        return _MORE_BITS[quant] if _use_more_bits(il, n_layer) else base
    return base


def spec_from_synth(s: SynthSpec) -> ModelSpec:
    """The ModelSpec of the file ``bench synth`` would write, computed, not written."""
    validate(s)
    if s.quant not in _FTYPES:
        raise UserError(
            f"no size rules for quant {s.quant} yet", hint=f"choose one of {', '.join(_FTYPES)}"
        )
    tensors = []
    offset = 0
    for name, np_shape, _ in tensor_shapes(s):
        ne = tuple(reversed(np_shape))
        t = tensor_type(s.quant, name, ne, s.n_layer)
        block = 256 if t.endswith("_K") or t.startswith("IQ4_XS") else 32
        if ne[0] % block and t not in ("F32", "F16", "BF16"):
            t = "Q8_0" if ne[0] % 32 == 0 else "F16"  # llama.cpp falls back for odd rows
        n_bytes = tensor_nbytes(_type_id(t), ne)
        tensors.append(TensorSpec(name, t, ne, n_bytes, offset))
        offset += -(-n_bytes // 32) * 32
    moe = s.arch in MOE_ARCHES
    return ModelSpec(
        architecture=s.arch,
        name=f"synthetic {s.arch}",
        n_layer=s.n_layer,
        n_embd=s.n_embd,
        n_head=(s.n_head,) * s.n_layer,
        n_head_kv=(s.n_head_kv,) * s.n_layer,
        head_dim_k=s.head_dim,
        head_dim_v=s.head_dim,
        n_ff=((s.n_ff_exp if moe else s.n_ff),) * s.n_layer,
        n_vocab=s.n_vocab,
        n_ctx_train=s.n_ctx,
        n_expert=s.n_expert,
        n_expert_used=s.n_expert_used,
        n_ff_exp=s.n_ff_exp,
        n_ff_shexp=s.n_ff_shexp,
        sliding_window=0,
        swa_layers=(False,) * s.n_layer,
        kv_lora_rank=0,
        file_type=s.quant,
        tensors=tuple(tensors),
        files=(),
        quant=s.quant,
    )


@dataclass(frozen=True, slots=True)
class Shape:
    """A published model's shape. ``q_dim`` > 0 when heads x head_dim != n_embd (Qwen3)."""

    arch: str
    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    n_ff: int
    n_vocab: int
    n_ctx: int
    n_expert: int = 0
    n_expert_used: int = 0
    n_ff_exp: int = 0
    head_dim: int = 0
    sliding_window: int = 0
    swa_pattern: int = 0
    source: str = ""


# Shapes from each model's config.json on the Hugging Face Hub.
SHAPES: dict[str, Shape] = {
    "llama2-7b": Shape(
        "llama", 32, 4096, 32, 32, 11008, 32000, 4096, source="meta-llama/Llama-2-7b-hf config.json"
    ),
    "llama3-8b": Shape(
        "llama",
        32,
        4096,
        32,
        8,
        14336,
        128256,
        8192,
        source="meta-llama/Meta-Llama-3-8B config.json",
    ),
    "llama3-70b": Shape(
        "llama",
        80,
        8192,
        64,
        8,
        28672,
        128256,
        8192,
        source="meta-llama/Meta-Llama-3-70B config.json",
    ),
    "qwen3-30b-a3b": Shape(
        "qwen3moe",
        48,
        2048,
        32,
        4,
        0,
        151936,
        40960,
        128,
        8,
        768,
        128,
        source="Qwen/Qwen3-30B-A3B config.json",
    ),
    "gpt-oss-20b": Shape(
        "qwen3moe",
        24,
        2880,
        64,
        8,
        0,
        201088,
        131072,
        32,
        4,
        2880,
        64,
        sliding_window=128,
        swa_pattern=2,
        source="openai/gpt-oss-20b config.json (attention sinks and biases "
        "omitted: under 0.1 % of the bytes)",
    ),
}


def spec_from_shape(name: str, quant: str) -> ModelSpec:
    """A published model's ModelSpec at ``quant``, without a file."""
    if name not in SHAPES:
        raise UserError(f"no model shape named {name!r}", hint=f"known shapes: {', '.join(SHAPES)}")
    sh = SHAPES[name]
    head_dim = sh.head_dim or sh.n_embd // sh.n_head
    synth = SynthSpec(
        arch=sh.arch,
        n_layer=sh.n_layer,
        n_embd=sh.n_embd,
        n_head=sh.n_head,
        n_head_kv=sh.n_head_kv,
        n_ff=sh.n_ff,
        n_vocab=sh.n_vocab,
        n_ctx=sh.n_ctx,
        n_expert=sh.n_expert,
        n_expert_used=sh.n_expert_used,
        n_ff_exp=sh.n_ff_exp,
        quant=quant,
    )
    if head_dim * sh.n_head == sh.n_embd:
        spec = spec_from_synth(synth)
    else:  # wider Q than the residual stream: build with a matching head count, then fix
        fake = dataclasses.replace(
            synth,
            n_head=sh.n_embd // head_dim,
            n_head_kv=max(1, sh.n_embd // head_dim * sh.n_head_kv // sh.n_head),
        )
        spec = spec_from_synth(fake)
        ratio = sh.n_head / fake.n_head
        tensors = []
        for t in spec.tensors:
            if any(k in t.name for k in (".attn_q.", ".attn_output.", ".attn_k.", ".attn_v.")):
                t = dataclasses.replace(t, n_bytes=int(t.n_bytes * ratio))
            tensors.append(t)
        spec = dataclasses.replace(spec, tensors=tuple(tensors))
    swa = tuple(bool(sh.swa_pattern) and (il + 1) % sh.swa_pattern != 0 for il in range(sh.n_layer))
    return dataclasses.replace(
        spec,
        architecture=sh.arch,
        name=name,
        n_head=(sh.n_head,) * sh.n_layer,
        n_head_kv=(sh.n_head_kv,) * sh.n_layer,
        head_dim_k=head_dim,
        head_dim_v=head_dim,
        sliding_window=sh.sliding_window,
        swa_layers=swa,
        quant=quant,
    )
