"""The tensor types llama-quantize gives each tensor of an architecture's layout (``_arch``):
``llama_tensor_get_type_impl`` and ``tensor_type_fallback`` in ``src/llama-quant.cpp`` of the
tree vendored in llama-cpp-python 0.3.36, and the F32 rules of ``conversion/base.py`` (1-D
tensors, norms, biases and the MoE router stay F32).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.model._arch import Hparams, layout
from bench.model._gguf import tensor_nbytes
from probe.errors import UserError

# -- the quantizer's choices -----------------------------------------------------------------

# ftype name -> the default ggml type of its 2-D weights (llama-quant.cpp, llama_ftype_get_
# default_type). "MXFP4" is LLAMA_FTYPE_MOSTLY_MXFP4_MOE.
DEFAULT_TYPE = {
    "F32": "F32",
    "F16": "F16",
    "BF16": "BF16",
    "Q8_0": "Q8_0",
    "Q6_K": "Q6_K",
    "Q5_K_M": "Q5_K",
    "Q5_K_S": "Q5_K",
    "Q4_K_M": "Q4_K",
    "Q4_K_S": "Q4_K",
    "Q3_K_L": "Q3_K",
    "Q3_K_M": "Q3_K",
    "Q3_K_S": "Q3_K",
    "Q2_K": "Q2_K",
    "Q4_0": "Q4_0",
    "Q4_1": "Q4_1",
    "Q5_0": "Q5_0",
    "Q5_1": "Q5_1",
    "IQ4_NL": "IQ4_NL",
    "IQ4_XS": "IQ4_XS",
    "MXFP4": "MXFP4",
}
FLOAT_TYPES = ("F32", "F16", "BF16")
BLOCK = {"Q4_K": 256, "Q5_K": 256, "Q6_K": 256, "Q3_K": 256, "Q2_K": 256, "IQ4_XS": 256}
# tensor_type_fallback: a 256-block type on rows that are not a multiple of 256.
FALLBACK = {"Q2_K": "Q4_0", "Q3_K": "Q4_0", "Q4_K": "Q5_0", "Q5_K": "Q5_1", "Q6_K": "Q8_0"}
FALLBACK["IQ4_XS"] = "IQ4_NL"


_TABLES = ("token_embd.weight", "per_layer_token_embd.weight")  # tensor_name_match_token_embd


def _more_bits(i: int, n: int) -> bool:
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def _stays_float(name: str, ne: tuple[int, ...]) -> bool:
    """What llama-quantize never quantizes: 1-D tensors, norms, biases and the MoE router."""
    return (
        len(ne) < 2
        or not name.endswith("weight")
        or name.endswith("_norm.weight")
        or "ffn_gate_inp.weight" in name
        or "ssm_conv1d" in name
    )


@dataclass
class _Counters:
    """llama-quant.cpp's running counters: attn_v tensors seen so far and in all."""

    n_attn_v: int
    i_attn_v: int = 0


def _choose(h: Hparams, quant: str, name: str, ne: tuple[int, ...], c: _Counters) -> str:
    """llama_tensor_get_type_impl for the ftypes above (no imatrix)."""
    t = DEFAULT_TYPE[quant]
    layer = int(name.split(".")[1]) if name.startswith("blk.") else -1
    # n_ffn_down = n_layer_all: the NextN blocks count (llama-quant.cpp, llama_model_quantize_impl)
    n, gqa = h.n_layer_all, h.n_head // h.n_head_kv
    # tied: every TOKEN_EMBD-category table takes the output's rule, Gemma 4's per-layer one too
    if name == "output.weight" or (h.tied_embeddings and name in _TABLES):
        if quant == "MXFP4" or ne[0] % BLOCK.get(t, 32):
            return "Q8_0"
        return t if t == "Q8_0" else "Q6_K"
    if quant == "MXFP4":
        return "MXFP4" if len(ne) > 2 and ne[2] > 1 and "_exps." in name else "Q8_0"
    if name in _TABLES:
        return t
    if ".attn_v.weight" in name or ".attn_qkv.weight" in name:  # category_is_attn_v
        i = c.i_attn_v
        c.i_attn_v += 1
        if quant == "Q2_K":
            t = "Q4_K" if gqa >= 4 else "Q3_K"
        elif quant == "Q3_K_M":
            t = "Q5_K" if i < 2 else "Q4_K"
        elif quant == "Q3_K_L" or (quant in ("IQ4_NL", "IQ4_XS") and gqa >= 4):
            t = "Q5_K"
        elif quant in ("Q4_K_M", "Q5_K_M") and _more_bits(i, c.n_attn_v):
            t = "Q6_K"
        elif quant == "Q4_K_S" and i < 4:
            t = "Q5_K"
        if h.arch == "llama" and h.n_layer == 80 and t in ("Q3_K", "Q4_K"):
            t = "Q5_K"  # LLM_TYPE_70B: 8 heads share each attn_v
        return "Q8_0" if h.n_expert == 8 else t
    if ".attn_k.weight" in name and h.n_expert == 8:
        return "Q8_0"
    if ".ffn_down" in name:
        if quant == "Q2_K":
            return "Q3_K"
        if quant == "Q3_K_M":
            return "Q5_K" if layer < n // 16 else "Q4_K"
        if quant == "Q3_K_L":
            return "Q5_K"
        if quant in ("Q4_K_M", "Q5_K_M") and _more_bits(layer, n):
            return "Q6_K"
        if quant in ("IQ4_NL", "IQ4_XS") and layer < n // 8:
            return "Q5_K"
        if quant == "Q4_K_S" and layer < n // 8:
            return "Q5_K"
        return t
    if ".attn_output.weight" in name:
        if h.n_expert == 8:
            eight = ("Q2_K", "Q3_K_S", "Q3_K_M", "IQ4_NL", "Q4_K_S", "Q4_K_M", "IQ4_XS")
            return "Q5_K" if quant in eight else t
        return {"Q2_K": "Q3_K", "Q3_K_M": "Q4_K", "Q3_K_L": "Q5_K"}.get(quant, t)
    return t


def tensor_types(h: Hparams, quant: str) -> list[tuple[str, tuple[int, ...], str]]:
    """(name, ne, type) of every tensor in a ``quant`` file, as llama-quantize writes it from
    an F16 conversion. gpt-oss uploads keep the experts MXFP4 in every quant (its checkpoint is
    MXFP4: ggml-org and unsloth files are 11.6-13.8 GB from Q4_K_M to F16, not 13-41 GB)."""
    if quant not in DEFAULT_TYPE:
        raise UserError(
            f"no size rules for quant {quant} yet", hint=f"choose one of {', '.join(DEFAULT_TYPE)}"
        )
    tensors = layout(h)
    counters = _Counters(
        sum(1 for name, _ in tensors if ".attn_v.weight" in name or ".attn_qkv.weight" in name)
    )
    out = []
    for name, ne in tensors:
        if _stays_float(name, ne):
            t = "F32"
        elif name == "per_layer_model_proj.weight":  # llama-quant.cpp: "not too big", kept
            t = quant if quant in FLOAT_TYPES else "BF16"
        elif h.arch == "gpt-oss" and "_exps.weight" in name:
            t = "MXFP4"
        elif quant in FLOAT_TYPES:
            t = quant
        else:
            t = _choose(h, quant, name, ne, counters)
            if t not in FLOAT_TYPES and ne[0] % BLOCK.get(t, 32):
                t = FALLBACK.get(t, t)
                if ne[0] % BLOCK.get(t, 32):
                    t = "F16"
        out.append((name, ne, t))
    return out


def nbytes(type_name: str, ne: tuple[int, ...]) -> int:
    from gguf.constants import GGMLQuantizationType

    return tensor_nbytes(int(GGMLQuantizationType[type_name]), ne)
