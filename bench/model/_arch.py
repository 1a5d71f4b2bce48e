"""Architectures as llama.cpp lays them out: every tensor a GGUF of that architecture holds, with
llama.cpp's names and shapes, and the type its quantizer gives each one.

Tensor layouts follow each model's ``load_arch_tensors`` in llama.cpp's ``src/models/*.cpp``
(the tree vendored in llama-cpp-python 0.3.36): ``openai-moe.cpp`` (gpt-oss), ``gemma3.cpp``,
``deepseek2.cpp``, ``qwen3moe.cpp``, ``glm4-moe.cpp``, ``llama.cpp``/``qwen2.cpp``/``qwen3.cpp``.
Types follow
``llama_tensor_get_type_impl`` and ``tensor_type_fallback`` in ``src/llama-quant.cpp`` of that
tree, and the F32 rules of ``conversion/base.py`` (1-D tensors, norms, biases and the MoE router
stay F32). Shapes are ggml's ``ne`` order: ``(columns, rows[, experts])``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bench.model._gguf import tensor_nbytes
from probe.errors import UserError

RECURRENT_ARCHES = ("qwen35", "qwen35moe", "nemotron_h")
ARCHITECTURES: tuple[str, ...] = ("llama", "qwen2", "qwen3", "qwen3moe", "gpt-oss", "gemma3")
ARCHITECTURES += ("deepseek2", "glm4moe", *RECURRENT_ARCHES)


@dataclass(frozen=True, slots=True)
class Hparams:
    """The hyper-parameters that fix a model's tensors, KV cache and compute, per architecture.

    ``n_head_kv`` > 0 on every layer for these architectures; ``swa_pattern`` N makes every
    Nth layer global and the rest sliding-window (llama.cpp's ``load_swa_pattern``).
    """

    arch: str
    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    head_dim: int
    n_ff: int
    n_vocab: int
    n_ctx: int
    n_expert: int = 0
    n_expert_used: int = 0
    n_ff_exp: int = 0
    n_expert_shared: int = 0  # shared experts, each n_ff_exp wide (DeepSeek, GLM)
    n_dense_lead: int = 0  # leading layers with a dense FFN instead of experts (DeepSeek, GLM)
    # NextN/MTP layers appended after the n_layer trunk (GLM-4.5, GLM-4.7-Flash): in the file
    # as blk.{n_layer}.., with block_count = n_layer + n_nextn; llama.cpp skips their tensors
    # and their KV cache unless it drafts with them (glm4-moe.cpp: TENSOR_SKIP without load_mtp).
    n_nextn: int = 0
    head_dim_v: int = 0  # 0: head_dim
    sliding_window: int = 0
    swa_pattern: int = 0
    q_lora_rank: int = 0  # MLA (deepseek2): the compressed query and KV ranks
    kv_lora_rank: int = 0
    rope_dim: int = 0  # MLA: the RoPE part of each head (qk_rope_head_dim)
    tied_embeddings: bool = False
    attn_bias: bool = False  # q/k/v biases (qwen2, gpt-oss, glm4moe)
    qk_norm: bool = False  # per-head q/k RMS norms where optional (glm4moe: GLM-4.5, not Air)
    attn_gate: bool = False  # qwen35: a gated attention output (the Q projection twice as wide)
    n_ff_shexp: int = 0  # one shared expert this wide (qwen35moe); 0: n_expert_shared x n_ff_exp
    # Recurrent layers (qwen35: gated delta net; nemotron_h: Mamba-2) keep a fixed state instead
    # of a KV cache; nemotron_h's other layers are attention or a plain MLP ("M", "*", "-").
    recurrent: tuple[bool, ...] = ()
    layer_kinds: str = ""
    ssm_d_conv: int = 0
    ssm_d_inner: int = 0
    ssm_d_state: int = 0
    ssm_dt_rank: int = 0  # qwen35: value heads; nemotron_h: Mamba heads
    ssm_n_group: int = 0  # qwen35: key heads
    name: str = ""
    source: str = ""

    @property
    def is_moe(self) -> bool:
        return self.n_expert > 0

    @property
    def n_layer_all(self) -> int:
        """The file's blocks: the trunk and the NextN layers (GGUF block_count)."""
        return self.n_layer + self.n_nextn

    @property
    def v_dim(self) -> int:
        return self.head_dim_v or self.head_dim

    @property
    def shexp_width(self) -> int:
        return self.n_ff_shexp or self.n_ff_exp * self.n_expert_shared

    def is_recurrent(self, il: int) -> bool:
        return bool(self.recurrent) and self.recurrent[il]

    @property
    def conv_channels(self) -> int:
        """Channels of the short convolution before the recurrent update."""
        return self.ssm_d_inner + 2 * self.ssm_n_group * self.ssm_d_state

    @property
    def state_bytes(self) -> int:
        """One recurrent layer's state for one sequence, f32 (llama_hparams::n_embd_r and
        n_embd_s: the convolution's last d_conv - 1 inputs and the d_state x d_inner state)."""
        r = max(self.ssm_d_conv - 1, 0) * self.conv_channels
        return 4 * (r + self.ssm_d_state * self.ssm_d_inner)

    def check(self) -> None:
        """One UserError naming the first value llama.cpp could not load."""
        if self.arch not in ARCHITECTURES:
            raise UserError(
                f"architecture {self.arch!r} is not modelled",
                hint=f"modelled: {', '.join(ARCHITECTURES)}",
            )
        for name in ("n_layer", "n_embd", "n_head", "n_head_kv", "head_dim", "n_vocab"):
            value = getattr(self, name)
            if not 0 < value <= 1 << 20:
                raise UserError(f"{self.name or self.arch}: {name} = {value} is out of range")
        if self.n_head % self.n_head_kv:
            raise UserError(f"{self.name or self.arch}: n_head_kv must divide n_head")
        if self.is_moe and not 0 < self.n_expert_used <= self.n_expert:
            raise UserError(f"{self.name or self.arch}: experts used must be 1..{self.n_expert}")
        if not 0 <= self.n_nextn <= 16:
            raise UserError(f"{self.name or self.arch}: {self.n_nextn} NextN layers (0..16)")
        if self.arch == "deepseek2" and not (self.kv_lora_rank and self.rope_dim):
            raise UserError(f"{self.name or 'deepseek2'}: MLA needs kv_lora_rank and rope_dim")
        if self.arch in RECURRENT_ARCHES:
            if len(self.recurrent) != self.n_layer or not all(
                0 < v <= 1 << 20
                for v in (self.ssm_d_conv, self.ssm_d_inner, self.ssm_d_state, self.ssm_dt_rank)
            ):
                raise UserError(f"{self.name or self.arch}: the recurrent layers are not described")
            if self.arch == "nemotron_h" and len(self.layer_kinds) != self.n_layer:
                raise UserError(f"{self.name or self.arch}: one layer kind (M, *, -) per layer")


Tensor = tuple[str, tuple[int, ...]]  # (name, ne)


def _attention(h: Hparams, b: str) -> list[Tensor]:
    e, q, kv = h.n_embd, h.n_head * h.head_dim, h.n_head_kv * h.head_dim
    out: list[Tensor] = [
        (f"{b}.attn_q.weight", (e, q)),
        (f"{b}.attn_k.weight", (e, kv)),
        (f"{b}.attn_v.weight", (e, h.n_head_kv * h.v_dim)),
        (f"{b}.attn_output.weight", (h.n_head * h.v_dim, e)),
    ]
    if h.attn_bias:
        out += [(f"{b}.attn_q.bias", (q,)), (f"{b}.attn_k.bias", (kv,))]
        out += [(f"{b}.attn_v.bias", (h.n_head_kv * h.v_dim,))]
    if h.arch in ("qwen3", "qwen3moe", "gemma3") or h.qk_norm:
        out += [(f"{b}.attn_q_norm.weight", (h.head_dim,))]
        out += [(f"{b}.attn_k_norm.weight", (h.head_dim,))]
    return out


def _mla(h: Hparams, b: str) -> list[Tensor]:
    """DeepSeek's multi-head latent attention (deepseek2.cpp, the split k_b/v_b layout)."""
    e, nope = h.n_embd, h.head_dim - h.rope_dim
    out: list[Tensor] = [(f"{b}.attn_kv_a_norm.weight", (h.kv_lora_rank,))]
    if h.q_lora_rank:
        out += [
            (f"{b}.attn_q_a_norm.weight", (h.q_lora_rank,)),
            (f"{b}.attn_q_a.weight", (e, h.q_lora_rank)),
            (f"{b}.attn_q_b.weight", (h.q_lora_rank, h.n_head * h.head_dim)),
        ]
    else:
        out += [(f"{b}.attn_q.weight", (e, h.n_head * h.head_dim))]
    return [
        *out,
        (f"{b}.attn_kv_a_mqa.weight", (e, h.kv_lora_rank + h.rope_dim)),
        (f"{b}.attn_k_b.weight", (nope, h.kv_lora_rank, h.n_head)),
        (f"{b}.attn_v_b.weight", (h.kv_lora_rank, h.v_dim, h.n_head)),
        (f"{b}.attn_output.weight", (h.n_head * h.v_dim, e)),
    ]


def _gated_delta_net(h: Hparams, b: str) -> list[Tensor]:
    """qwen35's linear-attention layers (qwen35.cpp / qwen35moe.cpp, load_block_trunk)."""
    e, key, value, nv = h.n_embd, h.ssm_d_state * h.ssm_n_group, h.ssm_d_inner, h.ssm_dt_rank
    conv = 2 * key + value
    return [
        (f"{b}.attn_qkv.weight", (e, conv)),
        (f"{b}.attn_gate.weight", (e, value)),
        (f"{b}.ssm_conv1d.weight", (h.ssm_d_conv, conv)),
        (f"{b}.ssm_dt.bias", (nv,)),
        (f"{b}.ssm_a", (nv,)),
        (f"{b}.ssm_beta.weight", (e, nv)),
        (f"{b}.ssm_alpha.weight", (e, nv)),
        (f"{b}.ssm_norm.weight", (h.ssm_d_state,)),
        (f"{b}.ssm_out.weight", (value, e)),
    ]


def _mamba2(h: Hparams, b: str) -> list[Tensor]:
    """nemotron_h's Mamba-2 layers (nemotron-h.cpp)."""
    e, inner, heads, g = h.n_embd, h.ssm_d_inner, h.ssm_dt_rank, h.ssm_n_group
    return [
        (f"{b}.ssm_in.weight", (e, 2 * inner + 2 * g * h.ssm_d_state + heads)),
        (f"{b}.ssm_conv1d.weight", (h.ssm_d_conv, h.conv_channels)),
        (f"{b}.ssm_conv1d.bias", (h.conv_channels,)),
        (f"{b}.ssm_dt.bias", (heads,)),
        (f"{b}.ssm_a", (1, heads)),
        (f"{b}.ssm_d", (1, heads)),
        (f"{b}.ssm_norm.weight", (inner // g, g)),
        (f"{b}.ssm_out.weight", (inner, e)),
    ]


def _qwen35_attention(h: Hparams, b: str) -> list[Tensor]:
    e, q, kv = h.n_embd, h.n_head * h.head_dim, h.n_head_kv * h.head_dim
    return [
        (f"{b}.attn_q.weight", (e, q * 2)),  # the query and its output gate
        (f"{b}.attn_k.weight", (e, kv)),
        (f"{b}.attn_v.weight", (e, kv)),
        (f"{b}.attn_output.weight", (q, e)),
        (f"{b}.attn_q_norm.weight", (h.head_dim,)),
        (f"{b}.attn_k_norm.weight", (h.head_dim,)),
    ]


def _layer(h: Hparams, il: int) -> list[Tensor]:
    """One layer of the recurrent hybrids."""
    b, e = f"blk.{il}", h.n_embd
    out: list[Tensor] = [(f"{b}.attn_norm.weight", (e,))]
    if h.arch == "nemotron_h":
        kind = h.layer_kinds[il]
        if kind == "M":
            return out + _mamba2(h, b)
        if kind == "*":
            return out + _attention(h, b)
        return [*out, (f"{b}.ffn_up.weight", (e, h.n_ff)), (f"{b}.ffn_down.weight", (h.n_ff, e))]
    out.append((f"{b}.post_attention_norm.weight", (e,)))
    out += _gated_delta_net(h, b) if h.is_recurrent(il) else _qwen35_attention(h, b)
    if h.arch == "qwen35":
        return out + _dense_ffn(b, e, h.n_ff)
    s = h.shexp_width
    return [
        *out,
        *_experts(dataclasses.replace(h, n_expert_shared=0, n_ff_shexp=0), b),
        (f"{b}.ffn_gate_inp_shexp.weight", (e,)),
        (f"{b}.ffn_gate_shexp.weight", (e, s)),
        (f"{b}.ffn_up_shexp.weight", (e, s)),
        (f"{b}.ffn_down_shexp.weight", (s, e)),
    ]


def _dense_ffn(b: str, e: int, ff: int) -> list[Tensor]:
    return [
        (f"{b}.ffn_gate.weight", (e, ff)),
        (f"{b}.ffn_up.weight", (e, ff)),
        (f"{b}.ffn_down.weight", (ff, e)),
    ]


def _experts(h: Hparams, b: str) -> list[Tensor]:
    e, f, x = h.n_embd, h.n_ff_exp, h.n_expert
    out: list[Tensor] = [
        (f"{b}.ffn_gate_inp.weight", (e, x)),
        (f"{b}.ffn_gate_exps.weight", (e, f, x)),
        (f"{b}.ffn_up_exps.weight", (e, f, x)),
        (f"{b}.ffn_down_exps.weight", (f, e, x)),
    ]
    if h.arch == "gpt-oss":
        out += [
            (f"{b}.ffn_gate_inp.bias", (x,)),
            (f"{b}.ffn_gate_exps.bias", (f, x)),
            (f"{b}.ffn_up_exps.bias", (f, x)),
            (f"{b}.ffn_down_exps.bias", (e, x)),
        ]
    if h.arch in ("deepseek2", "glm4moe"):
        out += [(f"{b}.exp_probs_b.bias", (x,))]
    if h.shexp_width:
        s = h.shexp_width
        out += [
            (f"{b}.ffn_gate_shexp.weight", (e, s)),
            (f"{b}.ffn_up_shexp.weight", (e, s)),
            (f"{b}.ffn_down_shexp.weight", (s, e)),
        ]
    return out


def _nextn(h: Hparams, b: str) -> list[Tensor]:
    """A NextN/MTP block's own tensors, beside a full layer's (glm4-moe.cpp, deepseek2.cpp; the
    GLM checkpoints ship their own embedding and head copies, written as embed_tokens and
    shared_head_head: llama.cpp's log lists all six as unused tensors of GLM-4.5-Air)."""
    e, v = h.n_embd, h.n_vocab
    return [
        (f"{b}.nextn.eh_proj.weight", (2 * e, e)),
        (f"{b}.nextn.embed_tokens.weight", (e, v)),
        (f"{b}.nextn.enorm.weight", (e,)),
        (f"{b}.nextn.hnorm.weight", (e,)),
        (f"{b}.nextn.shared_head_head.weight", (e, v)),
        (f"{b}.nextn.shared_head_norm.weight", (e,)),
    ]


def layout(h: Hparams) -> list[Tensor]:
    """Every tensor of the architecture, in the order llama.cpp's converter writes them."""
    h.check()
    e = h.n_embd
    out: list[Tensor] = [("token_embd.weight", (e, h.n_vocab)), ("output_norm.weight", (e,))]
    if not h.tied_embeddings:
        out.append(("output.weight", (e, h.n_vocab)))
    for il in range(h.n_layer_all):
        if h.arch in RECURRENT_ARCHES:
            out += _layer(h, il)
            continue
        b = f"blk.{il}"
        out.append((f"{b}.attn_norm.weight", (e,)))
        out += _mla(h, b) if h.arch == "deepseek2" else _attention(h, b)
        if h.arch == "gpt-oss":
            # gpt-oss: the output bias, the per-head attention sinks, and attn_post_norm as the
            # norm before the experts (openai-moe.cpp).
            out += [(f"{b}.attn_output.bias", (e,)), (f"{b}.attn_sinks.weight", (h.n_head,))]
            out += [(f"{b}.post_attention_norm.weight", (e,))]
        elif h.arch == "glm4moe":
            out.append((f"{b}.post_attention_norm.weight", (e,)))  # the norm before the FFN
        else:
            out.append((f"{b}.ffn_norm.weight", (e,)))
        if h.arch == "gemma3":
            out += [(f"{b}.post_attention_norm.weight", (e,)), (f"{b}.post_ffw_norm.weight", (e,))]
        if h.is_moe and il >= h.n_dense_lead:
            out += _experts(h, b)
        else:
            out += _dense_ffn(b, e, h.n_ff)
        if il >= h.n_layer:
            out += _nextn(h, b)
    return out


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
    if name == "output.weight" or (h.tied_embeddings and name == "token_embd.weight"):
        if quant == "MXFP4" or ne[0] % BLOCK.get(t, 32):
            return "Q8_0"
        return t if t == "Q8_0" else "Q6_K"
    if quant == "MXFP4":
        return "MXFP4" if len(ne) > 2 and ne[2] > 1 and "_exps." in name else "Q8_0"
    if name == "token_embd.weight":
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
