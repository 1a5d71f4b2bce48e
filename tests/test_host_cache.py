"""The measured profile of this machine that `bench sweep`, `bench calibrate` and `bench
predict`/`plan` share: measured once per boot and per machine, the quick probe every time."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner

import probe
from bench.cli import cli
from bench.run import _orchestrate, host_profile, rigbench_cache

REAL_DETECT = probe.detect

GB = 1e9


@pytest.fixture
def strix(machine, monkeypatch, request):  # type: ignore[no-untyped-def]
    """probe.detect() reads the Strix Halo recording; a measuring call adds a 42 GB/s read (a
    recording cannot measure) and is logged in the returned list, as is each free-memory
    figure handed out, which changes between calls as a live machine's does. Each test boots
    anew: the per-boot cache lives in the session's shared rigbench cache."""
    real = REAL_DETECT
    ctx = machine("strix-halo-apu")
    monkeypatch.setattr(_orchestrate, "boot_id", lambda: f"test-{request.node.name}")
    calls: list[bool] = []

    def fake_detect(measure: bool = False, **kw):  # type: ignore[no-untyped-def]
        calls.append(measure)
        host = real(measure=False, context=ctx)
        assert host.memory is not None
        memory = dataclasses.replace(host.memory, available_bytes=len(calls) * 2**30)
        if measure:
            memory = dataclasses.replace(
                memory, measured_read_bytes_per_s=42 * GB, measure_threads=16, measure_method="t"
            )
        return dataclasses.replace(host, memory=memory)

    monkeypatch.setattr(probe, "detect", fake_detect)
    return calls


def test_measured_once_per_boot_and_the_quick_probe_every_time(strix) -> None:  # type: ignore[no-untyped-def]
    first = host_profile(False)
    second = host_profile(False)
    assert strix == [False, True, False]  # quick probe, measure, then quick probe alone
    assert first.memory and second.memory
    assert first.memory.measured_read_bytes_per_s == 42 * GB
    assert second.memory.measured_read_bytes_per_s == 42 * GB
    assert second.memory.measure_threads == 16
    # the second call's own quick probe, not the cached one: free memory is today's
    assert second.memory.available_bytes == 3 * 2**30
    host_profile(True)  # --reprobe measures again
    assert strix[-2:] == [False, True]


def test_another_machine_under_the_same_boot_is_measured_apart(strix, machine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    host_profile(False)
    other = REAL_DETECT(context=machine("x86-avx512-server"))
    monkeypatch.setattr(probe, "detect", lambda measure=False, **kw: other)
    got = host_profile(False)
    # the Strix Halo's 42 GB/s is not handed to another machine's profile
    assert got.memory is None or got.memory.measured_read_bytes_per_s != 42 * GB


def test_predict_on_this_machine_uses_the_measured_read(strix) -> None:  # type: ignore[no-untyped-def]
    args = ["predict", "--model", "shape:llama-3.2-1b:Q4_K_M", "--backend", "cpu"]
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    inputs = json.loads(result.stdout)["models"][0]["predictions"][0]["inputs"]
    assert inputs["host_bandwidth"] == "measured"
    assert inputs["host_socket_bytes_per_s"] == 42 * GB  # uncalibrated: the read as measured
    assert True in strix
    assert "measuring this machine's RAM and disk read speed" in result.stderr  # why it waits


def test_an_unreadable_cache_is_measured_again(strix) -> None:  # type: ignore[no-untyped-def]
    host_profile(False)
    (cached,) = rigbench_cache().glob(f"host-{_orchestrate.boot_id()}-*.json")
    cached.write_text('{"schema_version": 999}')  # a newer rigbench's, or a torn write
    got = host_profile(False)
    assert strix.count(True) == 2  # measured again, not refused
    assert got.memory and got.memory.measured_read_bytes_per_s == 42 * GB
    assert probe.load_host_profile(cached).memory is not None  # and the cache rewritten
