"""Architectures as llama.cpp lays them out: every tensor a GGUF of that architecture holds, with
llama.cpp's names and shapes (the types its quantizer gives them: ``_quant_rules``).

Tensor layouts follow each model's ``load_arch_tensors`` in llama.cpp's ``src/models/*.cpp``
(the tree vendored in llama-cpp-python 0.3.36): ``openai-moe.cpp`` (gpt-oss), ``gemma3.cpp``,
``gemma4.cpp``, ``deepseek2.cpp``, ``qwen3moe.cpp``, ``glm4-moe.cpp``, ``qwen35*.cpp``,
``qwen3next.cpp``, ``nemotron-h.cpp``, ``llama.cpp``/``qwen2.cpp``/``qwen3.cpp``. Shapes are
ggml's ``ne`` order: ``(columns, rows[, experts])``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from probe.errors import UserError

RECURRENT_ARCHES = ("qwen35", "qwen35moe", "qwen3next", "nemotron_h", "nemotron_h_moe")
NEMOTRON = ("nemotron_h", "nemotron_h_moe")
ARCHITECTURES: tuple[str, ...] = ("llama", "qwen2", "qwen3", "qwen3moe", "gpt-oss", "gemma3")
ARCHITECTURES += ("gemma4", "deepseek2", "glm4moe", *RECURRENT_ARCHES)


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
    # of a KV cache; nemotron_h's other layers are attention or a plain MLP ("M", "*", "-"),
    # nemotron_h_moe's attention or experts with a shared one ("M", "*", "E").
    recurrent: tuple[bool, ...] = ()
    layer_kinds: str = ""
    ssm_d_conv: int = 0
    ssm_d_inner: int = 0
    ssm_d_state: int = 0
    ssm_dt_rank: int = 0  # qwen35: value heads; nemotron_h: Mamba heads
    ssm_n_group: int = 0  # qwen35: key heads
    # Gemma 4 (gemma4.cpp; conversion/gemma.py Gemma4Model): the full-attention layers have
    # their own head width and KV heads (global_head_dim, num_global_key_value_heads; head_dim
    # and n_head_kv above are the window layers'), and the layer kinds come as a list.
    head_dim_global: int = 0  # 0: head_dim
    n_head_kv_global: int = 0  # 0: n_head_kv
    swa_layers: tuple[bool, ...] = ()  # () : every swa_pattern-th layer global
    k_eq_v: bool = False  # full-attention layers without v_proj: V is K (attention_k_eq_v)
    n_kv_shared: int = 0  # the last layers reuse earlier layers' KV (E2B/E4B)
    n_embd_per_layer: int = 0  # per-layer embeddings (E2B/E4B), this wide per layer
    double_wide_shared: bool = False  # use_double_wide_mlp: KV-shared layers' FFN twice as wide
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

    def is_swa(self, il: int) -> bool:
        """Whether layer ``il`` attends over the sliding window (llama.cpp's is_swa)."""
        if self.swa_layers:
            return il < len(self.swa_layers) and self.swa_layers[il]
        return bool(self.swa_pattern and self.sliding_window) and (il + 1) % self.swa_pattern != 0

    def head_k(self, il: int) -> int:
        """Layer ``il``'s K (and Q) head width: Gemma 4's full layers are wider."""
        return (
            self.head_dim_global if self.head_dim_global and not self.is_swa(il) else self.head_dim
        )

    def heads_kv(self, il: int) -> int:
        return (
            self.n_head_kv_global
            if self.n_head_kv_global and not self.is_swa(il)
            else self.n_head_kv
        )

    def has_kv(self, il: int) -> bool:
        """Whether layer ``il`` keeps its own KV (Gemma 4's last n_kv_shared layers do not)."""
        return il < self.n_layer - self.n_kv_shared

    def ff_width(self, il: int) -> int:
        if self.double_wide_shared and not self.has_kv(il):
            return 2 * self.n_ff
        return self.n_ff

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
        for name in ("head_dim_global", "n_head_kv_global", "n_kv_shared", "n_embd_per_layer"):
            value = getattr(self, name)
            if not 0 <= value <= 1 << 20:
                raise UserError(f"{self.name or self.arch}: {name} = {value} is out of range")
        if self.n_head % self.n_head_kv:
            raise UserError(f"{self.name or self.arch}: n_head_kv must divide n_head")
        if self.is_moe and not 0 < self.n_expert_used <= self.n_expert:
            raise UserError(f"{self.name or self.arch}: experts used must be 1..{self.n_expert}")
        if not 0 <= self.n_nextn <= 16:
            raise UserError(f"{self.name or self.arch}: {self.n_nextn} NextN layers (0..16)")
        if self.arch == "gemma4" and (
            (self.swa_layers and len(self.swa_layers) != self.n_layer)
            or not 0 <= self.n_kv_shared < self.n_layer
            or (self.n_head_kv_global and self.n_head % self.n_head_kv_global)
            or self.n_embd_per_layer > 1 << 16
        ):
            raise UserError(f"{self.name or 'gemma4'}: the layer kinds or KV sharing do not fit")
        first = self.n_layer - self.n_kv_shared  # llama-model.cpp create_memory's reuse rule:
        if (
            self.arch == "gemma4"
            and self.n_kv_shared
            and (  # full layers share first - 1's KV,
                first < 2
                or self.is_swa(first - 1)
                or not self.is_swa(first - 2)  # window ones - 2's
            )
        ):
            raise UserError(
                f"{self.name or 'gemma4'}: KV-shared layers need a window layer then a full "
                f"layer before layer {first}"
            )
        if self.arch == "deepseek2" and not (self.kv_lora_rank and self.rope_dim):
            raise UserError(f"{self.name or 'deepseek2'}: MLA needs kv_lora_rank and rope_dim")
        if self.arch in RECURRENT_ARCHES:
            if len(self.recurrent) != self.n_layer or not all(
                0 < v <= 1 << 20
                for v in (self.ssm_d_conv, self.ssm_d_inner, self.ssm_d_state, self.ssm_dt_rank)
            ):
                raise UserError(f"{self.name or self.arch}: the recurrent layers are not described")
            if self.arch in NEMOTRON and len(self.layer_kinds) != self.n_layer:
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
    """qwen35's and qwen3next's linear-attention layers (qwen35.cpp / qwen35moe.cpp /
    qwen3next.cpp, load_block_trunk)."""
    e, key, value, nv = h.n_embd, h.ssm_d_state * h.ssm_n_group, h.ssm_d_inner, h.ssm_dt_rank
    conv = 2 * key + value
    return [
        (f"{b}.attn_qkv.weight", (e, conv)),
        (f"{b}.attn_gate.weight", (e, value)),
        (f"{b}.ssm_conv1d.weight", (h.ssm_d_conv, conv)),
        (f"{b}.ssm_dt.bias", (nv,)),
        (f"{b}.ssm_a", (nv,)),
        # qwen3next.cpp: beta and alpha in one projection; qwen35*: two
        *(
            [(f"{b}.ssm_ba.weight", (e, 2 * nv))]
            if h.arch == "qwen3next"
            else [(f"{b}.ssm_beta.weight", (e, nv)), (f"{b}.ssm_alpha.weight", (e, nv))]
        ),
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
    if h.arch in NEMOTRON:
        kind = h.layer_kinds[il]
        if kind == "M":
            return out + _mamba2(h, b)
        if kind == "*":
            return out + _attention(h, b)
        if kind == "E":  # nemotron-h.cpp: routed experts (up/down, relu^2) and a shared one
            f, x, s = h.n_ff_exp, h.n_expert, h.n_ff_shexp
            return [
                *out,
                (f"{b}.ffn_gate_inp.weight", (e, x)),
                (f"{b}.exp_probs_b.bias", (x,)),
                (f"{b}.ffn_up_exps.weight", (e, f, x)),
                (f"{b}.ffn_down_exps.weight", (f, e, x)),
                (f"{b}.ffn_up_shexp.weight", (e, s)),
                (f"{b}.ffn_down_shexp.weight", (s, e)),
            ]
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


def _gemma4_layer(h: Hparams, il: int) -> list[Tensor]:
    """One Gemma 4 layer (gemma4.cpp load_arch_tensors): full layers' wider heads and, with
    attention_k_eq_v, no V projection; a dense FFN in every layer
    and, in the MoE model, the experts beside it; per-layer embedding gates (E2B/E4B)."""
    b, e, hk, kv = f"blk.{il}", h.n_embd, h.head_k(il), h.heads_kv(il)
    out: list[Tensor] = [
        (f"{b}.attn_norm.weight", (e,)),
        (f"{b}.attn_q.weight", (e, h.n_head * hk)),
    ]
    # KV-shared layers keep their K/V projections in the file (the E2B/E4B parameter counts,
    # 4.65 B and 7.52 B in llama.cpp's logs, include them); llama.cpp loads and never runs them.
    out.append((f"{b}.attn_k.weight", (e, kv * hk)))
    if not (h.k_eq_v and not h.is_swa(il)):
        out.append((f"{b}.attn_v.weight", (e, kv * hk)))
    out += [(f"{b}.attn_output.weight", (h.n_head * hk, e)), (f"{b}.attn_q_norm.weight", (hk,))]
    out.append((f"{b}.attn_k_norm.weight", (hk,)))
    out += [(f"{b}.post_attention_norm.weight", (e,)), (f"{b}.layer_output_scale.weight", (1,))]
    out += [(f"{b}.ffn_norm.weight", (e,)), *_dense_ffn(b, e, h.ff_width(il))]
    out.append((f"{b}.post_ffw_norm.weight", (e,)))
    if h.is_moe:
        f, x = h.n_ff_exp, h.n_expert
        out += [
            (f"{b}.ffn_gate_inp.weight", (e, x)),
            (f"{b}.ffn_gate_inp.scale", (e,)),
            (f"{b}.pre_ffw_norm_2.weight", (e,)),
            (f"{b}.post_ffw_norm_1.weight", (e,)),
            (f"{b}.post_ffw_norm_2.weight", (e,)),
            (f"{b}.ffn_gate_exps.weight", (e, f, x)),
            (f"{b}.ffn_up_exps.weight", (e, f, x)),
            (f"{b}.ffn_down_exps.weight", (f, e, x)),
            (f"{b}.ffn_down_exps.scale", (x,)),
        ]
    if h.n_embd_per_layer:
        p = h.n_embd_per_layer
        out += [(f"{b}.inp_gate.weight", (e, p)), (f"{b}.proj.weight", (p, e))]
        out.append((f"{b}.post_norm.weight", (e,)))
    return out


def _gemma4_globals(h: Hparams) -> list[Tensor]:
    """Gemma 4's tensors outside the layers: the full layers' shared rope_freqs (proportional
    RoPE, Gemma4Model.generate_extra_tensors) and the per-layer embedding table, projection and
    norm (E2B/E4B)."""
    out: list[Tensor] = [("rope_freqs.weight", ((h.head_dim_global or h.head_dim) // 2,))]
    if h.n_embd_per_layer:
        p = h.n_embd_per_layer * h.n_layer
        out += [
            ("per_layer_token_embd.weight", (p, h.n_vocab)),
            ("per_layer_model_proj.weight", (h.n_embd, p)),
            ("per_layer_proj_norm.weight", (h.n_embd_per_layer,)),
        ]
    return out


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
    if h.arch == "gemma4":
        out += _gemma4_globals(h)
        return out + [t for il in range(h.n_layer) for t in _gemma4_layer(h, il)]
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
