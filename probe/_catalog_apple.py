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
)
