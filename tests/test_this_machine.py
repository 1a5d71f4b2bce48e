"""The probe on the machine the tests run on, checked against the OS's own view."""

from __future__ import annotations

import dataclasses
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import probe
from probe._context import ProbeContext
from probe._cpu import X86_FLAGS
from probe._manifest import expand, recorded_runner

linux = pytest.mark.skipif(platform.system() != "Linux", reason="reads /proc; Linux CI only")
REPO = Path(__file__).resolve().parent.parent


@linux
def test_cpu_flags_match_proc_cpuinfo() -> None:
    cpu = probe.detect().cpu
    assert cpu is not None
    text = Path("/proc/cpuinfo").read_text()
    if platform.machine() == "x86_64":
        flags = set(
            next(ln for ln in text.splitlines() if ln.startswith("flags")).split(":")[1].split()
        )
        assert cpu.isa_flags == {name: token in flags for name, token in X86_FLAGS.items()}
    assert cpu.logical_cores == len([ln for ln in text.splitlines() if ln.startswith("processor")])


@linux
@pytest.mark.skipif(shutil.which("free") is None, reason="procps not installed")
def test_memory_total_within_one_percent_of_free() -> None:
    mem = probe.detect().memory
    assert mem is not None and mem.total_bytes
    out = subprocess.run(["free", "-b"], capture_output=True, text=True, check=True).stdout
    total = int(out.splitlines()[1].split()[1])
    assert abs(mem.total_bytes - total) / total < 0.01


@linux
def test_recorder_round_trip_reproduces_the_live_probe(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "record_fixture.py"),
            "this-host",
            "CI machine",
            "--out",
            str(tmp_path / "fx"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    root = tmp_path / "root"
    commands = expand(tmp_path / "fx" / "this-host" / "tree.txt", root)
    live = probe.detect()
    ctx = dataclasses.replace(
        ProbeContext(), root=root, run=recorded_runner(commands), load_pyudev=None
    )
    recorded = probe.detect(context=ctx)
    assert recorded.cpu == live.cpu
    assert recorded.memory.total_bytes == live.memory.total_bytes
    assert [d.device for d in recorded.disks] == [d.device for d in live.disks]
    assert [d.holds_hf_cache for d in recorded.disks] == [d.holds_hf_cache for d in live.disks]
    assert [g.name for g in recorded.gpus] == [g.name for g in live.gpus if g.source != "nvml"]


@linux
def test_pyudev_and_sysfs_agree_on_the_disks() -> None:
    with_udev = probe.detect()
    without = probe.detect(context=dataclasses.replace(ProbeContext(), load_pyudev=None))
    assert [(d.device, d.size_bytes, d.nvme) for d in with_udev.disks] == [
        (d.device, d.size_bytes, d.nvme) for d in without.disks
    ]


def test_live_probe_never_crashes_and_says_why_no_gpu() -> None:
    p = probe.detect()
    assert p.os.system == platform.system() and p.cpu is not None
    if not p.gpus:
        assert any(w.startswith("nvidia: unavailable (") for w in p.warnings)


@pytest.mark.gpu
@pytest.mark.skipif(shutil.which("nvidia-smi") is None, reason="needs an NVIDIA GPU and driver")
def test_nvidia_matches_nvidia_smi() -> None:
    out = (
        subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()
    )
    gpus = [g for g in probe.detect().gpus if g.vendor == "nvidia"]
    assert len(gpus) == len(out)
    for g, line in zip(gpus, out, strict=True):
        name, mib = (s.strip() for s in line.split(","))
        assert g.name == name and g.total_bytes // 2**20 == int(mib)
