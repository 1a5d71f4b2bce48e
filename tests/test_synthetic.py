"""Synthetic GGUF models: shapes, types, sizes, numerics, caching, bad specs."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.model import (
    SynthSpec,
    parse_params,
    spec_for_params,
    split_gguf,
    synthesize,
    tensor_shapes,
)
from probe import UserError

TINY = SynthSpec(
    n_layer=3, n_embd=256, n_head=4, n_head_kv=2, n_ff=768, n_vocab=2048, n_ctx=1024, quant="Q4_K_M"
)
TINY_MOE = dataclasses.replace(
    TINY, arch="qwen3moe", n_ff=0, n_expert=4, n_expert_used=2, n_ff_exp=256
)


def read(path: Path):  # type: ignore[no-untyped-def]
    import gguf

    return gguf.GGUFReader(str(path))


def test_shapes_and_types_match_the_spec() -> None:
    result = synthesize(TINY)
    r = read(result.path)
    shapes = {t.name: tuple(int(x) for x in reversed(t.shape.tolist())) for t in r.tensors}
    assert shapes == {name: shape for name, shape, _ in tensor_shapes(TINY)}
    types = {t.name: t.tensor_type.name for t in r.tensors}
    assert types["blk.0.attn_norm.weight"] == "F32"
    assert types["blk.0.ffn_gate.weight"] in ("Q4_K", "Q5_K", "Q6_K")  # Q4_K_M mixes these
    assert types["output.weight"] == "Q6_K"
    fields = {
        k: r.fields[k].contents()
        for k in ("llama.block_count", "llama.embedding_length", "llama.attention.head_count_kv")
    }
    assert fields == {
        "llama.block_count": 3,
        "llama.embedding_length": 256,
        "llama.attention.head_count_kv": 2,
    }


def test_moe_shapes_and_active_params() -> None:
    r = read(synthesize(TINY_MOE).path)
    names = {t.name: tuple(int(x) for x in reversed(t.shape.tolist())) for t in r.tensors}
    assert names["blk.0.ffn_gate_exps.weight"] == (4, 256, 256)
    assert names["blk.0.ffn_gate_inp.weight"] == (4, 256)
    assert r.fields["qwen3moe.expert_count"].contents() == 4
    assert r.fields["qwen3moe.expert_used_count"].contents() == 2
    experts = 3 * 3 * 4 * 256 * 256  # layers x (gate, up, down) x experts x ff x embd
    assert TINY_MOE.n_params() - TINY_MOE.n_active_params() == experts // 2


def test_weights_are_numerically_sane() -> None:
    r = read(synthesize(dataclasses.replace(TINY, quant="F16")).path)
    for t in r.tensors:
        data = np.asarray(t.data).astype(np.float32)
        assert np.isfinite(data).all(), t.name
        nonzero = np.abs(data[data != 0])
        assert (nonzero >= 6.1e-5).all(), f"denormal F16 in {t.name}"  # F16's smallest normal


def test_files_are_cached_by_spec() -> None:
    first = synthesize(TINY)
    again = synthesize(TINY)
    assert again.cached and again.path == first.path
    other = synthesize(dataclasses.replace(TINY, seed=1))
    assert other.path != first.path


def test_output_path_gets_the_file(tmp_path: Path) -> None:
    out = tmp_path / "models" / "m.gguf"
    result = synthesize(TINY, out)
    assert result.path == out and out.read_bytes()[:4] == b"GGUF"


@pytest.mark.parametrize(
    ("params", "arch"), [("250M", "llama"), ("7B", "llama"), ("500M", "qwen3moe")]
)
def test_spec_for_params_lands_near_the_target(params: str, arch: str) -> None:
    spec = spec_for_params(parse_params(params), arch=arch)
    assert abs(spec.n_params() / parse_params(params) - 1) < 0.1
    assert spec.n_embd % 256 == 0 and spec.n_embd % spec.n_head == 0


def test_seven_b_looks_like_llama_2() -> None:
    spec = spec_for_params(7_000_000_000)
    assert (spec.n_embd, spec.head_dim) == (4096, 128) and 30 <= spec.n_layer <= 40


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"n_head": 7}, "n_head 7 does not divide n_embd 256"),
        ({"n_layer": 0}, "n_layer must be positive"),
        ({"quant": "Q9_Z"}, "unknown quant type 'Q9_Z'"),
        ({"n_head_kv": 3}, "n_head_kv 3 does not divide n_head 4"),
        ({"arch": "gpt9"}, "unknown arch 'gpt9'"),
    ],
)
def test_impossible_specs_name_the_bad_value(change: dict, words: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(UserError, match=words):
        synthesize(dataclasses.replace(TINY, **change))


def test_cli_bad_shape_is_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.cli", "synth", "--embd", "1000", "--heads", "16"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == "error: n_head 16 does not divide n_embd 1000"


def test_split_shards_load_in_llama_cpp(tmp_path: Path) -> None:
    shards = split_gguf(synthesize(TINY).path, tmp_path / "m.gguf", 2)
    assert [p.name for p in shards] == ["m-00001-of-00002.gguf", "m-00002-of-00002.gguf"]
    first, second = read(shards[0]), read(shards[1])
    assert len(first.tensors) + len(second.tensors) == len(tensor_shapes(TINY))
    assert second.fields["split.no"].contents() == 1
    code = (
        "import llama_cpp; "
        f"m = llama_cpp.Llama(model_path={str(shards[0])!r}, n_ctx=64, verbose=False); "
        "print(m.n_vocab())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "2048", done.stderr[-500:]
