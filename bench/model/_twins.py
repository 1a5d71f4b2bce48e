"""Twins of real architectures: GGUF files with llama.cpp's tensor names, shapes and metadata for
gpt-oss, gemma3, deepseek2, qwen3moe, qwen2 …, random weights written straight in their quant
blocks (``_blocks``), so llama-bench and llama-cpp-python load and run them at true speed.

The tensor types are the ones ``_quant_rules.tensor_types`` gives a file of that quant (llama.cpp's
quantizer rules, gpt-oss experts in MXFP4); the file is written tensor by tensor, so a 12 GB
twin needs about one tensor of memory. Twins are cached by their spec like ``bench synth``'s.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.model._arch import ARCHITECTURES, NEMOTRON, Hparams
from bench.model._blocks import FLOATS, Payload
from bench.model._quant_rules import nbytes, tensor_types
from bench.model._shapes import SHAPES
from bench.model._synthetic import (
    ARCHES,
    N_BYTE_TOKENS,
    N_SPECIAL,
    QUANTS,
    SynthResult,
    add_vocab,
    cached_file,
    human_params,
    make_spec,
    parse_params,
    synthesize,
)
from probe.errors import UserError

TWIN_VERSION = 1  # bump when the bytes written for the same spec change
TWIN_ARCHES = ARCHITECTURES
# Quants whose blocks _blocks writes (the K-quant and legacy families, MXFP4, floats).
TWIN_QUANTS = ("F32", "F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q4_K_M", "Q4_K_S",
               "Q3_K_M", "Q3_K_S", "Q3_K_L", "Q2_K", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL",
               "IQ4_XS", "MXFP4")  # fmt: skip
# Small twins (--params) follow the published proportions of each architecture, scaled down.
SMALL = {
    "gpt-oss": Hparams("gpt-oss", 4, 512, 8, 2, 64, 0, 2048, 4096, 8, 2, 512, sliding_window=128,
                       swa_pattern=2, attn_bias=True),
    "gemma3": Hparams("gemma3", 6, 512, 4, 2, 128, 1536, 2048, 8192, sliding_window=1024,
                      swa_pattern=6, tied_embeddings=True),
    "deepseek2": Hparams("deepseek2", 4, 512, 8, 8, 96, 1536, 2048, 4096, 8, 2, 256,
                         n_expert_shared=1, n_dense_lead=1, head_dim_v=64, q_lora_rank=256,
                         kv_lora_rank=128, rope_dim=32),
    "qwen3moe": Hparams("qwen3moe", 4, 512, 8, 2, 64, 0, 2048, 4096, 8, 2, 256),
    # GLM-4.5-Air's proportions: a dense first layer, a shared expert, q/k/v biases, partial
    # RoPE, and its NextN block after the trunk.
    "glm4moe": Hparams("glm4moe", 4, 512, 8, 2, 64, 1536, 2048, 4096, 8, 2, 256,
                       n_expert_shared=1, n_dense_lead=1, n_nextn=1, rope_dim=32,
                       attn_bias=True),
    # Gemma 4 26B-A4B's proportions: five window layers per full one, the full layers' heads
    # twice as wide with one KV head and V = K, a dense FFN beside the experts in every layer.
    "gemma4": Hparams("gemma4", 6, 512, 4, 2, 128, 1024, 2048, 8192, 8, 2, 256,
                      sliding_window=1024, swa_pattern=6, tied_embeddings=True,
                      head_dim_global=256, n_head_kv_global=1, k_eq_v=True),
    "qwen3": Hparams("qwen3", 4, 512, 8, 2, 64, 1536, 2048, 4096),
    "qwen2": Hparams("qwen2", 4, 512, 8, 2, 64, 1536, 2048, 4096, attn_bias=True),
    # Qwen3.5 and Nemotron-H proportions: 3 linear-attention layers per full one; Mamba-2,
    # attention and MLP layers in the Nano's order.
    "qwen35moe": Hparams("qwen35moe", 4, 512, 4, 2, 128, 0, 2048, 4096, 8, 2, 256,
                         n_ff_shexp=256, attn_gate=True, recurrent=(True, True, True, False),
                         ssm_d_conv=4, ssm_d_inner=512, ssm_d_state=64, ssm_dt_rank=8,
                         ssm_n_group=4),
    "qwen3next": Hparams("qwen3next", 4, 512, 4, 2, 128, 0, 2048, 4096, 8, 2, 256,
                         n_ff_shexp=256, attn_gate=True, recurrent=(True, True, True, False),
                         ssm_d_conv=4, ssm_d_inner=512, ssm_d_state=64, ssm_dt_rank=8,
                         ssm_n_group=4),
    "qwen35": Hparams("qwen35", 4, 512, 4, 2, 128, 1536, 2048, 4096, attn_gate=True,
                      recurrent=(True, True, True, False), ssm_d_conv=4, ssm_d_inner=512,
                      ssm_d_state=64, ssm_dt_rank=8, ssm_n_group=4),
    # Nemotron 3 Nano's: Mamba-2, attention and expert layers (relu^2 experts, one shared)
    "nemotron_h_moe": Hparams("nemotron_h_moe", 8, 512, 8, 2, 64, 0, 2048, 4096, 8, 2, 256,
                              n_ff_shexp=512, recurrent=tuple(k == "M" for k in "MEM*EMEM"),
                              layer_kinds="MEM*EMEM", ssm_d_conv=4, ssm_d_inner=1024,
                              ssm_d_state=64, ssm_dt_rank=16, ssm_n_group=4),
    "nemotron_h": Hparams("nemotron_h", 8, 512, 8, 2, 64, 1536, 2048, 4096,
                          recurrent=tuple(k == "M" for k in "M-M*M-M-"), layer_kinds="M-M*M-M-",
                          ssm_d_conv=4, ssm_d_inner=1024, ssm_d_state=64, ssm_dt_rank=16,
                          ssm_n_group=4),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class TwinSpec:
    """A real-architecture twin: its hyper-parameters, quant and seed."""

    hparams: Hparams
    quant: str
    seed: int = 0

    def key(self) -> str:
        h = dataclasses.asdict(self.hparams)
        h.pop("source", None)
        blob = json.dumps({"h": h, "q": self.quant, "seed": self.seed, "v": TWIN_VERSION})
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def file_name(self) -> str:
        n = sum(int(np.prod(ne)) for _, ne, _ in tensor_types(self.hparams, self.quant))
        label = self.hparams.name or self.hparams.arch
        return f"twin-{label}-{human_params(n)}-{self.quant}-{self.key()}.gguf"


def small_twin(arch: str, params: str | None, quant: str) -> TwinSpec:
    """A twin of ``arch`` of about ``params`` parameters: the small shape's layers scaled."""
    if arch not in SMALL:
        raise UserError(f"no twin of {arch!r}", hint=f"twins: {', '.join(SMALL)}")
    if quant not in TWIN_QUANTS:
        raise UserError(f"cannot write {quant} twins", hint=f"quants: {', '.join(TWIN_QUANTS)}")
    h = SMALL[arch]
    if params:
        one = sum(int(np.prod(ne)) for _, ne, _ in tensor_types(h, "F16")) / h.n_layer
        n = max(2, round(parse_params(params) / one))
        h = dataclasses.replace(
            h,
            n_layer=n,  # the layer pattern repeats: 3 linear + 1 full, M-M*M-M-
            recurrent=tuple(h.recurrent[il % len(h.recurrent)] for il in range(n))
            if h.recurrent
            else (),
            layer_kinds="".join(h.layer_kinds[il % len(h.layer_kinds)] for il in range(n))
            if h.layer_kinds
            else "",
        )
    return TwinSpec(h, quant)


def _metadata(w: object, h: Hparams, quant: str) -> None:
    """The GGUF keys llama.cpp reads for the architecture (its load_arch_hparams)."""
    add = w  # gguf.GGUFWriter; typed loosely to keep gguf's import lazy
    add.add_name(f"rigbench twin of {h.name or h.arch}")  # type: ignore[attr-defined]
    add.add_context_length(h.n_ctx)  # type: ignore[attr-defined]
    add.add_embedding_length(h.n_embd)  # type: ignore[attr-defined]
    add.add_block_count(h.n_layer_all)  # type: ignore[attr-defined]
    add.add_head_count(h.n_head)  # type: ignore[attr-defined]
    add.add_layer_norm_rms_eps(1e-5)  # type: ignore[attr-defined]
    add.add_vocab_size(h.n_vocab)  # type: ignore[attr-defined]
    if h.arch not in (*NEMOTRON, "gemma4"):  # per layer there
        add.add_feed_forward_length(h.n_ff or h.n_ff_exp)  # type: ignore[attr-defined]
    if h.arch == "gemma4":
        pass  # heads and widths per layer kind: _gemma4_metadata
    elif h.arch == "deepseek2":
        # MLA as the converter writes it: one shared latent KV head of kv_lora_rank + rope.
        add.add_head_count_kv(1)  # type: ignore[attr-defined]
        add.add_key_length(h.kv_lora_rank + h.rope_dim)  # type: ignore[attr-defined]
        add.add_value_length(h.kv_lora_rank)  # type: ignore[attr-defined]
        add.add_key_length_mla(h.head_dim)  # type: ignore[attr-defined]
        add.add_value_length_mla(h.v_dim)  # type: ignore[attr-defined]
        add.add_rope_dimension_count(h.rope_dim)  # type: ignore[attr-defined]
        add.add_q_lora_rank(h.q_lora_rank)  # type: ignore[attr-defined]
        add.add_kv_lora_rank(h.kv_lora_rank)  # type: ignore[attr-defined]
        add.add_leading_dense_block_count(h.n_dense_lead)  # type: ignore[attr-defined]
        add.add_expert_shared_count(h.n_expert_shared)  # type: ignore[attr-defined]
        add.add_expert_weights_scale(1.0)  # type: ignore[attr-defined]
        from gguf.constants import ExpertGatingFuncType

        add.add_expert_gating_func(ExpertGatingFuncType.SIGMOID)  # type: ignore[attr-defined]
    else:
        if h.arch not in NEMOTRON:
            add.add_head_count_kv(h.n_head_kv)  # type: ignore[attr-defined]
        add.add_key_length(h.head_dim)  # type: ignore[attr-defined]
        add.add_value_length(h.v_dim)  # type: ignore[attr-defined]
        add.add_rope_dimension_count(h.rope_dim or h.head_dim)  # type: ignore[attr-defined]
    if h.arch == "glm4moe":  # conversion/glm.py Glm4MoeModel.set_gguf_parameters
        _glm4moe_metadata(w, h)
    if h.n_nextn:
        add.add_nextn_predict_layers(h.n_nextn)  # type: ignore[attr-defined]
    if h.n_ff_shexp:
        add.add_expert_shared_feed_forward_length(h.n_ff_shexp)  # type: ignore[attr-defined]
    if h.is_moe:
        add.add_expert_count(h.n_expert)  # type: ignore[attr-defined]
        add.add_expert_used_count(h.n_expert_used)  # type: ignore[attr-defined]
        add.add_expert_feed_forward_length(h.n_ff_exp)  # type: ignore[attr-defined]
    if h.sliding_window:
        add.add_sliding_window(h.sliding_window)  # type: ignore[attr-defined]
    if h.recurrent:
        _recurrent_metadata(w, h)
    if h.arch == "gemma4":
        _gemma4_metadata(w, h)
    add.add_file_type(QUANTS.get(quant, 1))  # type: ignore[attr-defined]


def _glm4moe_metadata(w: Any, h: Hparams) -> None:
    """The MoE keys glm4-moe.cpp reads (expert_shared_count is required there)."""
    from gguf.constants import ExpertGatingFuncType

    w.add_expert_shared_count(h.n_expert_shared)
    w.add_leading_dense_block_count(h.n_dense_lead)
    w.add_expert_gating_func(ExpertGatingFuncType.SIGMOID)
    w.add_expert_weights_scale(1.0)
    w.add_expert_weights_norm(True)


def _gemma4_metadata(w: Any, h: Hparams) -> None:
    """The keys gemma4.cpp's load_arch_hparams reads, as Gemma4Model.set_gguf_parameters
    writes them: the full layers' head width as key_length, the window layers' as *_swa, KV
    heads and FFN widths per layer, the layer kinds as an array."""
    n, full = h.n_layer, h.head_dim_global or h.head_dim
    w.add_key_length(full)
    w.add_value_length(full)
    w.add_key_length_swa(h.head_dim)
    w.add_value_length_swa(h.head_dim)
    w.add_rope_dimension_count(full)
    w.add_rope_dimension_count_swa(h.head_dim)
    w.add_head_count_kv([h.heads_kv(il) for il in range(n)])
    w.add_feed_forward_length([h.ff_width(il) for il in range(n)])
    w.add_sliding_window_pattern([h.is_swa(il) for il in range(n)])
    w.add_shared_kv_layers(h.n_kv_shared)
    w.add_embedding_length_per_layer_input(h.n_embd_per_layer)
    w.add_final_logit_softcapping(30.0)  # every Gemma 4 config's final_logit_softcapping


def _recurrent_metadata(w: Any, h: Hparams) -> None:
    """The ssm.* keys (qwen35*: the gated delta net's heads; nemotron_h: Mamba-2's), which
    layers are recurrent, and the keys those architectures require (their load_arch_hparams)."""
    w.add_ssm_conv_kernel(h.ssm_d_conv)
    w.add_ssm_inner_size(h.ssm_d_inner)
    w.add_ssm_state_size(h.ssm_d_state)
    w.add_ssm_time_step_rank(h.ssm_dt_rank)
    w.add_ssm_group_count(h.ssm_n_group)
    if h.arch in NEMOTRON:
        # per layer: KV heads only on attention layers, FFN width only on MLP/expert layers
        width = h.n_ff_exp if h.is_moe else h.n_ff
        w.add_head_count_kv([h.n_head_kv if k == "*" else 0 for k in h.layer_kinds])
        w.add_feed_forward_length([width if k in "-E" else 0 for k in h.layer_kinds])
        w.add_layer_norm_eps(1e-5)
        if h.is_moe:  # the keys NemotronHModel.set_gguf_parameters writes (conversion/nemotron.py;
            w.add_expert_shared_count(1)  # it writes routed_scaling_factor as the scale, 2.5
            w.add_expert_weights_norm(True)  # for the Nano: a value, no size or speed effect)
            w.add_expert_weights_scale(1.0)
        return
    w.add_full_attention_interval(h.recurrent.index(False) + 1)
    w.add_rope_dimension_sections([h.head_dim // 8, h.head_dim // 8, h.head_dim // 8, 0])


def write_twin(spec: TwinSpec, path: Path) -> None:
    """Write the twin to ``path``, one tensor in memory at a time."""
    import gguf
    from gguf.constants import GGMLQuantizationType

    h = spec.hparams
    if h.n_vocab <= N_SPECIAL + N_BYTE_TOKENS:
        raise UserError(f"a twin needs more than {N_SPECIAL + N_BYTE_TOKENS} tokens")
    tensors = tensor_types(h, spec.quant)
    w = gguf.GGUFWriter(str(path), h.arch)
    _metadata(w, h, spec.quant)
    add_vocab(w, h.n_vocab)
    for name, ne, t in tensors:
        shape = tuple(reversed(ne))  # numpy order
        if t in FLOATS:
            dtype = {"F32": np.float32, "F16": np.float16}.get(t)
            if dtype is not None:
                w.add_tensor_info(name, shape, np.dtype(dtype), nbytes(t, ne))
                continue
        raw_shape = (*shape[:-1], nbytes(t, ne) // max(1, int(np.prod(shape[:-1]))))
        qtype = GGMLQuantizationType[t]
        w.add_tensor_info(name, raw_shape, np.dtype(np.uint8), nbytes(t, ne), qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    payload = Payload(spec.seed)
    for _name, ne, t in tensors:
        data = payload.tensor(t, ne)
        if t == "F32":
            data = data.view(np.float32)
        elif t == "F16":
            data = data.view(np.float16)
        w.write_tensor_data(data)
    w.close()


def make_twin(spec: TwinSpec, output: Path | None = None) -> SynthResult:
    """The twin's file, written once and cached (``output``: a copy of it there)."""
    return cached_file(spec.file_name(), lambda part: write_twin(spec, part), output)


@dataclass(frozen=True, slots=True)
class Made:
    """What ``bench synth`` made: the file, its parameter counts and the spec it was made from."""

    result: SynthResult
    n_params: int
    n_active_params: int
    spec: dict[str, Any]


def twin_params(spec: TwinSpec) -> tuple[int, int]:
    """(parameters, parameters used per token: MoE counts the used experts only)."""
    h = spec.hparams
    total = active = 0
    for name, ne, _ in tensor_types(h, spec.quant):
        n = int(np.prod(ne))
        total += n
        if name.startswith("blk.") and int(name.split(".")[1]) >= h.n_layer:
            continue  # a NextN block: in the file, not run per token
        active += n // h.n_expert * h.n_expert_used if "_exps." in name and h.n_expert else n
    return total, active


def make_synth(
    arch: str,
    shape: str | None,
    params: str | None,
    quant: str,
    seed: int,
    overrides: dict[str, Any],
    output: Path | None = None,
) -> Made:
    """``bench synth``: a published ``shape`` at full size, a twin of a real architecture sized
    by ``params``, or a llama/qwen MoE model of any dimensions (``overrides``)."""
    if shape is not None or arch not in ARCHES:
        if overrides:
            raise UserError(
                f"explicit dimensions are for {', '.join(ARCHES)} models",
                hint="size a twin with --params, or give a published --shape",
            )
        if shape is not None and shape not in SHAPES:
            raise UserError(f"no model shape named {shape!r}", hint=f"shapes: {', '.join(SHAPES)}")
        twin = (
            TwinSpec(SHAPES[shape], quant, seed)
            if shape is not None
            else dataclasses.replace(small_twin(arch, params, quant), seed=seed)
        )
        if twin.quant not in TWIN_QUANTS:
            raise UserError(f"cannot write {quant} twins", hint=f"quants: {', '.join(TWIN_QUANTS)}")
        total, active = twin_params(twin)
        h = dataclasses.asdict(twin.hparams)
        return Made(make_twin(twin, output), total, active, {**h, "quant": quant, "seed": seed})
    spec = make_spec(arch, params, quant, seed, overrides)
    made = synthesize(spec, output)
    return Made(made, spec.n_params(), spec.n_active_params(), dataclasses.asdict(spec))
