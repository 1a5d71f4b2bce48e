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
# Jetson Orin Nano Super 8GB (the Orin Nano 8GB module in JetPack 6.2's MAXN SUPER mode): the same
# GA10B at 8 SM (1024 cores, 32 tensor cores) and 1.02 GHz, 67 sparse INT8 TOPS = 8 x 4096 x 1.02
# x 2; 128-bit LPDDR5 at 6400 MT/s = 102.4 GB/s (NVIDIA: 102 GB/s). FP16 dense = 8 x 2048 x 1.02 =
# 16.71 and mmq_tflops = 8 x 512 x 1.02 = 4.18, as for the AGX Orin. Usable: Linux sees 7620 MB of
# the 8 GB (tegrastats "RAM x/7620MB"), of which a headless L4T keeps about 0.9 GB: 6.5 GiB.
JETSON_ORIN_NANO_SUPER = Gpu(
    "NVIDIA Jetson Orin Nano Super 8GB",
    "nvidia",
    8,
    102.4,
    16.71,
    unified=True,
    usable_gib=6.5,
    mmq_tflops=4.18,
)
# Jetson AGX Thor (T5000 module; NVML names it "NVIDIA Thor"): Blackwell GPU of 20 SM (10 TPCs,
# 2560 cores) at 1.57 GHz max, 128 GB 256-bit LPDDR5X at 273 GB/s shared with the 14-core
# Neoverse-V3AE CPU (Jetson Thor technical brief TB-12572-001: 2070 TFLOPS FP4 sparse, 258 FP16
# dense). Thor's SM is the data-centre Blackwell SM (tcgen05 tensor cores, full-rate FP32
# accumulate): 20 x 8192 x 1.57 = 257 = the brief's 258, stored; mmq_tflops = 20 x 512 x 1.57 =
# 16.08. Usable: 119 GiB, as the DGX Spark's GB10 with the same 128 GB.
JETSON_AGX_THOR = Gpu(
    "NVIDIA Thor (Jetson AGX Thor T5000)",
    "nvidia",
    128,
    273,
    258,
    unified=True,
    usable_gib=119,
    mmq_tflops=16.08,
)


# More GeForce cards (half-rate FP16/FP32-accumulate tensor math, as above): SMs = CUDA cores /
# 128; boost clocks and memory from NVIDIA's spec pages (40 SUPER bandwidth from their launch
# release). NVML names the 3080 10GB and 12GB alike ("NVIDIA GeForce RTX 3080"); _gpu_key drops
# the size, so a probed 3080 keeps the 10GB card's figures (listed first in the catalog). The
# RTX 4060 Ti 8GB shares its key with the 16GB card and every figure but memory size.
RTX_3050 = Gpu("NVIDIA GeForce RTX 3050 8GB", "nvidia", 8, 224, 18.2)
RTX_3060TI = Gpu("NVIDIA GeForce RTX 3060 Ti", "nvidia", 8, 448, 32.4)
RTX_3080_12GB = Gpu("NVIDIA GeForce RTX 3080 12GB", "nvidia", 12, 912, 61.3)
RTX_4060 = Gpu("NVIDIA GeForce RTX 4060", "nvidia", 8, 272, 30.2)
RTX_4060TI_8GB = Gpu("NVIDIA GeForce RTX 4060 Ti 8GB", "nvidia", 8, 288, 44.1)
RTX_4070_SUPER = Gpu("NVIDIA GeForce RTX 4070 SUPER", "nvidia", 12, 504, 71.0)
RTX_4070TI_SUPER = Gpu("NVIDIA GeForce RTX 4070 Ti SUPER", "nvidia", 16, 672, 88.2)
RTX_4080_SUPER = Gpu("NVIDIA GeForce RTX 4080 SUPER", "nvidia", 16, 736, 104.4)
RTX_5060 = Gpu("NVIDIA GeForce RTX 5060", "nvidia", 8, 448, 38.4)
RTX_5070 = Gpu("NVIDIA GeForce RTX 5070", "nvidia", 12, 672, 61.7)
# Workstation and data-centre parts run FP16 with FP32 accumulate at full rate: fp16_tflops is
# the datasheet's dense FP16 tensor figure (sparse figures halved; the RTX 6000 Ada's FP8 sparse
# one quartered), which is SMs x 1024 x boost clock on Turing/Ampere GA10x/Ada (x 2048 on the
# A100's GA100, x 4096 on Hopper); mmq_tflops = SMs x 512 x boost clock, as for the H100/A100/
# L40S above (the clock from the datasheet's FP32 figure = CUDA cores x 2 x clock).
RTX_A4000 = Gpu("NVIDIA RTX A4000", "nvidia", 16, 448, 76.7, mmq_tflops=38.3)
RTX_A5000 = Gpu("NVIDIA RTX A5000", "nvidia", 24, 768, 111.1, mmq_tflops=55.5)
RTX_A6000 = Gpu("NVIDIA RTX A6000", "nvidia", 48, 768, 154.8, mmq_tflops=77.4)
RTX_6000_ADA = Gpu("NVIDIA RTX 6000 Ada Generation", "nvidia", 48, 960, 364.2, mmq_tflops=182.1)
L4 = Gpu("NVIDIA L4", "nvidia", 24, 300, 121, mmq_tflops=60.6)
A10 = Gpu("NVIDIA A10", "nvidia", 24, 600, 125, mmq_tflops=62.5)
A40 = Gpu("NVIDIA A40", "nvidia", 48, 696, 149.7, mmq_tflops=74.8)
T4 = Gpu("NVIDIA Tesla T4", "nvidia", 16, 320, 65, mmq_tflops=32.6)
H200 = Gpu("NVIDIA H200 141GB HBM3e (SXM5)", "nvidia", 141, 4800, 989.4, mmq_tflops=133.8)
# The PCIe boards under the names their drivers report ("NVIDIA H100 PCIe", "NVIDIA
# A100-PCIE-40GB"): their _gpu_key keeps "pcie" (another board than the SXM parts: fewer SMs or
# lower clocks), so a probed PCIe card gets these figures. The A100 80GB PCIe shares the 40GB
# board's key and compute (108 SM at 1.41 GHz); only its bandwidth differs, which a probe
# measures rather than takes from here.
H100_PCIE = Gpu("NVIDIA H100 PCIe", "nvidia", 80, 2000, 756.5, mmq_tflops=102.4)
A100_PCIE_40GB = Gpu("NVIDIA A100-PCIE-40GB", "nvidia", 40, 1555, 312, mmq_tflops=78.0)
# Pascal GP100 has no tensor cores but runs FP16 at twice its FP32 rate (3584 cores x 2 FLOP x
# 2 x 1.303 GHz = 18.7 TFLOPS, the datasheet's figure). Compute capability 6.0 has no dp4a, so
# llama.cpp's MMQ is off (it needs 6.1) and quantized batches are dequantized to FP16 for a
# cuBLAS GEMM with FP16 compute (fast_fp16_hardware_available holds for 6.0): the FP16 vector
# rate is what llama.cpp runs at, and what is stored, as the P40 stores its own.
TESLA_P100 = Gpu("NVIDIA Tesla P100 PCIe 16GB", "nvidia", 16, 732, 18.7)


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
    ("rtx3050", RTX_3050, NV,
     "RTX 3050 8GB (desktop): 20 SM x 512 x 1.777 GHz = 18.2; 14 Gbps x 128-bit = 224 GB/s"),
    ("rtx3060ti", RTX_3060TI, NV,
     "RTX 3060 Ti (GDDR6): 38 SM x 512 x 1.665 GHz = 32.4; 14 Gbps x 256-bit = 448 GB/s "
     "(the later GDDR6X board: 19 Gbps = 608 GB/s)"),
    ("rtx3080-12gb", RTX_3080_12GB, NV,
     "RTX 3080 12GB: 70 SM x 512 x 1.71 GHz = 61.3; 19 Gbps x 384-bit = 912 GB/s"),
    ("rtx4060", RTX_4060, NV,
     "RTX 4060 8GB: 24 SM x 512 x 2.46 GHz = 30.2; 17 Gbps x 128-bit = 272 GB/s"),
    ("rtx4060ti-8gb", RTX_4060TI_8GB, NV,
     "RTX 4060 Ti 8GB: 34 SM x 512 x 2.535 GHz = 44.1; 18 Gbps x 128-bit = 288 GB/s"),
    ("rtx4070-super", RTX_4070_SUPER, NV,
     "RTX 4070 SUPER: 56 SM x 512 x 2.475 GHz = 71.0; 21 Gbps x 192-bit = 504 GB/s"),
    ("rtx4070ti-super", RTX_4070TI_SUPER, NV,
     "RTX 4070 Ti SUPER: 66 SM x 512 x 2.61 GHz = 88.2; 21 Gbps x 256-bit = 672 GB/s"),
    ("rtx4080-super", RTX_4080_SUPER, NV,
     "RTX 4080 SUPER: 80 SM x 512 x 2.55 GHz = 104.4; 23 Gbps x 256-bit = 736 GB/s"),
    ("rtx5060", RTX_5060, NV,
     "RTX 5060 8GB: 30 SM x 512 x 2.497 GHz = 38.4; 28 Gbps x 128-bit = 448 GB/s"),
    ("rtx5070", RTX_5070, NV,
     "RTX 5070: 48 SM x 512 x 2.512 GHz = 61.7; 28 Gbps x 192-bit = 672 GB/s"),
    ("rtx-a4000", RTX_A4000,
     "NVIDIA RTX A4000 datasheet: 16 GB GDDR6, 448 GB/s (14 Gbps x 256-bit), 19.2 TFLOPS FP32 "
     "(6144 cores x 2 x 1.56 GHz), 153.4 tensor TFLOPS sparse: 48 SM x 1024 x 1.56 = 76.7 dense; "
     "mmq 48 x 512 x 1.56 = 38.3"),
    ("rtx-a5000", RTX_A5000,
     "NVIDIA RTX A5000 datasheet: 24 GB GDDR6, 768 GB/s (16 Gbps x 384-bit), 27.8 TFLOPS FP32 "
     "(8192 x 2 x 1.695 GHz), 222.2 tensor TFLOPS sparse: 64 SM x 1024 x 1.695 = 111.1 dense; "
     "mmq 64 x 512 x 1.695 = 55.5"),
    ("rtx-a6000", RTX_A6000,
     "NVIDIA RTX A6000 datasheet / GA102 whitepaper: 48 GB GDDR6, 768 GB/s, 38.7 TFLOPS FP32 "
     "(10752 x 2 x 1.8 GHz), 154.8 FP16 TFLOPS FP32-acc dense (309.7 sparse) = 84 SM x 1024 x "
     "1.8; mmq 84 x 512 x 1.8 = 77.4"),
    ("rtx-6000-ada", RTX_6000_ADA,
     "NVIDIA RTX 6000 Ada Generation datasheet: 48 GB GDDR6, 960 GB/s (20 Gbps x 384-bit), "
     "91.1 TFLOPS FP32 (18176 x 2 x 2.505 GHz), 1457 tensor TFLOPS (FP8 sparse) / 4 = 364.2 "
     "FP16 dense = 142 SM x 1024 x 2.505; mmq 142 x 512 x 2.505 = 182.1"),
    ("l4", L4,
     "NVIDIA L4 datasheet: 24 GB GDDR6, 300 GB/s, 30.3 TFLOPS FP32 (7424 x 2 x 2.04 GHz), "
     "242 FP16 tensor TFLOPS sparse / 2 = 121 (58 SM x 1024 x 2.04 = 121.2); mmq 58 x 512 x "
     "2.04 = 60.6"),
    ("a10", A10,
     "NVIDIA A10 datasheet: 24 GB GDDR6, 600 GB/s (12.5 Gbps x 384-bit), 31.2 TFLOPS FP32 "
     "(9216 x 2 x 1.695 GHz), 125 FP16 tensor TFLOPS dense (250 sparse) = 72 SM x 1024 x "
     "1.695; mmq 72 x 512 x 1.695 = 62.5"),
    ("a40", A40,
     "NVIDIA A40 datasheet: 48 GB GDDR6, 696 GB/s (14.5 Gbps x 384-bit), 37.4 TFLOPS FP32 "
     "(10752 x 2 x 1.74 GHz), 149.7 FP16 tensor TFLOPS dense (299.4 sparse) = 84 SM x 1024 "
     "x 1.74; mmq 84 x 512 x 1.74 = 74.8"),
    ("t4", T4,
     "NVIDIA T4 datasheet: 16 GB GDDR6, 320 GB/s (10 Gbps x 256-bit), 8.1 TFLOPS FP32, 65 "
     "TFLOPS FP16/FP32 mixed precision = 40 SM x 1024 x 1.59 GHz (Turing, full rate); mmq "
     "40 x 512 x 1.59 = 32.6"),
    ("h100-pcie", H100_PCIE,
     "NVIDIA H100 PCIe datasheet / product brief: 80 GB HBM2e, 2 TB/s, 1513 FP16 tensor "
     "TFLOPS sparse / 2 = 756.5 dense; 51 TFLOPS FP32 = 114 SM x 128 x 2 x 1.755 GHz: mmq "
     "114 x 512 x 1.755 = 102.4"),
    ("h200", H200,
     "NVIDIA H200 datasheet (SXM): 141 GB HBM3e, 4.8 TB/s, 1979 FP16 tensor TFLOPS sparse; "
     "the H100 SXM5's GH100 (132 SM) at its clocks: 989.4 dense and mmq 133.8 as stored for it"),
    ("a100-40gb-pcie", A100_PCIE_40GB,
     "NVIDIA A100 datasheet (40GB PCIe): 40 GB HBM2, 1555 GB/s, 312 FP16 tensor TFLOPS dense "
     "= 108 SM x 2048 x 1.41 GHz; mmq 108 x 512 x 1.41 = 78.0"),
    ("tesla-p100-16gb", TESLA_P100,
     "NVIDIA Tesla P100 PCIe datasheet: 16 GB HBM2, 732 GB/s, 9.3 TFLOPS FP32, 18.7 TFLOPS "
     "FP16 (3584 x 2 x 2 x 1.303 GHz); no tensor cores and no dp4a (cc 6.0): llama.cpp runs "
     "batches as FP16 cuBLAS GEMMs at that vector rate, which is stored"),
)  # fmt: skip
