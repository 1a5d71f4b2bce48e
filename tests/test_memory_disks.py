"""Memory sizes and bandwidth, disks, the HF cache's disk and its read speed."""

from __future__ import annotations

from pathlib import Path

import pytest

import probe
from probe._disks import _measure_temp_file, hf_cache_dir
from probe._memory import ReadKernel, buffer_size, measure_read_bandwidth, parse_meminfo

GIB, MIB = 1024**3, 1024**2


def test_meminfo_parse(machine) -> None:  # type: ignore[no-untyped-def]
    m = probe.detect(context=machine("x86-avx512-server")).memory
    assert m is not None
    assert m.total_bytes == 528012376 * 1024 and m.available_bytes == 515532112 * 1024
    assert m.swap_total_bytes == 8388604 * 1024
    assert (
        m.measured_read_bytes_per_s is None
    )  # not measured unless asked, and never on a recording


def test_meminfo_ignores_odd_lines() -> None:
    m = parse_meminfo("MemTotal: 1000 kB\nHugePages_Total: 0\ngarbage\nMemAvailable: 10 kB\n")
    assert (m.total_bytes, m.available_bytes, m.swap_total_bytes) == (1024000, 10240, None)


def test_buffer_size_beats_the_cache_and_spares_ram() -> None:
    assert buffer_size(None, 64 * GIB) == 512 * MIB
    assert buffer_size(210 * MIB, 512 * GIB) == 16 * 210 * MIB
    assert buffer_size(210 * MIB, 2 * GIB) == 512 * MIB  # never more than a quarter of free RAM


def test_bandwidth_measurement_is_sane() -> None:
    r = measure_read_bandwidth(threads=2, buffer_bytes=64 * MIB, budget_s=0.2, min_passes=3)
    assert r.passes >= 3 and r.threads == 2 and r.buffer_bytes == 64 * MIB
    assert 1e9 < r.median_bytes_per_s <= r.best_bytes_per_s < 2e12
    assert "2 threads" in r.method


def test_bandwidth_is_the_sustained_median_not_a_lucky_burst(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # A shared host reads 33 GB/s in most passes and 60 in a burst; the first pass pays the page
    # faults. The figure is the median of the counted passes, the burst stays beside it.
    rates = iter([5e9, 33e9, 32e9, 60e9, 34e9, 33e9])
    monkeypatch.setattr(ReadKernel, "pass_rate", lambda self: next(rates))
    r = measure_read_bandwidth(threads=2, buffer_bytes=64 * MIB, budget_s=0, min_passes=5)
    assert (r.passes, r.median_bytes_per_s, r.best_bytes_per_s) == (5, 33e9, 60e9)
    assert "median of 5 passes; best 60.0 GB/s" in r.method


def test_disks_and_the_cache_holder_on_nvme_partition(machine) -> None:  # type: ignore[no-untyped-def]
    p = probe.detect(context=machine("x86-avx512-server"))
    by = {d.device: d for d in p.disks}
    assert set(by) == {"nvme0n1", "nvme1n1", "sda"}  # loop0 skipped
    assert by["nvme0n1"].nvme and by["nvme0n1"].model == "SAMSUNG MZQL2960HCJR-00A07"
    assert by["nvme0n1"].size_bytes == 1875385008 * 512 and by["nvme0n1"].rotational is False
    assert by["sda"].transport == "sata" and by["sda"].rotational is True
    assert p.hf_cache_dir == "/home/user/.cache/huggingface/hub"
    assert [d.device for d in p.disks if d.holds_hf_cache] == ["nvme0n1"]
    assert not any("spinning" in a for a in p.advice)


def test_cache_on_a_spinning_disk_is_advised_against(machine) -> None:  # type: ignore[no-untyped-def]
    p = probe.detect(context=machine("x86-avx512-server", env={"HF_HUB_CACHE": "/srv/models/hf"}))
    assert [d.device for d in p.disks if d.holds_hf_cache] == ["sda"]
    assert any("spinning disk (sda)" in a and "HF_HUB_CACHE" in a for a in p.advice)


def test_cache_on_btrfs_and_on_lvm(machine) -> None:  # type: ignore[no-untyped-def]
    btrfs = probe.detect(context=machine("intel-hybrid-desktop"))
    assert [d.device for d in btrfs.disks if d.holds_hf_cache] == ["nvme0n1"]
    lvm = probe.detect(context=machine("amd-discrete-desktop"))
    assert [d.device for d in lvm.disks if d.holds_hf_cache] == ["nvme0n1"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "/h/.cache/huggingface/hub"),
        ({"HF_HOME": "/x"}, "/x/hub"),
        ({"HF_HUB_CACHE": "/y", "HF_HOME": "/x"}, "/y"),
        ({"XDG_CACHE_HOME": "/c"}, "/c/huggingface/hub"),
    ],
)
def test_hf_cache_dir_follows_huggingface_hub(env, expected) -> None:  # type: ignore[no-untyped-def]
    assert str(hf_cache_dir(env, Path("/h"))) == expected


def test_cpu_only_without_avx2_is_advised(machine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from probe._advice import advise

    cpu = probe.detect(context=machine("intel-hybrid-desktop")).cpu
    old = dataclasses.replace(cpu, isa_flags={**cpu.isa_flags, "AVX2": False})
    assert any("without AVX2" in a for a in advise(old, None, (), ()))
    assert not any("without AVX2" in a for a in advise(cpu, None, (), ()))


def test_temp_file_read_speed_is_measured_honestly(tmp_path: Path) -> None:
    where = tmp_path / "cache"
    where.mkdir()
    rate, method = _measure_temp_file(where, budget_s=0.5)
    assert rate > 1e6
    assert "O_DIRECT" in method or "posix_fadvise" in method
    assert list(where.iterdir()) == []  # the temporary file is gone
