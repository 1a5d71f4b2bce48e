"""Published models by shape: the tensors llama.cpp would load and the types its quantizer (or the
model's uploaders) give them, checked against the sizes of published GGUF files."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import probe
from bench import MemConfig, RunConfig, plan, predict, resolve_model
from bench.cli import cli
from bench.localhub import LocalHub
from bench.model import SHAPES, spec_from_shape
from bench.predictor import budget, predict_formula, predict_speed
from probe import UserError

FIXTURE = json.loads((Path(__file__).parent / "fixtures/shapes/published.json").read_text())
# Quant names llama-quantize writes by rule; unsloth's UD-* (dynamic) and Google's QAT files
# choose tensor types by their own recipes, which no rule reproduces.
RULED = ("F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q4_K_M", "Q4_K_S", "Q3_K_M")
RULED += ("Q3_K_S", "Q2_K", "Q4_0", "MXFP4")


# unsloth's Qwen3.5 K-quant and MXFP4_MOE files keep some tensors above llama-quantize's
# defaults (computed sizes 2.4-8.4 % under theirs); their Q8_0, Q6_K, Q3_K_S and BF16 follow
# the rules (within 1.2 %).
RECIPE = {("unsloth/Qwen3.5-35B-A3B-GGUF", q) for q in ("Q3_K_M", "Q4_K_S", "Q4_K_M", "Q5_K_S")}
RECIPE |= {("unsloth/Qwen3.5-35B-A3B-GGUF", q) for q in ("Q5_K_M", "MXFP4_MOE")}


def published_files() -> list[dict[str, object]]:
    return [
        f
        for f in FIXTURE["gguf_files"]
        if f.get("size_bytes") and f["model"] in SHAPES
        and str(f["quant"]).replace("MXFP4_MOE", "MXFP4") in RULED
        and "qat" not in str(f["file"]) and (f["repo"], f["quant"]) not in RECIPE
    ]  # fmt: skip


def test_a_dozen_published_files_are_checked() -> None:
    files = published_files()
    assert len(files) >= 12
    assert {f["model"] for f in files} >= {"gpt-oss-20b", "gpt-oss-120b", "qwen3-30b-a3b"}
    assert {f["model"] for f in files} >= {"qwen3.5-35b-a3b", "qwen3.5-27b"}


@pytest.mark.parametrize(
    "f", published_files(), ids=lambda f: f"{f['repo']}/{f['file']}".replace("/", "_")
)
def test_computed_size_is_within_3_percent_of_the_published_file(f: dict[str, object]) -> None:
    spec = spec_from_shape(str(f["model"]), str(f["quant"]).replace("MXFP4_MOE", "MXFP4"))
    size = int(str(f["size_bytes"]))
    # The file also holds its header (tokenizer, metadata: 1-15 MB), so it is a little larger.
    assert spec.weight_bytes == pytest.approx(size, rel=0.03)
    assert spec.weight_bytes < size


def test_gpt_oss_is_laid_out_as_llama_cpp_loads_it() -> None:
    spec = spec_from_shape("gpt-oss-20b", "Q4_K_M")
    names = {t.name: t for t in spec.tensors}
    assert spec.architecture == "gpt-oss" and spec.n_layer == 24 and spec.n_expert == 32
    for name in ("blk.0.attn_sinks.weight", "blk.0.attn_q.bias", "blk.0.attn_output.bias"):
        assert names[name].type == "F32"
    assert names["blk.0.ffn_down_exps.weight"].type == "MXFP4"  # experts stay MXFP4
    assert names["blk.5.attn_q.weight"].type == "Q5_0"  # Q4_K falls back: 2880 % 256 != 0
    assert names["output.weight"].type == "Q8_0"  # Q6_K falls back
    assert spec.swa_layers[:4] == (True, False, True, False) and spec.sliding_window == 128


def test_sliding_window_layers_keep_a_window_of_cache() -> None:
    spec = spec_from_shape("gpt-oss-20b", "MXFP4")
    kv = [predict_formula(spec, MemConfig(n_ctx=c)).host.kv_bytes for c in (4096, 32768)]
    # 12 global layers grow with the context; 12 SWA layers keep 128 + ubatch cells.
    per_cell = 12 * 8 * 64 * 2 * 2  # layers x KV heads x head dim x (K, V) x f16
    assert kv[1] - kv[0] == (32768 - 4096) * per_cell


def test_mla_caches_the_latent() -> None:
    spec = spec_from_shape("deepseek-v3", "Q4_K_M")
    kv = predict_formula(spec, MemConfig(n_ctx=4096, n_gpu_layers=0)).host.kv_bytes
    assert kv == 61 * 4096 * (512 + 64) * 2  # layers x cells x (kv_lora_rank + rope) x f16
    assert spec.n_ff_shexp == 2048 and sum(1 for t in spec.tensors if "_exps" in t.name) == 58 * 3


GLM = [
    f
    for f in FIXTURE["gguf_files"]
    if "tensor_bytes_gib" in f or str(f["model"]).startswith("glm-")
]


@pytest.mark.parametrize("f", GLM, ids=lambda f: f"{f['model']}-{f['quant']}-{f['repo'][:8]}")
def test_glm_shapes_match_published_sizes_and_parameter_counts(f: dict[str, object]) -> None:
    """llama-bench prints the file's tensor bytes (GiB, two decimals) and parameter count,
    the NextN block included; ollama's tags print whole GB of the merged unsloth files."""
    spec = spec_from_shape(str(f["model"]), str(f["quant"]))
    if "tensor_bytes_gib" in f:
        assert spec.weight_bytes / 2**30 == pytest.approx(f["tensor_bytes_gib"], rel=0.012)
        assert spec.n_params / 1e9 == pytest.approx(f["params_b"], abs=0.005)
    else:
        gb = float(str(f["size_text"]).removesuffix("GB"))
        assert abs(spec.weight_bytes / 1e9 - gb) <= 0.5 + 0.005 * gb


def test_glm_nextn_block_is_in_the_file_but_not_in_memory_or_speed() -> None:
    """GLM-4.5-Air: block 46 is the MTP layer; llama.cpp skips its tensors (TENSOR_SKIP) and
    keeps no KV cache for it, and the graph never runs it."""
    spec = spec_from_shape("glm-4.5-air", "Q4_K_M")
    names = {t.name for t in spec.tensors}
    assert spec.architecture == "glm4moe" and spec.n_layer == 47 and spec.n_layer_nextn == 1
    assert {"blk.46.nextn.eh_proj.weight", "blk.46.nextn.shared_head_head.weight"} <= names
    assert "blk.0.ffn_up.weight" in names and "blk.1.ffn_up_exps.weight" in names  # 1 dense
    assert "blk.1.ffn_up_shexp.weight" in names and "blk.1.exp_probs_b.bias" in names
    assert "blk.0.attn_q.bias" in names and "blk.0.attn_q_norm.weight" not in names
    big = spec_from_shape("glm-4.5", "Q8_0")  # GLM-4.5 has q/k norms (use_qk_norm), Air not
    assert "blk.0.attn_q_norm.weight" in {t.name for t in big.tensors}
    nextn = sum(t.n_bytes for t in spec.tensors if t.layer == 46)
    assert spec.loaded_weight_bytes == spec.weight_bytes - nextn
    mem = predict_formula(spec, MemConfig(n_ctx=4096, n_gpu_layers=0)).host
    assert mem.weights_bytes == spec.loaded_weight_bytes
    assert mem.kv_bytes == 46 * 4096 * 8 * 128 * 2 * 2  # trunk layers x cells x K+V f16
    host = probe.load_host("ryzen-ai-max-395-128gb")
    trunk = dataclasses.replace(
        spec,
        n_layer=46,
        tensors=tuple(t for t in spec.tensors if t.layer != 46),
        metadata={**spec.metadata, "glm4moe.nextn_predict_layers": 0},
    )
    a, b = (predict_speed(s, host, RunConfig(n_gpu_layers=0)) for s in (spec, trunk))
    assert a.tg_tokens_per_s == pytest.approx(b.tg_tokens_per_s, rel=1e-9)


def test_glm_47_flash_is_deepseek2_mla() -> None:
    spec = spec_from_shape("glm-4.7-flash", "IQ4_XS")
    assert spec.architecture == "deepseek2" and spec.n_layer == 47 and spec.kv_lora_rank == 512
    assert spec.n_ff_shexp == 1536 and spec.n_layer_nextn == 0


def test_config_json_from_a_path_and_from_the_hub(tmp_path: Path, hub: LocalHub) -> None:
    cfg = next(m["config"] for m in FIXTURE["models"] if m["name"] == "gpt-oss-120b")
    (tmp_path / "gpt-oss-120b").mkdir()
    path = tmp_path / "gpt-oss-120b" / "config.json"
    path.write_text(json.dumps(cfg))
    hub.add_repo("openai-twin/gpt-oss-120b", {"config.json": json.dumps(cfg)})
    (local,) = resolve_model(f"config:{path}:MXFP4")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_ENDPOINT", hub.url)
        (remote,) = resolve_model("config:openai-twin/gpt-oss-120b:MXFP4")
    shape = spec_from_shape("gpt-oss-120b", "MXFP4")
    assert local.spec.weight_bytes == remote.spec.weight_bytes == shape.weight_bytes
    assert remote.label == "config:openai-twin/gpt-oss-120b:MXFP4"


@pytest.mark.parametrize(
    ("config", "words"),
    [
        (
            {
                "model_type": "qwen3_next",
                "hidden_size": 2048,
                "num_hidden_layers": 4,
                "num_attention_heads": 16,
                "vocab_size": 300,
            },
            "linear_num_value_heads = None is not a count",
        ),
        (
            {
                "model_type": "gemma4_text",
                "hidden_size": 64,
                "num_hidden_layers": 4,
                "num_attention_heads": 2,
                "num_key_value_heads": 1,
                "num_kv_shared_layers": 3,
            },
            "KV-shared layers need a window layer then a full layer",
        ),
        (
            {
                "model_type": "nemotron_h",
                "hidden_size": 64,
                "num_hidden_layers": 2,
                "num_attention_heads": 2,
                "vocab_size": 300,
                "hybrid_override_pattern": "MX",
            },
            "hybrid_override_pattern 'MX'",
        ),
        ({"model_type": "bert"}, "unknown model_type 'bert'"),
        ({"model_type": "llama", "hidden_size": "big"}, "hidden_size = 'big' is not a count"),
    ],
)
def test_unmodelled_configs_say_so(tmp_path: Path, config: dict[str, object], words: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    with pytest.raises(UserError, match=words):
        resolve_model(f"config:{path}")


# -- the seeds' scenarios ---------------------------------------------------------------------


def test_gpt_oss_20b_on_a_12_gb_card_keeps_some_experts_on_the_cpu() -> None:
    """llama-server -hf ggml-org/gpt-oss-20b-GGUF --n-cpu-moe 12 -c 32768 on an RTX 3060."""
    host = probe.load_host("rtx3060-12gb")
    r = plan("shape:gpt-oss-20b:MXFP4", host, [32768], MemConfig())
    fit = r.quants[0].contexts[0].fit
    assert fit.verdict == "partial" and fit.cfg.n_gpu_layers == -1
    assert 1 <= fit.cfg.n_cpu_moe <= 12  # the seeds' 12 leaves room to spare
    gpu = fit.prediction.devices[1]
    assert gpu.total_bytes <= budget(host).gpus[0].budget_bytes  # type: ignore[operator]


def test_gpt_oss_20b_fits_a_16_gb_mac_and_120b_a_128_gb_apu() -> None:
    """A 16 GB Mac lets Metal wire about 2/3 of its RAM by default: the 12.1 GB model runs with
    a few layers' experts in CPU-mapped memory of the same unified RAM (or all of it on the
    GPU after raising iogpu.wired_limit_mb)."""
    mac = plan("shape:gpt-oss-20b:MXFP4", probe.load_host("mac-mini-m4-16gb"), [8192], MemConfig())
    fit = mac.quants[0].contexts[0].fit
    assert fit.verdict == "partial" and 1 <= fit.cfg.n_cpu_moe <= 4
    assert sum(d.total_bytes for d in fit.prediction.devices) < 14 * 2**30
    for machine in ("ryzen-ai-max-395-128gb", "dgx-spark"):
        big = plan("shape:gpt-oss-120b:MXFP4", probe.load_host(machine), [32768], MemConfig())
        assert big.quants[0].contexts[0].fit.verdict == "gpu", machine


def test_full_precision_gpt_oss_120b_is_not_params_times_two() -> None:
    """The seeds' rule says 117B x 2 bytes = 234 GB (+20 %): the F16 GGUF keeps the experts
    MXFP4 and needs about 65 GB, so one H100 80 GB holds it with room for context."""
    r = plan("shape:gpt-oss-120b:F16", probe.load_host("h100"), [32768], MemConfig())
    q = r.quants[0]
    assert q.rule_of_thumb_bytes > 3.5 * q.size_bytes
    assert 60e9 < q.size_bytes < 70e9 and q.contexts[0].fit.verdict == "gpu"


def test_predict_cli_for_the_headline_model() -> None:
    args = ["predict", "-m", "shape:gpt-oss-20b:MXFP4", "--hardware", "rtx3060-12gb"]
    res = CliRunner().invoke(cli, [*args, "--format", "json"], catch_exceptions=False)
    (model,) = json.loads(res.stdout)["models"]
    assert model["model"]["architecture"] == "gpt-oss" and model["notes"]
    (r,) = predict("shape:gpt-oss-20b:MXFP4", probe.load_host("rtx4090"), [model_cfg()])
    assert r.notes == ()


def model_cfg():  # type: ignore[no-untyped-def]
    from bench import RunConfig

    return RunConfig()


def test_the_qwen35_ladder_on_a_24_gb_card() -> None:
    """Which quants of Qwen3.5-35B-A3B fit an RTX 4090 whole, as the Hub's hardware panel
    asks: the 4-bit ones do, with room for a long context (30 of 40 layers keep no KV cache);
    6- and 8-bit need experts on the CPU."""
    host = probe.load_host("rtx4090")
    verdicts = {}
    for q in ("Q3_K_M", "Q4_K_M", "Q6_K", "Q8_0"):
        r = plan(f"shape:qwen3.5-35b-a3b:{q}", host, [32768], MemConfig())
        verdicts[q] = r.quants[0].contexts[0].fit.verdict
    assert verdicts == {"Q3_K_M": "gpu", "Q4_K_M": "gpu", "Q6_K": "partial", "Q8_0": "partial"}
    spec = spec_from_shape("qwen3.5-35b-a3b", "Q4_K_M")
    kv = predict_formula(spec, MemConfig(n_ctx=262144, n_gpu_layers=0)).host.kv_bytes
    assert kv < 6 * 2**30  # 10 attention layers x 2 KV heads x 256: 5 GiB at 262k, plus state
