"""Apple silicon machines of the catalog (unified memory, Metal)."""

from __future__ import annotations

from probe._catalog_parts import Entry, apple

APPLE_HOSTS: tuple[Entry, ...] = (
    apple("macbook-air-m1-8gb", "Apple M1", 4, 4, 7, 1.278, 8, 68.25),
    apple("m1-max-64gb", "Apple M1 Max", 8, 2, 32, 1.296, 64, 409.6),
    apple("m2-max-96gb", "Apple M2 Max", 8, 4, 38, 1.398, 96, 409.6),
    apple("m2-ultra-192gb", "Apple M2 Ultra", 16, 8, 76, 1.398, 192, 819.2),
    apple("m3-max-128gb", "Apple M3 Max", 12, 4, 40, 1.398, 128, 409.6),
    apple("m3-ultra-512gb", "Apple M3 Ultra", 24, 8, 80, 1.398, 512, 819.2),
    apple("m4-pro-48gb", "Apple M4 Pro", 10, 4, 20, 1.578, 48, 273),
    apple("m4-max-128gb", "Apple M4 Max", 12, 4, 40, 1.578, 128, 546),
    apple("macbook-air-m2-16gb", "Apple M2", 4, 4, 10, 1.398, 16, 102.4),
    apple("mac-mini-m4-16gb", "Apple M4", 4, 6, 10, 1.578, 16, 120),
    # Each GPU bin of llama.cpp discussion #4167's table, at the largest memory Apple sells it
    # with (the table gives no RAM; F16 7B needs more than the 16 GB parts can wire).
    apple("m1-7c-16gb", "Apple M1", 4, 4, 7, 1.278, 16, 68.25),
    apple("m1-16gb", "Apple M1", 4, 4, 8, 1.278, 16, 68.25),
    apple("m1-pro-14c-32gb", "Apple M1 Pro", 6, 2, 14, 1.296, 32, 204.8),
    apple("m1-pro-32gb", "Apple M1 Pro", 8, 2, 16, 1.296, 32, 204.8),
    apple("m1-max-24c-64gb", "Apple M1 Max", 8, 2, 24, 1.296, 64, 409.6),
    apple("m1-ultra-48c-128gb", "Apple M1 Ultra", 16, 4, 48, 1.296, 128, 819.2),
    apple("m1-ultra-128gb", "Apple M1 Ultra", 16, 4, 64, 1.296, 128, 819.2),
    apple("m2-8c-24gb", "Apple M2", 4, 4, 8, 1.398, 24, 102.4),
    apple("m2-24gb", "Apple M2", 4, 4, 10, 1.398, 24, 102.4),
    apple("m2-pro-16c-32gb", "Apple M2 Pro", 6, 4, 16, 1.398, 32, 204.8),
    apple("m2-pro-32gb", "Apple M2 Pro", 8, 4, 19, 1.398, 32, 204.8),
    apple("m2-max-30c-64gb", "Apple M2 Max", 8, 4, 30, 1.398, 64, 409.6),
    apple("m2-ultra-60c-192gb", "Apple M2 Ultra", 16, 8, 60, 1.398, 192, 819.2),
    apple("m3-24gb", "Apple M3", 4, 4, 10, 1.398, 24, 102.4),
    apple("m3-pro-14c-36gb", "Apple M3 Pro", 5, 6, 14, 1.398, 36, 153.6),
    apple("m3-pro-36gb", "Apple M3 Pro", 6, 6, 18, 1.398, 36, 153.6),
    apple("m3-max-30c-96gb", "Apple M3 Max", 10, 4, 30, 1.398, 96, 307.2),
    apple("m3-ultra-60c-256gb", "Apple M3 Ultra", 20, 8, 60, 1.398, 256, 819.2),
    apple("m4-32gb", "Apple M4", 4, 6, 10, 1.578, 32, 120),
    apple("m4-pro-16c-64gb", "Apple M4 Pro", 8, 4, 16, 1.578, 64, 273),
    apple("m4-max-32c-36gb", "Apple M4 Max", 10, 4, 32, 1.578, 36, 410),
    # The 8-core-GPU bins of the base chips, at 16 GB (the MacBook Air's base memory since the
    # 2024 M3 refresh and on the M4 Air): 8 cores x 128 x 2 x clock, as for their 10-core bins.
    apple("m3-8c-16gb", "Apple M3", 4, 4, 8, 1.398, 16, 102.4),
    apple("m4-8c-16gb", "Apple M4", 4, 6, 8, 1.578, 16, 120),
    # M5 family (M5: Oct 2025; M5 Pro and M5 Max: Mar 2026), each at the most memory Apple sells
    # it with (Apple newsroom / tech specs: M5 10-core GPU, 153 GB/s, up to 32 GB; M5 Pro up to
    # 20-core GPU, 307 GB/s, up to 64 GB; M5 Max up to 40-core GPU, 614 GB/s, up to 128 GB). The
    # Pro and Max CPU is 6 super + 12 performance cores (entered as P + E). Apple publishes no
    # GPU clock: M5 1.74 GHz (hmc-tech.com's 10-core M5: 1740 MHz, 4.45 TFLOPS FP32 = 10 x 128 x
    # 2 x 1.74); M5 Max 1.62 GHz (powermetrics' GPU clock under load on a 40-core M5 Max,
    # github.com/feedback-assistant/reports#830); the M5 Pro's clock is unpublished and the M5
    # Max's is assumed (one clock per Pro/Max generation, as the M1-M4 entries use). Each M5 GPU
    # core also has a Neural Accelerator for matrix math: Apple gives the M5 "over 4x the peak GPU
    # compute for AI" of the M4 (Apple newsroom, 2025-10-15), i.e. 4 x 256 = 1024 FP16 FLOPs per
    # core and clock (4.4x the 10-core M4, each at its own clock). llama.cpp's Metal matmuls
    # reach them through the Metal 4 tensor API, on M5/A19 only (ggml-metal "tensor API
    # disabled for pre-M5 and pre-A19 devices"; PR 16634, 2025-10; PR 17087); an M5 Max
    # prefills 2-3x faster with it than without (lmstudio-bug-tracker issue 2040, 2026-06, same
    # GGUFs, upstream b9592).
    # (_catalog_parts.APPLE_TENSOR_FLOP_CLK). Attention and the other ops stay on the ALUs
    # (probe.matrix_unit_gain).
    apple("m5-32gb", "Apple M5", 4, 6, 10, 1.74, 32, 153),
    apple("m5-pro-64gb", "Apple M5 Pro", 6, 12, 20, 1.62, 64, 307),
    apple("m5-max-128gb", "Apple M5 Max", 6, 12, 40, 1.62, 128, 614),
)
