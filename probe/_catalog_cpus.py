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
        "Framework Laptop 12, Core i3-1315U, 16 GB DDR5, CPU only",
        Cpu("Intel Core i3-1315U", 6, 8, 4.5, 32, vendor="Intel"),
        16,
        83.2,
        (),
        (
            "Intel ARK: i3-1315U 2P+4E cores, P-core 4.5 GHz turbo, AVX2, 83.2 GB/s max; RAM size "
            "not published with the results: 16 GB (fits every model run)",
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
)
