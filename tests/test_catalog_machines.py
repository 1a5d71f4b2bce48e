"""The machines added to the hardware catalog (Apple M3/M4 8-core and M5 chips, Jetson, AMD
APUs, current CPUs): present, their figures equal to the arithmetic in their sources, and each
one a host the speed predictor runs on."""

from __future__ import annotations

from dataclasses import replace

import pytest

import probe
from bench import RunConfig
from bench.model import spec_from_shape
from bench.predictor import predict_speed
from probe import _catalog_amd as amd
from probe import _catalog_nvidia as nv
from probe._catalog import _gpu_key, entry, names, with_figures
from probe._catalog_parts import GIB, T

APPLE = ("m3-8c-16gb", "m4-8c-16gb", "m5-32gb", "m5-pro-64gb", "m5-max-128gb")
APUS = ("jetson-orin-nano-super-8gb", "jetson-agx-thor", "radeon-780m", "ryzen-ai-max-385-32gb")
CPUS = (
    "ryzen-9950x-cpu",
    "i9-14900k-cpu",
    "core-ultra-9-285k-cpu",
    "epyc-9755-cpu",
    "xeon-6980p-cpu",
    "graviton4-c8g-24xl",
    "snapdragon-x-elite-cpu",
    "ampere-altra-max-cpu",
)
NEW = (*APPLE, *APUS, *CPUS)


def test_every_new_machine_is_in_the_catalog() -> None:
    have = names()
    assert [n for n in NEW if n not in have] == []
    assert len(have) == len(set(have))
    for n in NEW:
        assert n == n.lower() and " " not in n and "_" not in n
        assert any(any(ch.isdigit() for ch in s) for s in entry(n).sources)  # the arithmetic


# (name, GPU cores, clock GHz, memory GB, bandwidth GB/s, FP16 FLOPs per core and clock):
# FP16 = cores x 128 x 2 x clock, and 4x that per clock on the M5's Neural Accelerators.
APPLE_FIGURES = [
    ("m3-8c-16gb", 8, 1.398, 16, 102.4, 256),
    ("m4-8c-16gb", 8, 1.578, 16, 120, 256),
    ("m5-32gb", 10, 1.74, 32, 153, 1024),
    ("m5-pro-64gb", 20, 1.62, 64, 307, 1024),
    ("m5-max-128gb", 40, 1.62, 128, 614, 1024),
]


@pytest.mark.parametrize(("name", "cores", "ghz", "mem_gb", "bw", "per_clk"), APPLE_FIGURES)
def test_apple_figures_are_the_source_arithmetic(
    name: str, cores: int, ghz: float, mem_gb: int, bw: float, per_clk: int
) -> None:
    e = entry(name)
    (g,) = e.gpus
    assert g.vendor == "apple" and g.unified
    assert g.fp16_tflops == pytest.approx(cores * per_clk * ghz / 1000)
    assert (e.ram_gib, e.ram_bw_gbs, g.mem_gib, g.bw_gbs) == (mem_gb, bw, mem_gb, bw)
    assert f"({cores}-core GPU)" in e.title
    # macOS wires two thirds of 36 GB or less to the GPU, three quarters above
    assert g.usable_gib == pytest.approx(mem_gb * (2 / 3 if mem_gb <= 36 else 3 / 4))


def test_m5_figures_follow_apples_published_bandwidth() -> None:
    # Apple: M5 153 GB/s, M5 Pro 307 GB/s, M5 Max 614 GB/s (twice the Pro)
    assert entry("m5-max-128gb").ram_bw_gbs == 2 * entry("m5-pro-64gb").ram_bw_gbs
    assert entry("m5-32gb").ram_bw_gbs == 153
    # the 40-core Max is twice the 20-core Pro at the one clock assumed for both
    assert entry("m5-max-128gb").gpus[0].fp16_tflops == pytest.approx(
        2 * entry("m5-pro-64gb").gpus[0].fp16_tflops
    )


def test_jetson_figures_are_sms_x_rate_x_clock() -> None:
    nano = nv.JETSON_ORIN_NANO_SUPER
    # 8 SM at 1.02 GHz; NVIDIA's 67 sparse INT8 TOPS = FP16 dense x 2 (INT8) x 2 (sparsity)
    assert nano.fp16_tflops * 2 * 2 == pytest.approx(67, rel=5e-3)
    assert nano.fp16_tflops == pytest.approx(8 * 2048 * 1.02 / 1000, rel=2e-3)
    assert nano.mmq_tflops == pytest.approx(8 * 512 * 1.02 / 1000, rel=2e-3)
    assert nano.bw_gbs == pytest.approx(6400 * 16 / 1000)  # 128-bit LPDDR5-6400
    assert nano.unified and nano.usable_gib is not None and nano.usable_gib < nano.mem_gib
    thor = nv.JETSON_AGX_THOR
    # 20 SM at 1.57 GHz; the brief's 258 dense FP16 TFLOPS = 2070 FP4 sparse / 8
    assert thor.fp16_tflops == pytest.approx(20 * 8192 * 1.57 / 1000, rel=5e-3)
    assert thor.fp16_tflops == pytest.approx(2070 / 8, rel=5e-3)
    assert thor.mmq_tflops == pytest.approx(20 * 512 * 1.57 / 1000, rel=2e-3)
    assert (thor.mem_gib, thor.bw_gbs, thor.unified) == (128, 273, True)
    for name, gpu in (("jetson-orin-nano-super-8gb", nano), ("jetson-agx-thor", thor)):
        e = entry(name)
        assert e.gpus == (gpu,) and e.ram_bw_gbs == gpu.bw_gbs and e.ram_gib == gpu.mem_gib
        assert e.cpu.arch == "aarch64"


def test_amd_apu_figures_are_cus_x_512_x_clock() -> None:
    for gpu, cus, ghz in ((amd.RADEON_780M, 12, 2.9), (amd.RADEON_8050S, 32, 2.8)):
        assert gpu.fp16_tflops == pytest.approx(cus * 512 * ghz / 1000, rel=2e-3)
        assert gpu.unified and gpu.vendor == "amd"
    assert amd.RADEON_780M.bw_gbs == pytest.approx(5200 * 2 * 8 / 1000)  # DDR5-5200 x 2
    assert amd.RADEON_8050S.bw_gbs == pytest.approx(8000 * 32 / 1000)  # 256-bit LPDDR5X-8000
    assert entry("radeon-780m").gpus == (amd.RADEON_780M,)
    assert entry("ryzen-ai-max-385-32gb").gpus == (amd.RADEON_8050S,)


# (name, cores, threads, GHz, FP32 FLOP/cycle, channels x MT/s x 8 B (or bus bytes) = GB/s)
CPU_FIGURES = [
    ("ryzen-9950x-cpu", 16, 32, 5.7, 64, 5600 * 2 * 8),
    ("i9-14900k-cpu", 24, 32, 6.0, 32, 5600 * 2 * 8),
    ("core-ultra-9-285k-cpu", 24, 24, 5.7, 32, 6400 * 2 * 8),
    ("epyc-9755-cpu", 128, 256, 4.1, 64, 6400 * 12 * 8),
    ("xeon-6980p-cpu", 128, 256, 3.9, 64, 6400 * 12 * 8),
    ("graviton4-c8g-24xl", 96, 96, 2.8, 32, 5600 * 12 * 8),
    ("snapdragon-x-elite-cpu", 12, 12, 4.2, 32, 8448 * 16),
    ("ampere-altra-max-cpu", 128, 128, 3.0, 16, 3200 * 8 * 8),
]


@pytest.mark.parametrize(("name", "cores", "threads", "ghz", "per_cycle", "mbs"), CPU_FIGURES)
def test_cpu_figures_are_the_source_arithmetic(
    name: str, cores: int, threads: int, ghz: float, per_cycle: int, mbs: int
) -> None:
    e = entry(name)
    assert e.gpus == ()
    c = e.cpu
    assert (c.cores, c.threads, c.ghz, c.flop_per_cycle) == (cores, threads, ghz, per_cycle)
    assert e.ram_bw_gbs == pytest.approx(mbs / 1000, rel=1e-3)  # stored to 0.1 GB/s
    p = probe.load_host(name)
    assert p.cpu is not None and p.memory is not None
    assert p.cpu.spec_fp32_flops == pytest.approx(cores * ghz * 1e9 * per_cycle)
    assert p.memory.spec_bandwidth_bytes_per_s == pytest.approx(mbs * 1e6, rel=1e-3)
    assert p.memory.total_bytes == int(e.ram_gib * GIB)
    assert p.backends == ("cpu",) and p.gpus == ()


def test_avx512_flags_follow_the_flop_rate() -> None:
    def flags(name: str) -> dict[str, bool]:
        cpu = probe.load_host(name).cpu
        assert cpu is not None
        return cpu.isa_flags

    for name in ("ryzen-9950x-cpu", "epyc-9755-cpu", "xeon-6980p-cpu", "radeon-780m"):
        assert flags(name).get("AVX512_F") is True, name
    for name in ("i9-14900k-cpu", "core-ultra-9-285k-cpu"):
        assert "AVX512_F" not in flags(name) and flags(name)["AVX2"], name
    for name in ("graviton4-c8g-24xl", "ampere-altra-max-cpu", "jetson-orin-nano-super-8gb"):
        assert flags(name) == {"NEON": True, "DOTPROD": True}, name


@pytest.mark.parametrize("name", NEW)
def test_each_new_machine_gets_a_prediction(name: str) -> None:
    host = probe.load_host(name)
    assert host.source == f"catalog:{name}"
    for g in host.gpus:
        assert g.spec_fp16_flops and g.spec_bandwidth_bytes_per_s and g.unified_memory
    p = predict_speed(spec_from_shape("llama3-8b", "Q4_0"), host, RunConfig())
    assert p.pp_tokens_per_s > 0 and p.tg_tokens_per_s > 0
    # token generation cannot beat streaming the weights once per token at the spec bandwidth
    assert p.tg_tokens_per_s <= p.tg_ceiling_tokens_per_s * 1.0001
    expected = {"apple": "metal", "nvidia": "cuda", "amd": "rocm"}
    assert p.backend == (expected[host.gpus[0].vendor] if host.gpus else "cpu")


def test_an_m5s_neural_accelerators_speed_prefill_not_generation() -> None:
    # the M5 Max and the M4 Max: both 40 GPU cores; the M5's matmuls run 4x per core and clock
    # (Neural Accelerators through the tensor API), its memory 614 against 546 GB/s
    spec, cfg = spec_from_shape("qwen3.5-27b", "Q4_K_M"), RunConfig()
    m4, m5 = (
        predict_speed(spec, probe.load_host(n), cfg) for n in ("m4-max-128gb", "m5-max-128gb")
    )
    assert m5.pp_tokens_per_s > 3 * m4.pp_tokens_per_s
    assert m5.tg_tokens_per_s / m4.tg_tokens_per_s == pytest.approx(614 / 546, rel=0.05)
    # ... but only the matmuls (mul_mm.metal's tensor ops): attention runs on both ALUs
    deep = replace(cfg, n_depth=16384)
    m4, m5 = (
        predict_speed(spec, probe.load_host(n), deep) for n in ("m4-max-128gb", "m5-max-128gb")
    )
    alu = {n: entry(n).gpus[0].fp16_tflops for n in ("m4-max-128gb", "m5-max-128gb")}
    alu["m5-max-128gb"] /= 4
    ratio = alu["m4-max-128gb"] / alu["m5-max-128gb"]
    assert m5.pp_terms_s["attention"] == pytest.approx(m4.pp_terms_s["attention"] * ratio)
    # ... and the recurrent layers' token-by-token scan, a latency, is the same on both
    assert m5.pp_terms_s["scan"] == m4.pp_terms_s["scan"] > 0


def test_more_bandwidth_predicts_faster_generation() -> None:
    spec, cfg = spec_from_shape("llama3-8b", "Q4_0"), RunConfig()

    def tg(name: str) -> float:
        return predict_speed(spec, probe.load_host(name), cfg).tg_tokens_per_s

    assert tg("m5-32gb") < tg("m5-pro-64gb") < tg("m5-max-128gb")
    assert tg("jetson-orin-nano-super-8gb") < tg("jetson-agx-thor")
    assert tg("radeon-780m") < tg("ryzen-ai-max-385-32gb")
    assert tg("i9-14900k-cpu") < tg("epyc-9755-cpu")


def test_a_probed_thor_gets_the_catalog_figures_by_its_nvml_name() -> None:
    assert _gpu_key(nv.JETSON_AGX_THOR.name) == _gpu_key("NVIDIA Thor") == "thor"
    probed = probe.load_host("jetson-agx-thor").gpus[0]
    bare = replace(probed, name="NVIDIA Thor", spec_fp16_flops=None, spec_mmq_flops=None)
    bare = with_figures(bare)
    assert bare.spec_fp16_flops == pytest.approx(258 * T)
    assert bare.spec_mmq_flops == pytest.approx(nv.JETSON_AGX_THOR.mmq_tflops * T)


@pytest.mark.parametrize(
    ("chip", "cores", "catalog"),
    [("Apple M3 Max", 40, "m3-max-128gb"), ("Apple M3 Max", 30, "m3-max-30c-96gb")],
)
def test_a_probed_mac_gets_its_chips_rate_per_gpu_core(chip: str, cores: int, catalog: str) -> None:
    # sysctl names the chip, ioreg counts the GPU cores: the catalog's bin of that chip and size
    probed = probe.GpuInfo(
        index=0, vendor="apple", name=chip, source="sysctl", multiprocessor_count=cores
    )
    got = with_figures(probed).spec_fp16_flops
    assert got == pytest.approx(entry(catalog).gpus[0].fp16_tflops * T)
    # a bin the catalog lacks (a 16-core M5 Pro) at its chip's per-core rate, Neural Accelerators
    # included; a chip it does not know stays without a figure (the predictor says so)
    m5 = replace(probed, name="Apple M5 Pro", multiprocessor_count=16)
    assert with_figures(m5).spec_fp16_flops == pytest.approx(16 * 1024 * 1.62e9)
    assert with_figures(replace(probed, name="Apple M9")).spec_fp16_flops is None
    # a profile's vendor in another case is still Apple's; a count no Apple GPU has gets none
    assert with_figures(replace(probed, vendor="Apple")).spec_fp16_flops == pytest.approx(got)
    for bad in (0, -40, 100_000):
        assert with_figures(replace(probed, multiprocessor_count=bad)).spec_fp16_flops is None
