"""CPU-only machines of the catalog."""

from __future__ import annotations

from probe._catalog_parts import EPYC_9654, RYZEN_7950X, Cpu, Entry

CPU_HOSTS: tuple[Entry, ...] = (
    Entry(
        "laptop-16gb",
        "16 GB laptop: Core Ultra 7 155H, LPDDR5X-7467, no discrete GPU",
        Cpu("Intel Core Ultra 7 155H", 16, 22, 4.8, 32, vendor="Intel"),
        16,
        119.5,
        (),
        ("Intel ARK: Core Ultra 7 155H, LPDDR5X-7467 128-bit = 119.5 GB/s",),
    ),
    Entry(
        "desktop-7950x-cpu",
        "Ryzen 9 7950X, 64 GB DDR5-6000, CPU only",
        RYZEN_7950X,
        64,
        96,
        (),
        ("AMD Ryzen 9 7950X spec page",),
    ),
    Entry(
        "epyc-9654-cpu",
        "EPYC 9654, 768 GB DDR5-4800 (12 channels), CPU only",
        EPYC_9654,
        768,
        460.8,
        (),
        ("AMD EPYC 9654 spec page: 12 x DDR5-4800 = 460.8 GB/s",),
    ),
    Entry(
        "threadripper-5975wx-cpu",
        "Threadripper PRO 5975WX, 256 GB DDR4-3200 (8 channels), CPU only",
        Cpu("AMD Ryzen Threadripper PRO 5975WX", 32, 64, 4.5, 32),
        256,
        204.8,
        (),
        ("AMD spec page: 32 Zen 3 cores, 4.5 GHz boost, 8 x DDR4-3200 = 204.8 GB/s",),
    ),
    Entry(
        "graviton3-c7g-16xl",
        "AWS c7g.16xlarge: 64 Graviton3 cores, 128 GB DDR5",
        Cpu("AWS Graviton3 (Neoverse-V1)", 64, 64, 2.6, 32, "aarch64", "ARM"),
        128,
        307.2,
        (),
        ("AWS Graviton3: 8 x DDR5-4800 = 307.2 GB/s",),
    ),
    Entry(
        "raspberry-pi-5-8gb",
        "Raspberry Pi 5, 8 GB LPDDR4X-4267",
        Cpu("Broadcom BCM2712 (Cortex-A76)", 4, 4, 2.4, 16, "aarch64", "ARM"),
        8,
        17.1,
        (),
        ("Raspberry Pi 5 product brief: LPDDR4X-4267 32-bit = 17.1 GB/s",),
    ),
    Entry(
        "raspberry-pi-4b",
        "Raspberry Pi 4 Model B, LPDDR4-3200",
        Cpu("Broadcom BCM2711 (Cortex-A72)", 4, 4, 1.8, 16, "aarch64", "ARM", dotprod=False),
        4,
        12.8,
        (),
        (
            "Raspberry Pi 4 Model B product brief: BCM2711 quad Cortex-A72 @ 1.8 GHz, LPDDR4-3200 "
            "32-bit = 12.8 GB/s; A72: 2 x 128-bit NEON FMA = 16 FLOP/cycle, ARMv8.0-A without "
            "the dot product (Arm Cortex-A72 TRM: no FEAT_DotProd); RAM size not "
            "published with the results: 4 GB (fits every model run)",
            "read bandwidth 4.05 GB/s, a third of the spec: Roy Longbottom's BusSpeed 'Read All' "
            "at 16-64 MB on a 4 GB Pi 4, ten runs at 4050-4065 MB/s (github.com/EntityFX/anybench "
            "results/broadcom-arm-bcm2711-raspberry_pi4_4gb/busSpeed.txt); one-thread STREAM "
            "copy 5.5 GB/s counting reads and writes (sci-pi.org.uk/bench/stream.html). The "
            "BCM2711's memory path, not the LPDDR4, binds: planned as the measured read",
        ),
        ram_read_gbs=4.05,
    ),
    Entry(
        "macbook-pro-2014-i5-4278u",
        "MacBook Pro (2014) Core i5-4278U, 8 GB DDR3L-1600, CPU only",
        Cpu("Intel Core i5-4278U", 2, 4, 3.1, 32, vendor="Intel"),
        8,
        25.6,
        (),
        ("Intel ARK: i5-4278U 2 cores (Haswell, AVX2 + FMA), 3.1 GHz turbo, DDR3L-1600 x2 = 25.6",),
    ),
    Entry(
        "framework12-i3-1315u",
        "Framework Laptop 12, Core i3-1315U, 16 GB DDR5-5200 (one SO-DIMM), CPU only",
        Cpu("Intel Core i3-1315U", 6, 8, 4.5, 32, vendor="Intel"),
        16,
        41.6,
        (),
        (
            "Intel ARK: i3-1315U 2P+4E cores, P-core 4.5 GHz turbo, AVX2, 83.2 GB/s max (two "
            "channels); the Framework Laptop 12 has one DDR5-5200 SO-DIMM slot, 41.6 GB/s "
            "(webcraftingcode.com's Laptop 12 review: dual-channel memory is promised for its "
            "second generation); RAM size not published with the results: 16 GB (fits every "
            "model run)",
        ),
    ),
    Entry(
        "radxa-dragon-q8b-8gb",
        "Radxa Dragon Q8B: Snapdragon 8cx Gen 3 (SC8280XP), 8 GB LPDDR4X-4266, CPU only",
        Cpu("Qualcomm Snapdragon 8cx Gen 3 (SC8280XP)", 8, 8, 3.0, 22, "aarch64", "Qualcomm"),
        8,
        68.3,
        (),
        (
            "Radxa Dragon Q8B spec table (radxa-docs/docs, dragon/q8b/README.md): SC8280XP, "
            "4x Kryo Prime @ 3.0 GHz + 4x Kryo Gold @ 2.4 GHz, LPDDR4X up to 4266 MT/s on a "
            "128-bit bus (8 x 16-bit) = 4266 x 16 B = 68.3 GB/s; cores per sbc-bench on the tested "
            "board (ThomasKaiser/sbc-bench#141): 4x Cortex-X1C @ 2.995 GHz, 4x Cortex-A78C @ "
            "2.438 GHz; FP32: X1C 4x128-bit FMA = 32 FLOP/cycle, A78C 2x128-bit = 16, "
            "4*2.995*32 + 4*2.438*16 = 539 GFLOPS, entered as 8 cores x 3.0 GHz x 22 (528)",
            "RAM as tested: 8 GB (geerlingguy/sbc-reviews#108 'Board specs (as tested): 8GB RAM')",
        ),
    ),
    # Current desktop, server and Arm CPUs people publish CPU-only llama.cpp runs for. Clock: the
    # maximum boost, as the catalog's other CPUs (13900K 5.8, EPYC 9654 3.7, 5975WX 4.5); Intel
    # hybrids count every core at the P-core turbo, as the 13900K does.
    Entry(
        "ryzen-9950x-cpu",
        "Ryzen 9 9950X, 64 GB DDR5-5600, CPU only",
        Cpu("AMD Ryzen 9 9950X", 16, 32, 5.7, 64),
        64,
        89.6,
        (),
        (
            "AMD Ryzen 9 9950X spec page: 16 Zen 5 cores / 32 threads, 5.7 GHz max boost; Zen 5 "
            "desktop runs AVX-512 on full 512-bit datapaths: 2 FMA x 16 FP32 x 2 = 64 FLOP/cycle; "
            "DDR5-5600 dual channel = 5600 MT/s x 2 x 8 B = 89.6 GB/s",
        ),
    ),
    Entry(
        "i9-14900k-cpu",
        "Core i9-14900K, 64 GB DDR5-5600, CPU only",
        Cpu("Intel Core i9-14900K", 24, 32, 6.0, 32, vendor="Intel"),
        64,
        89.6,
        (),
        (
            "Intel ARK: i9-14900K (Raptor Lake Refresh) 8P + 16E cores / 32 threads, 6.0 GHz max "
            "turbo, AVX2 + FMA (2 x 256-bit FMA = 32 FLOP/cycle, no AVX-512); DDR5-5600 dual "
            "channel = 5600 MT/s x 2 x 8 B = 89.6 GB/s (ARK's max memory bandwidth)",
        ),
    ),
    Entry(
        "core-ultra-9-285k-cpu",
        "Core Ultra 9 285K, 64 GB DDR5-6400, CPU only",
        Cpu("Intel Core Ultra 9 285K", 24, 24, 5.7, 32, vendor="Intel"),
        64,
        102.4,
        (),
        (
            "Intel ARK: Core Ultra 9 285K (Arrow Lake-S) 8P + 16E cores / 24 threads (no "
            "Hyper-Threading), 5.7 GHz max turbo, AVX2 + FMA = 32 FLOP/cycle, no AVX-512; "
            "DDR5-6400 dual channel = 6400 MT/s x 2 x 8 B = 102.4 GB/s",
        ),
    ),
    Entry(
        "epyc-9755-cpu",
        "EPYC 9755, 768 GB DDR5-6400 (12 channels), CPU only",
        Cpu("AMD EPYC 9755", 128, 256, 4.1, 64),
        768,
        614.4,
        (),
        (
            "AMD EPYC 9755 spec page: 128 Zen 5 cores / 256 threads, up to 4.1 GHz boost, "
            "full 512-bit AVX-512 datapaths = 64 FLOP/cycle; 12 x DDR5-6400 = 6400 MT/s x 12 x "
            "8 B = 614.4 GB/s (AMD: 614 GB/s per socket); 768 GB = 12 x 64 GB",
        ),
    ),
    Entry(
        "xeon-6980p-cpu",
        "Xeon 6980P, 768 GB DDR5-6400 (12 channels), CPU only",
        Cpu("Intel Xeon 6980P", 128, 256, 3.9, 64, vendor="Intel"),
        768,
        614.4,
        (),
        (
            "Intel ARK: Xeon 6980P (Granite Rapids-AP) 128 cores / 256 threads, 3.9 GHz max "
            "turbo, AVX-512 with 2 FMA units = 64 FLOP/cycle (its AMX tile units are not "
            "modelled); 12 x DDR5-6400 = 6400 MT/s x 12 x 8 B = 614.4 GB/s (MRDIMM-8800, "
            "844.8 GB/s, not modelled); 768 GB = 12 x 64 GB",
        ),
    ),
    Entry(
        "graviton4-c8g-24xl",
        "AWS c8g.24xlarge: 96 Graviton4 cores, 192 GB DDR5",
        Cpu("AWS Graviton4 (Neoverse-V2)", 96, 96, 2.8, 32, "aarch64", "ARM"),
        192,
        537.6,
        (),
        (
            "AWS Graviton4: 96 Neoverse-V2 cores at 2.8 GHz, 4 x 128-bit SVE2/NEON FMA = 32 "
            "FLOP/cycle; 12 x DDR5-5600 = 5600 MT/s x 12 x 8 B = 537.6 GB/s; c8g.24xlarge: "
            "96 vCPUs (one socket), 192 GiB",
        ),
    ),
    Entry(
        "snapdragon-x-elite-cpu",
        "Snapdragon X Elite X1E-84-100, 32 GB LPDDR5X-8448, CPU only",
        Cpu("Qualcomm Snapdragon X Elite X1E-84-100", 12, 12, 4.2, 32, "aarch64", "Qualcomm"),
        32,
        135.2,
        (),
        (
            "Qualcomm Snapdragon X Elite X1E-84-100 product brief: 12 Oryon cores, 3.8 GHz all-"
            "core, 4.2 GHz dual-core boost (entered: the max boost), 4 x 128-bit NEON FMA = 32 "
            "FLOP/cycle; LPDDR5X-8448 on 128 bits = 8448 MT/s x 16 B = 135.2 GB/s (Qualcomm: 135 "
            "GB/s); RAM 32 GB (the common laptop configuration)",
        ),
    ),
    Entry(
        "ampere-altra-max-cpu",
        "Ampere Altra Max M128-30, 256 GB DDR4-3200 (8 channels), CPU only",
        Cpu("Ampere Altra Max M128-30 (Neoverse-N1)", 128, 128, 3.0, 16, "aarch64", "Ampere"),
        256,
        204.8,
        (),
        (
            "Ampere Altra Max product brief: M128-30, 128 Neoverse-N1 cores at 3.0 GHz, 2 x "
            "128-bit NEON FMA = 16 FLOP/cycle (ARMv8.2 with the dot product); 8 x DDR4-3200 = "
            "3200 MT/s x 8 x 8 B = 204.8 GB/s; 256 GB = 8 x 32 GB",
        ),
    ),
    Entry(
        "nvidia-grace-cpu",
        "NVIDIA Grace CPU (one Grace of a superchip): 72 Neoverse-V2 cores, 480 GB LPDDR5X",
        Cpu("NVIDIA Grace (Neoverse-V2)", 72, 72, 3.1, 32, "aarch64", "NVIDIA"),
        480,
        500,
        (),
        (
            "NVIDIA Grace CPU Superchip specification (hardwaretimes.com's copy of NVIDIA's table, "
            "GTC 2022): two Grace CPUs of 72 Neoverse-V2 cores each (144), Armv9 with 4 x 128-bit "
            "SVE2 = 32 FP32 FLOP/cycle per core; FP64 peak 7.1 TFLOPS = 144 cores x 16 FP64 "
            "FLOP/cycle x 3.08 GHz, entered as 3.1 GHz; LPDDR5X on 32 channels, up to 1 TB/s per "
            "superchip = 500 GB/s per Grace CPU",
            "NVIDIA developer blog 'NVIDIA Grace CPU Delivers High Bandwidth and Efficiency for "
            "Modern Data Centers': 72 Neoverse cores in one NUMA domain with 480 GB of LPDDR5X; "
            "smaller VMs on Grace reach the full memory subsystem (why a 32-core Grace VM is "
            "planned on this entry)",
        ),
    ),
)
