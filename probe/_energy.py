"""Energy counters: what a device says it consumed while a benchmark ran, never an estimate.

Three sources, each a cumulative counter read before and after (and every second between, so a
wrapping counter is never missed):

- NVML ``nvmlDeviceGetTotalEnergyConsumption`` (millijoules since the driver loaded; Volta and
  newer), per NVIDIA GPU, through the one NVML gateway of ``probe._nvidia``. Cross-check:
  ``nvidia-smi --query-gpu=total_energy_consumption --format=csv`` (there in joules).
- amdsmi ``amdsmi_get_energy_count`` (an accumulator times ``counter_resolution`` microjoules),
  per AMD GPU. Cross-check: ``amd-smi metric --energy``.
- Linux RAPL under ``/sys/class/powercap/intel-rapl:N`` (``energy_uj``, wrapping at
  ``max_energy_range_uj``): the CPU package and DRAM zones (AMD Zen too, Linux 5.8+). The
  ``psys`` zone is skipped: it already contains the package. Cross-check: ``perf stat -e
  power/energy-pkg/``.

Where none answers, the reading is NA with the reasons, one per source.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from probe import _nvidia
from probe._context import ProbeContext

SAMPLE_INTERVAL_S = 1.0
# RAPL zones that add up without overlap; psys (platform) includes the package.
_RAPL_ZONES = ("package", "dram")


@dataclass(frozen=True, slots=True)
class EnergyReading:
    """Joules the counters saw over one interval; ``joules`` None means NA (``reason`` says
    why). ``sources`` names each counter summed (``nvml:0``, ``rapl:package-0``)."""

    joules: float | None
    seconds: float
    sources: tuple[str, ...]
    reason: str | None = None

    @property
    def mean_watts(self) -> float | None:
        return self.joules / self.seconds if self.joules is not None and self.seconds else None


@dataclass(frozen=True, slots=True)
class _Counter:
    name: str
    read_j: Callable[[], float | None]  # cumulative joules, None when a read fails
    wrap_j: float | None  # the value the counter wraps at (RAPL), None: 64-bit, never


def _nvml_counters(load: Callable[[], Any], reasons: list[str]) -> list[_Counter]:
    try:
        nvml = load()
    except ImportError:
        reasons.append("nvml: nvidia-ml-py not installed")
        return []
    try:
        nvml.nvmlInit()
    except nvml.NVMLError as exc:
        reasons.append(f"nvml: {_nvidia.init_reason(exc)}")
        return []
    out = []
    for i in range(nvml.nvmlDeviceGetCount()):
        h = nvml.nvmlDeviceGetHandleByIndex(i)
        if _nvidia._gateway(nvml, "nvmlDeviceGetTotalEnergyConsumption", h) is None:
            reasons.append(f"nvml: GPU {i} has no energy counter (pre-Volta, or not supported)")
            continue

        def read(h: Any = h) -> float | None:
            try:
                mj = _nvidia._gateway(nvml, "nvmlDeviceGetTotalEnergyConsumption", h)
            except _nvidia.GpuLost:
                return None
            return mj / 1000 if mj is not None else None

        out.append(_Counter(f"nvml:{i}", read, None))
    if not out:
        with contextlib.suppress(nvml.NVMLError):
            nvml.nvmlShutdown()
    return out


def _amd_joules(amdsmi: Any, h: Any) -> float | None:
    try:
        e = amdsmi.amdsmi_get_energy_count(h)
    except amdsmi.AmdSmiLibraryException:
        return None
    # ROCm 6.0/6.1 named the accumulator "power"; 6.2+ "energy_accumulator".
    acc = e.get("energy_accumulator", e.get("power"))
    res = e.get("counter_resolution")
    if not isinstance(acc, int | float) or not isinstance(res, int | float):
        return None
    return float(acc) * float(res) / 1e6


def _amd_counters(load: Callable[[], Any], reasons: list[str]) -> list[_Counter]:
    try:
        amdsmi = load()
        amdsmi.amdsmi_init(amdsmi.AmdSmiInitFlags.INIT_AMD_GPUS)
    except ImportError:
        reasons.append("amdsmi: not installed")
        return []
    except Exception as exc:  # no driver, no library: amdsmi raises its own kinds
        reasons.append(f"amdsmi: cannot initialise ({exc})")
        return []
    out = []
    for i, h in enumerate(amdsmi.amdsmi_get_processor_handles()):
        if _amd_joules(amdsmi, h) is None:
            reasons.append(f"amdsmi: GPU {i} reports no energy counter")
            continue

        def read(h: Any = h) -> float | None:
            return _amd_joules(amdsmi, h)

        out.append(_Counter(f"amdsmi:{i}", read, None))
    return out


def _rapl_counters(ctx: ProbeContext, reasons: list[str]) -> list[_Counter]:
    zones = ctx.glob("/sys/class/powercap/intel-rapl:*")
    top = [z for z in zones if z.name.count(":") == 1]  # not sub-zones (core, uncore)
    if not top:
        reasons.append(
            "rapl: no /sys/class/powercap/intel-rapl zones (not Linux, no RAPL driver, or a "
            "container without /sys/class/powercap)"
        )
        return []
    out = []
    unreadable = []
    for z in top:
        name = (z / "name").read_text().strip() if (z / "name").is_file() else z.name
        if not name.startswith(_RAPL_ZONES):
            continue
        try:
            int((z / "energy_uj").read_text())
        except (OSError, ValueError):
            unreadable.append(name)
            continue
        try:
            wrap: int | None = int((z / "max_energy_range_uj").read_text())
        except (OSError, ValueError):
            wrap = None

        def read(path: Any = z / "energy_uj") -> float | None:
            try:
                return int(path.read_text()) / 1e6
            except (OSError, ValueError):
                return None

        out.append(_Counter(f"rapl:{name}", read, wrap / 1e6 if wrap else None))
    if unreadable and not out:
        # Linux 5.10 made energy_uj root-only (CVE-2020-8694, "Platypus").
        reasons.append(
            f"rapl: {', '.join(unreadable)} energy_uj not readable (root only since Linux "
            "5.10); run as root or chmod o+r the energy_uj files"
        )
    elif not out:
        reasons.append("rapl: no package or dram zone")
    return out


class EnergyMeter:
    """Sums every energy counter this machine has over one interval: ``start()``, then
    ``stop()`` returns an EnergyReading. A background thread reads the counters each second so
    a RAPL counter that wraps (every few minutes at high power) is counted once per wrap."""

    def __init__(self, counters: list[_Counter], reasons: list[str]) -> None:
        self.counters = counters
        self.reasons = reasons
        self._last: list[float | None] = []
        self._total: list[float] = []
        self._failed: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return bool(self.counters)

    def _sample(self) -> None:
        with self._lock:
            for i, c in enumerate(self.counters):
                now = c.read_j()
                last = self._last[i]
                if now is None or last is None:
                    self._failed.add(c.name)
                    continue
                delta = now - last
                if delta < 0 and c.wrap_j:  # wrapped once since the last read
                    delta += c.wrap_j
                self._total[i] += max(delta, 0.0)
                self._last[i] = now

    def start(self) -> None:
        self._last = [c.read_j() for c in self.counters]
        self._total = [0.0] * len(self.counters)
        self._failed = set()
        self._t0 = time.perf_counter()
        self._stop.clear()
        if self.counters:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL_S):
            self._sample()

    def stop(self) -> EnergyReading:
        seconds = time.perf_counter() - self._t0
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if not self.counters:
            return EnergyReading(None, seconds, (), "; ".join(self.reasons) or "no counter")
        self._sample()
        if self._failed:
            return EnergyReading(
                None,
                seconds,
                tuple(c.name for c in self.counters),
                f"counter read failed during the interval: {', '.join(sorted(self._failed))}",
            )
        return EnergyReading(sum(self._total), seconds, tuple(c.name for c in self.counters))


def energy_meter(ctx: ProbeContext | None = None) -> EnergyMeter:
    """Every energy counter of the machine in ``ctx`` (default: this one)."""
    ctx = ctx or ProbeContext()
    reasons: list[str] = []
    counters = _nvml_counters(ctx.load_nvml, reasons)
    counters += _amd_counters(ctx.load_amdsmi, reasons)
    counters += _rapl_counters(ctx, reasons)
    return EnergyMeter(counters, reasons)
