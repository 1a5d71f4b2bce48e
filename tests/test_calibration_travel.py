"""A calibration learned on one machine, carried to an identical one: ``bench calibrate
--export FILE`` / ``--import FILE``, and every refusal of a file that does not fit."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

import probe
from bench import Calibration, RunConfig
from bench.cli import main
from bench.model import spec_from_shape
from bench.predictor import PREDICTOR_VERSION, load_calibrations, predict_speed
from bench.store import Store, fingerprint

LLAMA = spec_from_shape("llama3-8b", "Q4_K_M")
CAL = Calibration(k_bw=1.2, k_compute=0.85, k_attn=1.1, n_points=12, residual_sd=0.04)


def _host(name: str = "rtx4090", hostname: str = "node-a") -> probe.HostProfile:
    """A catalog machine as if probed here: its fingerprint is what the store keys on."""
    return dataclasses.replace(probe.load_host(name), source="probe", hostname=hostname)


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def _bench(ctx: click.Context) -> None:
    """`bench` as its console script runs it: UserError mapped to one line and exit 1."""
    main(ctx.args)


def _invoke(monkeypatch: pytest.MonkeyPatch, host: probe.HostProfile, db: Path, *args: str) -> Any:
    monkeypatch.setattr(probe, "detect", lambda *a, **k: host)
    return CliRunner().invoke(_bench, ["calibrate", "--db", str(db), *args])


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """node-a's CUDA calibration, exported to a file."""
    host = _host()
    store = Store.open(tmp_path / "a.db")
    store.save_calibration(fingerprint(host), "cuda", CAL, PREDICTOR_VERSION)
    store.close()
    out = tmp_path / "cal.json"
    res = _invoke(monkeypatch, host, tmp_path / "a.db", "--export", str(out))
    assert res.exit_code == 0, res.output
    assert "cuda calibration on 12 points" in res.stdout
    return out


def test_round_trip_predicts_as_on_the_source_machine(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = json.loads(exported.read_text())
    assert data["format"] == "rigbench-calibration" and data["schema_version"] == 2
    assert data["backend"] == "cuda" and data["gpus"] == ["NVIDIA GeForce RTX 4090"]
    assert data["host_fingerprint"] == fingerprint(_host())
    assert data["predictor_version"] == PREDICTOR_VERSION
    assert (data["k_bw"], data["n_points"], data["residual_sd"]) == (1.2, 12, 0.04)
    assert data["k_socket"] is None  # a GPU backend's: k_bw alone

    twin = _host(hostname="node-b")  # same GPU, another machine
    res = _invoke(monkeypatch, twin, tmp_path / "b.db", "--import", str(exported))
    assert res.exit_code == 0, res.output
    assert "imported the cuda calibration (12 points)" in res.stdout
    cals = {}
    for name, host in (("a", _host()), ("b", twin)):
        store = Store.open(tmp_path / f"{name}.db")
        cals[name] = load_calibrations(store, fingerprint(host))
        store.close()
    assert cals["b"] == cals["a"] == {"cuda": CAL}
    for depth in (0, 4096):
        cfg = RunConfig(n_depth=depth)
        src = predict_speed(LLAMA, _host(), cfg, cals["a"])
        dst = predict_speed(LLAMA, twin, cfg, cals["b"])
        assert (dst.pp_tokens_per_s, dst.tg_tokens_per_s) == (
            src.pp_tokens_per_s,
            src.tg_tokens_per_s,
        )
        assert dst.calibrated_points == 12
        assert dst.tg_tokens_per_s != predict_speed(LLAMA, twin, cfg).tg_tokens_per_s


def _refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: Any, *extra: str, host: Any = None
) -> str:
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data))
    res = _invoke(monkeypatch, host or _host(), tmp_path / "c.db", "--import", str(path), *extra)
    assert res.exit_code == 1, res.output
    lines = [line for line in res.stderr.splitlines() if not line.startswith("hint:")]
    assert len(lines) == 1, res.stderr  # one line, then the hint
    store = Store.open(tmp_path / "c.db")
    assert store.calibrations(fingerprint(host or _host())) == {}  # nothing stored
    store.close()
    return lines[0]


def test_a_newer_schema_is_refused(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = {**json.loads(exported.read_text()), "schema_version": 3}
    assert "schema 3 is newer" in _refused(monkeypatch, tmp_path, data)


def test_another_predictor_version_is_refused_naming_both(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = {**json.loads(exported.read_text()), "predictor_version": "0.0-old"}
    line = _refused(monkeypatch, tmp_path, data, "--force")
    assert "0.0-old" in line and PREDICTOR_VERSION in line


def test_another_backend_is_refused(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = {**json.loads(exported.read_text()), "backend": "rocm"}
    assert "for the rocm backend" in _refused(monkeypatch, tmp_path, data, "--force")


def test_another_gpu_model_needs_force(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = json.loads(exported.read_text())
    other = _host("rtx3090")
    assert other.gpus and other.gpus[0].name != "NVIDIA GeForce RTX 4090"
    line = _refused(monkeypatch, tmp_path, data, host=other)
    assert "RTX 4090" in line and "this machine has" in line
    res = _invoke(monkeypatch, other, tmp_path / "c.db", "--import", str(exported), "--force")
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("k_bw", "1.2"),
        ("k_attn", None),
        ("n_points", 1.5),
        ("n_points", True),
        ("gpus", "NVIDIA GeForce RTX 4090"),
        ("backend", 3),
        ("residual_sd", "small"),
        ("schema_version", "1"),
    ],
)
def test_a_malformed_field_is_named(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, value: Any
) -> None:
    data = {**json.loads(exported.read_text()), field: value}
    if value is None:
        del data[field]
    assert f"'{field}'" in _refused(monkeypatch, tmp_path, data)


def test_not_a_calibration_file_and_nothing_to_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "not a rigbench calibration" in _refused(monkeypatch, tmp_path, {"format": "x"})
    res = _invoke(monkeypatch, _host(), tmp_path / "d.db", "--export", str(tmp_path / "o.json"))
    assert res.exit_code == 1 and "no calibration of this machine" in res.stderr
    assert not (tmp_path / "o.json").exists()
