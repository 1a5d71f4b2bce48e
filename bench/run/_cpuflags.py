"""The cmake switches that build llama.cpp's CPU code for this host without AMX, where needed.

llama.cpp's AMX matmuls (ggml-cpu/amx: prefill of Q4_0, Q4_1, Q8_0, Q4_K-Q6_K and IQ4_XS
weights on a CPU with AMX-INT8) fault on some AMX hosts: `ldtilecfg` raises a general protection
fault in ``ggml_backend_amx_mul_mat`` (llama.cpp issue 20824, closed as stale without a fix; PR
26954, open since 2026-08, says the tile configuration on the stack is optimised away and the
instruction loads garbage). Seen here on 2026-12-02 on a Xeon with amx_int8, under
llama-cpp-python 0.3.36's llama.cpp: 42 of 48 points of a 250M Q4_K_M twin's sweep died with
SIGSEGV, every prefill point; generation ran. What AMX is left out costs: its weight buffers
generate a 500M Q8_0 twin at 45.5 t/s on 2 threads, 25.0 without them (llama-bench tg32; Q4_K_M
80 against 85: no AMX generation kernel), which the predictor's CPU rates (measured without AMX)
do not describe either. ``GGML_NATIVE`` compiles with ``-march=native``,
which turns AMX on wherever the CPU has it, so on an AMX host the build names the host's
extensions one by one instead (llama.cpp docs/build.md: GGML_NATIVE=OFF and the GGML_AVX*
switches; the AMX switches stay off).

No imports beyond the standard library: the Makefile runs this file with the system Python to
set the llama-cpp-python wheel's CMAKE_ARGS before any virtual environment exists.
"""

from __future__ import annotations

import functools
import platform
import sys
from pathlib import Path

# /proc/cpuinfo flags -> the ggml cmake switch they allow (ggml/CMakeLists.txt). Each is set
# ON or OFF from the host's flags: with GGML_NATIVE off, ggml's defaults for the first six are
# ON only when it builds for this machine (INS_ENB; SOURCE_DATE_EPOCH or a cross build turn
# them OFF), so none is left to a default.
_SWITCHES = (
    (("sse4_2",), "GGML_SSE42"),
    (("avx",), "GGML_AVX"),
    (("avx2",), "GGML_AVX2"),
    (("bmi2",), "GGML_BMI2"),
    (("fma",), "GGML_FMA"),
    (("f16c",), "GGML_F16C"),
    (("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"), "GGML_AVX512"),
    (("avx512vbmi",), "GGML_AVX512_VBMI"),
    (("avx512_vnni",), "GGML_AVX512_VNNI"),
    (("avx512_bf16",), "GGML_AVX512_BF16"),
    (("avx_vnni",), "GGML_AVX_VNNI"),
)
_CPUINFO_LIMIT = 4 << 20  # bytes read of /proc/cpuinfo (a 512-thread host writes ~1 MiB)


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The first ``flags`` line of /proc/cpuinfo (x86 Linux), or nothing."""
    try:
        with cpuinfo.open(encoding="ascii", errors="replace") as f:
            text = f.read(_CPUINFO_LIMIT)
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def no_amx_flags(
    flags: frozenset[str] | None = None, machine: str | None = None
) -> tuple[str, ...]:
    """cmake switches replacing GGML_NATIVE on an x86 host with AMX; () elsewhere.

    Args:
        flags: The host's /proc/cpuinfo flags (None: read them, cpu_flags).
        machine: The host's architecture as platform.machine() spells it (None: this one's).
    """
    machine = machine or platform.machine()
    if machine.lower() not in ("x86_64", "amd64"):
        return ()
    flags = cpu_flags() if flags is None else flags
    if "amx_tile" not in flags:
        return ()
    return (
        "-DGGML_NATIVE=OFF",
        *(
            f"-D{name}={'ON' if all(f in flags for f in needs) else 'OFF'}"
            for needs, name in _SWITCHES
        ),
        "-DGGML_AMX_TILE=OFF",
        "-DGGML_AMX_INT8=OFF",
        "-DGGML_AMX_BF16=OFF",
    )


@functools.cache
def host_no_amx_flags() -> tuple[str, ...]:
    """no_amx_flags of this host, /proc/cpuinfo read once a process (engine discovery asks for
    every backend's build directory)."""
    return no_amx_flags()


if __name__ == "__main__":  # the Makefile's CMAKE_ARGS for the llama-cpp-python wheel
    sys.stdout.write(" ".join(host_no_amx_flags()) + "\n")
