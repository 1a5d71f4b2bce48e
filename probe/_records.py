"""The HostProfile record and its parts: frozen, JSON-serialisable, units in field names.

``None`` in any field means "not available"; the profile's ``warnings`` says why.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from probe.errors import UserError

# HostProfile schema history:
#   1 — first version (rigbench 0.1): cpu, memory, gpus, disks, os, backends, advice, warnings.
#   2 — spec figures for planning machines you do not own: CpuInfo.spec_fp32_flops,
#       MemoryInfo.spec_bandwidth_bytes_per_s, GpuInfo.spec_fp16_flops, HostProfile.source.
#   3 — GpuInfo.spec_mmq_flops: the ceiling llama.cpp's quantized matmuls scale with, where it
#       differs from the FP16 tensor peak (NVIDIA data-centre and workstation parts).
SCHEMA_VERSION = 3


@dataclass(frozen=True, slots=True)
class CpuInfo:
    """The host CPU. Cross-check: ``lscpu`` on Linux, ``sysctl machdep.cpu hw`` on macOS."""

    vendor: str | None
    model: str | None
    arch: str
    physical_cores: int | None
    logical_cores: int | None
    performance_cores: int | None
    efficiency_cores: int | None
    base_clock_mhz: float | None
    max_clock_mhz: float | None
    l1d_cache_bytes: int | None
    l2_cache_bytes: int | None
    l3_cache_bytes: int | None
    numa_nodes: int | None
    isa_flags: dict[str, bool]
    source: str
    spec_fp32_flops: float | None = None


@dataclass(frozen=True, slots=True)
class MemoryInfo:
    """System RAM. Cross-check: ``free -b`` (Linux), ``sysctl hw.memsize`` (macOS)."""

    total_bytes: int | None
    available_bytes: int | None
    swap_total_bytes: int | None
    swap_free_bytes: int | None
    spec_bandwidth_bytes_per_s: float | None = None
    measured_read_bytes_per_s: float | None = None
    measure_threads: int | None = None
    measure_buffer_bytes: int | None = None
    measure_method: str | None = None


@dataclass(frozen=True, slots=True)
class GpuInfo:
    """One GPU. Cross-check: ``nvidia-smi -q``, ``amd-smi static``, ``system_profiler``.

    ``usable_bytes`` is what llama.cpp can allocate on the device: VRAM on a discrete card,
    VRAM carve-out plus GTT on an AMD APU, the wired limit on Apple silicon.
    ``multiprocessor_count`` is SMs (NVIDIA), compute units (AMD) or GPU cores (Apple).
    """

    index: int
    vendor: str
    name: str | None
    source: str
    uuid: str | None = None
    pci_bus_id: str | None = None
    total_bytes: int | None = None
    free_bytes: int | None = None
    used_bytes: int | None = None
    usable_bytes: int | None = None
    gtt_total_bytes: int | None = None
    unified_memory: bool = False
    memory_bus_width_bits: int | None = None
    memory_max_clock_mhz: int | None = None
    spec_bandwidth_bytes_per_s: float | None = None
    measured_bandwidth_bytes_per_s: float | None = None
    spec_fp16_flops: float | None = None
    # NVIDIA: SMs x boost clock x 512 FLOP, the FP16 (FP32-accumulate) tensor rate of GeForce
    # parts from Turing to Blackwell. llama.cpp's quantized matmuls (MMQ: int8 mma.sync, picked
    # for every quant type from Turing on, ggml-cuda/mmq.cu ggml_cuda_should_use_mmq) scale with
    # it on data-centre parts too, whose wider tensor cores they do not use. None: the FP16 peak.
    spec_mmq_flops: float | None = None
    compute_capability: str | None = None
    gfx_target: str | None = None
    multiprocessor_count: int | None = None
    pcie_gen_current: int | None = None
    pcie_gen_max: int | None = None
    pcie_width_current: int | None = None
    pcie_width_max: int | None = None
    power_limit_watts: float | None = None
    driver_version: str | None = None


@dataclass(frozen=True, slots=True)
class DiskInfo:
    """One block device. Cross-check: ``lsblk -d -o NAME,MODEL,TRAN,ROTA,SIZE``."""

    device: str
    model: str | None
    transport: str | None
    nvme: bool
    rotational: bool | None
    size_bytes: int | None
    holds_hf_cache: bool = False
    measured_read_bytes_per_s: float | None = None
    measure_method: str | None = None


@dataclass(frozen=True, slots=True)
class OsInfo:
    """Operating system. Cross-check: ``uname -srm``."""

    system: str
    release: str
    machine: str
    python_version: str


@dataclass(frozen=True, slots=True)
class HostProfile:
    """Everything rigbench knows about one machine; ``probe detect --format json`` is this."""

    cpu: CpuInfo | None
    memory: MemoryInfo | None
    gpus: tuple[GpuInfo, ...]
    disks: tuple[DiskInfo, ...]
    os: OsInfo
    backends: tuple[str, ...]
    hf_cache_dir: str | None
    hostname: str | None = None
    nvidia_driver_version: str | None = None
    cuda_driver_version: str | None = None
    created_at: str | None = None
    probe_seconds: float | None = None
    advice: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    source: str = "probe"  # probe | file | catalog:<name>
    schema_version: int = field(default=SCHEMA_VERSION)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict, ready for ``json.dumps``, with ``schema_version`` first."""
        data = dataclasses.asdict(self)
        return {"schema_version": data.pop("schema_version"), **data}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older HostProfile dict up to SCHEMA_VERSION, one step at a time."""
    version = data["schema_version"]
    if version == 1:  # 1 -> 2: spec fields are new and unknown for an old profile
        data["source"] = data.get("source", "file")
        version = 2
    if version == 2:  # 2 -> 3: spec_mmq_flops is new and unknown (None) for an old profile
        version = 3
    data["schema_version"] = version
    return data


class _BadField(ValueError):
    """A field of a HostProfile dict that does not have its type; ``where`` names it."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__(f"{where} {why}")


_JSON_NAMES = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}


def _what(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _build(cls: type, data: Any, where: str) -> Any:
    """Rebuild a dataclass (recursively) from its ``asdict`` form, ignoring unknown keys and
    checking every known one against its type; ``where`` names it in errors (``gpus[0]``)."""
    if not isinstance(data, dict):
        raise _BadField(where or cls.__name__, f"must be an object, not {_what(data)}")
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        name = f"{where}.{f.name}" if where else f.name
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise _BadField(name, "is missing")
            continue
        kwargs[f.name] = _convert(hints[f.name], data[f.name], name)
    return cls(**kwargs)


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, where)
    if value is None:
        raise _BadField(where, "must not be null")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise _BadField(where, f"must be a list, not {_what(value)}")
        return tuple(_convert(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise _BadField(where, f"must be an object, not {_what(value)}")
        return {str(k): _convert(args[1], v, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where)  # type: ignore[arg-type]
    if hint is bool:
        if not isinstance(value, bool):
            raise _BadField(where, f"must be true or false, not {_what(value)}")
        return value
    if hint is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)  # 6.4e10 by hand is still a whole number of bytes
        if not isinstance(value, int) or isinstance(value, bool):
            raise _BadField(where, f"must be a whole number, not {_what(value)}")
        return value
    if hint is float:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _BadField(where, f"must be a number, not {_what(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise _BadField(where, f"must be a string, not {_what(value)}")
        return value
    return value


def host_profile_from_dict(data: dict[str, Any], source: str = "host profile") -> HostProfile:
    """Read a HostProfile dict: reject newer schemas, upgrade older ones, and refuse a field
    of the wrong type with its name (``memory.total_bytes must be a whole number …``); errors
    name the profile as ``source``."""
    version = data.get("schema_version")
    if not isinstance(version, int):
        raise UserError(
            "host profile has no schema_version",
            hint="make one with: probe detect --format json --output host.json",
        )
    if version > SCHEMA_VERSION:
        raise UserError(
            f"host profile uses schema {version}, this rigbench reads up to {SCHEMA_VERSION}",
            hint="upgrade rigbench: pip install -U rigbench",
        )
    data = _upgrade(dict(data))
    data["schema_version"] = SCHEMA_VERSION
    try:
        return typing.cast(HostProfile, _build(HostProfile, data, ""))
    except _BadField as exc:
        raise UserError(
            f"{source} is malformed: {exc}",
            hint="make a fresh one with: probe detect --format json --output host.json",
        ) from exc


def load_host_profile(path: str | Path) -> HostProfile:
    """Load a HostProfile JSON file written by ``probe detect --format json``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"host profile {p} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
            f"offset {exc.start})",
            hint="make a fresh one with: probe detect --format json --output host.json",
        ) from exc
    except OSError as exc:
        raise UserError(
            f"cannot read host profile {p}: {exc.strerror or exc}",
            hint="check the path, or make one with: probe detect --format json --output host.json",
        ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"host profile {p} is not valid JSON (line {exc.lineno}: {exc.msg})",
            hint="make a fresh one with: probe detect --format json --output host.json",
        ) from exc
    if not isinstance(data, dict):
        raise UserError(f"host profile {p} is not a JSON object", hint="probe detect --format json")
    return host_profile_from_dict(data, f"host profile {p}")
