"""The published models rigbench knows by name (``shape:NAME:QUANT``): each one's
``config.json`` keys that fix tensors, cache and compute, with its address on the Hub. Where no
verbatim copy could be read, the entry says where each value was read instead (llama.cpp's GGUF
metadata and load logs, the vendor's own training recipes); tests/fixtures/shapes/published.json
checks the computed sizes and parameter counts against the published GGUF files.
"""

from __future__ import annotations

from typing import Any

HF = "https://huggingface.co"
# name -> (config.json keys, its address on the Hub). Older names (llama2-7b, llama3-8b …) stay
# for stored results and tests that use them.
PUBLISHED: dict[str, tuple[dict[str, Any], str]] = {
    "gpt-oss-20b": (
        {"model_type": "gpt_oss", "hidden_size": 2880, "num_hidden_layers": 24,
         "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64,
         "intermediate_size": 2880, "num_local_experts": 32, "num_experts_per_tok": 4,
         "vocab_size": 201088, "max_position_embeddings": 131072, "sliding_window": 128},
        f"{HF}/openai/gpt-oss-20b/blob/main/config.json",
    ),
    "gpt-oss-120b": (
        {"model_type": "gpt_oss", "hidden_size": 2880, "num_hidden_layers": 36,
         "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64,
         "intermediate_size": 2880, "num_local_experts": 128, "num_experts_per_tok": 4,
         "vocab_size": 201088, "max_position_embeddings": 131072, "sliding_window": 128},
        f"{HF}/openai/gpt-oss-120b/blob/main/config.json",
    ),
    "qwen3-30b-a3b": (
        {"model_type": "qwen3_moe", "hidden_size": 2048, "num_hidden_layers": 48,
         "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128,
         "intermediate_size": 6144, "moe_intermediate_size": 768, "num_experts": 128,
         "num_experts_per_tok": 8, "vocab_size": 151936, "max_position_embeddings": 40960,
         "tie_word_embeddings": False},
        f"{HF}/Qwen/Qwen3-30B-A3B/blob/main/config.json",
    ),
    "gemma-3-27b": (
        {"model_type": "gemma3_text", "hidden_size": 5376, "num_hidden_layers": 62,
         "num_attention_heads": 32, "num_key_value_heads": 16, "head_dim": 128,
         "intermediate_size": 21504, "sliding_window": 1024, "vocab_size": 262208},
        f"{HF}/google/gemma-3-27b-it/blob/main/config.json (text_config)",
    ),
    "gemma-3-4b": (
        {"model_type": "gemma3_text", "hidden_size": 2560, "num_hidden_layers": 34,
         "intermediate_size": 10240, "sliding_window": 1024},
        f"{HF}/google/gemma-3-4b-it/blob/main/config.json (text_config; heads 8, KV heads 4, "
        "head_dim 256 and vocab 262208 are Gemma3TextConfig defaults)",
    ),
    # Gemma 4: no verbatim config.json could be read here; every key below is in llama.cpp's
    # load logs of the published GGUFs (print_info / GGUF metadata) and in transcriptions of
    # the configs, cross-checked in tests/fixtures/shapes/published.json.
    "gemma-4-31b": (
        {"model_type": "gemma4_text", "hidden_size": 5376, "num_hidden_layers": 60,
         "num_attention_heads": 32, "num_key_value_heads": 16, "num_global_key_value_heads": 4,
         "head_dim": 256, "global_head_dim": 512, "attention_k_eq_v": True,
         "intermediate_size": 21504, "sliding_window": 1024, "hidden_size_per_layer_input": 0,
         "vocab_size": 262144, "max_position_embeddings": 262144},
        f"{HF}/google/gemma-4-31B-it/blob/main/config.json (text_config; read from llama.cpp "
        "logs: kyuz0/amd-strix-halo-toolboxes issue 89, llama.cpp PR 21760)",
    ),
    "gemma-4-26b-a4b": (
        {"model_type": "gemma4_text", "hidden_size": 2816, "num_hidden_layers": 30,
         "num_attention_heads": 16, "num_key_value_heads": 8, "num_global_key_value_heads": 2,
         "head_dim": 256, "global_head_dim": 512, "attention_k_eq_v": True,
         "intermediate_size": 2112, "enable_moe_block": True, "num_experts": 128,
         "top_k_experts": 8, "moe_intermediate_size": 704, "sliding_window": 1024,
         "hidden_size_per_layer_input": 0, "vocab_size": 262144,
         "max_position_embeddings": 262144},
        f"{HF}/google/gemma-4-26B-A4B-it/blob/main/config.json (text_config; KV heads from "
        "llama.cpp's KV lines, koboldcpp issue 2262)",
    ),
    "gemma-4-e4b": (
        {"model_type": "gemma4_text", "hidden_size": 2560, "num_hidden_layers": 42,
         "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 256,
         "global_head_dim": 512, "intermediate_size": 10240, "num_kv_shared_layers": 18,
         "hidden_size_per_layer_input": 256, "sliding_window": 512, "vocab_size": 262144,
         "max_position_embeddings": 131072},
        f"{HF}/google/gemma-4-E4B-it/blob/main/config.json (text_config; llama.cpp issue "
        "21730's print_info, ollama issue 18123's GGUF keys)",
    ),
    "gemma-4-e2b": (
        {"model_type": "gemma4_text", "hidden_size": 1536, "num_hidden_layers": 35,
         "num_attention_heads": 8, "num_key_value_heads": 1, "head_dim": 256,
         "global_head_dim": 512, "intermediate_size": 6144, "use_double_wide_mlp": True,
         "num_kv_shared_layers": 20, "hidden_size_per_layer_input": 256,
         "layer_types": (["sliding_attention"] * 4 + ["full_attention"]) * 7,
         "sliding_window": 512, "vocab_size": 262144, "max_position_embeddings": 131072},
        f"{HF}/google/gemma-4-E2B-it/blob/main/config.json (text_config; an unsloth Q4_K_M "
        "load log: n_ff 6144 x15 then 12288 x20, full layers 4, 9 .. 34)",
    ),
    "deepseek-v3": (
        {"model_type": "deepseek_v3", "hidden_size": 7168, "num_hidden_layers": 61,
         "num_attention_heads": 128, "num_key_value_heads": 128, "intermediate_size": 18432,
         "moe_intermediate_size": 2048, "n_routed_experts": 256, "n_shared_experts": 1,
         "num_experts_per_tok": 8, "first_k_dense_replace": 3, "kv_lora_rank": 512,
         "q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
         "v_head_dim": 128, "vocab_size": 129280, "max_position_embeddings": 163840},
        f"{HF}/deepseek-ai/DeepSeek-V3/blob/main/config.json",
    ),
    "glm-4.5-air": (
        {"model_type": "glm4_moe", "hidden_size": 4096, "num_hidden_layers": 46,
         "num_attention_heads": 96, "num_key_value_heads": 8, "head_dim": 128,
         "partial_rotary_factor": 0.5, "intermediate_size": 10944,
         "moe_intermediate_size": 1408, "n_routed_experts": 128, "n_shared_experts": 1,
         "num_experts_per_tok": 8, "first_k_dense_replace": 1, "num_nextn_predict_layers": 1,
         "attention_bias": True, "use_qk_norm": False, "vocab_size": 151552,
         "max_position_embeddings": 131072, "tie_word_embeddings": False},
        f"{HF}/zai-org/GLM-4.5-Air/blob/main/config.json",
    ),
    "glm-4.5": (
        {"model_type": "glm4_moe", "hidden_size": 5120, "num_hidden_layers": 92,
         "num_attention_heads": 96, "num_key_value_heads": 8, "head_dim": 128,
         "partial_rotary_factor": 0.5, "intermediate_size": 12288,
         "moe_intermediate_size": 1536, "n_routed_experts": 160, "n_shared_experts": 1,
         "num_experts_per_tok": 8, "first_k_dense_replace": 3, "num_nextn_predict_layers": 1,
         "attention_bias": True, "use_qk_norm": True, "vocab_size": 151552,
         "max_position_embeddings": 131072, "tie_word_embeddings": False},
        f"{HF}/zai-org/GLM-4.5/blob/main/config.json (GLM-4.6 and 4.7 share every key but "
        "max_position_embeddings 202752)",
    ),
    "glm-4.7-flash": (
        {"model_type": "glm4_moe_lite", "hidden_size": 2048, "num_hidden_layers": 47,
         "num_attention_heads": 20, "num_key_value_heads": 20, "intermediate_size": 10240,
         "moe_intermediate_size": 1536, "n_routed_experts": 64, "n_shared_experts": 1,
         "num_experts_per_tok": 4, "first_k_dense_replace": 1,
         "q_lora_rank": 768, "kv_lora_rank": 512, "qk_nope_head_dim": 192,
         "qk_rope_head_dim": 64, "v_head_dim": 256, "vocab_size": 154880,
         "max_position_embeddings": 202752, "tie_word_embeddings": False},
        f"{HF}/zai-org/GLM-4.7-Flash/blob/main/config.json (num_nextn_predict_layers 1 left out:"
        " the GGUFs published in January 2026 hold no NextN block, 29.94 B params in llama-bench)",
    ),
    "qwen3.5-35b-a3b": (
        {"model_type": "qwen3_5_moe_text", "hidden_size": 2048, "num_hidden_layers": 40,
         "num_attention_heads": 16, "num_key_value_heads": 2, "head_dim": 256,
         "moe_intermediate_size": 512, "shared_expert_intermediate_size": 512,
         "num_experts": 256, "num_experts_per_tok": 8, "full_attention_interval": 4,
         "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_num_key_heads": 16,
         "linear_num_value_heads": 32, "linear_value_head_dim": 128, "vocab_size": 248320,
         "max_position_embeddings": 262144, "tie_word_embeddings": False},
        f"{HF}/Qwen/Qwen3.5-35B-A3B/blob/main/config.json (text_config)",
    ),
    "qwen3-next-80b-a3b": (
        {"model_type": "qwen3_next", "hidden_size": 2048, "num_hidden_layers": 48,
         "num_attention_heads": 16, "num_key_value_heads": 2, "head_dim": 256,
         "intermediate_size": 5120, "moe_intermediate_size": 512,
         "shared_expert_intermediate_size": 512, "num_experts": 512, "num_experts_per_tok": 10,
         "full_attention_interval": 4, "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128,
         "linear_num_key_heads": 16, "linear_num_value_heads": 32, "linear_value_head_dim": 128,
         "vocab_size": 151936, "max_position_embeddings": 262144, "tie_word_embeddings": False},
        f"{HF}/Qwen/Qwen3-Next-80B-A3B-Instruct/blob/main/config.json (read from llama.cpp's "
        "GGUF keys in llama.cpp issue 17578 and print_info in PR 16095; vocab and untied head "
        "from transformers' Qwen3NextConfig; Qwen3-Coder-Next has the same shape)",
    ),
    "qwen3.5-27b": (
        {"model_type": "qwen3_5_text", "hidden_size": 5120, "num_hidden_layers": 64,
         "num_attention_heads": 24, "num_key_value_heads": 4, "head_dim": 256,
         "intermediate_size": 17408, "full_attention_interval": 4, "linear_conv_kernel_dim": 4,
         "linear_key_head_dim": 128, "linear_num_key_heads": 16, "linear_num_value_heads": 48,
         "linear_value_head_dim": 128, "vocab_size": 248320, "max_position_embeddings": 262144,
         "tie_word_embeddings": False},
        f"{HF}/Qwen/Qwen3.5-27B/blob/main/config.json (text_config)",
    ),
    "qwen3.5-397b-a17b": (
        {"model_type": "qwen3_5_moe_text", "hidden_size": 4096, "num_hidden_layers": 60,
         "num_attention_heads": 32, "num_key_value_heads": 2, "head_dim": 256,
         "moe_intermediate_size": 1024, "shared_expert_intermediate_size": 1024,
         "num_experts": 512, "num_experts_per_tok": 10, "full_attention_interval": 4,
         "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_num_key_heads": 16,
         "linear_num_value_heads": 64, "linear_value_head_dim": 128, "vocab_size": 248320,
         "max_position_embeddings": 262144, "tie_word_embeddings": False},
        f"{HF}/Qwen/Qwen3.5-397B-A17B/blob/main/config.json (text_config; the copy in "
        "ai-dynamo/aiconfigurator model_configs, PR 410)",
    ),
    "qwen3.5-122b-a10b": (
        {"model_type": "qwen3_5_moe_text", "hidden_size": 3072, "num_hidden_layers": 48,
         "num_attention_heads": 32, "num_key_value_heads": 2, "head_dim": 256,
         "moe_intermediate_size": 1024, "shared_expert_intermediate_size": 1024,
         "num_experts": 256, "num_experts_per_tok": 8, "full_attention_interval": 4,
         "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_num_key_heads": 16,
         "linear_num_value_heads": 64, "linear_value_head_dim": 128, "vocab_size": 248320,
         "max_position_embeddings": 262144, "tie_word_embeddings": False},
        f"{HF}/Qwen/Qwen3.5-122B-A10B/blob/main/config.json (text_config; no copy read: the "
        "model card's sizes, and the linear-attention heads and untied head the only ones that "
        "give llama-bench's 122.11 B parameters, as the 397B's)",
    ),
    "qwen3.5-9b": (
        {"model_type": "qwen3_5_text", "hidden_size": 4096, "num_hidden_layers": 32,
         "num_attention_heads": 16, "num_key_value_heads": 4, "head_dim": 256,
         "intermediate_size": 12288, "full_attention_interval": 4, "linear_conv_kernel_dim": 4,
         "linear_key_head_dim": 128, "linear_num_key_heads": 16, "linear_num_value_heads": 32,
         "linear_value_head_dim": 128, "vocab_size": 248320, "max_position_embeddings": 262144,
         "tie_word_embeddings": False},
        f"{HF}/Qwen/Qwen3.5-9B/blob/main/config.json (text_config; GGUF keys in ollama issue "
        "16685, the model card; untied: llama-bench's 8.95 B parameters)",
    ),
    "qwen3.5-4b": (
        {"model_type": "qwen3_5_text", "hidden_size": 2560, "num_hidden_layers": 32,
         "num_attention_heads": 16, "num_key_value_heads": 4, "head_dim": 256,
         "intermediate_size": 9216, "full_attention_interval": 4, "linear_conv_kernel_dim": 4,
         "linear_key_head_dim": 128, "linear_num_key_heads": 16, "linear_num_value_heads": 32,
         "linear_value_head_dim": 128, "vocab_size": 248320, "max_position_embeddings": 262144,
         "tie_word_embeddings": True},
        f"{HF}/Qwen/Qwen3.5-4B/blob/main/config.json (text_config; GGUF keys and tensor shapes "
        "in quantumaikr/quant.cpp issue 94, the model card)",
    ),
    "qwen3.5-0.8b": (
        {"model_type": "qwen3_5_text", "hidden_size": 1024, "num_hidden_layers": 24,
         "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 256,
         "intermediate_size": 3584, "full_attention_interval": 4, "linear_conv_kernel_dim": 4,
         "linear_key_head_dim": 128, "linear_num_key_heads": 16, "linear_num_value_heads": 16,
         "linear_value_head_dim": 128, "vocab_size": 248320, "max_position_embeddings": 262144,
         "tie_word_embeddings": True},
        f"{HF}/Qwen/Qwen3.5-0.8B/blob/main/config.json (text_config; transcribed in "
        "cpehle/tyr Tyr/Model/Qwen35/Config.lean; llama-bench prints 752.39 M parameters)",
    ),
    "qwen3-8b": (
        {"model_type": "qwen3", "hidden_size": 4096, "num_hidden_layers": 36,
         "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
         "intermediate_size": 12288, "vocab_size": 151936, "max_position_embeddings": 40960,
         "tie_word_embeddings": False},
        f"{HF}/Qwen/Qwen3-8B/blob/main/config.json (the copy in citsjtu2020/LLM-Prof "
        "sglang/Model_Config.md)",
    ),
    "qwen3-14b": (
        {"model_type": "qwen3", "hidden_size": 5120, "num_hidden_layers": 40,
         "num_attention_heads": 40, "num_key_value_heads": 8, "head_dim": 128,
         "intermediate_size": 17408, "vocab_size": 151936, "max_position_embeddings": 40960,
         "tie_word_embeddings": False},
        f"{HF}/Qwen/Qwen3-14B/blob/main/config.json (the copy in citsjtu2020/LLM-Prof "
        "sglang/Model_Config.md)",
    ),
    "qwen3-32b": (
        {"model_type": "qwen3", "hidden_size": 5120, "num_hidden_layers": 64,
         "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 128,
         "intermediate_size": 25600, "vocab_size": 151936, "max_position_embeddings": 40960,
         "tie_word_embeddings": False},
        f"{HF}/Qwen/Qwen3-32B/blob/main/config.json (the copy in citsjtu2020/LLM-Prof "
        "sglang/Model_Config.md)",
    ),
    "qwen3-235b-a22b": (
        {"model_type": "qwen3_moe", "hidden_size": 4096, "num_hidden_layers": 94,
         "num_attention_heads": 64, "num_key_value_heads": 4, "head_dim": 128,
         "intermediate_size": 12288, "moe_intermediate_size": 1536, "num_experts": 128,
         "num_experts_per_tok": 8, "vocab_size": 151936, "max_position_embeddings": 40960,
         "tie_word_embeddings": False},
        f"{HF}/Qwen/Qwen3-235B-A22B/blob/main/config.json (no copy read: THUDM/slime's "
        "Megatron arguments converted from it; max_position_embeddings as Qwen3-30B-A3B's)",
    ),
    "nemotron-3-nano-30b-a3b": (
        {"model_type": "nemotron_h", "hidden_size": 2688, "num_hidden_layers": 52,
         "num_attention_heads": 32, "num_key_value_heads": 2, "head_dim": 128,
         "hybrid_override_pattern": "MEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEMEM*EMEMEMEME",
         "mamba_num_heads": 64, "mamba_head_dim": 64, "n_groups": 8, "ssm_state_size": 128,
         "conv_kernel": 4, "n_routed_experts": 128, "num_experts_per_tok": 6,
         "moe_intermediate_size": 1856, "moe_shared_expert_intermediate_size": 3712,
         "vocab_size": 131072, "max_position_embeddings": 262144,
         "tie_word_embeddings": False},
        f"{HF}/nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16/blob/main/config.json (no copy read: "
        "NVIDIA's Megatron-LM recipe and Megatron-Bridge Nemotron3NanoProvider, GGUF keys in "
        "llama.cpp issue 20570 and lmstudio-bug-tracker issue 1365)",
    ),
    "nemotron-nano-9b-v2": (
        {"model_type": "nemotron_h", "hidden_size": 4480, "num_hidden_layers": 56,
         "num_attention_heads": 40, "num_key_value_heads": 8, "head_dim": 128,
         "intermediate_size": 15680,
         "hybrid_override_pattern": "M-M-M-MM-M-M-M*-M-M-M*-M-M-M-M*-M-M-M-M*-M-MM-M-M-M-M-M-",
         "mamba_num_heads": 128, "mamba_head_dim": 80, "n_groups": 8, "ssm_state_size": 128,
         "conv_kernel": 4, "vocab_size": 131072, "max_position_embeddings": 131072},
        f"{HF}/nvidia/NVIDIA-Nemotron-Nano-9B-v2/blob/main/config.json",
    ),
    "llama-3.1-8b": (
        {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32,
         "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
         "vocab_size": 128256, "max_position_embeddings": 131072},
        f"{HF}/meta-llama/Llama-3.1-8B/blob/main/config.json",
    ),
    "llama-3.1-70b": (
        {"model_type": "llama", "hidden_size": 8192, "num_hidden_layers": 80,
         "num_attention_heads": 64, "num_key_value_heads": 8, "intermediate_size": 28672,
         "vocab_size": 128256, "max_position_embeddings": 131072},
        f"{HF}/meta-llama/Llama-3.1-70B/blob/main/config.json",
    ),
    "llama-3.2-3b": (
        {"model_type": "llama", "hidden_size": 3072, "num_hidden_layers": 28,
         "num_attention_heads": 24, "num_key_value_heads": 8, "head_dim": 128,
         "intermediate_size": 8192, "vocab_size": 128256, "max_position_embeddings": 131072,
         "tie_word_embeddings": True},
        f"{HF}/meta-llama/Llama-3.2-3B/blob/main/config.json",
    ),
    "mistral-7b-v0.3": (
        {"model_type": "mistral", "hidden_size": 4096, "num_hidden_layers": 32,
         "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
         "vocab_size": 32768, "max_position_embeddings": 32768},
        f"{HF}/mistralai/Mistral-7B-v0.3/blob/main/config.json",
    ),
    "qwen2.5-7b": (
        {"model_type": "qwen2", "hidden_size": 3584, "num_hidden_layers": 28,
         "num_attention_heads": 28, "num_key_value_heads": 4, "intermediate_size": 18944,
         "vocab_size": 152064, "max_position_embeddings": 131072},
        f"{HF}/Qwen/Qwen2.5-7B/blob/main/config.json",
    ),
    "qwen2.5-14b": (
        {"model_type": "qwen2", "hidden_size": 5120, "num_hidden_layers": 48,
         "num_attention_heads": 40, "num_key_value_heads": 8, "intermediate_size": 13824,
         "vocab_size": 152064, "max_position_embeddings": 131072},
        f"{HF}/Qwen/Qwen2.5-14B/blob/main/config.json",
    ),
    "llama2-7b": (
        {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32,
         "num_attention_heads": 32, "num_key_value_heads": 32, "intermediate_size": 11008,
         "vocab_size": 32000, "max_position_embeddings": 4096},
        f"{HF}/meta-llama/Llama-2-7b-hf/blob/main/config.json",
    ),
    "llama3-8b": (
        {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32,
         "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
         "vocab_size": 128256, "max_position_embeddings": 8192},
        f"{HF}/meta-llama/Meta-Llama-3-8B/blob/main/config.json",
    ),
    "llama3-70b": (
        {"model_type": "llama", "hidden_size": 8192, "num_hidden_layers": 80,
         "num_attention_heads": 64, "num_key_value_heads": 8, "intermediate_size": 28672,
         "vocab_size": 128256, "max_position_embeddings": 8192},
        f"{HF}/meta-llama/Meta-Llama-3-70B/blob/main/config.json",
    ),
    "llama2-13b": (
        {"model_type": "llama", "hidden_size": 5120, "num_hidden_layers": 40,
         "num_attention_heads": 40, "num_key_value_heads": 40, "intermediate_size": 13824,
         "vocab_size": 32000, "max_position_embeddings": 4096},
        f"{HF}/meta-llama/Llama-2-13b-hf/blob/main/config.json",
    ),
    "tinyllama-1.1b": (
        {"model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 22,
         "num_attention_heads": 32, "num_key_value_heads": 4, "intermediate_size": 5632,
         "vocab_size": 32000, "max_position_embeddings": 2048},
        f"{HF}/TinyLlama/TinyLlama-1.1B-intermediate-step-480k-1T/blob/main/config.json",
    ),
    "llama-3.2-1b": (
        {"model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 16,
         "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64,
         "intermediate_size": 8192, "vocab_size": 128256, "max_position_embeddings": 131072,
         "tie_word_embeddings": True},
        f"{HF}/meta-llama/Llama-3.2-1B/blob/main/config.json",
    ),
    "qwen3-4b": (
        {"model_type": "qwen3", "hidden_size": 2560, "num_hidden_layers": 36,
         "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
         "intermediate_size": 9728, "vocab_size": 151936, "max_position_embeddings": 40960,
         "tie_word_embeddings": True},
        f"{HF}/Qwen/Qwen3-4B/blob/main/config.json",
    ),
    "deepseek-r1-distill-qwen-1.5b": (
        {"model_type": "qwen2", "hidden_size": 1536, "num_hidden_layers": 28,
         "num_attention_heads": 12, "num_key_value_heads": 2, "intermediate_size": 8960,
         "vocab_size": 151936, "max_position_embeddings": 131072,
         "tie_word_embeddings": False},
        f"{HF}/deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B/blob/main/config.json",
    ),
    "deepseek-v2-lite": (
        {"model_type": "deepseek_v2", "hidden_size": 2048, "num_hidden_layers": 27,
         "num_attention_heads": 16, "num_key_value_heads": 16, "intermediate_size": 10944,
         "moe_intermediate_size": 1408, "n_routed_experts": 64, "n_shared_experts": 2,
         "num_experts_per_tok": 6, "first_k_dense_replace": 1, "kv_lora_rank": 512,
         "q_lora_rank": None, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
         "v_head_dim": 128, "vocab_size": 102400, "max_position_embeddings": 163840},
        f"{HF}/deepseek-ai/DeepSeek-V2-Lite/blob/main/config.json",
    ),
}  # fmt: skip
