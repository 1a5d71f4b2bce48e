"""CPU parsing on recorded machines: cores, P/E split, clocks, caches, NUMA and ISA flags."""

from __future__ import annotations

import pytest

import probe
from probe import _cpu
from probe._cpu import parse_sysctl, parse_sysctl_text

KIB, MIB = 1024, 1024**2


def cpu_of(ctx):  # type: ignore[no-untyped-def]
    profile = probe.detect(context=ctx)
    assert profile.cpu is not None
    return profile.cpu


def test_avx512_server(machine) -> None:  # type: ignore[no-untyped-def]
    cpu = cpu_of(machine("x86-avx512-server"))
    assert (cpu.vendor, cpu.model) == ("Intel", "Intel(R) Xeon(R) Platinum 8480+")
    assert (cpu.physical_cores, cpu.logical_cores, cpu.numa_nodes) == (16, 32, 2)
    assert cpu.performance_cores is None and cpu.efficiency_cores is None
    assert (cpu.base_clock_mhz, cpu.max_clock_mhz) == (2000.0, 3800.0)
    # 16 cores x 48 KiB L1d, 16 x 2 MiB L2, 2 sockets x 105 MiB L3 (each counted once).
    assert cpu.l1d_cache_bytes == 16 * 48 * KIB
    assert cpu.l2_cache_bytes == 16 * 2 * MIB
    assert cpu.l3_cache_bytes == 2 * 105 * MIB
    on = {k for k, v in cpu.isa_flags.items() if v}
    assert on == set(_cpu.X86_FLAGS)  # Sapphire Rapids has every x86 extension llama.cpp uses


def test_intel_hybrid_counts_p_and_e_cores(machine) -> None:  # type: ignore[no-untyped-def]
    cpu = cpu_of(machine("intel-hybrid-desktop"))
    assert (cpu.physical_cores, cpu.logical_cores) == (24, 32)
    assert (cpu.performance_cores, cpu.efficiency_cores) == (8, 16)
    assert (cpu.base_clock_mhz, cpu.max_clock_mhz) == (3000.0, 5800.0)
    assert cpu.l2_cache_bytes == 8 * 2 * MIB + 4 * 4 * MIB  # 8 P-core L2s + 4 E-cluster L2s
    assert cpu.l3_cache_bytes == 36 * MIB
    assert cpu.isa_flags["AVX2"] and cpu.isa_flags["AVX_VNNI"]
    assert not cpu.isa_flags["AVX512_F"] and not cpu.isa_flags["AMX_TILE"]


def test_arm64_server_names_the_core_from_its_part_id(machine) -> None:  # type: ignore[no-untyped-def]
    cpu = cpu_of(machine("arm64-graviton3"))
    assert (cpu.vendor, cpu.model, cpu.arch) == ("ARM", "Neoverse-V1", "aarch64")
    assert (cpu.physical_cores, cpu.logical_cores) == (16, 16)
    assert cpu.isa_flags == {"NEON": True, "SVE": True, "DOTPROD": True, "I8MM": True}
    assert cpu.performance_cores is None  # equal cpu_capacity everywhere: not big.LITTLE
    assert cpu.l3_cache_bytes == 32 * MIB


@pytest.mark.parametrize(
    ("impl", "part", "name"),
    [
        ("0x41", "0xd4f", ("ARM", "Neoverse-V2")),  # Graviton4, Grace
        ("0x41", "0xd84", ("ARM", "Neoverse-V3")),
        ("0x41", "0xd83", ("ARM", "Neoverse-V3AE")),  # Jetson Thor
        ("0x6d", "0xd49", ("Microsoft", "Neoverse-N2")),  # Azure Cobalt 100
        ("0x41", "0xfff", ("ARM", "part 0xfff")),
    ],
)
def test_arm64_part_ids_name_the_core_as_lscpu_does(impl: str, part: str, name: tuple) -> None:
    # (util-linux sys-utils/lscpu-arm.c): the speed model groups Neoverse cores by this name
    assert _cpu._arm_name({"CPU implementer": impl, "CPU part": part}) == name


def test_strix_halo_zen5_flags(machine) -> None:  # type: ignore[no-untyped-def]
    cpu = cpu_of(machine("strix-halo-apu"))
    assert cpu.vendor == "AMD" and cpu.model.startswith("AMD RYZEN AI MAX+ 395")
    assert (cpu.physical_cores, cpu.logical_cores) == (16, 32)
    assert cpu.l3_cache_bytes == 2 * 32 * MIB  # two CCXs
    assert cpu.isa_flags["AVX512_VNNI"] and cpu.isa_flags["AVX_VNNI"]
    assert not cpu.isa_flags["AMX_INT8"]
    assert cpu.max_clock_mhz == 5187.0 and cpu.base_clock_mhz is None


def test_apple_sysctl(machine) -> None:  # type: ignore[no-untyped-def]
    cpu = cpu_of(machine("apple-m3-max"))
    assert (cpu.vendor, cpu.model, cpu.source) == ("Apple", "Apple M3 Max", "sysctl")
    # Apple silicon publishes no hw.cpufrequency_max: the catalog's P-core clock stands in
    assert cpu.max_clock_mhz == 4056
    assert (cpu.performance_cores, cpu.efficiency_cores, cpu.physical_cores) == (12, 4, 16)
    assert cpu.isa_flags == {"NEON": True, "SVE": False, "DOTPROD": True, "I8MM": True}
    assert cpu.l2_cache_bytes == 16 * MIB


def test_intel_mac_sysctl_words() -> None:
    values = parse_sysctl_text(
        "machdep.cpu.brand_string: Intel(R) Core(TM) i9-9980HK CPU @ 2.40GHz\n"
        "machdep.cpu.features: FPU VME SSE3 SSSE3 FMA SSE4.1 AVX1.0 F16C\n"
        "machdep.cpu.leaf7_features: SMEP BMI1 AVX2 BMI2\n"
        "hw.physicalcpu: 8\nhw.logicalcpu: 16\nhw.cpufrequency_max: 2400000000\n"
    )
    cpu = parse_sysctl(values, "x86_64")
    assert cpu.vendor == "Intel" and cpu.arch == "x86_64"
    assert cpu.isa_flags["AVX2"] and cpu.isa_flags["F16C"] and not cpu.isa_flags["AVX512_F"]
    assert (cpu.physical_cores, cpu.logical_cores, cpu.max_clock_mhz) == (8, 16, 2400.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0-3,8,10-11", [0, 1, 2, 3, 8, 10, 11]), ("5", [5]), ("", []), (None, [])],
)
def test_cpu_list(text, expected) -> None:  # type: ignore[no-untyped-def]
    from probe._context import parse_cpu_list

    assert parse_cpu_list(text) == expected


def test_py_cpuinfo_fallback_on_unknown_platform(machine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    ctx = dataclasses.replace(machine("arm64-graviton3"), system="Windows", machine="AMD64")
    cpu = cpu_of(ctx)
    assert cpu.source == "py-cpuinfo"
    assert cpu.logical_cores and cpu.logical_cores >= 1
    assert set(cpu.isa_flags) == set(_cpu.X86_FLAGS)
