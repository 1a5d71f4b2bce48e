"""rigbench's hardware probe: ``detect()`` returns this machine's schema-versioned HostProfile;
``load_host()`` gives the machine to plan for: this one, a saved profile or a catalog entry."""

from __future__ import annotations

import dataclasses
import datetime
import os
import platform
import socket
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from probe import _amd, _apple, _catalog, _cpu, _disks, _memory, _nvidia
from probe._advice import advise, usable_backends
from probe._context import Backend, Collected, ProbeContext
from probe._energy import EnergyMeter, EnergyReading, energy_meter
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
from probe._units import human_bytes, human_rate
from probe.errors import UserError

# Order matters: memory's measurement sizes its buffer from the CPU's caches.
BACKENDS: tuple[Backend, ...] = (_cpu, _memory, _disks, _nvidia, _amd, _apple)

__all__ = [
    "BACKENDS",
    "SCHEMA_VERSION",
    "CpuInfo",
    "DiskInfo",
    "EnergyMeter",
    "EnergyReading",
    "GpuInfo",
    "HostProfile",
    "MemoryInfo",
    "OsInfo",
    "ProbeContext",
    "UserError",
    "catalog_entries",
    "catalog_names",
    "detect",
    "energy_meter",
    "gpu_memory_sampler",
    "host_profile_from_dict",
    "human_bytes",
    "human_rate",
    "load_host",
    "load_host_profile",
    "matrix_unit_gain",
    "with_catalog_figures",
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
            if os.environ.get("RIGBENCH_DEBUG") == "1":
                raise
            out.warnings.append(
                f"{backend.name}: probe failed ({type(exc).__name__}: {exc}); "
                "rerun with RIGBENCH_DEBUG=1 and report it"
            )
    gpus = tuple(_catalog.with_figures(g) for g in out.gpus)
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


def load_host(hardware: str | None = None, path: Path | None = None) -> HostProfile:
    """The machine to plan or predict for.

    Args:
        hardware: A catalog name (``catalog_names()``), e.g. ``rtx4090-24gb``.
        path: A file written by ``probe detect --format json``.

    Returns:
        The catalog machine, the saved profile (``source`` says which file), or, with neither
        argument, this machine from ``detect()``.

    Raises:
        UserError: both arguments given, an unknown catalog name, or an unreadable file.
    """
    if hardware and path:
        raise UserError("give --hardware or --host, not both", hint="bench plan --help")
    if hardware:
        return _catalog.host_profile(hardware)
    if path:
        return dataclasses.replace(load_host_profile(path), source=f"file:{path}")
    return detect()


def with_catalog_figures(gpu: GpuInfo) -> GpuInfo:
    """``gpu`` with the catalog's FP16 and MMQ throughput when its profile has none (drivers do
    not report FLOPS; profiles written before schema 3 lack them): detection fills them, and a
    prediction from an older profile does the same."""
    return _catalog.with_figures(gpu)


def matrix_unit_gain(gpu: GpuInfo) -> float:
    """How much faster ``gpu``'s matmuls run than its other ops: an M5's matrix units (the
    catalog's FP16 figure) over its ALUs; 1 elsewhere."""
    return _catalog.matrix_unit_gain(gpu)


def catalog_names() -> list[str]:
    """The names ``load_host(hardware=...)`` accepts, in catalog order."""
    return _catalog.names()


def catalog_entries() -> tuple[Any, ...]:
    """The catalog's entries (name, title, CPU, RAM and GPU figures with their sources)."""
    return _catalog.CATALOG


def gpu_memory_sampler(load_nvml: Callable[[], Any] | None = None) -> Any:
    """A sampler of used memory on every NVIDIA GPU (``sample()``, then ``close()`` returns the
    peak bytes per GPU name); does nothing where NVML or GPUs are absent."""
    from probe._context import _import_pynvml
    from probe._nvidia import MemorySampler

    return MemorySampler(load_nvml or _import_pynvml)
