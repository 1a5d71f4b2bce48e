"""From a transformers ``config.json`` to llama.cpp's hyper-parameters (the published models
rigbench knows by name are in ``_published_configs``).

The mapping follows llama.cpp's converters (``conversion/*.py`` of the vendored tree): which
config keys become which GGUF keys, per ``model_type``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bench.model._arch import Hparams
from probe.errors import UserError

MAX_CONFIG_BYTES = 4 * 1024 * 1024  # real config.json files are 1-20 KB
# model_type -> llama.cpp architecture (conversion/*.py ModelBase.register names).
MODEL_TYPES = {
    "llama": "llama",
    "mistral": "llama",
    "qwen2": "qwen2",
    "qwen3": "qwen3",
    "qwen3_moe": "qwen3moe",
    "gpt_oss": "gpt-oss",
    "gemma3": "gemma3",
    "gemma3_text": "gemma3",
    "deepseek_v3": "deepseek2",
    "deepseek_v2": "deepseek2",
    "glm4_moe": "glm4moe",
    "glm4_moe_lite": "deepseek2",  # GLM-4.7-Flash: MLA (conversion/glm.py Glm4MoeLiteModel)
    "qwen3_5_moe_text": "qwen35moe",
    "qwen3_5_moe": "qwen35moe",
    "qwen3_5_text": "qwen35",
    "qwen3_5": "qwen35",
    "nemotron_h": "nemotron_h",
    "qwen3_next": "qwen3next",  # Qwen3-Next-80B-A3B and Qwen3-Coder-Next (conversion/qwen.py)
    "gemma4_text": "gemma4",
    "gemma4": "gemma4",
}
# Recognised but not modelled yet: their recurrent (linear-attention, Mamba) state or extra
# layers are not in the memory and speed formulas.
NOT_MODELLED: dict[str, str] = {}
# Gemma3TextConfig's defaults (transformers configuration_gemma3.py), for configs that omit them.
GEMMA3_DEFAULTS = {
    "num_attention_heads": 8,
    "num_key_value_heads": 4,
    "head_dim": 256,
    "vocab_size": 262208,
    "max_position_embeddings": 131072,
    "sliding_window": 4096,
    "tie_word_embeddings": True,
}

# Gemma4TextConfig's defaults (transformers configuration_gemma4.py, commit 008e574), for
# configs that omit them (global_head_dim: 512, in _gemma4); the 26B-A4B and 31B configs set
# hidden_size_per_layer_input 0.
GEMMA4_DEFAULTS = {
    "num_attention_heads": 8,
    "num_key_value_heads": 4,
    "head_dim": 256,
    "vocab_size": 262144,
    "max_position_embeddings": 131072,
    "sliding_window": 512,
    "hidden_size_per_layer_input": 256,
    "tie_word_embeddings": True,
}


def _int(cfg: dict[str, Any], key: str, default: int | None = None) -> int:
    value = cfg.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 31:
        if default is None or value is not None:
            raise UserError(
                f"config.json: {key} = {value!r} is not a count",
                hint="give the transformers config.json of the model (from its Hub repo)",
            )
        return default
    return value


def hparams_from_config(config: dict[str, Any], name: str = "", source: str = "") -> Hparams:
    """llama.cpp's hyper-parameters of a transformers ``config.json`` (already parsed).

    Multimodal configs are read through their ``text_config``. Raises UserError for a
    ``model_type`` rigbench does not model, naming what is missing.
    """
    cfg = dict(config)
    if isinstance(cfg.get("text_config"), dict):
        cfg = {**cfg, **cfg["text_config"]}
    model_type = str(cfg.get("model_type") or "")
    if model_type in NOT_MODELLED:
        raise UserError(
            f"{name or model_type}: architecture {NOT_MODELLED[model_type]} is not modelled yet "
            "(its recurrent state or extra layers are not in rigbench's formulas)",
            hint=f"modelled: {', '.join(sorted(set(MODEL_TYPES.values())))}; "
            "a GGUF of it can still be planned from its tensor list",
        )
    arch = MODEL_TYPES.get(model_type)
    if arch is None:
        raise UserError(
            f"{name or 'config.json'}: unknown model_type {model_type!r}",
            hint=f"modelled: {', '.join(sorted(MODEL_TYPES))}",
        )
    if arch == "gemma4" and "hidden_size_per_layer_input" in cfg:
        # the converter reads it as `get(...) or 0`: an explicit null is no per-layer table
        cfg["hidden_size_per_layer_input"] = cfg["hidden_size_per_layer_input"] or 0
    if arch in ("gemma3", "gemma4"):
        defaults = GEMMA3_DEFAULTS if arch == "gemma3" else GEMMA4_DEFAULTS
        cfg = {**defaults, **{k: v for k, v in cfg.items() if v is not None}}
    n_embd = _int(cfg, "hidden_size")
    n_head = _int(cfg, "num_attention_heads")
    head_dim = _int(cfg, "head_dim", n_embd // max(n_head, 1))
    common: dict[str, Any] = {
        "arch": arch,
        "n_layer": _int(cfg, "num_hidden_layers"),
        "n_embd": n_embd,
        "n_head": n_head,
        "n_head_kv": _int(cfg, "num_key_value_heads", n_head),
        "head_dim": head_dim,
        "n_ff": _int(cfg, "intermediate_size", 0),
        "n_vocab": _int(cfg, "vocab_size"),
        "n_ctx": _int(cfg, "max_position_embeddings", 4096),
        "tied_embeddings": bool(cfg.get("tie_word_embeddings", False)),
        "attn_bias": arch == "qwen2" or bool(cfg.get("attention_bias", False)),
        "name": name,
        "source": source,
    }
    if arch == "qwen3moe":
        common |= {
            "n_expert": _int(cfg, "num_experts"),
            "n_expert_used": _int(cfg, "num_experts_per_tok"),
            "n_ff_exp": _int(cfg, "moe_intermediate_size"),
        }
    elif arch == "gpt-oss":
        common |= {
            "n_expert": _int(cfg, "num_local_experts"),
            "n_expert_used": _int(cfg, "num_experts_per_tok", _int(cfg, "experts_per_token", 4)),
            "n_ff_exp": _int(cfg, "intermediate_size"),
            "n_ff": 0,
            "sliding_window": _int(cfg, "sliding_window", 128),
            "swa_pattern": 2,  # openai-moe.cpp: load_swa_pattern(ml, 2), even layers SWA
            "attn_bias": True,
        }
    elif arch == "gemma3":
        common |= {"sliding_window": _int(cfg, "sliding_window"), "swa_pattern": 6}
        common["tied_embeddings"] = True
    elif arch == "glm4moe":
        common |= _glm4moe(cfg, head_dim)
    elif arch == "deepseek2":
        rope = _int(cfg, "qk_rope_head_dim")
        common |= {
            "n_expert": _int(cfg, "n_routed_experts"),
            "n_expert_used": _int(cfg, "num_experts_per_tok"),
            "n_ff_exp": _int(cfg, "moe_intermediate_size"),
            "n_expert_shared": _int(cfg, "n_shared_experts", 0),
            "n_dense_lead": _int(cfg, "first_k_dense_replace", 0),
            "q_lora_rank": _int(cfg, "q_lora_rank", 0),
            "kv_lora_rank": _int(cfg, "kv_lora_rank"),
            "rope_dim": rope,
            "head_dim": _int(cfg, "qk_nope_head_dim") + rope,
            "head_dim_v": _int(cfg, "v_head_dim"),
            "n_head_kv": n_head,
            # DeepSeek-V2/V3's converter drops their MTP layer (skip_mtp); GLM-4.7-Flash's
            # keeps it (Glm4MoeLiteModel: block_count += num_nextn_predict_layers).
            "n_nextn": _int(cfg, "num_nextn_predict_layers", 0)
            if model_type == "glm4_moe_lite"
            else 0,
        }
    elif arch == "gemma4":
        common |= _gemma4(cfg, common["n_layer"], common["n_head_kv"])
    elif arch in ("qwen35", "qwen35moe", "qwen3next"):
        common |= _qwen35(cfg, arch)
    elif arch == "nemotron_h":
        common |= _nemotron_h(cfg)
        if common.get("n_expert"):  # conversion/nemotron.py: num_experts_per_tok -> the MoE arch
            common["arch"] = "nemotron_h_moe"
    h = Hparams(**common)
    h.check()
    return h


def _glm4moe(cfg: dict[str, Any], head_dim: int) -> dict[str, Any]:
    """GLM-4.5/4.6/4.7 (conversion/glm.py Glm4MoeModel): routed experts with a sigmoid-gated
    bias, shared experts n_ff_exp wide each, leading dense layers, partial RoPE, and the MTP
    layer kept as an extra block (block_count += num_nextn_predict_layers)."""
    rope = cfg.get("rope_parameters")
    if rope is not None and not isinstance(rope, dict):
        raise UserError(f"config.json: rope_parameters = {rope!r} is not an object")
    partial = cfg.get("partial_rotary_factor", (rope or {}).get("partial_rotary_factor", 0.5))
    if isinstance(partial, bool) or not isinstance(partial, (int, float)) or not 0 < partial <= 1:
        raise UserError(f"config.json: partial_rotary_factor = {partial!r} is not in (0, 1]")
    return {
        "n_expert": _int(cfg, "n_routed_experts"),
        "n_expert_used": _int(cfg, "num_experts_per_tok"),
        "n_ff_exp": _int(cfg, "moe_intermediate_size"),
        "n_expert_shared": _int(cfg, "n_shared_experts", 0),
        "n_dense_lead": _int(cfg, "first_k_dense_replace", 0),
        "n_nextn": _int(cfg, "num_nextn_predict_layers", 0),
        "qk_norm": bool(cfg.get("use_qk_norm", False)),
        "rope_dim": int(head_dim * partial),  # the converter's rope.dimension_count
    }


def _layer_types(cfg: dict[str, Any], n_layer: int) -> list[Any] | None:
    """``layer_types`` if the config has it, one entry per layer (the converters refuse any
    other length), else None."""
    kinds = cfg.get("layer_types")
    if kinds is None:
        return None
    if not isinstance(kinds, list) or len(kinds) != n_layer:
        n = len(kinds) if isinstance(kinds, list) else "no list of"
        raise UserError(
            f"config.json: layer_types has {n} entries for {n_layer} layers",
            hint="give the model's own config.json",
        )
    return kinds


def _gemma4(cfg: dict[str, Any], n_layer: int, n_head_kv: int) -> dict[str, Any]:
    """Gemma 4 (conversion/gemma.py Gemma4Model, transformers Gemma4TextConfig): layer_types
    (default: every 6th layer full, the last always), full layers global_head_dim wide with
    num_global_key_value_heads when attention_k_eq_v (else the window layers' count), the last
    num_kv_shared_layers on an earlier layer's KV, per-layer embeddings, and 26B-A4B's experts
    beside the dense MLP (enable_moe_block)."""
    kinds = _layer_types(cfg, n_layer)
    if kinds is not None:
        swa = tuple(k == "sliding_attention" for k in kinds)
    else:
        swa = tuple((il + 1) % 6 != 0 and il != n_layer - 1 for il in range(n_layer))
    full = dict(cfg)
    per_layer = cfg.get("per_layer_config")  # newer transformers fold the two keys in here
    if isinstance(per_layer, dict) and "global_head_dim" not in cfg:
        fulls = [v for k, v in per_layer.items() if re.fullmatch(r"[0-9]{1,6}", str(k))
                 and isinstance(v, dict) and int(k) < n_layer and not swa[int(k)]]  # fmt: skip
        first = fulls[0] if fulls else {}
        full |= {"global_head_dim": first.get("head_dim"),
                 "num_global_key_value_heads": first.get("num_key_value_heads")}  # fmt: skip
    k_eq_v = bool(cfg.get("attention_k_eq_v", False))
    out: dict[str, Any] = {
        "swa_layers": swa,
        "sliding_window": _int(cfg, "sliding_window"),
        "head_dim_global": _int(full, "global_head_dim", 512),
        "n_head_kv_global": _int(full, "num_global_key_value_heads", n_head_kv) if k_eq_v else 0,
        "k_eq_v": k_eq_v,
        "n_kv_shared": _int(cfg, "num_kv_shared_layers", 0),
        "n_embd_per_layer": _int(cfg, "hidden_size_per_layer_input", 0),
        "double_wide_shared": bool(cfg.get("use_double_wide_mlp", False)),
        "tied_embeddings": True,  # Gemma4ForConditionalGeneration ties them; no output.weight
    }
    if cfg.get("enable_moe_block"):
        out |= {
            "n_expert": _int(cfg, "num_experts"),
            "n_expert_used": _int(cfg, "top_k_experts"),
            "n_ff_exp": _int(cfg, "moe_intermediate_size"),
        }
    return out


def _qwen35(cfg: dict[str, Any], arch: str) -> dict[str, Any]:
    """Qwen3.5/3.6: gated delta net layers, every full_attention_interval-th one full attention
    (qwen35moe.cpp load_arch_hparams); the converter maps linear_* keys to ssm.* ones."""
    n_layer = _int(cfg, "num_hidden_layers")
    interval = _int(cfg, "full_attention_interval", 4)
    kinds = _layer_types(cfg, n_layer)
    if kinds is not None:
        recurrent = tuple(k == "linear_attention" for k in kinds)
    else:
        recurrent = tuple((il + 1) % max(interval, 1) != 0 for il in range(n_layer))
    heads_v, head_v = _int(cfg, "linear_num_value_heads"), _int(cfg, "linear_value_head_dim")
    out: dict[str, Any] = {
        "attn_gate": True,
        "recurrent": recurrent,
        "ssm_d_conv": _int(cfg, "linear_conv_kernel_dim", 4),
        "ssm_d_inner": heads_v * head_v,
        "ssm_d_state": _int(cfg, "linear_key_head_dim"),
        "ssm_dt_rank": heads_v,
        "ssm_n_group": _int(cfg, "linear_num_key_heads"),
    }
    if arch in ("qwen35moe", "qwen3next"):
        out |= {
            "n_expert": _int(cfg, "num_experts"),
            "n_expert_used": _int(cfg, "num_experts_per_tok"),
            "n_ff_exp": _int(cfg, "moe_intermediate_size"),
            "n_ff_shexp": _int(cfg, "shared_expert_intermediate_size", 0),
            "n_ff": 0,
        }
    return out


def _nemotron_h(cfg: dict[str, Any]) -> dict[str, Any]:
    """Nemotron-H: hybrid_override_pattern gives each layer: M Mamba-2, * attention, - MLP;
    the MoE models (Nemotron 3: num_experts_per_tok set) E for routed experts and a shared one
    instead of the MLP."""
    pattern = str(cfg.get("hybrid_override_pattern") or "")
    n_layer = _int(cfg, "num_hidden_layers")
    moe = cfg.get("num_experts_per_tok") is not None
    kinds = "M*E" if moe else "M*-"
    if len(pattern) != n_layer or set(pattern) - set(kinds):
        raise UserError(
            f"config.json: hybrid_override_pattern {pattern[:80]!r} does not give {n_layer} "
            f"layers of {', '.join(kinds)}",
            hint="give the model's own config.json",
        )
    if cfg.get("moe_latent_size"):
        raise UserError(
            "config.json: a latent MoE (moe_latent_size: Nemotron 3 Super) is not modelled yet",
            hint="a GGUF of it can still be planned from its tensor list",
        )
    heads, head_dim = _int(cfg, "mamba_num_heads"), _int(cfg, "mamba_head_dim")
    experts: dict[str, Any] = {}
    if moe:
        experts = {
            "n_expert": _int(cfg, "n_routed_experts"),
            "n_expert_used": _int(cfg, "num_experts_per_tok"),
            "n_ff_exp": _int(cfg, "moe_intermediate_size"),
            "n_ff_shexp": _int(cfg, "moe_shared_expert_intermediate_size"),
            "n_ff": 0,
        }
    return {
        **experts,
        "recurrent": tuple(k == "M" for k in pattern),
        "layer_kinds": pattern,
        "ssm_d_conv": _int(cfg, "conv_kernel", 4),
        "ssm_d_inner": heads * head_dim,
        "ssm_d_state": _int(cfg, "ssm_state_size"),
        "ssm_dt_rank": heads,
        "ssm_n_group": _int(cfg, "n_groups"),
    }


def read_config(path: Path) -> dict[str, Any]:
    """A local config.json, bounded and checked."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise UserError(
            f"cannot read {path}: {exc.strerror or exc}", hint="check the config.json path"
        ) from exc
    return parse_config(raw, str(path))


def parse_config(raw: bytes, label: str) -> dict[str, Any]:
    if len(raw) > MAX_CONFIG_BYTES:
        raise UserError(f"{label} is over {MAX_CONFIG_BYTES // 2**20} MiB: not a config.json")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        hint = "give a transformers config.json"
        raise UserError(f"{label} is not JSON: {exc}", hint=hint) from exc
    if not isinstance(data, dict):
        raise UserError(f"{label} is not a JSON object", hint="give a transformers config.json")
    return data
