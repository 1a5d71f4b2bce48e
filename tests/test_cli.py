"""The probe command line: output formats, the one-line failures, and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import probe
from probe.cli import cli


@pytest.fixture
def recorded(machine, monkeypatch):  # type: ignore[no-untyped-def]
    """Make the CLI's probe.detect() read the Strix Halo recording instead of this machine."""
    ctx = machine("strix-halo-apu")
    real = probe.detect
    calls: list[bool] = []

    def fake_detect(measure: bool = False, **kw):  # type: ignore[no-untyped-def]
        calls.append(measure)
        return real(measure=measure, context=ctx)

    monkeypatch.setattr(probe, "detect", fake_detect)
    return calls


def test_json_is_the_schema_versioned_profile(recorded) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["detect", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema_version"] == probe.SCHEMA_VERSION
    assert data["gpus"][0]["gfx_target"] == "gfx1151"
    assert recorded == [False]


def test_text_summary(recorded) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["detect"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    for words in (
        "AMD RYZEN AI MAX+ 395",
        "Radeon 8060S",
        "gfx1151 40 CU",
        "unified",
        "120.5 GiB",
        "AVX512_VNNI",
        "advice:",
    ):
        assert words in result.stdout


def test_measure_flag_reaches_the_library(recorded) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["detect", "--measure", "--format", "json"])
    assert result.exit_code == 0 and recorded == [True]


def test_output_file(recorded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "host.json"
    result = CliRunner().invoke(cli, ["detect", "--format", "json", "--output", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    assert probe.load_host_profile(out).gpus[0].unified_memory


def test_unwritable_output_is_one_line_and_exit_1(tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "host.json"
    done = subprocess.run(
        [sys.executable, "-m", "probe.cli", "detect", "--format", "json", "-o", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("error: cannot write") and "No such file or directory" in lines[0]
    assert lines[1].startswith("hint: ")
    assert len(lines) == 2 and done.stdout == ""


def test_show_renders_a_saved_profile(recorded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "host.json"
    CliRunner().invoke(cli, ["detect", "--format", "json", "-o", str(out)])
    result = CliRunner().invoke(cli, ["show", str(out)], env={"COLUMNS": "160"})
    assert result.exit_code == 0 and "Radeon 8060S" in result.stdout


def test_show_newer_schema_fails_cleanly(tmp_path: Path) -> None:
    f = tmp_path / "h.json"
    f.write_text(json.dumps({"schema_version": 999}))
    done = subprocess.run(
        [sys.executable, "-m", "probe.cli", "show", str(f)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "upgrade rigbench" in done.stderr
    assert "Traceback" not in done.stderr


def test_debug_env_shows_the_traceback(tmp_path: Path) -> None:
    f = tmp_path / "h.json"
    f.write_text("{}")
    done = subprocess.run(
        [sys.executable, "-m", "probe.cli", "show", str(f)],
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "RIGBENCH_DEBUG": "1"},
    )
    assert done.returncode != 0 and "Traceback" in done.stderr


def test_console_scripts_are_installed() -> None:
    for tool in ("probe", "bench", "report"):
        done = subprocess.run(
            [Path(sys.executable).parent / tool, "--help"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0 and "Usage:" in done.stdout


def test_a_failing_backend_is_a_warning_not_a_crash(machine) -> None:  # type: ignore[no-untyped-def]
    class Exploding:
        name = "exploding"

        @staticmethod
        def available(ctx):  # type: ignore[no-untyped-def]
            return True, ""

        @staticmethod
        def collect(ctx, measure, out):  # type: ignore[no-untyped-def]
            raise PermissionError(13, "Permission denied", "/sys/class/drm/card0/device/vendor")

    ctx = machine("arm64-graviton3")
    p = probe.detect(context=ctx, backends=(*probe.BACKENDS, Exploding))
    assert p.cpu is not None
    assert any(w.startswith("exploding: probe failed (PermissionError") for w in p.warnings)
    assert any("RIGBENCH_DEBUG=1" in w for w in p.warnings)
    json.loads(p.to_json())
    # The warning promises a traceback under RIGBENCH_DEBUG=1: it keeps the promise.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RIGBENCH_DEBUG", "1")
        with pytest.raises(PermissionError):
            probe.detect(context=ctx, backends=(Exploding,))
