"""bench plan: the quant ladder of a (local) Hugging Face repo, remote header reads, fitting
decisions and flags, and the command line."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import probe
from bench import MemConfig, plan
from bench.cli import cli
from bench.localhub import LocalHub
from bench.model import FileFact, SynthSpec, _hub, split_gguf, synthesize
from bench.predictor import budget

LADDER_REPO = "rigbench-test/ladder-GGUF"
TEN = ("Q2_K", "Q3_K_M", "Q4_0", "IQ4_XS", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "BF16", "F16")
BASE = SynthSpec(n_layer=8, n_embd=512, n_head=8, n_head_kv=2, n_ff=1536, n_vocab=32000, n_ctx=8192)


@pytest.fixture(scope="module")
def ladder_hub(hub: LocalHub, tmp_path_factory: pytest.TempPathFactory) -> LocalHub:
    """Ten quants of one 57M model with a 32000-token vocabulary; F16 split into two shards."""
    files: dict[str, Path | bytes | str] = {"README.md": "# ladder\n"}
    for q in TEN:
        path = synthesize(dataclasses.replace(BASE, quant=q)).path
        if q == "F16":
            for shard in split_gguf(path, tmp_path_factory.mktemp("f16") / "m-F16.gguf", 2):
                files[f"F16/{shard.name}"] = shard
        else:
            files[f"m-{q}.gguf"] = path
    hub.add_repo(LADDER_REPO, files)
    return hub


@pytest.fixture
def endpoint(hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> LocalHub:
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    hub.faults.delay_s = 0.0
    return hub


@pytest.mark.parametrize(
    ("name", "quant"),
    [
        ("gpt-oss-20b-Q4_K_M.gguf", "Q4_K_M"),
        ("Q8_0/gpt-oss-20b-Q8_0-00001-of-00002.gguf", "Q8_0"),
        ("Qwen3-30B-A3B-UD-Q4_K_XL.gguf", "UD-Q4_K_XL"),
        ("gpt-oss-20b-F16.gguf", "F16"),
        ("gpt-oss-120b-MXFP4-00001-of-00002.gguf", "MXFP4"),
        ("model.IQ2_XXS.gguf", "IQ2_XXS"),
        ("Llama-3.2-1B-Instruct-bf16.gguf", "BF16"),
        ("mmproj-F16.gguf", None),
        ("README.md", None),
        ("unnamed.gguf", None),
    ],
)
def test_quant_names_in_file_names(name: str, quant: str | None) -> None:
    assert _hub.quant_of(name) == quant


def test_ladder_groups_shards_and_orders_by_bits() -> None:
    files = [
        FileFact(n, 10, "s")
        for n in (
            "m-Q8_0.gguf",
            "m-Q2_K.gguf",
            "F16/m-F16-00002-of-00002.gguf",
            "F16/m-F16-00001-of-00002.gguf",
            "m-UD-Q4_K_XL.gguf",
            "m-IQ4_XS.gguf",
            "config.json",
        )
    ]
    ladder = _hub.ladder_from_files("o/r", "abc", files)
    assert [q.name for q in ladder.quants] == ["Q2_K", "IQ4_XS", "UD-Q4_K_XL", "Q8_0", "F16"]
    f16 = ladder.get("f16")
    assert [f.name for f in f16.files] == [
        "F16/m-F16-00001-of-00002.gguf",
        "F16/m-F16-00002-of-00002.gguf",
    ]
    assert f16.size_bytes == 20
    with pytest.raises(Exception, match="has no Q5_K_M quant") as err:
        ladder.get("Q5_K_M")
    assert "Q2_K, IQ4_XS" in (err.value.hint or "")  # type: ignore[attr-defined]


def test_remote_ladder_with_sizes_sha_and_revision(
    ladder_hub: LocalHub, endpoint: LocalHub
) -> None:
    ladder = _hub.list_ladder(LADDER_REPO)
    assert [q.name for q in ladder.quants] == [
        "Q2_K",
        "Q3_K_M",
        "IQ4_XS",
        "Q4_0",
        "Q4_K_M",
        "Q5_K_M",
        "Q6_K",
        "Q8_0",
        "BF16",
        "F16",
    ]
    repo = ladder_hub.repos[LADDER_REPO]
    assert ladder.revision == repo.commit
    q8 = ladder.get("Q8_0").files[0]
    assert (q8.size_bytes, q8.sha256) == (
        repo.files["m-Q8_0.gguf"].size,
        repo.files["m-Q8_0.gguf"].sha256,
    )
    assert len(ladder.get("F16").files) == 2


def test_plan_reads_headers_only_well_under_16_mb(ladder_hub: LocalHub, endpoint: LocalHub) -> None:
    ladder_hub.reset_counters()
    r = plan(LADDER_REPO, probe.load_host("rtx3060-12gb"), [4096], MemConfig())
    assert len(r.quants) == 10
    total_file_bytes = sum(q.size_bytes for q in r.quants)
    assert ladder_hub.bytes_sent < 16 * 1024 * 1024 < total_file_bytes
    assert r.bytes_read <= ladder_hub.bytes_sent
    local = synthesize(dataclasses.replace(BASE, quant="Q6_K")).path
    from bench.model import load_local

    remote_q6 = next(q for q in r.quants if q.quant == "Q6_K").spec
    assert [t.n_bytes for t in remote_q6.tensors] == [t.n_bytes for t in load_local(local).tensors]


def test_remote_exact_engine_uses_a_sparse_file(
    ladder_hub: LocalHub, endpoint: LocalHub, llama_bench: Path
) -> None:
    import probe

    fit = llama_bench.parent / "llama-fit-params"
    host = probe.detect()
    ladder_hub.reset_counters()
    r = plan(f"{LADDER_REPO}:Q4_K_M", host, [2048], MemConfig(), "exact", fit_params=fit)
    (q,) = r.quants
    exact = q.contexts[0].exact
    assert exact is not None and exact.predictor == "llama-fit-params"
    assert ladder_hub.bytes_sent < q.size_bytes  # no weights were downloaded
    formula = q.contexts[0].fit.prediction.host.total_bytes
    assert abs(exact.host.total_bytes / formula - 1) < 0.05


def test_fit_decisions_on_catalog_machines(session_env: pytest.MonkeyPatch) -> None:
    moe = SynthSpec(
        arch="qwen3moe",
        n_layer=8,
        n_embd=1024,
        n_head=16,
        n_head_kv=4,
        n_ff=0,
        n_expert=32,
        n_expert_used=4,
        n_ff_exp=1024,
        n_vocab=32000,
        n_ctx=8192,
        quant="Q8_0",
    )
    path = synthesize(moe).path
    from bench.model import load_local
    from bench.predictor import best_fit

    spec = load_local(path)
    big = budget(probe.load_host("rtx4090"))
    assert best_fit(spec, MemConfig(n_ctx=4096), big).verdict == "gpu"
    # A pretend 1 GiB GPU: the MoE keeps some layers' experts on the CPU.
    small = dataclasses.replace(big, gpus=(dataclasses.replace(big.gpus[0], budget_bytes=2**30),))
    fit = best_fit(spec, MemConfig(n_ctx=4096), small)
    assert fit.verdict == "partial" and fit.cfg.n_cpu_moe > 0 and fit.cfg.n_gpu_layers == -1
    tiny = dataclasses.replace(
        big, gpus=(dataclasses.replace(big.gpus[0], budget_bytes=2**20),), host_bytes=2**20
    )
    assert best_fit(spec, MemConfig(n_ctx=4096), tiny).verdict == "none"
    cpu_only = budget(probe.load_host("laptop-16gb"))
    assert best_fit(spec, MemConfig(n_ctx=4096), cpu_only).verdict == "cpu"


def test_cli_plan_json_md_and_text(session_env: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    res = runner.invoke(
        cli,
        [
            "plan",
            "-m",
            "synth:llama:60M:Q4_K_M",
            "--hardware",
            "rtx4090",
            "-c",
            "2048",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["schema_version"] == 2 and data["engine"] == "formula"
    (q,) = data["quants"]
    ctx = q["contexts"][0]
    assert ctx["verdict"] == "gpu" and ctx["flags"].startswith("-ngl 99 -c 2048")
    assert q["rule_of_thumb_bytes"] > 0 and ctx["formula"]["devices"][1]["kv_bytes"] > 0
    md = runner.invoke(
        cli, ["plan", "-m", "synth:llama:60M:Q4_K_M", "--hardware", "rtx4090", "--format", "md"]
    )
    assert md.exit_code == 0 and md.stdout.count("\n| Q4_K_M |") == 1
    text = runner.invoke(
        cli,
        ["plan", "-m", "synth:llama:60M:Q4_K_M", "--hardware", "m3-max-128gb"],
        env={"COLUMNS": "200"},
    )
    assert text.exit_code == 0 and "fully on GPU" in text.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-m", "rigbench-test/does-not-exist"], "was not found"),
        (["-m", "rigbench-test/no-gguf"], "has no GGUF quants"),
        (["-m", "rigbench-test/gated-GGUF"], "is gated"),
        (["-m", "rigbench-test/synth-llama-GGUF:Q9_K"], "has no Q9_K quant"),
        (["-m", "./missing.gguf"], "no such file"),
        (["-m", "synth:llama:60M:Q4_K_M", "--hardware", "toaster"], "no hardware named"),
        (
            ["-m", "synth:llama:60M:Q4_K_M", "--hardware", "rtx4090", "--engine", "exact"],
            "sees only this machine",
        ),
    ],
)
def test_cli_errors_are_one_line(endpoint: LocalHub, args: list[str], words: str) -> None:
    import os

    done = subprocess.run(
        [sys.executable, "-m", "bench.cli", "plan", *args],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ.copy(),
    )
    assert done.returncode == 1, done.stderr
    first, second = done.stderr.strip().splitlines()[:2]
    assert first.startswith("error: ") and words in first and second.startswith("hint: ")


def test_no_network_is_a_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    with pytest.raises(Exception, match="cannot reach") as err:
        _hub.list_ladder("some/repo")
    assert "local file works offline" in (err.value.hint or "")  # type: ignore[attr-defined]


def test_gated_repo_with_a_token_plans(endpoint: LocalHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_rigbench_test_token")
    r = plan("rigbench-test/gated-GGUF", probe.load_host("rtx4090"), [1024], MemConfig())
    assert [q.quant for q in r.quants] == ["Q4_K_M"]


def test_hardware_catalog_has_the_seed_machines() -> None:
    names = set(probe.catalog_names())
    assert len(names) >= 25
    for must in (
        "rtx3060-12gb",
        "rtx4090",
        "rtx5090",
        "3x-h100",
        "dgx-spark",
        "ryzen-ai-max-395-128gb",
        "m2-max-96gb",
        "m2-ultra-192gb",
        "m3-max-128gb",
        "m3-ultra-512gb",
        "m4-max-128gb",
        "laptop-16gb",
    ):
        assert must in names
    for e in probe.catalog_entries():
        p = probe.load_host(e.name)
        assert e.sources and p.memory and p.memory.spec_bandwidth_bytes_per_s
        assert all(g.spec_fp16_flops and g.spec_bandwidth_bytes_per_s for g in p.gpus)
        assert p.cpu and p.cpu.spec_fp32_flops


def test_plan_for_a_saved_host_profile(machine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import probe

    host = probe.detect(context=machine("strix-halo-apu", nvml=None))
    f = tmp_path / "strix.json"
    f.write_text(host.to_json())
    res = CliRunner().invoke(
        cli, ["plan", "-m", "synth:llama:60M:Q4_K_M", "--host", str(f), "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["host"].startswith("file:") and data["engine"] == "formula"
    assert data["quants"][0]["contexts"][0]["verdict"] == "gpu"  # 120 GiB of unified memory


def test_a_bug_behind_the_hub_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only network and HTTP failures become 'cannot reach'; a bug is not dressed up as one."""
    import huggingface_hub

    def broken(self: object, *args: object, **kwargs: object) -> None:
        raise AttributeError("'NoneType' object has no attribute 'siblings'")

    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", broken)
    with pytest.raises(AttributeError, match="siblings"):
        _hub.list_ladder("some/repo")
