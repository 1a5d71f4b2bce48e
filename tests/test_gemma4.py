"""Gemma 4 and Qwen3-Next as llama.cpp holds and runs them: KV caches against the sizes
llama.cpp's own logs print for the published models, the layers that share an earlier layer's
cache, the tables it looks rows up in, and the graph nodes a hybrid layer runs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import probe
from bench import MemConfig, RunConfig, resolve_model
from bench.model import SHAPES, spec_from_shape
from bench.model._published_configs import PUBLISHED as SHAPES_CONFIG
from bench.model._spec import model_spec_from_dict
from bench.predictor import predict_formula, predict_speed
from bench.predictor._efficiency import layer_node_weight
from probe import UserError

MIB = 2**20
Q8: dict[str, object] = {"type_k": "q8_0", "type_v": "q8_0"}


def kv_mib(shape: str, quant: str, **cfg: object) -> float:
    spec = spec_from_shape(shape, quant)
    return predict_formula(spec, MemConfig(n_gpu_layers=0, **cfg)).host.kv_bytes / MIB  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("shape", "cfg", "mib"),
    [
        # 31B (unsloth UD-Q5_K_XL, q8_0 cache): 'size = 10880.00 MiB (262144 cells, 10 layers)'
        # for the full layers, and the 50 window layers' pad(1024 + 512) cells beside them
        ("gemma-4-31b", Q8 | {"n_ctx": 262144}, 10880.0 + 50 * 1536 * 16 * 256 * 2 * 34 / 32 / MIB),
        # 26B-A4B (q8_0 cache): 2720.00 MiB (262144 cells, 5 layers) + 159.38 MiB (1536, 25)
        ("gemma-4-26b-a4b", Q8 | {"n_ctx": 262144}, 2720.0 + 159.375),
        # E4B (f16, 65536): 'MTL0 KV buffer size = 1024.00 MiB' (full) and 40.00 MiB (window):
        # the last 18 layers keep no cache of their own
        ("gemma-4-e4b", {"n_ctx": 65536}, 1024.0 + 40.0),
    ],
)  # fmt: skip
def test_kv_cache_matches_llama_cpp_logs(shape: str, cfg: dict[str, object], mib: float) -> None:
    """Log lines quoted in tests/fixtures/shapes/published.json's sources (llama.cpp's
    llama_kv_cache lines for the published GGUFs, read through the code search)."""
    assert kv_mib(shape, "Q4_K_M", **cfg) == pytest.approx(mib, abs=0.01)


def test_e2b_layers_after_the_fifteenth_read_an_earlier_cache() -> None:
    spec = spec_from_shape("gemma-4-e2b", "Q8_0")
    assert spec.n_layer_kv == 15 and spec.n_embd_per_layer == 256
    assert spec.n_ff[14] == 6144 and spec.n_ff[15] == 12288  # use_double_wide_mlp
    assert [spec.head_k(il) for il in (3, 4)] == [256, 512]  # window, full
    names = {t.name: t for t in spec.tensors}
    shared_k = names["blk.20.attn_k.weight"]
    assert not spec.is_run(shared_k) and spec.is_run(names["blk.14.attn_k.weight"])
    assert spec.is_run(names["blk.20.attn_q.weight"])  # it still queries layer 13's/14's cache
    # the per-layer embedding table: a host-side lookup, like token_embd
    table = names["per_layer_token_embd.weight"]
    assert table.shape == (35 * 256, 262144) and table.type == "Q8_0"


def test_per_layer_table_and_shared_projections_are_not_read_per_token() -> None:
    """A token reads one row of the per-layer table, and the KV-shared layers never run their
    K/V projections: removing both from the spec leaves generation's weight term as it was,
    though they are 0.8 GiB of E4B's 4.95."""
    spec = spec_from_shape("gemma-4-e4b", "Q4_K_M")
    host = probe.load_host("rtx4090")
    cfg = RunConfig(n_prompt=0, n_gen=128)
    idle = [t for t in spec.tensors if not spec.is_run(t) or t.name.startswith("per_layer_token")]
    assert sum(t.n_bytes for t in idle) > 0.8 * 2**30
    without = dataclasses.replace(spec, tensors=tuple(t for t in spec.tensors if t not in idle))
    full = predict_speed(spec, host, cfg).tg_terms_s["weights"]
    assert predict_speed(without, host, cfg).tg_terms_s["weights"] == pytest.approx(full)


def test_the_tied_table_is_held_twice_even_on_the_cpu() -> None:
    """gemma4.cpp creates the output (TENSOR_DUPLICATED) before tok_embd: two copies."""
    for shape, twice in (("gemma-4-31b", True), ("gemma-3-27b", False)):
        spec = spec_from_shape(shape, "Q4_K_M")
        table = next(t for t in spec.tensors if t.name == "token_embd.weight")
        host = predict_formula(spec, MemConfig(n_ctx=4096, n_gpu_layers=0)).host
        assert host.weights_bytes == spec.weight_bytes + (table.n_bytes if twice else 0)


def test_gemma4_config_reads_the_per_layer_form(tmp_path: Path) -> None:
    """Newer transformers fold global_head_dim and num_global_key_value_heads into
    per_layer_config; the converter reads the first full layer's entry."""
    cfg = {
        "model_type": "gemma4_text", "hidden_size": 512, "num_hidden_layers": 6,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 128,
        "intermediate_size": 1024, "attention_k_eq_v": True, "vocab_size": 4096,
        "hidden_size_per_layer_input": 0,
        "per_layer_config": {"5": {"head_dim": 256, "num_key_value_heads": 1}},
    }  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    (resolved,) = resolve_model(f"config:{path}:Q8_0")
    spec = resolved.spec
    assert spec.swa_layers == (True,) * 5 + (False,)  # the last layer is always full
    assert spec.head_k(5) == 256 and spec.head_k(0) == 128
    assert spec.n_head_kv == (2,) * 5 + (1,)
    assert "blk.5.attn_v.weight" not in {t.name for t in spec.tensors}  # V = K


def test_an_older_spec_reads_with_uniform_heads() -> None:
    spec = spec_from_shape("llama3-8b", "Q4_0")
    data = spec.to_dict()
    for key in ("head_dim_k_swa", "head_dim_v_swa", "n_layer_kv", "n_embd_per_layer"):
        data.pop(key)
    data["schema_version"] = 2
    old = model_spec_from_dict(data)
    assert old.schema_version == 3 and old.head_k(0) == 128 and old.has_kv(31)


def test_hybrid_layers_cost_their_graph_nodes() -> None:
    """A gated-delta-net model's layers run ~2x a llama layer's nodes: generation of the same
    bytes takes longer, and the overhead term says why."""
    assert layer_node_weight("llama", False, False) == 1.0
    assert layer_node_weight("qwen3next", True, False) > 2.4
    assert layer_node_weight("gemma4", True, False) > layer_node_weight("gemma4", False, False)
    assert layer_node_weight("some-new-arch", False, False) == 1.0
    host = probe.load_host("m4-max-128gb")
    cfg = RunConfig(n_prompt=0, n_gen=128)
    h = SHAPES["qwen3-next-80b-a3b"]
    nxt = predict_speed(spec_from_shape("qwen3-next-80b-a3b", "Q4_K_M"), host, cfg)
    # the same tensors called a Qwen3-30B-style MoE: fewer nodes per layer
    as_moe = dataclasses.replace(
        spec_from_shape("qwen3-next-80b-a3b", "Q4_K_M"), architecture="qwen3moe"
    )
    plain = predict_speed(as_moe, host, cfg)
    assert h.n_layer == 48
    assert nxt.tg_terms_s["overhead"] > 1.9 * plain.tg_terms_s["overhead"]
    assert nxt.tg_tokens_per_s < plain.tg_tokens_per_s


def test_a_per_layer_table_over_4_gib_stays_in_the_file() -> None:
    """--lazy-mode auto (llama.cpp's default) reads a per-layer table over 4 GiB row by row
    from the mapped file: E4B's is 5.25 GiB at BF16 (not resident), 2.79 GiB at Q8_0 (resident)."""
    for quant, lazy in (("BF16", True), ("Q8_0", False)):
        spec = spec_from_shape("gemma-4-e4b", quant)
        table = next(t for t in spec.tensors if t.name == "per_layer_token_embd.weight")
        tied = next(t for t in spec.tensors if t.name == "token_embd.weight")
        host = predict_formula(spec, MemConfig(n_ctx=4096, n_gpu_layers=0)).host
        resident = spec.weight_bytes + tied.n_bytes - (table.n_bytes if lazy else 0)
        assert host.weights_bytes == resident
        assert (table.n_bytes > 4 << 30) == lazy


def test_an_integrated_gpu_keeps_the_whole_table_resident() -> None:
    """--lazy-mode auto turns itself off when a device cannot map files: integrated GPUs under
    Vulkan or CUDA/HIP (Strix Halo, DGX Spark); Apple's Metal maps them."""
    from bench.predictor._memory import Device

    spec = spec_from_shape("gemma-4-e4b", "BF16")
    table = next(t for t in spec.tensors if t.name == "per_layer_token_embd.weight")
    cfg = MemConfig(n_ctx=4096)

    def total(backend: str) -> int:
        gpu = Device("apu", backend, None, unified=True)
        return sum(d.weights_bytes for d in predict_formula(spec, cfg, [gpu]).devices)

    assert total("vulkan") - total("metal") == table.n_bytes


def test_a_stored_spec_from_before_gemma4_was_modelled_is_refused() -> None:
    """A schema-2 spec of a GGUF of gemma4 kept no window heads or shared KV: refused in one
    line rather than planned as if every layer were a full one."""
    data = spec_from_shape("gemma-4-e4b", "Q4_K_M").to_dict()
    for key in ("head_dim_k_swa", "head_dim_v_swa", "n_layer_kv", "n_embd_per_layer"):
        data.pop(key)
    data["schema_version"] = 2
    with pytest.raises(UserError, match="predates rigbench's model"):
        model_spec_from_dict(data)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"layer_types": ["sliding_attention"] * 5}, "layer_types has 5 entries for 6 layers"),
        ({"per_layer_config": {"²": {"head_dim": 256}}}, None),  # not a layer: ignored
        ({"hidden_size_per_layer_input": None}, None),
    ],
)
def test_gemma4_configs_are_read_as_the_converter_reads_them(
    tmp_path: Path, extra: dict[str, object], words: str | None
) -> None:
    cfg = {
        "model_type": "gemma4_text", "hidden_size": 512, "num_hidden_layers": 6,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 128,
        "intermediate_size": 1024, "vocab_size": 4096, **extra,
    }  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    if words:
        with pytest.raises(UserError, match=words):
            resolve_model(f"config:{path}:Q8_0")
        return
    (resolved,) = resolve_model(f"config:{path}:Q8_0")
    assert resolved.spec.n_embd_per_layer == (0 if "hidden_size_per_layer_input" in extra else 256)


def test_a_latent_moe_nemotron_is_refused_in_one_line(tmp_path: Path) -> None:
    cfg = dict(SHAPES_CONFIG["nemotron-3-nano-30b-a3b"][0], moe_latent_size=1024)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    with pytest.raises(UserError, match="latent MoE"):
        resolve_model(f"config:{path}:Q4_K_M")


def test_the_per_layer_projection_lives_with_layer_0() -> None:
    """llama.cpp creates per_layer_model_proj with layer 0's buffer (LAYER_REPEATING, bid 0):
    with the last layers offloaded it stays in host memory, not with the output layer."""
    from bench.predictor._memory import Device, home_layer

    spec = spec_from_shape("gemma-4-e4b", "Q8_0")
    proj = next(t for t in spec.tensors if t.name == "per_layer_model_proj.weight")
    rope = next(t for t in spec.tensors if t.name == "rope_freqs.weight")
    assert home_layer(spec, proj) == 0 and home_layer(spec, rope) == 5  # the first full layer
    gpu = Device("gpu", "cuda", None)
    host = predict_formula(spec, MemConfig(n_ctx=4096, n_gpu_layers=41), [gpu]).host
    on_host = (
        "token_embd.",
        "per_layer_token_embd.",
        "per_layer_model_proj.",
        "per_layer_proj_norm.",
    )
    expected = sum(
        t.n_bytes for t in spec.tensors if t.layer in (0, 1) or t.name.startswith(on_host)
    )
    assert host.weights_bytes == expected  # layers 0-1 (-ngl 41 of 43) and the input tables
