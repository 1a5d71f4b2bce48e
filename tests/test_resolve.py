"""One resolver for every --model syntax: plan, predict and sweep --dry-run accept all five,
planning writes no model file, and user text is printed literally."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench import resolve_model
from bench.cli import cli
from bench.localhub import LocalHub
from bench.model import SynthSpec, materialize, split_gguf, synthesize
from probe import UserError

REPO = "rigbench-test/synth-llama-GGUF"
TINY = SynthSpec(n_layer=2, n_embd=128, n_head=4, n_head_kv=2, n_ff=384, n_vocab=1024)


@pytest.fixture
def endpoint(hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> LocalHub:
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    hub.faults.delay_s = 0.0
    return hub


@pytest.fixture(scope="module")
def split_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The second shard of a two-shard F16 model: any shard names the whole set."""
    src = synthesize(dataclasses.replace(TINY, quant="F16")).path
    return split_gguf(src, tmp_path_factory.mktemp("split") / "tiny-F16.gguf", 2)[1]


def syntaxes(split_file: Path) -> dict[str, str]:
    return {
        "path": str(synthesize(dataclasses.replace(TINY, quant="Q8_0")).path),
        "shards": str(split_file),
        "repo": REPO,
        "repo:quant": f"{REPO}:Q8_0",
        "synth": "synth:llama:50M:Q4_K_M",
        "shape": "shape:gpt-oss-20b:MXFP4",
    }


KINDS = ["path", "shards", "repo", "repo:quant", "synth", "shape"]


@pytest.mark.parametrize("kind", KINDS)
def test_resolve_model_reads_every_syntax_without_writing(
    kind: str, endpoint: LocalHub, split_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = syntaxes(split_file)[kind]
    monkeypatch.setenv("RIGBENCH_CACHE", str(tmp_path / "empty-cache"))
    sources = resolve_model(text)
    assert sources and all(s.spec.n_layer > 0 for s in sources)
    assert {s.kind for s in sources} == {
        "path": {"file"},
        "shards": {"file"},
        "repo": {"hub"},
        "repo:quant": {"hub"},
        "synth": {"synth"},
        "shape": {"shape"},
    }[kind]
    if kind == "repo":
        assert [s.quant for s in sources] == ["Q4_K_M", "Q8_0", "F16"]
    if kind == "shards":
        assert len(sources[0].files) == 2
    assert not (tmp_path / "empty-cache").exists()  # nothing synthesized, nothing cached


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", ["plan", "predict", "sweep"])
def test_every_command_accepts_every_syntax(
    command: str, kind: str, endpoint: LocalHub, split_file: Path
) -> None:
    model = syntaxes(split_file)[kind]
    args = {
        "plan": ["plan", "-m", model, "--hardware", "rtx4090", "--format", "json"],
        "predict": ["predict", "-m", model, "--hardware", "rtx4090", "--format", "json"],
        "sweep": ["sweep", "-m", model, "--dry-run", "--quant", "Q8_0"]
        if kind == "repo"
        else ["sweep", "-m", model, "--dry-run"],
    }[command]
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    if command == "plan":
        assert json.loads(res.stdout)["quants"]
    elif command == "predict":
        assert json.loads(res.stdout)["models"]
    else:
        assert "plan:" in res.stderr


def test_a_shape_is_measured_through_its_twin() -> None:
    """shape: sources carry the twin sweep would write (nothing is written to resolve one);
    a hub source is downloaded, never materialized."""
    (source,) = resolve_model("shape:gpt-oss-20b:MXFP4")
    assert source.twin is not None and source.twin.hparams.name == "gpt-oss-20b"
    assert "twin-gpt-oss-20b-20.9B-MXFP4" in source.twin.file_name()
    hub_source = dataclasses.replace(source, kind="hub", twin=None)
    with pytest.raises(UserError, match="computed from a shape"):
        materialize(hub_source)


@pytest.mark.parametrize(
    "text",
    ["synth:llama", "synth:llama:50M", "shape:", "not a model", "org/repo/extra", "x.gguf"],
)
def test_unreadable_model_text_is_one_user_error(text: str) -> None:
    with pytest.raises(UserError):
        resolve_model(text)


def test_plan_for_a_catalog_machine_is_fast_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RIGBENCH_CACHE", str(tmp_path / "cache"))
    for model in ("shape:gpt-oss-20b:MXFP4", "synth:qwen3moe:2B:Q4_K_M"):
        args = ["plan", "-m", model, "--hardware", "rtx3060-12gb", "--format", "json"]
        res = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["seconds"] < 1.0
    assert not (tmp_path / "cache").exists()


NASTY = "m[bold]x[/]:llama:[red]"


def test_user_text_is_printed_literally(tmp_path: Path) -> None:
    """rich would read [bold] as markup and :llama: as an emoji code; names must survive."""
    path = tmp_path / f"{NASTY}.gguf"  # "[/]" makes a folder "m[bold]x[" too
    path.parent.mkdir()
    shutil.copyfile(synthesize(dataclasses.replace(TINY, quant="Q8_0")).path, path)
    runner = CliRunner()
    for args in (
        ["plan", "-m", str(path), "--hardware", "rtx4090"],
        ["predict", "-m", str(path), "--hardware", "rtx4090"],
        ["plan", "-m", "synth:llama:50M:Q4_K_M", "--hardware", "rtx4090"],
    ):
        res = runner.invoke(cli, args, env={"COLUMNS": "400"}, catch_exceptions=False)
        assert res.exit_code == 0, res.output
        want = "]:llama:[red].gguf" if "synth" not in args[2] else "synth:llama:50M:Q4_K_M"
        assert want in res.stdout, res.stdout
        assert "🦙" not in res.stdout


def test_error_text_is_printed_literally(tmp_path: Path) -> None:
    missing = tmp_path / f"{NASTY}.gguf"
    done = subprocess.run(
        [sys.executable, "-m", "bench.cli", "plan", "-m", str(missing), "--hardware", "rtx4090"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "400"},
    )
    assert done.returncode == 1
    assert f"{missing}: no such file" in done.stderr and "🦙" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "-m", "shape:llama3-8b:Q4_K_M", "--hardware", "rtx4090"],
        ["predict", "-m", "shape:llama3-8b:Q4_K_M", "--hardware", "rtx4090"],
        ["hardware"],
        ["engines"],
        ["synth", "--params", "20M", "--quant", "Q8_0"],
    ],
    ids=lambda a: a[0],
)
def test_every_json_output_carries_a_schema_version(args: list[str]) -> None:
    res = CliRunner().invoke(cli, [*args, "--format", "json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert isinstance(data, dict) and isinstance(data["schema_version"], int)


def test_the_hardware_catalog_keeps_each_machine_name() -> None:
    res = CliRunner().invoke(cli, ["hardware", "--format", "json"], catch_exceptions=False)
    machines = json.loads(res.stdout)["machines"]
    names = [m["name"] for m in machines]
    assert "rtx3060-12gb" in names and len(names) == len(set(names))
    assert all(m["profile"]["source"] == f"catalog:{m['name']}" for m in machines)
