"""NVIDIA backend over NVML (``nvidia-ml-py``), every call through one gateway.

The gateway turns NVML_ERROR_NOT_SUPPORTED (and friends) into NA, and a lost GPU into
``GpuLost`` so the rest of the probe goes on. Cross-check every field with
``nvidia-smi --query-gpu=name,uuid,memory.total,memory.free,pcie.link.gen.max,power.limit
--format=csv``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from probe._context import Collected, ProbeContext
from probe._records import GpuInfo

name = "nvidia"

# NVML return codes (nvml.h); kept here so the fakes need not define them.
NOT_SUPPORTED = 3
NO_PERMISSION = 4
DRIVER_NOT_LOADED = 9
LIBRARY_NOT_FOUND = 12
FUNCTION_NOT_FOUND = 13
GPU_IS_LOST = 15
LIB_RM_VERSION_MISMATCH = 18
NOT_FOUND = 6
NVML_CLOCK_MEM = 2  # nvmlClockType_t NVML_CLOCK_MEM

_NA_CODES = {NOT_SUPPORTED, NO_PERMISSION, FUNCTION_NOT_FOUND, NOT_FOUND}
_INIT_REASONS = {
    LIBRARY_NOT_FOUND: "NVML library not found (no NVIDIA driver installed); "
    "install the driver, then check with: nvidia-smi",
    DRIVER_NOT_LOADED: "NVIDIA driver not loaded; check with: nvidia-smi",
    LIB_RM_VERSION_MISMATCH: "driver/library version mismatch (driver updated, not reloaded); "
    "reboot, then check with: nvidia-smi",
    NO_PERMISSION: "no permission to open the NVIDIA device files; check /dev/nvidia* access",
}


class GpuLost(Exception):
    """NVML says the GPU fell off the bus in the middle of the probe."""


def _code(exc: BaseException) -> int | None:
    value = getattr(exc, "value", None)
    return value if isinstance(value, int) else None


def _gateway(nvml: Any, fn: str, *args: Any) -> Any:
    """Call ``nvml.<fn>(*args)``: NA (None) on "not supported", GpuLost on a lost GPU."""
    call = getattr(nvml, fn, None)
    if call is None:  # an older nvidia-ml-py without this entry point
        return None
    try:
        value = call(*args)
    except nvml.NVMLError as exc:
        code = _code(exc)
        if code == GPU_IS_LOST:
            raise GpuLost(str(exc)) from exc
        if code in _NA_CODES:
            return None
        raise
    if isinstance(value, bytes):  # nvidia-ml-py < 11.515 returned bytes for strings
        return value.decode("utf-8", "replace")
    return value


def available(ctx: ProbeContext) -> tuple[bool, str]:
    try:
        ctx.load_nvml()
    except ImportError:
        return False, "nvidia-ml-py is not installed; pip install nvidia-ml-py"
    except Exception as exc:  # a broken install; never let available() raise
        return False, f"nvidia-ml-py failed to import: {exc}"
    return True, ""


def init_reason(exc: BaseException) -> str:
    """The user-facing reason for an nvmlInit failure."""
    return _INIT_REASONS.get(_code(exc) or -1, f"NVML failed to initialise: {exc}")


def collect(ctx: ProbeContext, measure: bool, out: Collected) -> None:
    nvml = ctx.load_nvml()
    try:
        nvml.nvmlInit()
    except nvml.NVMLError as exc:
        out.warnings.append(f"nvidia: unavailable ({init_reason(exc)})")
        return
    try:
        driver = _gateway(nvml, "nvmlSystemGetDriverVersion")
        cuda = _gateway(nvml, "nvmlSystemGetCudaDriverVersion_v2") or _gateway(
            nvml, "nvmlSystemGetCudaDriverVersion"
        )
        out.fields["nvidia_driver_version"] = driver
        # 12040 -> "12.4" (NVML encodes major*1000 + minor*10).
        out.fields["cuda_driver_version"] = f"{cuda // 1000}.{cuda % 1000 // 10}" if cuda else None
        count = nvml.nvmlDeviceGetCount()
        for index in range(count):
            try:
                out.gpus.append(_one_gpu(nvml, index, driver))
            except GpuLost as exc:
                out.warnings.append(
                    f"nvidia: GPU {index} was lost during the probe ({exc}); "
                    "check dmesg for Xid errors and run nvidia-smi"
                )
    finally:
        with contextlib.suppress(nvml.NVMLError):
            nvml.nvmlShutdown()


def _one_gpu(nvml: Any, index: int, driver: str | None) -> GpuInfo:
    h = nvml.nvmlDeviceGetHandleByIndex(index)
    g = _gateway
    mem = g(nvml, "nvmlDeviceGetMemoryInfo", h)
    bus_bits = g(nvml, "nvmlDeviceGetMemoryBusWidth", h)
    mem_clock = g(nvml, "nvmlDeviceGetMaxClockInfo", h, NVML_CLOCK_MEM)
    # NVML reports the memory clock such that bytes/s = bus/8 * clock * 2 (double data rate):
    # RTX 4090: 384 bit, 10501 MHz -> 1008 GB/s; H100 SXM: 5120 bit, 2619 MHz -> 3.35 TB/s.
    spec_bw = bus_bits / 8 * mem_clock * 1e6 * 2 if bus_bits and mem_clock else None
    cc = g(nvml, "nvmlDeviceGetCudaComputeCapability", h)
    attrs = g(nvml, "nvmlDeviceGetAttributes", h)
    sm_count = getattr(attrs, "multiprocessorCount", None) if attrs is not None else None
    power_mw = g(nvml, "nvmlDeviceGetEnforcedPowerLimit", h) or g(
        nvml, "nvmlDeviceGetPowerManagementLimit", h
    )
    pci = g(nvml, "nvmlDeviceGetPciInfo", h)
    bus_id = getattr(pci, "busId", None) if pci is not None else None
    if isinstance(bus_id, bytes):
        bus_id = bus_id.decode()
    total = getattr(mem, "total", None)
    return GpuInfo(
        index=index,
        vendor="nvidia",
        name=g(nvml, "nvmlDeviceGetName", h),
        source="nvml",
        uuid=g(nvml, "nvmlDeviceGetUUID", h),
        pci_bus_id=bus_id,
        total_bytes=total,
        free_bytes=getattr(mem, "free", None),
        used_bytes=getattr(mem, "used", None),
        usable_bytes=total,
        memory_bus_width_bits=bus_bits,
        memory_max_clock_mhz=mem_clock,
        spec_bandwidth_bytes_per_s=spec_bw,
        compute_capability=f"{cc[0]}.{cc[1]}" if cc else None,
        multiprocessor_count=sm_count or None,
        pcie_gen_current=g(nvml, "nvmlDeviceGetCurrPcieLinkGeneration", h),
        pcie_gen_max=g(nvml, "nvmlDeviceGetMaxPcieLinkGeneration", h),
        pcie_width_current=g(nvml, "nvmlDeviceGetCurrPcieLinkWidth", h),
        pcie_width_max=g(nvml, "nvmlDeviceGetMaxPcieLinkWidth", h),
        power_limit_watts=power_mw / 1000 if power_mw else None,
        driver_version=driver,
    )


class MemorySampler:
    """Used memory of every NVIDIA GPU, sampled while a benchmark runs (peak per device).

    ``nvidia-smi --query-gpu=memory.used`` cross-checks a sample. Without NVML, or without
    GPUs, ``available`` is False and sampling does nothing.
    """

    def __init__(self, load_nvml: Any) -> None:
        self.nvml: Any = None
        self.handles: list[Any] = []
        self.names: list[str] = []
        self.peaks: list[int] = []
        try:
            nvml = load_nvml()
            nvml.nvmlInit()
        except Exception:  # no library, no driver: nothing to sample
            return
        try:
            count = nvml.nvmlDeviceGetCount()
            for i in range(count):
                h = nvml.nvmlDeviceGetHandleByIndex(i)
                self.handles.append(h)
                self.names.append(f"{i}:{_gateway(nvml, 'nvmlDeviceGetName', h)}")
            self.peaks = [0] * count
            self.nvml = nvml
        except Exception:
            with contextlib.suppress(Exception):
                nvml.nvmlShutdown()

    @property
    def available(self) -> bool:
        return self.nvml is not None and bool(self.handles)

    def sample(self) -> None:
        if not self.available:
            return
        for i, h in enumerate(self.handles):
            try:
                mem = _gateway(self.nvml, "nvmlDeviceGetMemoryInfo", h)
            except GpuLost:
                continue
            used = getattr(mem, "used", None)
            if isinstance(used, int):
                self.peaks[i] = max(self.peaks[i], used)

    def close(self) -> dict[str, int]:
        if self.nvml is not None:
            with contextlib.suppress(Exception):
                self.nvml.nvmlShutdown()
            self.nvml = None
        return dict(zip(self.names, self.peaks, strict=True))
