"""The memory predictor: formula terms, placement rules, and both engines against llama.cpp."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from bench import MemConfig, ModelSpec
from bench.model import SynthSpec, TensorSpec, load_local, spec_from_shape, synthesize
from bench.predictor import (
    Device,
    kv_bytes_per_layer,
    layer_devices,
    parse_breakdown,
    parse_load_log,
    predict_exact,
    predict_formula,
)
from probe.errors import UserError

DENSE = SynthSpec(
    n_layer=8,
    n_embd=512,
    n_head=8,
    n_head_kv=2,
    n_ff=1536,
    n_vocab=32000,
    n_ctx=32768,
    quant="Q4_K_M",
)
MOE = SynthSpec(
    arch="qwen3moe",
    n_layer=6,
    n_embd=768,
    n_head=12,
    n_head_kv=4,
    n_ff=0,
    n_expert=8,
    n_expert_used=2,
    n_ff_exp=768,
    n_vocab=32000,
    n_ctx=32768,
    quant="Q8_0",
)
SHARED = SynthSpec(
    arch="qwen2moe",
    n_layer=4,
    n_embd=512,
    n_head=8,
    n_head_kv=8,
    n_ff=0,
    n_expert=8,
    n_expert_used=2,
    n_ff_exp=512,
    n_ff_shexp=1024,
    n_vocab=32000,
    n_ctx=32768,
    quant="Q5_K_M",
)
KV_IDS = {"f16": 1, "q8_0": 8}  # ggml_type ids llama-cpp-python takes for type_k / type_v
GRID = [
    MemConfig(n_ctx=1024, flash_attn=False),
    MemConfig(n_ctx=4096, flash_attn=False),
    MemConfig(n_ctx=16384),
    MemConfig(n_ctx=2048),
    MemConfig(n_ctx=4096, type_k="q8_0", type_v="q8_0"),
    MemConfig(n_ctx=8192, type_k="q4_0", type_v="q4_0"),
    MemConfig(n_ctx=4096, n_ubatch=256, n_batch=1024, flash_attn=False),
]

MIB = 1024 * 1024


def fake_spec(n_layer: int = 4, **kw: object) -> ModelSpec:
    base: dict[str, object] = dict(
        architecture="llama",
        name=None,
        n_layer=n_layer,
        n_embd=4096,
        n_head=(32,) * n_layer,
        n_head_kv=(8,) * n_layer,
        head_dim_k=128,
        head_dim_v=128,
        n_ff=(14336,) * n_layer,
        n_vocab=128256,
        n_ctx_train=131072,
        n_expert=0,
        n_expert_used=0,
        n_ff_exp=0,
        n_ff_shexp=0,
        sliding_window=0,
        swa_layers=(False,) * n_layer,
        kv_lora_rank=0,
        file_type="Q4_K_M",
        tensors=(),
        files=(),
    )
    base.update(kw)
    return ModelSpec(**base)  # type: ignore[arg-type]


def test_kv_bytes_gqa() -> None:
    # Llama 3 8B: 8 KV heads x 128 dims, f16 K and V, 8192 cells: 32 MiB per layer.
    spec = fake_spec()
    assert kv_bytes_per_layer(spec, MemConfig(n_ctx=8192), 0) == 8192 * 2 * 8 * 128 * 2
    q8 = kv_bytes_per_layer(spec, MemConfig(n_ctx=8192, type_k="q8_0", type_v="q8_0"), 0)
    assert q8 == 8192 * 2 * 8 * 128 * 34 // 32
    # The context is padded to a multiple of 256 cells.
    assert kv_bytes_per_layer(spec, MemConfig(n_ctx=8000), 0) == kv_bytes_per_layer(
        spec, MemConfig(n_ctx=8192), 0
    )


def test_kv_bytes_sliding_window_and_mla() -> None:
    spec = fake_spec(sliding_window=128, swa_layers=(True, False, True, False))
    cfg = MemConfig(n_ctx=32768, n_ubatch=512)
    assert kv_bytes_per_layer(spec, cfg, 0) == 768 * 2 * 8 * 128 * 2  # pad(128 + 512, 256)
    assert kv_bytes_per_layer(spec, cfg, 1) == 32768 * 2 * 8 * 128 * 2
    assert kv_bytes_per_layer(spec, dataclasses.replace(cfg, swa_full=True), 0) == (
        kv_bytes_per_layer(spec, cfg, 1)
    )
    mla = fake_spec(kv_lora_rank=512, metadata={"llama.rope.dimension_count": 64})
    assert kv_bytes_per_layer(mla, MemConfig(n_ctx=4096), 0) == 4096 * (512 + 64) * 2


def test_layer_placement_follows_ngl() -> None:
    spec = fake_spec(n_layer=4)
    gpu = [Device("gpu0", "cuda", 10)]
    assert layer_devices(spec, MemConfig(n_gpu_layers=0), gpu) == [0, 0, 0, 0, 0]
    assert layer_devices(spec, MemConfig(n_gpu_layers=1), gpu) == [0, 0, 0, 0, 1]  # output only
    assert layer_devices(spec, MemConfig(n_gpu_layers=3), gpu) == [0, 0, 1, 1, 1]
    assert layer_devices(spec, MemConfig(n_gpu_layers=-1), gpu) == [1, 1, 1, 1, 1]
    two = [Device("a", "cuda", 30), Device("b", "cuda", 10)]
    # 3:1 by memory over 5 layers (with the output): llama.cpp cuts at 0.75 of the run.
    assert layer_devices(spec, MemConfig(), two) == [1, 1, 1, 1, 2]


def _tensors(spec: ModelSpec, moe: bool = False) -> tuple[TensorSpec, ...]:
    ts = [
        TensorSpec("token_embd.weight", "Q4_K", (4096, 100), 1000, 0),
        TensorSpec("output.weight", "Q6_K", (4096, 100), 2000, 0),
    ]
    for il in range(spec.n_layer):
        ts.append(TensorSpec(f"blk.{il}.attn_q.weight", "Q4_K", (4096, 4096), 100, 0))
        if moe:
            ts.append(TensorSpec(f"blk.{il}.ffn_up_exps.weight", "Q4_K", (4096, 8, 8), 10, 0))
    return tuple(ts)


def test_weights_go_where_llama_cpp_puts_them() -> None:
    spec = fake_spec(n_layer=4)
    spec = dataclasses.replace(
        spec, tensors=_tensors(spec, moe=True), n_expert=8, n_expert_used=2, n_ff_exp=8
    )
    gpu = [Device("gpu0", "cuda", 1 << 40)]
    full = predict_formula(spec, MemConfig(n_ctx=256), gpu)
    assert full.host.weights_bytes == 1000  # token_embd stays on the CPU
    assert full.devices[1].weights_bytes == 2000 + 4 * 110
    moe = predict_formula(spec, MemConfig(n_ctx=256, n_cpu_moe=3), gpu)
    assert moe.host.weights_bytes == 1000 + 3 * 10  # --n-cpu-moe 3: three layers' experts
    assert moe.devices[1].overhead_bytes == 400 * MIB
    nkvo = predict_formula(spec, MemConfig(n_ctx=256, no_kv_offload=True), gpu)
    assert nkvo.devices[1].kv_bytes == 0 and nkvo.host.kv_bytes == full.devices[1].kv_bytes


def test_a_gpu_holding_the_output_holds_a_tied_table_too() -> None:
    # no output.weight: llama.cpp makes the head from token_embd (TENSOR_DUPLICATED), a copy in
    # the output layer's buffer; the CPU keeps the input table for the lookup
    spec = fake_spec(n_layer=4)
    tied = dataclasses.replace(
        spec, tensors=tuple(t for t in _tensors(spec) if t.name != "output.weight")
    )
    assert tied.ties_output and not dataclasses.replace(spec, tensors=_tensors(spec)).ties_output
    gpu = [Device("gpu0", "cuda", 1 << 40)]
    full = predict_formula(tied, MemConfig(n_ctx=256), gpu)
    assert full.host.weights_bytes == 1000 and full.devices[1].weights_bytes == 1000 + 4 * 100
    cpu_only = predict_formula(tied, MemConfig(n_ctx=256, n_gpu_layers=0), gpu)
    assert cpu_only.host.weights_bytes == 1000 + 4 * 100  # one buffer: one copy


def test_breakdown_table_of_a_gpu_run() -> None:
    text = (
        "llama_memory_breakdown_print: | memory breakdown [MiB] | total   free     self   model"
        "   context   compute    unaccounted |\n"
        "llama_memory_breakdown_print: |   - CUDA0 (RTX 4090)   | 24077 =  945 + (19187 = 17904"
        " +     384 +     898) +        3945 |\n"
        "llama_memory_breakdown_print: |   - Host               |                 58271 = 58259"
        " +       0 +      12                |\n"
    )
    assert parse_breakdown(text) == {"CUDA0 (RTX 4090)": (17904, 384, 898), "Host": (58259, 0, 12)}


HOST_ROW = "common_memory_breakdown_print: |   - Host   |   92 =   24 +   4 +   64   |"
REPACK_ROW = "common_memory_breakdown_print: |   - CPU_REPACK |   11 =   11 +   0 +   0   |"
COMPUTE_LINE = "llama_context:        CPU compute buffer size =    64.00 MiB"


def cutting_fit_params(tmp_path: Path, cut_runs: int) -> Path:
    """A llama-fit-params whose first ``cut_runs`` runs lose the log after the Host row, as
    llama.cpp's logging thread does about once in 50 exits."""
    script = tmp_path / "llama-fit-params"
    script.write_text(
        "#!/bin/sh\n"
        f"n=$(cat {tmp_path}/runs 2>/dev/null || echo 0); echo $((n + 1)) > {tmp_path}/runs\n"
        f"echo '{HOST_ROW}' >&2\n"
        f"[ \"$n\" -ge {cut_runs} ] && echo '{REPACK_ROW}' >&2 && echo '{COMPUTE_LINE}' >&2\n"
        "exit 0\n"
    )
    script.chmod(0o755)
    return script


def test_a_table_cut_between_rows_is_run_again(tmp_path: Path) -> None:
    fake = cutting_fit_params(tmp_path, cut_runs=2)
    got = predict_exact(fake, tmp_path / "m.gguf", MemConfig(n_ctx=1024), weight_bytes=35 * MIB)
    assert got.host.weights_bytes == 35 * MIB  # 24 in Host + 11 repacked, not the cut 24
    assert (tmp_path / "runs").read_text().strip() == "3"


def test_a_table_always_cut_is_one_clear_error(tmp_path: Path) -> None:
    fake = cutting_fit_params(tmp_path, cut_runs=99)
    with pytest.raises(UserError, match="llama-fit-params cut its table 12 times"):
        predict_exact(fake, tmp_path / "m.gguf", MemConfig(n_ctx=1024), weight_bytes=35 * MIB)
    # without the weights to check against, the Host row alone is taken as it stands
    assert predict_exact(fake, tmp_path / "m.gguf", MemConfig()).host.weights_bytes == 24 * MIB


@pytest.fixture(scope="module")
def fit_params(llama_bench: Path) -> Path:
    return llama_bench.parent / "llama-fit-params"


@pytest.fixture(scope="module")
def llama_bench(session_env: pytest.MonkeyPatch) -> Path:  # module-scoped twin of conftest's
    from tests.conftest import REAL_LLAMA_BENCH

    if REAL_LLAMA_BENCH is None:
        pytest.fail("llama-bench is not built: run `make install`")
    return Path(REAL_LLAMA_BENCH)


@pytest.mark.parametrize("model", [DENSE, MOE, SHARED], ids=["dense", "moe", "moe-shared"])
def test_formula_within_5_percent_of_llama_cpp_dry_run(model: SynthSpec, fit_params: Path) -> None:
    path = synthesize(model).path
    spec = load_local(path)
    worst = 0.0
    for cfg in GRID:
        got = predict_exact(fit_params, path, cfg, weight_bytes=spec.weight_bytes)
        exact = got.host.total_bytes
        formula = predict_formula(spec, cfg).host.total_bytes
        err = abs(formula / exact - 1)
        worst = max(worst, err)
        assert err < 0.05, (cfg, formula / MIB, exact / MIB)
    print(f"{model.arch}: worst formula-vs-exact error {worst:.2%}")


@pytest.mark.parametrize(
    "cfg",
    [
        MemConfig(n_ctx=4096),
        MemConfig(n_ctx=2048, flash_attn=False),
        MemConfig(n_ctx=8192, type_k="q8_0", type_v="q8_0"),
    ],
)
def test_exact_matches_a_real_load_within_1_percent(cfg: MemConfig, fit_params: Path) -> None:
    path = synthesize(DENSE).path
    exact = predict_exact(fit_params, path, cfg, weight_bytes=load_local(path).weight_bytes).host
    code = (
        "import llama_cpp, sys\n"
        f"llama_cpp.Llama(model_path={str(path)!r}, n_ctx={cfg.n_ctx}, n_batch={cfg.n_batch}, "
        f"n_ubatch={cfg.n_ubatch}, flash_attn={cfg.flash_attn}, use_mmap=False, "
        f"type_k={KV_IDS[cfg.type_k]}, type_v={KV_IDS[cfg.type_v]}, "
        "verbose=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-500:]
    real = parse_load_log(done.stderr)
    assert real.kv_bytes == exact.kv_bytes
    assert abs(real.compute_bytes - exact.compute_bytes) <= 0.02 * MIB
    assert abs(real.total_bytes / exact.total_bytes - 1) < 0.01


def test_a_cut_table_falls_back_to_the_compact_rows_on_stdout(tmp_path: Path) -> None:
    """llama.cpp's logger loses the table on a busy machine; --fit-print's own stdout rows
    (printf, never cut) still give the context and compute, the weights being all on the host."""
    script = tmp_path / "llama-fit-params"
    script.write_text(
        "#!/bin/sh\n"
        "echo 'llama_kv_cache: size =   52.00 MiB (  4096 cells,  26 layers)' >&2\n"
        "echo 'Host 24 52 14 '\n"  # the table itself never arrives
        "exit 0\n"
    )
    script.chmod(0o755)
    got = predict_exact(script, tmp_path / "m.gguf", MemConfig(n_ctx=4096), weight_bytes=35 * MIB)
    assert got.host.weights_bytes == 35 * MIB  # the host holds every tensor
    assert got.host.kv_bytes == 52 * MIB and got.host.compute_bytes == 14 * MIB


def test_a_log_that_lost_the_compute_line_is_run_again(tmp_path: Path) -> None:
    # The table can survive while the sharper "CPU compute buffer size" line is cut: the table's
    # whole MiB would read 64 where llama.cpp allocates 64.5.
    script = tmp_path / "llama-fit-params"
    script.write_text(
        "#!/bin/sh\n"
        f"n=$(cat {tmp_path}/runs 2>/dev/null || echo 0); echo $((n + 1)) > {tmp_path}/runs\n"
        f"echo '{HOST_ROW}' >&2\necho '{REPACK_ROW}' >&2\n"
        f"[ \"$n\" -ge 1 ] && echo '{COMPUTE_LINE.replace('64.00', '64.50')}' >&2\n"
        "exit 0\n"
    )
    script.chmod(0o755)
    got = predict_exact(script, tmp_path / "m.gguf", MemConfig(n_ctx=1024), weight_bytes=35 * MIB)
    assert got.host.compute_bytes == int(64.5 * MIB)
    assert (tmp_path / "runs").read_text().strip() == "2"


def test_nemotron_h_feed_forward_layers_keep_no_cache() -> None:
    """Nemotron-H caches K and V only in its attention layers (llama-model.cpp create_memory:
    filter_attn keeps layers that are neither recurrent nor feed-forward), so a feed-forward
    layer adds nothing, with or without flash attention's transposed V; its six attention
    layers and 23 Mamba-2 states are the whole cache."""
    nemo = spec_from_shape("nemotron-3-nano-30b-a3b", "IQ4_XS")
    for fa in (True, False):
        cfg = MemConfig(n_ctx=32768, flash_attn=fa)
        per = [kv_bytes_per_layer(nemo, cfg, il) for il in range(nemo.n_layer)]
        ffn = [
            il for il in range(nemo.n_layer) if not nemo.is_recurrent(il) and not nemo.n_head_kv[il]
        ]
        attn = [il for il in range(nemo.n_layer) if nemo.n_head_kv[il]]
        assert len(ffn) == 23 and len(attn) == 6
        assert all(per[il] == 0 for il in ffn)
        width = nemo.n_head_kv[attn[0]] * (nemo.head_k(attn[0]) + nemo.head_v(attn[0])) * 2
        assert per[attn[0]] == 32768 * width
        assert all(
            per[il] == nemo.recurrent_state_bytes
            for il in range(nemo.n_layer)
            if nemo.is_recurrent(il)
        )
