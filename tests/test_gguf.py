"""The GGUF header reader: agreement with the gguf package and llama.cpp, hostile input, fuzz."""

from __future__ import annotations

import contextlib
import dataclasses
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.model import (
    GGUFError,
    SynthSpec,
    load_local,
    model_spec,
    read_header,
    read_local,
    split_gguf,
    synthesize,
)

SPEC = SynthSpec(
    n_layer=3, n_embd=256, n_head=4, n_head_kv=2, n_ff=768, n_vocab=2048, n_ctx=2048, quant="Q4_K_M"
)
MOE = dataclasses.replace(SPEC, arch="qwen3moe", n_ff=0, n_expert=4, n_expert_used=2, n_ff_exp=256)


@pytest.fixture(scope="module")
def model(session_env: pytest.MonkeyPatch) -> Path:
    return synthesize(SPEC).path


def test_agrees_with_the_gguf_package(model: Path) -> None:
    import gguf

    h = read_local(model)
    ref = gguf.GGUFReader(str(model))
    assert [t.name for t in h.tensors] == [t.name for t in ref.tensors]
    assert [h.data_offset + t.offset for t in h.tensors] == [t.data_offset for t in ref.tensors]
    assert [t.n_bytes for t in h.tensors] == [int(t.n_bytes) for t in ref.tensors]
    assert h.metadata["llama.block_count"] == 3
    assert len(h.metadata["tokenizer.ggml.tokens"]) == 2048


def test_model_spec_hyperparameters(model: Path) -> None:
    s = load_local(model)
    assert (s.architecture, s.n_layer, s.n_embd, s.n_vocab, s.n_ctx_train) == (
        "llama",
        3,
        256,
        2048,
        2048,
    )
    assert s.n_head == (4, 4, 4) and s.n_head_kv == (2, 2, 2) and s.head_dim_k == 64
    assert s.n_params == SPEC.n_params() and s.quant == "Q4_K_M" and s.file_type == "Q4_K_M"
    assert s.metadata["tokenizer.ggml.tokens"] == "<array of 2048 str>"


def test_moe_spec(session_env: pytest.MonkeyPatch) -> None:
    s = load_local(synthesize(MOE).path)
    assert (s.n_expert, s.n_expert_used, s.n_ff_exp, s.is_moe) == (4, 2, 256, True)
    assert sum(t.is_expert for t in s.tensors) == 3 * 3


def test_split_model_is_read_across_all_shards(model: Path, tmp_path: Path) -> None:
    shards = split_gguf(model, tmp_path / "m.gguf", 2)
    whole, split = load_local(model), load_local(shards[1])  # any shard names the set
    assert [t.name for t in split.tensors] == [t.name for t in whole.tensors]
    assert {t.shard for t in split.tensors} == {0, 1}
    assert [f.name for f in split.files] == [p.name for p in shards]
    assert split.weight_bytes == whole.weight_bytes
    shards[1].unlink()
    with pytest.raises(Exception, match=r"missing m-00002-of-00002\.gguf"):
        load_local(shards[0])


def test_reads_only_the_header(model: Path) -> None:
    data = model.read_bytes()
    got = []

    def fetch(off: int, n: int) -> bytes:
        got.append(n)
        return data[off : off + n]

    h = read_header(fetch, len(data), "m", first_chunk=16 * 1024)
    assert sum(got) < h.data_offset + 64 * 1024 < len(data)


def _header(*kvs: bytes, n_tensors: int = 0, tail: bytes = b"", version: int = 3) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, n_tensors, len(kvs)) + b"".join(kvs) + tail


def _kv_str(key: str, value: bytes, declared: int | None = None) -> bytes:
    k = key.encode()
    n = len(value) if declared is None else declared
    return struct.pack("<Q", len(k)) + k + struct.pack("<IQ", 8, n) + value


def _tensor(name: str, dims: list[int], type_id: int, offset: int) -> bytes:
    n = name.encode()
    return (
        struct.pack("<Q", len(n))
        + n
        + struct.pack("<I", len(dims))
        + b"".join(struct.pack("<Q", d) for d in dims)
        + struct.pack("<IQ", type_id, offset)
    )


def _parse(data: bytes) -> object:
    return read_header(lambda o, n: data[o : o + n], len(data), "hostile.gguf")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"GGML" + bytes(20), "bad magic"),
        (_header(_kv_str("general.name", b"x"))[:-3], "truncated header"),
        (_header(_kv_str("general.name", b"x", declared=1 << 60)), "string length"),
        (_header(struct.pack("<Q", 1) + b"a" + struct.pack("<IIQ", 9, 4, 1 << 59)), "array of"),
        (_header(struct.pack("<Q", 1) + b"a" + struct.pack("<I", 77)), "unknown value type 77"),
        (_header(n_tensors=1, tail=_tensor("w", [32, 2], 99, 0)), "unknown type 99"),
        (_header(n_tensors=1, tail=_tensor("w", [32, 2], 0, 1 << 30)), "past the end"),
        (_header(n_tensors=1, tail=_tensor("w", [32, 2, 1, 1, 1], 0, 0)), "5 dimensions"),
        (_header(n_tensors=1, tail=_tensor("w", [33, 2], 8, 0)), "not a multiple"),
        (_header(version=1), "v1"),
        (b"GGUF" + struct.pack(">I", 3) + bytes(16), "big-endian"),
        (b"GGUF" + struct.pack("<IQQ", 3, 1 << 40, 0), "absurd counts"),
    ],
)
def test_hostile_files_are_rejected_in_one_line(data: bytes, words: str) -> None:
    with pytest.raises(GGUFError) as err:
        _parse(data)
    assert words in err.value.message and "\n" not in err.value.message
    assert err.value.message.startswith("hostile.gguf: not a valid GGUF file (")


def test_local_non_gguf_file(tmp_path: Path) -> None:
    f = tmp_path / "notes.gguf"
    f.write_text("hello")
    with pytest.raises(GGUFError, match="bad magic"):
        read_local(f)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_mutated_headers_never_crash(data: st.DataObject) -> None:
    """Random byte edits and truncations of a real header: parse or GGUFError, nothing else."""
    base = _FUZZ_BASE
    blob = bytearray(base)
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, len(blob) - 1))
        blob[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(4, len(blob)))
    sample = bytes(blob[:cut])
    try:
        h = read_header(lambda o, n: sample[o : o + n], len(sample), "fuzz")
    except GGUFError:
        return
    assert h.data_offset <= len(sample)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=256))
def test_fuzz_random_bytes(blob: bytes) -> None:
    with contextlib.suppress(GGUFError):
        read_header(lambda o, n: (b"GGUF" + blob)[o : o + n], len(blob) + 4, "fuzz")


def _fuzz_base() -> bytes:
    kvs = [
        _kv_str("general.architecture", b"llama"),
        struct.pack("<Q", 17) + b"llama.block_count" + struct.pack("<II", 4, 1),
        struct.pack("<Q", 22) + b"llama.embedding_length" + struct.pack("<II", 4, 64),
    ]
    tail = _tensor("blk.0.attn_q.weight", [64, 4], 1, 0) + _tensor("output.weight", [64, 2], 0, 512)
    head = _header(*kvs, n_tensors=2, tail=tail)
    pad = -len(head) % 32
    return head + bytes(pad) + bytes(512 + 512)


_FUZZ_BASE = _fuzz_base()


def test_fuzz_base_is_valid() -> None:
    h = _parse(_FUZZ_BASE)
    spec = model_spec([h], [], "x")  # type: ignore[list-item]
    assert spec.n_layer == 1 and len(spec.tensors) == 2  # blk.0 is its one layer
