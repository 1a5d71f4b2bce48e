"""The GPUs added to the hardware catalog: present, their figures equal to the arithmetic in
their sources, and no two catalog GPUs that a probed name can reach differ unless intended."""

from __future__ import annotations

import pytest

import probe
from probe import _catalog_amd as amd
from probe import _catalog_nvidia as nv
from probe._catalog import CATALOG, _gpu_key, _gpus_by_key, entry, names
from probe._catalog_parts import Gpu

NEW = (
    "rtx3050",
    "rtx3060ti",
    "rtx3080-12gb",
    "rtx4060",
    "rtx4060ti-8gb",
    "rtx4070-super",
    "rtx4070ti-super",
    "rtx4080-super",
    "rtx5060",
    "rtx5070",
    "rtx-a4000",
    "rtx-a5000",
    "rtx-a6000",
    "rtx-6000-ada",
    "l4",
    "a10",
    "a40",
    "t4",
    "h100-pcie",
    "h200",
    "a100-40gb-pcie",
    "tesla-p100-16gb",
    "rx6800",
    "rx6900xt",
    "rx6950xt",
    "rx7600",
    "rx7600xt-16gb",
    "rx7700xt",
    "rx7800xt",
    "rx7900gre",
    "mi100",
    "mi210",
    "radeon-pro-w7800",
    "arc-a750",
    "arc-b570",
)


def test_every_new_gpu_is_a_catalog_machine() -> None:
    have = names()
    assert [n for n in NEW if n not in have] == []
    assert len(have) == len(set(have))
    for n in NEW:
        p = probe.load_host(n)
        assert p.gpus and p.gpus[0].spec_fp16_flops and p.gpus[0].spec_bandwidth_bytes_per_s
        assert any(any(ch.isdigit() for ch in s) for s in entry(n).sources)  # the arithmetic


# (catalog GPU, units (SMs / CUs / Xe cores), FP16 FLOP per clock per unit, boost GHz,
#  memory Gbps per pin, bus bits): fp16 = units x FLOP/clk x GHz, bw = Gbps x bits / 8.
ARITHMETIC = [
    (nv.RTX_4070_SUPER, 56, 512, 2.475, 21, 192),
    (nv.RTX_4070TI_SUPER, 66, 512, 2.61, 21, 256),
    (nv.RTX_4080_SUPER, 80, 512, 2.55, 23, 256),
    (nv.RTX_3050, 20, 512, 1.777, 14, 128),
    (nv.RTX_3060TI, 38, 512, 1.665, 14, 256),
    (nv.RTX_3080_12GB, 70, 512, 1.71, 19, 384),
    (nv.RTX_4060, 24, 512, 2.46, 17, 128),
    (nv.RTX_5060, 30, 512, 2.497, 28, 128),
    (nv.RTX_5070, 48, 512, 2.512, 28, 192),
    (nv.RTX_A6000, 84, 1024, 1.8, 16, 384),
    (nv.RTX_6000_ADA, 142, 1024, 2.505, 20, 384),
    (nv.A10, 72, 1024, 1.695, 12.5, 384),
    (nv.T4, 40, 1024, 1.59, 10, 256),
    (amd.RX_6800, 60, 256, 2.105, 16, 256),
    (amd.RX_6950XT, 80, 256, 2.31, 18, 256),
    (amd.RX_7600XT, 32, 512, 2.755, 18, 128),
    (amd.RX_7700XT, 54, 512, 2.544, 18, 192),
    (amd.RX_7800XT, 60, 512, 2.43, 19.5, 256),
    (amd.RX_7900GRE, 80, 512, 2.245, 18, 256),
    (amd.MI100, 120, 1024, 1.502, 2.4, 4096),
    (amd.MI210, 104, 1024, 1.7, 3.2, 4096),
    (amd.ARC_A750, 28, 2048, 2.05, 16, 256),
]


@pytest.mark.parametrize(("gpu", "units", "per_clk", "ghz", "gbps", "bits"), ARITHMETIC)
def test_figures_are_the_source_arithmetic(
    gpu: Gpu, units: int, per_clk: int, ghz: float, gbps: float, bits: int
) -> None:
    assert gpu.fp16_tflops == pytest.approx(units * per_clk * ghz / 1000, rel=2e-3)
    assert gpu.bw_gbs == pytest.approx(gbps * bits / 8)


def test_data_centre_mmq_is_sms_x_512_x_clock() -> None:
    for gpu, sms, ghz in (
        (nv.RTX_A4000, 48, 1.56),
        (nv.RTX_A6000, 84, 1.8),
        (nv.RTX_6000_ADA, 142, 2.505),
        (nv.L4, 58, 2.04),
        (nv.A40, 84, 1.74),
        (nv.T4, 40, 1.59),
        (nv.H100_PCIE, 114, 1.755),
        (nv.A100_PCIE_40GB, 108, 1.41),
    ):
        assert gpu.mmq_tflops == pytest.approx(sms * 512 * ghz / 1000, rel=2e-3), gpu.name
    # Published sparse figures, halved: H100 PCIe 1513, L4 242, RTX A4000 153.4.
    assert nv.H100_PCIE.fp16_tflops == pytest.approx(1513 / 2)
    assert nv.L4.fp16_tflops == pytest.approx(242 / 2)
    assert nv.RTX_A4000.fp16_tflops == pytest.approx(153.4 / 2)
    assert amd.ARC_B570.fp16_tflops == pytest.approx(203 / 2)  # Intel's INT8 TOPS
    # GeForce and the mmq-less parts keep none: their FP16 figure is the rate llama.cpp runs at.
    assert nv.RTX_4070_SUPER.mmq_tflops is None and nv.TESLA_P100.mmq_tflops is None
    assert nv.TESLA_P100.fp16_tflops == pytest.approx(3584 * 2 * 2 * 1.303 / 1000, rel=2e-3)


# Keys two catalog GPUs share with different figures, and the GPU meant to win each.
INTENDED = {
    "rtx 3080": nv.RTX_3080,  # NVML names the 10GB and 12GB cards alike
}


def test_gpus_sharing_a_key_agree_unless_intended() -> None:
    by_key: dict[str, list[Gpu]] = {}
    for e in CATALOG:
        for g in e.gpus:
            if g.vendor != "apple":  # Apple GPUs: by chip and core count (with_figures)
                by_key.setdefault(_gpu_key(g.name), []).append(g)
    for key, gpus in by_key.items():
        differ = {(g.fp16_tflops, g.bw_gbs, g.mmq_tflops) for g in gpus}
        if key in INTENDED:
            assert _gpus_by_key()[key] is INTENDED[key]
            assert len(differ) > 1  # else drop it from INTENDED
        else:
            assert len(differ) == 1, (key, [g.name for g in gpus])


@pytest.mark.parametrize(
    ("driver_name", "fp16_tflops"),
    [
        ("NVIDIA GeForce RTX 4070 SUPER", 71.0),
        ("NVIDIA GeForce RTX 4060 Ti", 44.1),
        ("NVIDIA GeForce RTX 3080", 59.5),  # the 10GB card's figure
        ("NVIDIA RTX 6000 Ada Generation", 364.2),
        ("Tesla T4", 65),
        ("Tesla P100-PCIE-16GB", 18.7),
        ("NVIDIA H200", 989.4),
        ("NVIDIA H100 PCIe", 756.5),  # the PCIe board, not the SXM5 (989.4)
        ("NVIDIA A100-PCIE-40GB", 312),
        ("AMD Radeon RX 7900 GRE", 91.96),
        ("Intel(R) Arc(TM) B570 Graphics", 101.5),
    ],
)
def test_probed_names_reach_the_new_figures(driver_name: str, fp16_tflops: float | None) -> None:
    got = probe.with_catalog_figures(
        probe.GpuInfo(index=0, vendor="nvidia", name=driver_name, source="x")
    )
    if fp16_tflops is None:
        assert got.spec_fp16_flops is None
    else:
        assert got.spec_fp16_flops == pytest.approx(fp16_tflops * 1e12)
