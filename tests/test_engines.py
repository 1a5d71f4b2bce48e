"""llama.cpp engines: discovery, inspection, the build's failure modes, and real runs of a
synthetic model in llama-bench and llama-cpp-python."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import bench.run as engines
from bench.model import SynthSpec, synthesize
from bench.run import EngineFailed, run_llama_bench, run_llama_cpp_python
from probe import UserError

SMALL = SynthSpec(
    n_layer=4,
    n_embd=512,
    n_head=8,
    n_head_kv=2,
    n_ff=1536,
    n_vocab=4096,
    n_ctx=2048,
    quant="Q4_K_M",
)


def fake_binary(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "llama-bench"
    p.write_text("#!/bin/sh\n" + body + "\n")
    p.chmod(0o755)
    return p


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = fake_binary(tmp_path, "exit 0")
    monkeypatch.setenv("RIGBENCH_LLAMA_BENCH", "/from/env/llama-bench")
    assert engines.find_llama_bench(str(explicit)) == (explicit, "--llama-bench")
    assert engines.find_llama_bench() == (Path("/from/env/llama-bench"), "RIGBENCH_LLAMA_BENCH")
    monkeypatch.delenv("RIGBENCH_LLAMA_BENCH")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert engines.find_llama_bench() == (explicit, "PATH")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert engines.find_llama_bench() is None  # the test cache holds no build


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 0.5.0-dev (build 1, commit 0c1e570)\nbuilt with GNU",
            ("0.5.0-dev", 1, "0c1e570"),
        ),
        ("version: 6850 (0c1e5709)\nbuilt with cc", ("b6850", 6850, "0c1e5709")),
        ("llama-bench 1.0", None),
    ],
)
def test_version_lines_of_several_builds(text: str, expected: tuple | None) -> None:  # type: ignore[type-arg]
    assert engines.parse_version(text) == expected


def test_device_listing() -> None:
    text = (
        "ggml_cuda_init: found 2 CUDA devices\nAvailable devices:\n"
        "  CUDA0: NVIDIA GeForce RTX 4090 (24080 MiB, 23530 MiB free)\n"
        "  CUDA1: NVIDIA GeForce RTX 3060 (11909 MiB, 11640 MiB free)\n"
    )
    devices = engines.parse_devices(text)
    assert devices == (
        "CUDA0: NVIDIA GeForce RTX 4090 (24080 MiB, 23530 MiB free)",
        "CUDA1: NVIDIA GeForce RTX 3060 (11909 MiB, 11640 MiB free)",
    )
    assert engines.parse_devices("Available devices:\n  (none)\n") == ()


def test_an_engine_that_crashes_is_not_trusted(tmp_path: Path) -> None:
    info = engines.inspect_llama_bench(fake_binary(tmp_path, "kill -SEGV $$"), "PATH")
    assert info.problem and "crashed" in info.problem and "signal 11" in info.problem


def test_an_unknown_version_is_not_trusted(tmp_path: Path) -> None:
    info = engines.inspect_llama_bench(fake_binary(tmp_path, "echo 'llama-bench 9000'"), "PATH")
    assert info.problem == "unknown version output: llama-bench 9000"


def test_build_without_cmake_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(UserError, match="cmake and a C\\+\\+ compiler not found") as err:
        engines.build_llama_bench("cpu")
    assert "apt-get install cmake g++" in (err.value.hint or "")


def test_unknown_backend() -> None:
    with pytest.raises(UserError, match="unknown backend 'opencl'"):
        engines.build_llama_bench("opencl")


def test_corrupt_source_archive_is_deleted(tmp_path: Path) -> None:
    src = engines.rigbench_cache() / "src"
    src.mkdir(parents=True)
    archive = src / f"llama_cpp_python-{engines.SOURCE_VERSION}.tar.gz"
    archive.write_bytes(b"not the real archive")
    with pytest.raises(UserError, match="expected 832db0699007f1be"):
        engines.fetch_source(lambda _: None)
    assert not archive.exists()


def test_default_backend_follows_the_probe() -> None:
    assert engines.default_backend(("cpu", "cuda", "vulkan")) == "cuda"
    assert engines.default_backend(("cpu", "metal")) == "metal"
    assert engines.default_backend(("cpu",)) == "cpu"


def test_an_amx_host_builds_llama_cpp_without_amx(tmp_path: Path) -> None:
    """llama.cpp's AMX matmuls fault on some AMX hosts (bench/run/_cpuflags.py): there, the
    build names the host's extensions itself and leaves AMX out; elsewhere GGML_NATIVE stays."""
    from bench.run._cpuflags import cpu_flags, no_amx_flags

    info = tmp_path / "cpuinfo"
    spr = "fpu sse4_2 avx avx2 fma f16c bmi2 avx512f avx512cd avx512vl avx512dq avx512bw "
    spr += "avx512vbmi avx512_vnni avx512_bf16 avx_vnni amx_tile amx_int8 amx_bf16"
    info.write_text(f"processor\t: 0\nflags\t\t: {spr}\n\nprocessor\t: 1\nflags\t\t: fpu\n")
    flags = cpu_flags(info)
    assert "amx_int8" in flags and "fpu" in flags
    switches = no_amx_flags(flags, "x86_64")
    assert switches[0] == "-DGGML_NATIVE=OFF"
    assert {"-DGGML_AVX512=ON", "-DGGML_AVX512_VNNI=ON", "-DGGML_AVX512_BF16=ON"} <= set(switches)
    # every x86 switch is set from the host's flags, none left to ggml's build-dependent defaults
    assert {"-DGGML_AVX2=ON", "-DGGML_FMA=ON", "-DGGML_F16C=ON", "-DGGML_BMI2=ON"} <= set(switches)
    assert "-DGGML_SSE42=ON" in switches and "-DGGML_AVX512=OFF" in no_amx_flags(
        flags - {"avx512bw"}, "x86_64"
    )
    assert {"-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF"} <= set(switches)
    # a Zen 4: AVX-512 without AMX keeps -march=native; so does any Arm host
    assert no_amx_flags(flags - {"amx_tile", "amx_int8", "amx_bf16"}, "x86_64") == ()
    assert no_amx_flags(flags, "aarch64") == ()
    assert cpu_flags(tmp_path / "missing") == frozenset()


def test_the_engine_build_follows_the_amx_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.run import _engines

    monkeypatch.setattr(_engines, "host_no_amx_flags", lambda: ())
    assert _engines.cmake_flags("cpu") == ("-DGGML_NATIVE=ON",)
    plain = _engines.build_dir("cpu")
    monkeypatch.setattr(
        _engines, "host_no_amx_flags", lambda: ("-DGGML_NATIVE=OFF", "-DGGML_AVX512=ON")
    )
    assert _engines.cmake_flags("cpu") == ("-DGGML_NATIVE=OFF", "-DGGML_AVX512=ON")
    assert _engines.cmake_flags("cuda") == (
        "-DGGML_CUDA=ON",
        "-DGGML_NATIVE=OFF",
        "-DGGML_AVX512=ON",
    )
    # an engine built with AMX is never found for a host that must not use it
    assert _engines.build_dir("cpu") != plain and _engines.build_dir("cpu").name.endswith("-noamx")


def test_a_full_ubatch_of_prefill_runs_on_this_host(llama_bench: Path) -> None:
    """512 tokens in one ubatch take the batched matmul kernels (AMX's, on an AMX host built
    with them): on the host that runs the suite neither engine may crash."""
    model = synthesize(SMALL).path
    lb = run_llama_bench(llama_bench, model, {"p": 512, "n": 0, "t": 2, "r": 1})
    assert lb and lb[0]["n_prompt"] == 512 and lb[0]["avg_ts"] > 0
    py = run_llama_cpp_python(
        {
            "model": str(model),
            "n_threads": 2,
            "repetitions": 1,
            "flash_attn": 0,
            "tests": [{"n_prompt": 512, "n_gen": 0, "n_depth": 0}],
        }
    )
    assert [r["n_prompt"] for r in py] == [512] and py[0]["avg_ts"] > 0


def test_real_llama_bench_is_inspected(llama_bench: Path) -> None:
    info = engines.inspect_llama_bench(llama_bench, "RIGBENCH_LLAMA_BENCH")
    assert info.problem is None and info.build_commit and info.build_commit != "unknown"
    assert info.backends[0] == "cpu"


def test_engines_command_lists_both(llama_bench: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.cli", "engines", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ.copy(),
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["schema_version"] == 2
    kinds = {e["kind"]: e for e in data["engines"]}
    assert kinds["llama-bench"]["path"] == str(llama_bench)
    assert kinds["llama-cpp-python"]["version"] and kinds["llama-cpp-python"]["problem"] is None


def test_both_engines_load_and_measure_a_synthetic_model(llama_bench: Path) -> None:
    model = synthesize(SMALL).path
    lb = run_llama_bench(llama_bench, model, {"p": 64, "n": 16, "t": 2, "r": 2, "fa": 0})
    pp, tg = (next(r for r in lb if r["n_prompt"] == 64), next(r for r in lb if r["n_gen"] == 16))
    assert pp["avg_ts"] > 0 and tg["avg_ts"] > 0 and len(tg["samples_ns"]) == 2
    # The quantized file's tensor bytes are llama.cpp's own model_size.
    import gguf

    tensor_bytes = sum(int(t.n_bytes) for t in gguf.GGUFReader(str(model)).tensors)
    assert pp["model_size"] == tensor_bytes
    assert pp["model_n_params"] == SMALL.n_params()
    py = run_llama_cpp_python(
        {
            "model": str(model),
            "n_threads": 2,
            "repetitions": 2,
            "flash_attn": 0,
            "tests": [
                {"n_prompt": 64, "n_gen": 0, "n_depth": 0},
                {"n_prompt": 0, "n_gen": 16, "n_depth": 0},
            ],
        }
    )
    assert [r["n_prompt"] for r in py] == [64, 0] and all(r["avg_ts"] > 0 for r in py)
    assert all(len(r["samples_ns"]) == 2 for r in py)


def test_llama_bench_failure_is_classified(llama_bench: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00garbage")
    with pytest.raises(EngineFailed) as err:
        run_llama_bench(llama_bench, bad, {"p": 8, "n": 0})
    assert err.value.returncode != 0 and err.value.stderr_tail
