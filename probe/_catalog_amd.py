"""AMD and Intel GPUs of the catalog, and the GPUs published tables name without their host."""

from __future__ import annotations

from typing import Any

from probe._catalog_parts import AMD, INTEL, Gpu

RX_7900XTX = Gpu("AMD Radeon RX 7900 XTX", "amd", 24, 960, 122.8)
MI300X = Gpu("AMD Instinct MI300X", "amd", 192, 5300, 1307.4)
# RDNA2 and GCN have no matrix units: their packed-FP16 vector rate (Polaris: the FP32 rate).
# RDNA3 WMMA runs FP16 at 512 FLOP/clk per CU, RDNA4 at 1024 (AMD's "matrix" figures: the
# RX 9070 XT's 779 INT8 TOPS with sparsity = 64 CU x 1024 x 2 x 2.97 GHz x 2).
RX_580 = Gpu("AMD Radeon RX 580 8GB", "amd", 8, 256, 6.17)
RX_6800XT = Gpu("AMD Radeon RX 6800 XT", "amd", 16, 512, 41.47)
RX_7900XT = Gpu("AMD Radeon RX 7900 XT", "amd", 20, 800, 103.2)
W7900 = Gpu("AMD Radeon PRO W7900", "amd", 48, 864, 122.6)
RX_9060XT = Gpu("AMD Radeon RX 9060 XT 16GB", "amd", 16, 320, 102.6)
RX_9070 = Gpu("AMD Radeon RX 9070", "amd", 16, 640, 144.5)
RX_9070XT = Gpu("AMD Radeon RX 9070 XT", "amd", 16, 640, 194.6)
R9700 = Gpu("AMD Radeon AI PRO R9700", "amd", 32, 640, 191.4)
MI50 = Gpu("AMD Instinct MI50 32GB", "amd", 32, 1024, 26.5)
RX_5700XT = Gpu("AMD Radeon RX 5700 XT", "amd", 8, 448, 19.51)
RX_6700XT = Gpu("AMD Radeon RX 6700 XT", "amd", 12, 384, 26.43)
# Intel XMX: 2048 FP16 FLOP/clk per Xe core on Alchemist and Battlemage (Intel's Xe2 disclosure:
# 4096 INT8 ops/clk per Xe core; the Arc Pro B50's 170 INT8 TOPS = 16 Xe x 4096 x 2.6 GHz).
ARC_A770 = Gpu("Intel Arc A770 16GB", "intel", 16, 560, 137.6)
ARC_B580 = Gpu("Intel Arc B580", "intel", 12, 456, 116.7)
ARC_PRO_B50 = Gpu("Intel Arc Pro B50", "intel", 16, 224, 85.2)
ARC_A310 = Gpu("Intel Arc A310 4GB", "intel", 4, 124, 24.6)
# Strix Point iGPU (gfx1150): RDNA3.5 like the 8060S, 16 CU x 512 FP16 FLOP/clk x 2.9 GHz. Its
# memory is the laptop's: LPDDR5X-7500 on a 128-bit bus (the Ryzen AI 9 HX 370's fastest
# supported memory) assumed, 32 GB with a quarter kept by the OS.
RADEON_890M = Gpu("AMD Radeon 890M", "amd", 32, 120, 23.76, unified=True, usable_gib=24)
# Phoenix iGPU (gfx1103) of the desktop Ryzen 7 8700G: RDNA3 12 CU x 512 FP16 FLOP/clk x 2.9 GHz
# = 17.82 TFLOPS; dual-channel DDR5-5200 (the 8700G's fastest supported memory) = 83.2 GB/s; 64 GB
# with a quarter kept by the OS, as for the 890M.
RADEON_780M = Gpu("AMD Radeon 780M", "amd", 64, 83.2, 17.82, unified=True, usable_gib=48)
# The same Strix Point iGPU in a host with dual-channel DDR5-5600 (the Ryzen AI 9 HX 370's fastest
# supported DDR5): 5600 MT/s x 16 B = 89.6 GB/s; 64 GB with a quarter kept by the OS, as the 780M's.
RADEON_890M_DDR5 = Gpu(
    "AMD Radeon 890M on DDR5-5600", "amd", 64, 89.6, 23.76, unified=True, usable_gib=48
)
# Strix Halo's 32 CU bin (gfx1151) in the Ryzen AI Max 385: RDNA3.5 32 CU x 512 x 2.8 GHz = 45.9
# TFLOPS; 256-bit LPDDR5X-8000 = 256 GB/s, as the 395's 8060S; 32 GB, GTT raised to all but the
# 8 GiB the 395 entry leaves the OS.
RADEON_8050S = Gpu(
    "AMD Radeon 8050S (gfx1151, 32 CU)", "amd", 32, 256, 45.88, unified=True, usable_gib=24
)


# More RDNA2 (packed FP16: CUs x 64 lanes x 2 FMA x 2 = 256 FLOP/clk per CU) and RDNA3 (WMMA,
# 512 FLOP/clk per CU) cards; CU counts, boost clocks and bandwidth from AMD's product pages.
RX_6800 = Gpu("AMD Radeon RX 6800", "amd", 16, 512, 32.33)
RX_6900XT = Gpu("AMD Radeon RX 6900 XT", "amd", 16, 512, 46.08)
RX_6950XT = Gpu("AMD Radeon RX 6950 XT", "amd", 16, 576, 47.31)
RX_7600 = Gpu("AMD Radeon RX 7600", "amd", 8, 288, 43.5)
RX_7600XT = Gpu("AMD Radeon RX 7600 XT", "amd", 16, 288, 45.14)
RX_7700XT = Gpu("AMD Radeon RX 7700 XT", "amd", 12, 432, 70.34)
RX_7800XT = Gpu("AMD Radeon RX 7800 XT", "amd", 16, 624, 74.65)
RX_7900GRE = Gpu("AMD Radeon RX 7900 GRE", "amd", 16, 576, 91.96)
W7800 = Gpu("AMD Radeon PRO W7800", "amd", 32, 576, 90.5)
# CDNA matrix cores: AMD's peak FP16 matrix figure, 1024 FLOP/clk per CU on CDNA1 and CDNA2.
MI100 = Gpu("AMD Instinct MI100", "amd", 32, 1228.8, 184.6)
MI210 = Gpu("AMD Instinct MI210", "amd", 64, 1638.4, 181.0)
ARC_A750 = Gpu("Intel Arc A750", "intel", 8, 512, 117.6)
# Intel gives the B570 203 INT8 TOPS at a 2.5 GHz graphics clock, as it gives the B580 233 TOPS
# at 2.67 GHz: both imply a higher XMX clock (2.75 and 2.85 GHz); half the TOPS is stored, as
# for the B580.
ARC_B570 = Gpu("Intel Arc B570", "intel", 10, 380, 101.5)


# AMD and Intel GPUs seen in published tables that name only the GPU; each becomes a machine
# in the generic desktop host (_catalog_parts.gpu_box).
AMD_INTEL_BOXES: tuple[tuple[Any, ...], ...] = (
    ("rx580-8gb", RX_580, AMD, "Polaris 36 CU x 128 x 1.34 GHz = 6.17 TFLOPS (FP16 = FP32)"),
    ("rx6800xt", RX_6800XT, AMD, "RX 6800 XT: 41.47 TFLOPS peak half precision, 512 GB/s"),
    ("rx7900xt", RX_7900XT, AMD, "RDNA3: 84 CU x 512 FP16 FLOP/clk x 2.4 GHz = 103.2"),
    ("w7900", W7900, AMD,
     "Radeon PRO W7900: 48 GB, 864 GB/s, 122.6 TFLOPS FP16 (96 CU x 512 x 2.495 GHz); the Dual "
     "Slot board is modelled with the same figures"),
    ("rx9060xt-16gb", RX_9060XT, AMD, "RDNA4: 32 CU x 1024 x 3.13 GHz; 20 Gbps x 128-bit"),
    ("rx9070", RX_9070, AMD, "RDNA4: 56 CU x 1024 x 2.52 GHz; 20 Gbps x 256-bit"),
    ("rx9070xt", RX_9070XT, AMD, "RDNA4: 64 CU x 1024 x 2.97 GHz; 20 Gbps x 256-bit"),
    ("radeon-ai-pro-r9700", R9700, AMD, "RDNA4: 64 CU x 1024 x 2.92 GHz; 32 GB, 640 GB/s"),
    ("mi50-32gb", MI50, AMD, "Instinct MI50: 60 CU, 1725 MHz, 26.5 TFLOPS FP16, 1024 GB/s HBM2"),
    ("rx5700xt", RX_5700XT, AMD, "RDNA1: 40 CU, 1905 MHz, 19.51 TFLOPS FP16; 14 Gbps x 256-bit"),
    ("rx6700xt", RX_6700XT, AMD, "RDNA2: 40 CU, 2581 MHz, 26.43 TFLOPS FP16; 16 Gbps x 192-bit"),
    ("arc-a770-16gb", ARC_A770, INTEL, "32 Xe x 2048 x 2.1 GHz; 17.5 Gbps x 256-bit = 560 GB/s"),
    ("arc-b580", ARC_B580, INTEL, "20 Xe2 x 2048 x 2.85 GHz (233 INT8 TOPS); 456 GB/s"),
    ("arc-pro-b50", ARC_PRO_B50, INTEL, "16 Xe2 x 2048 x 2.6 GHz (170 INT8 TOPS); 224 GB/s"),
    ("arc-a310", ARC_A310, INTEL, "6 Xe x 2048 x 2.0 GHz; 4 GB, 15.5 Gbps x 64-bit = 124 GB/s"),
    ("radeon-890m", RADEON_890M, AMD,
     "Radeon 890M (Ryzen AI 9 HX 370 spec page): 16 CU RDNA3.5 at 2.9 GHz = 23.76 TFLOPS FP16 "
     "WMMA; LPDDR5X-7500 x 128-bit = 120 GB/s assumed (the published run names neither the "
     "laptop nor its memory; DDR5-5600 systems have 89.6 GB/s)"),
    ("radeon-890m-ddr5-5600", RADEON_890M_DDR5, AMD,
     "Radeon 890M (Ryzen AI 9 HX 370 spec page): 16 CU RDNA3.5 at 2.9 GHz = 23.76 TFLOPS FP16 "
     "WMMA; memory DDR5-5600 dual channel (the HX 370 spec page's DDR5 speed) = 5600 MT/s x 16 B "
     "= 89.6 GB/s, 64 GB as noamsto/nix-amd-ai docs/performance.md names its gfx1150 host"),
    ("rx6800", RX_6800, AMD,
     "RDNA2: 60 CU x 256 x 2.105 GHz = 32.33 TFLOPS FP16; 16 Gbps x 256-bit = 512 GB/s"),
    ("rx6900xt", RX_6900XT, AMD,
     "RDNA2: 80 CU x 256 x 2.25 GHz = 46.08 TFLOPS FP16; 16 Gbps x 256-bit = 512 GB/s"),
    ("rx6950xt", RX_6950XT, AMD,
     "RDNA2: 80 CU x 256 x 2.31 GHz = 47.31 TFLOPS FP16; 18 Gbps x 256-bit = 576 GB/s"),
    ("rx7600", RX_7600, AMD,
     "RDNA3: 32 CU x 512 x 2.655 GHz = 43.5; 8 GB, 18 Gbps x 128-bit = 288 GB/s"),
    ("rx7600xt-16gb", RX_7600XT, AMD,
     "RDNA3: 32 CU x 512 x 2.755 GHz = 45.14; 16 GB, 18 Gbps x 128-bit = 288 GB/s"),
    ("rx7700xt", RX_7700XT, AMD,
     "RDNA3: 54 CU x 512 x 2.544 GHz = 70.34; 12 GB, 18 Gbps x 192-bit = 432 GB/s"),
    ("rx7800xt", RX_7800XT, AMD,
     "RDNA3: 60 CU x 512 x 2.43 GHz = 74.65; 16 GB, 19.5 Gbps x 256-bit = 624 GB/s"),
    ("rx7900gre", RX_7900GRE, AMD,
     "RDNA3: 80 CU x 512 x 2.245 GHz = 91.96; 16 GB, 18 Gbps x 256-bit = 576 GB/s"),
    ("radeon-pro-w7800", W7800, AMD,
     "Radeon PRO W7800 (32 GB): 70 CU, 18 Gbps x 256-bit = 576 GB/s; 90.5 TFLOPS peak FP16, "
     "AMD's figure as huggingface.co/hardware/pro-w7800 carries it (= 70 CU x 512 x 2.525 "
     "GHz). The 48 GB board (384-bit, 864 GB/s, same GPU) is not modelled"),
    ("mi100", MI100, AMD,
     "Instinct MI100: 120 CU, 1502 MHz, 184.6 TFLOPS FP16 matrix (120 x 1024 x 1.502); 32 GB "
     "HBM2, 2.4 Gbps x 4096-bit = 1228.8 GB/s"),
    ("mi210", MI210, AMD,
     "Instinct MI210: 104 CU, 1700 MHz, 181 TFLOPS FP16 matrix (104 x 1024 x 1.7); 64 GB "
     "HBM2e, 3.2 Gbps x 4096-bit = 1638.4 GB/s"),
    ("arc-a750", ARC_A750, INTEL,
     "Arc A750: 28 Xe x 2048 x 2.05 GHz = 117.6; 8 GB, 16 Gbps x 256-bit = 512 GB/s"),
    ("arc-b570", ARC_B570, INTEL,
     "Arc B570: 18 Xe2, 203 INT8 TOPS / 2 = 101.5 (18 x 2048 x 2.75 GHz); 10 GB, 19 Gbps x "
     "160-bit = 380 GB/s"),
)  # fmt: skip
