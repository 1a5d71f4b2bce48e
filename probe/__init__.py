"""rigbench's hardware probe: one call, ``detect()``, returning a schema-versioned HostProfile."""

from __future__ import annotations

import datetime
import platform
import socket
import time
from collections.abc import Sequence

from probe import _amd, _apple, _cpu, _disks, _memory, _nvidia
from probe._advice import advise, usable_backends
from probe._context import Backend, Collected, ProbeContext
from probe._records import (
    SCHEMA_VERSION,
    CpuInfo,
    DiskInfo,
    GpuInfo,
    HostProfile,
    MemoryInfo,
    OsInfo,
    host_profile_from_dict,
    load_host_profile,
)
from probe.errors import UserError

# Order matters: memory's measurement sizes its buffer from the CPU's caches.
BACKENDS: tuple[Backend, ...] = (_cpu, _memory, _disks, _nvidia, _amd, _apple)

__all__ = [
    "BACKENDS",
    "SCHEMA_VERSION",
    "CpuInfo",
    "DiskInfo",
    "GpuInfo",
    "HostProfile",
    "MemoryInfo",
    "OsInfo",
    "ProbeContext",
    "UserError",
    "detect",
    "host_profile_from_dict",
    "load_host_profile",
]


def detect(
    measure: bool = False,
    *,
    context: ProbeContext | None = None,
    backends: Sequence[Backend] = BACKENDS,
) -> HostProfile:
    """Probe this machine (or the recorded one in ``context``).

    Args:
        measure: also measure RAM read bandwidth (~3 s) and the HF-cache disk's read speed (~3 s).
        context: where to read from; the default is this machine.
        backends: which backends to run, in order.

    Returns:
        A HostProfile. A backend that is unavailable or fails adds a warning; it never raises.
    """
    ctx = context or ProbeContext()
    start = time.perf_counter()
    out = Collected()
    for backend in backends:
        ok, why = backend.available(ctx)
        if not ok:
            if backend.name == "nvidia":  # users ask "why no GPU?": always say
                out.warnings.append(f"nvidia: unavailable ({why})")
            continue
        try:
            backend.collect(ctx, measure, out)
        except Exception as exc:
            out.warnings.append(
                f"{backend.name}: probe failed ({type(exc).__name__}: {exc}); "
                "rerun with RIGBENCH_DEBUG=1 and report it"
            )
    gpus = tuple(g for g in out.gpus)
    cpu: CpuInfo | None = out.fields.get("cpu")
    memory: MemoryInfo | None = out.fields.get("memory")
    disks: tuple[DiskInfo, ...] = out.fields.get("disks", ())
    return HostProfile(
        cpu=cpu,
        memory=memory,
        gpus=gpus,
        disks=disks,
        os=OsInfo(
            system=ctx.system,
            release=ctx.release,
            machine=ctx.machine,
            python_version=platform.python_version(),
        ),
        backends=usable_backends(ctx, gpus),
        hf_cache_dir=out.fields.get("hf_cache_dir"),
        hostname=socket.gethostname() if ctx.is_live else None,
        nvidia_driver_version=out.fields.get("nvidia_driver_version"),
        cuda_driver_version=out.fields.get("cuda_driver_version"),
        created_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        probe_seconds=round(time.perf_counter() - start, 4),
        advice=advise(cpu, memory, gpus, disks),
        warnings=tuple(out.warnings),
    )
