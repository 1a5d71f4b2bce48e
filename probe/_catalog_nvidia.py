"""NVIDIA GPUs of the catalog, and the GPUs published tables name without their host."""

from __future__ import annotations

from typing import Any

from probe._catalog_parts import NV, Gpu

RTX_3060 = Gpu("NVIDIA GeForce RTX 3060 12GB", "nvidia", 12, 360, 25.6)
RTX_3070 = Gpu("NVIDIA GeForce RTX 3070", "nvidia", 8, 448, 40.6)
RTX_3080 = Gpu("NVIDIA GeForce RTX 3080 10GB", "nvidia", 10, 760.3, 59.5)
RTX_3080TI = Gpu("NVIDIA GeForce RTX 3080 Ti", "nvidia", 12, 912.4, 68.2)
RTX_4070TI = Gpu("NVIDIA GeForce RTX 4070 Ti", "nvidia", 12, 504.2, 80.2)
RTX_4080 = Gpu("NVIDIA GeForce RTX 4080", "nvidia", 16, 716.8, 97.5)
RTX_3090 = Gpu("NVIDIA GeForce RTX 3090", "nvidia", 24, 936.2, 71.0)
RTX_4060TI = Gpu("NVIDIA GeForce RTX 4060 Ti 16GB", "nvidia", 16, 288, 44.1)
RTX_4090 = Gpu("NVIDIA GeForce RTX 4090", "nvidia", 24, 1008, 165.2)
RTX_5090 = Gpu("NVIDIA GeForce RTX 5090", "nvidia", 32, 1792, 209.5)
# Data-centre and workstation parts: mmq_tflops = SMs x 512 x boost clock (GpuInfo): A100 108
# SM x 1.41 GHz (A100 whitepaper), H100 SXM5 132 SM x 1.98 GHz (H100 whitepaper SM count;
# 1980 MHz max SM clock), L40S 142 SM x 2.52 GHz (L40S datasheet), RTX PRO 6000 Blackwell 188 SM
# x 2.617 GHz (its datasheet). Volta (V100) runs big quantized batches through cuBLAS FP16 and
# Pascal (P40) through dp4a at 4x its FP32 rate (= the FP32 figure on this scale): no change.
H100 = Gpu("NVIDIA H100 80GB HBM3 (SXM5)", "nvidia", 80, 3350, 989.4, mmq_tflops=133.8)
A100 = Gpu("NVIDIA A100 80GB (SXM4)", "nvidia", 80, 2039, 312, mmq_tflops=78.0)
L40S = Gpu("NVIDIA L40S", "nvidia", 48, 864, 362.1, mmq_tflops=183.2)
# GeForce tensor cores run FP16 with FP32 accumulate at half rate: 512 FLOP/clk per SM from
# Turing to Blackwell (the whitepapers' 71.0 for the 3090 = 82 SM x 512 x 1.695 GHz, 53.8 for the
# 2080 Ti = 68 x 512 x 1.545); RTX PRO and data-centre parts run it at full rate.
RTX_2070 = Gpu("NVIDIA GeForce RTX 2070", "nvidia", 8, 448, 29.9)
RTX_2080TI = Gpu("NVIDIA GeForce RTX 2080 Ti", "nvidia", 11, 616, 53.8)
RTX_3090TI = Gpu("NVIDIA GeForce RTX 3090 Ti", "nvidia", 24, 1008, 80.0)
RTX_5060TI = Gpu("NVIDIA GeForce RTX 5060 Ti 16GB", "nvidia", 16, 448, 47.4)
RTX_5070TI = Gpu("NVIDIA GeForce RTX 5070 Ti", "nvidia", 16, 896, 87.9)
RTX_5080 = Gpu("NVIDIA GeForce RTX 5080", "nvidia", 16, 960, 112.6)
RTX_PRO_6000 = Gpu("NVIDIA RTX PRO 6000 Blackwell", "nvidia", 96, 1792, 503.8, mmq_tflops=251.9)
V100_PCIE = Gpu("NVIDIA Tesla V100 PCIe 32GB", "nvidia", 32, 900, 112)
RTX_4070 = Gpu("NVIDIA GeForce RTX 4070", "nvidia", 12, 504, 58.3)
# Pascal GP102 has no tensor cores and runs FP16 at 1/64 rate: llama.cpp runs it at the FP32
# vector rate (3840 cores x 2 FLOP x 1.531 GHz boost = 11.76 TFLOPS), which is what is stored.
TESLA_P40 = Gpu("NVIDIA Tesla P40", "nvidia", 24, 346, 11.76)
# Jetson AGX Orin 64GB: Ampere GA10B iGPU, 16 SM at 1.3 GHz, 64 GB LPDDR5 (256-bit, 204.8 GB/s)
# shared with the 12-core Cortex-A78AE CPU. Its tensor cores run A100-class rates (170 sparse INT8
# TOPS = 16 SM x 4096 INT8 op/clk x 1.3 GHz x 2), so FP16 dense = 16 x 2048 x 1.3 = 42.6 TFLOPS
# and mmq_tflops = 16 x 512 x 1.3 = 10.6, as for the data-centre parts above.
JETSON_AGX_ORIN = Gpu(
    "NVIDIA Jetson AGX Orin 64GB",
    "nvidia",
    64,
    204.8,
    42.6,
    unified=True,
    usable_gib=58,
    mmq_tflops=10.6,
)


# NVIDIA GPUs seen in published tables (llama.cpp PRs, scoreboards) that name only the GPU;
# each becomes a machine in the generic desktop host (_catalog_parts.gpu_box).
NVIDIA_BOXES: tuple[tuple[Any, ...], ...] = (
    ("rtx2070", RTX_2070, "NVIDIA Turing whitepaper: RTX 2070 29.9 TFLOPS FP16 (FP32 acc)"),
    ("rtx2080ti", RTX_2080TI, "NVIDIA Turing whitepaper: RTX 2080 Ti 53.8 TFLOPS FP16 (FP32 acc)"),
    ("rtx3090ti", RTX_3090TI, NV, "84 SM x 512 FP16 FLOP/clk x 1.86 GHz = 80.0 TFLOPS"),
    ("rtx5060ti-16gb", RTX_5060TI, NV, "36 SM x 512 x 2.572 GHz; 28 Gbps x 128-bit = 448 GB/s"),
    ("rtx5070ti", RTX_5070TI, NV, "70 SM x 512 x 2.452 GHz; 28 Gbps x 256-bit = 896 GB/s"),
    ("rtx5080", RTX_5080, NV, "84 SM x 512 x 2.617 GHz; 30 Gbps x 256-bit = 960 GB/s"),
    ("rtx-pro-6000-blackwell", RTX_PRO_6000,
     "NVIDIA RTX PRO 6000 Blackwell datasheet: 96 GB GDDR7, 1792 GB/s, 4 PFLOPS FP4 sparse; "
     "188 SM x 1024 FP16 FLOP/clk x 2.617 GHz = 503.8 TFLOPS (FP4 sparse / 8)"),
    ("v100-pcie-32gb", V100_PCIE,
     "NVIDIA Tesla V100 datasheet (PCIe): 32 GB HBM2, 900 GB/s, 112 TFLOPS tensor"),
    ("rtx4070", RTX_4070, NV,
     "RTX 4070 specifications: 12 GB GDDR6X, 21 Gbps x 192-bit = 504 GB/s; "
     "46 SM x 512 FP16 FLOP/clk x 2.475 GHz boost = 58.3 TFLOPS (FP32 acc)"),
    ("tesla-p40", TESLA_P40,
     "NVIDIA Tesla P40 datasheet: 24 GB GDDR5, 346 GB/s, 12 TFLOPS single precision "
     "(3840 CUDA cores x 2 x 1.531 GHz = 11.76; no tensor cores, FP16 at 1/64 rate: FP32 stored)"),
    ("jetson-agx-orin-64gb", JETSON_AGX_ORIN,
     "NVIDIA Jetson AGX Orin series datasheet / technical brief: 64 GB 256-bit LPDDR5 204.8 GB/s, "
     "2048-core Ampere GPU with 64 tensor cores at 1.3 GHz, 170 sparse INT8 TOPS (GPU); "
     "unified memory, about 58 GiB left to the GPU. The generic desktop host stands in for the "
     "Orin's own 12-core Cortex-A78AE CPU (every layer offloaded)"),
)  # fmt: skip
