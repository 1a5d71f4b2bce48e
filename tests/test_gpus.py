"""GPU backends against NVML and amdsmi fakes, amdgpu sysfs trees and macOS sysctl output."""

from __future__ import annotations

import pytest

import probe
from probe._apple import chip_bandwidth_bytes_per_s, default_wired_limit_bytes
from tests.fakes.amdsmi import FakeAmdSmi
from tests.fakes.nvml import FakeNVML

GIB = 1024**3


def test_one_nvidia_gpu(machine) -> None:  # type: ignore[no-untyped-def]
    nvml = FakeNVML.load("rtx4090")
    p = probe.detect(context=machine("intel-hybrid-desktop", nvml=nvml))
    (g,) = p.gpus
    assert (g.vendor, g.name, g.source) == ("nvidia", "NVIDIA GeForce RTX 4090", "nvml")
    assert g.total_bytes == 25757220864 and g.usable_bytes == g.total_bytes
    assert g.free_bytes + g.used_bytes == g.total_bytes
    assert g.spec_bandwidth_bytes_per_s == pytest.approx(1008.1e9, rel=1e-3)  # NVIDIA: 1008 GB/s
    assert g.compute_capability == "8.9"
    assert g.multiprocessor_count is None  # NOT_SUPPORTED -> NA, not a crash
    assert (g.pcie_gen_current, g.pcie_gen_max, g.pcie_width_max) == (1, 4, 16)  # idle downclock
    assert g.power_limit_watts == 450.0
    assert (p.nvidia_driver_version, p.cuda_driver_version) == ("550.54.14", "12.4")
    assert "cuda" in p.backends
    assert nvml.calls[0] == "nvmlInit" and nvml.calls[-1] == "nvmlShutdown"
    assert not [w for w in p.warnings if w.startswith("nvidia")]


def test_two_nvidia_gpus_and_ram_rule(machine) -> None:  # type: ignore[no-untyped-def]
    p = probe.detect(context=machine("intel-hybrid-desktop", nvml=FakeNVML.load("two-gpus")))
    assert [g.name for g in p.gpus] == ["NVIDIA GeForce RTX 3090", "NVIDIA GeForce RTX 3060"]
    assert [g.index for g in p.gpus] == [0, 1]
    assert p.gpus[1].pcie_width_current == 4 and p.gpus[1].pcie_gen_current == 3
    # 62.6 GiB RAM vs 36 GiB VRAM: 1.7x, which misses the "RAM >= 2x VRAM" rule.
    (rule,) = [a for a in p.advice if "RAM >= 2x VRAM" in a]
    assert "misses" in rule and "1.7x" in rule


def test_three_h100_report_sm_count_and_hbm_bandwidth(machine) -> None:  # type: ignore[no-untyped-def]
    p = probe.detect(context=machine("x86-avx512-server", nvml=FakeNVML.load("three-h100")))
    assert len(p.gpus) == 3
    assert all(g.multiprocessor_count == 132 for g in p.gpus)
    assert p.gpus[0].spec_bandwidth_bytes_per_s == pytest.approx(3.352e12, rel=1e-3)
    assert p.cuda_driver_version == "12.6"
    assert "meets" in next(a for a in p.advice if "RAM >= 2x VRAM" in a)


def test_gpu_lost_mid_probe_keeps_the_others(machine) -> None:  # type: ignore[no-untyped-def]
    p = probe.detect(context=machine("intel-hybrid-desktop", nvml=FakeNVML.load("gpu-lost")))
    assert [g.name for g in p.gpus] == ["NVIDIA RTX A6000"]
    (w,) = [w for w in p.warnings if "lost" in w]
    assert "GPU 1" in w and "nvidia-smi" in w
    assert p.cpu is not None and p.memory is not None  # the rest of the probe went on


def test_not_supported_fields_become_na(machine) -> None:  # type: ignore[no-untyped-def]
    p = probe.detect(context=machine("intel-hybrid-desktop", nvml=FakeNVML.load("not-supported")))
    (g,) = p.gpus
    assert g.total_bytes == 8 * GIB
    assert g.memory_bus_width_bits is None and g.spec_bandwidth_bytes_per_s is None
    assert g.pcie_gen_current is None and g.power_limit_watts is None
    assert p.cuda_driver_version == "12.0"  # fell back from the missing _v2 entry point


@pytest.mark.parametrize(
    ("scenario", "words"),
    [("version-mismatch", "version mismatch"), ("no-driver", "library not found")],
)
def test_nvml_init_failures_say_why(machine, scenario, words) -> None:  # type: ignore[no-untyped-def]
    p = probe.detect(context=machine("amd-discrete-desktop", nvml=FakeNVML.load(scenario)))
    (w,) = [w for w in p.warnings if w.startswith("nvidia")]
    assert w.startswith("nvidia: unavailable (") and words in w and "nvidia-smi" in w
    assert all(g.vendor != "nvidia" for g in p.gpus)


def test_nvidia_ml_py_missing(machine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    def missing():  # type: ignore[no-untyped-def]
        raise ImportError("No module named 'pynvml'")

    ctx = dataclasses.replace(machine("amd-discrete-desktop"), load_nvml=missing)
    p = probe.detect(context=ctx)
    assert "nvidia: unavailable (nvidia-ml-py is not installed; pip install nvidia-ml-py)" in (
        p.warnings
    )


def test_strix_halo_is_unified_memory_with_gtt(machine) -> None:  # type: ignore[no-untyped-def]
    p = probe.detect(context=machine("strix-halo-apu"))
    (g,) = p.gpus
    assert (g.vendor, g.source, g.gfx_target) == ("amd", "sysfs", "gfx1151")
    assert g.name == "Radeon 8060S (Strix Halo)" and g.unified_memory
    assert g.total_bytes == 512 * 1024**2 and g.gtt_total_bytes == 120 * GIB
    assert g.usable_bytes == 512 * 1024**2 + 120 * GIB  # carve-out + GTT
    assert g.multiprocessor_count == 40
    assert g.pcie_gen_current is None  # an APU has no PCIe link to report
    assert g.spec_bandwidth_bytes_per_s == 256e9
    assert g.power_limit_watts == 120.0
    assert "rocm" in p.backends
    assert any("unified memory" in a and "120 GiB" in a for a in p.advice)
    assert not any("RAM >= 2x VRAM" in a for a in p.advice)  # the rule is for discrete cards


def test_discrete_amd_and_its_igpu(machine) -> None:  # type: ignore[no-untyped-def]
    p = probe.detect(context=machine("amd-discrete-desktop"))
    xtx, igpu = p.gpus
    assert (xtx.name, xtx.gfx_target, xtx.unified_memory) == (
        "Radeon RX 7900 XTX",
        "gfx1100",
        False,
    )
    assert xtx.total_bytes == 25753026560 and xtx.usable_bytes == xtx.total_bytes
    assert xtx.free_bytes == 25753026560 - 1093451776
    assert (xtx.pcie_gen_current, xtx.pcie_width_current, xtx.multiprocessor_count) == (4, 16, 96)
    assert xtx.pci_bus_id == "0000:03:00.0" and xtx.power_limit_watts == 339.0
    # The Raphael iGPU: known APU id, 512 MiB carve-out, gfx1036.
    assert igpu.unified_memory and igpu.gfx_target == "gfx1036" and igpu.multiprocessor_count == 2


def test_amdsmi_path_when_rocm_is_installed(machine) -> None:  # type: ignore[no-untyped-def]
    smi = FakeAmdSmi(
        [
            {
                "amdsmi_get_gpu_asic_info": {
                    "market_name": "AMD Radeon Graphics",
                    "device_id": "0x1586",
                    "target_graphics_version": "gfx1151",
                    "num_compute_units": 40,
                },
                "amdsmi_get_gpu_vram_info": {"vram_bit_width": 256, "vram_max_bandwidth": "N/A"},
                "amdsmi_get_gpu_memory_total:VRAM": 512 * 1024**2,
                "amdsmi_get_gpu_memory_usage:VRAM": 100 * 1024**2,
                "amdsmi_get_gpu_memory_total:GTT": 120 * GIB,
                "amdsmi_get_pcie_info": "NOT_SUPPORTED",
                "amdsmi_get_power_cap_info": {"power_cap": 120000000},
                "amdsmi_get_gpu_driver_info": {"driver_version": "6.14.0"},
                "amdsmi_get_gpu_device_uuid": "a4ff7fb2-0000-1000-80d6-4b6d2f8e3a1c",
                "amdsmi_get_gpu_device_bdf": "0000:c5:00.0",
            }
        ]
    )
    p = probe.detect(context=machine("strix-halo-apu", amdsmi=smi))
    (g,) = p.gpus
    assert (g.source, g.gfx_target, g.multiprocessor_count) == ("amdsmi", "gfx1151", 40)
    assert g.unified_memory and g.usable_bytes == 512 * 1024**2 + 120 * GIB
    assert g.spec_bandwidth_bytes_per_s == 256e9  # amdsmi said N/A: the table's figure
    assert g.memory_bus_width_bits == 256 and g.power_limit_watts == 120.0
    assert g.pcie_width_max is None  # NOT_SUPPORTED -> NA
    assert not smi.initialised  # shut down again


def test_amdsmi_broken_falls_back_to_sysfs_with_a_warning(machine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    def broken():  # type: ignore[no-untyped-def]
        raise KeyError("libamd_smi.so")  # what amdsmi 7.0 raises without ROCm

    ctx = dataclasses.replace(machine("amd-discrete-desktop"), load_amdsmi=broken)
    p = probe.detect(context=ctx)
    assert [g.source for g in p.gpus] == ["sysfs", "sysfs"]
    assert any(w.startswith("amd: amdsmi unusable") and "amd-smi-lib" in w for w in p.warnings)


def test_apple_m3_max(machine) -> None:  # type: ignore[no-untyped-def]
    p = probe.detect(context=machine("apple-m3-max"))
    (g,) = p.gpus
    assert (g.vendor, g.name, g.unified_memory) == ("apple", "Apple M3 Max", True)
    assert g.total_bytes == 128 * GIB and g.multiprocessor_count == 40
    assert g.usable_bytes == 96 * GIB  # wired_limit_mb 0 -> default 3/4 above 36 GiB
    assert g.spec_bandwidth_bytes_per_s == 409.6e9  # the 40-core M3 Max has the 512-bit bus
    assert p.backends == ("cpu", "metal")
    assert p.disks == ()  # disks are probed on Linux only


def test_apple_wired_limit_override(machine) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from probe._manifest import parse

    ctx = machine("apple-m3-max")
    text = (Path(__file__).parent / "fixtures/apple-m3-max/tree.txt").read_text()
    _, _, commands = parse(text.replace("iogpu.wired_limit_mb: 0", "iogpu.wired_limit_mb: 120000"))
    import dataclasses

    from probe._manifest import recorded_runner

    p = probe.detect(context=dataclasses.replace(ctx, run=recorded_runner(commands)))
    assert p.gpus[0].usable_bytes == 120000 * 1024**2


@pytest.mark.parametrize(
    ("chip", "cores", "gbs"),
    [
        ("Apple M1", 8, 68.25),
        ("Apple M2 Ultra", 76, 819.2),
        ("Apple M3 Max", 30, 307.2),
        ("Apple M4 Max", 32, 410.0),
        ("Apple M4 Max", 40, 546.0),
        ("Apple M4 Pro", 20, 273.0),
        ("Apple M5 Pro", 20, 307.0),
    ],
)
def test_apple_bandwidth_table(chip, cores, gbs) -> None:  # type: ignore[no-untyped-def]
    assert chip_bandwidth_bytes_per_s(chip, cores) == gbs * 1e9


def test_apple_unknown_chip_is_na() -> None:
    assert chip_bandwidth_bytes_per_s("Apple M9 Hyper", 99) is None


def test_default_wired_share() -> None:
    assert default_wired_limit_bytes(16 * GIB) == int(16 * GIB * 2 / 3)
    assert default_wired_limit_bytes(64 * GIB) == 48 * GIB


def test_probed_gpus_get_the_catalog_throughput_by_name(machine) -> None:  # type: ignore[no-untyped-def]
    # NVML says memory and clocks, not FLOPS: the catalog's figures fill them by name, so an
    # uncalibrated prediction does not run on a default peak.
    h100 = probe.detect(context=machine("x86-avx512-server", nvml=FakeNVML.load("three-h100")))
    g = h100.gpus[0]
    assert g.spec_fp16_flops == pytest.approx(989.4e12) and g.spec_mmq_flops == pytest.approx(
        133.8e12
    )
    rtx = probe.detect(context=machine("intel-hybrid-desktop", nvml=FakeNVML.load("rtx4090")))
    assert rtx.gpus[0].spec_fp16_flops == pytest.approx(165.2e12)
    assert rtx.gpus[0].spec_mmq_flops is None  # a GeForce: its FP16 figure is the MMQ rate


def test_a_gpu_the_catalog_does_not_know_keeps_no_figure(machine) -> None:  # type: ignore[no-untyped-def]
    laptop = probe.detect(
        context=machine("intel-hybrid-desktop", nvml=FakeNVML.load("not-supported"))
    )
    assert laptop.gpus[0].spec_fp16_flops is None  # "RTX 3070 Laptop GPU" is not the desktop card


@pytest.mark.parametrize(
    ("name", "fp16_tflops"),
    [
        ("NVIDIA H100 80GB HBM3", 989.4),  # NVML's SXM5 name
        ("NVIDIA A100-SXM4-80GB", 312),
        ("NVIDIA H100 PCIe", 756.5),  # another board than the SXM5: its own figures
        ("NVIDIA A100 80GB PCIe", 312),  # the 40GB PCIe board's compute
        ("Tesla V100-PCIE-32GB", 112),
        ("NVIDIA RTX PRO 6000 Blackwell Workstation Edition", 503.8),
        ("Intel(R) Arc(TM) A770 Graphics", 137.6),
        ("NVIDIA GeForce RTX 3080 Ti", 68.2),
        ("NVIDIA GeForce RTX 3080", 59.5),
        ("NVIDIA GeForce RTX 3060 Laptop GPU", None),
        ("AMD Radeon RX 7900 XTX", 122.8),
    ],
)
def test_catalog_figures_by_driver_name(name: str, fp16_tflops: float | None) -> None:
    got = probe.with_catalog_figures(probe.GpuInfo(index=0, vendor="nvidia", name=name, source="x"))
    if fp16_tflops is None:
        assert got.spec_fp16_flops is None
    else:
        assert got.spec_fp16_flops == pytest.approx(fp16_tflops * 1e12)
