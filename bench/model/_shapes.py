"""ModelSpecs without files: from a synthetic spec or a published model's shape, with the tensor
types llama.cpp's quantizer would choose, so any model can be planned or predicted for any
machine without downloading or writing it.
"""

from __future__ import annotations

from bench.model._arch import NEMOTRON, Hparams
from bench.model._configs import hparams_from_config
from bench.model._published_configs import PUBLISHED
from bench.model._quant_rules import FLOAT_TYPES, _more_bits, nbytes, tensor_types
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
        return _MORE_BITS[quant] if _more_bits(il, n_layer) else base
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
        if ne[0] % block and t not in FLOAT_TYPES:
            t = "Q8_0" if ne[0] % 32 == 0 else "F16"  # llama.cpp falls back for odd rows
        n_bytes = nbytes(t, ne)
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


def spec_from_hparams(h: Hparams, quant: str) -> ModelSpec:
    """The ModelSpec of a ``quant`` GGUF of the model ``h``: every tensor with llama.cpp's
    name, shape and the type its quantizer (or the model's uploaders) give it."""
    tensors = []
    offset = 0
    for name, ne, t in tensor_types(h, quant):
        n_bytes = nbytes(t, ne)
        tensors.append(TensorSpec(name, t, ne, n_bytes, offset))
        offset += -(-n_bytes // 32) * 32
    n = h.n_layer_all  # block_count: the NextN layers are blocks of the file too
    swa = tuple(h.is_swa(il) for il in range(n))
    ff = (h.n_ff or h.n_ff_exp,) * n  # feed_forward_length as the converters write it
    metadata: dict[str, object] = {"general.architecture": h.arch}
    heads_kv, head_k, head_v = h.n_head_kv, h.head_dim, h.v_dim
    recurrent = tuple(h.is_recurrent(il) for il in range(h.n_layer)) if h.recurrent else ()
    if h.n_nextn:
        metadata[f"{h.arch}.nextn_predict_layers"] = h.n_nextn
    if h.arch == "glm4moe":  # partial RoPE: head_dim x partial_rotary_factor
        metadata[f"{h.arch}.rope.dimension_count"] = h.rope_dim
    if h.kv_lora_rank:
        # MLA as llama.cpp keeps it: one latent "head" of kv_lora_rank + rope dims is cached
        # (the converter writes head_count_kv 1, key_length 576, value_length 512 for V3).
        heads_kv, head_k, head_v = 1, h.kv_lora_rank + h.rope_dim, h.kv_lora_rank
        metadata[f"{h.arch}.rope.dimension_count"] = h.rope_dim
    kv_heads = (heads_kv,) * n
    if h.arch in NEMOTRON:  # per layer: KV heads on attention
        kv_heads = tuple(heads_kv if k == "*" else 0 for k in h.layer_kinds)  # layers, widths
        width = h.n_ff_exp if h.is_moe else h.n_ff  # on MLP/MoE ones (the converter's arrays)
        ff = tuple(width if k in "-E" else 0 for k in h.layer_kinds)
    head_swa = 0
    if h.arch == "gemma4":  # conversion/gemma.py Gemma4Model.set_gguf_parameters
        kv_heads = tuple(h.heads_kv(il) for il in range(n))
        ff = tuple(h.ff_width(il) for il in range(n))
        head_k = head_v = h.head_dim_global or h.head_dim
        head_swa = h.head_dim
    return ModelSpec(
        architecture=h.arch,
        name=h.name or f"{h.arch} shape",
        n_layer=n,
        n_embd=h.n_embd,
        n_head=(h.n_head,) * n,
        n_head_kv=kv_heads,
        head_dim_k=head_k,
        head_dim_v=head_v,
        n_ff=ff,
        n_vocab=h.n_vocab,
        n_ctx_train=h.n_ctx,
        n_expert=h.n_expert,
        n_expert_used=h.n_expert_used,
        n_ff_exp=h.n_ff_exp,
        n_ff_shexp=h.shexp_width,
        sliding_window=h.sliding_window,
        swa_layers=swa,
        kv_lora_rank=h.kv_lora_rank,
        file_type=quant,
        tensors=tuple(tensors),
        files=(),
        quant=quant,
        metadata=metadata,
        recurrent_layers=recurrent,
        recurrent_state_bytes=h.state_bytes if recurrent else 0,
        head_dim_k_swa=head_swa,
        head_dim_v_swa=head_swa,
        n_layer_kv=n - h.n_kv_shared if h.n_kv_shared else 0,
        n_embd_per_layer=h.n_embd_per_layer,
    )


# Published models by name: their config.json, as llama.cpp's hyper-parameters.
SHAPES: dict[str, Hparams] = {
    name: hparams_from_config(cfg, name, source) for name, (cfg, source) in PUBLISHED.items()
}


def spec_from_shape(name: str, quant: str) -> ModelSpec:
    """A published model's ModelSpec at ``quant``, without a file."""
    if name not in SHAPES:
        raise UserError(f"no model shape named {name!r}", hint=f"known shapes: {', '.join(SHAPES)}")
    return spec_from_hparams(SHAPES[name], quant)
