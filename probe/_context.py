"""What every backend reads the machine through, so recorded machines can stand in for real ones.

A ``ProbeContext`` carries the filesystem root for sysfs/procfs reads, the platform, a command
runner (``sysctl``, ``ioreg``) and the vendor-library loaders. Tests build one over a fixture
tree with recorded command outputs and fake vendor modules.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class CommandFailed(Exception):
    """A helper command could not be run or exited non-zero."""


def _run_real(argv: tuple[str, ...]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CommandFailed(f"{argv[0]}: {exc}") from exc
    if done.returncode != 0:
        raise CommandFailed(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def _import_pynvml() -> Any:
    import pynvml

    return pynvml


def _import_amdsmi() -> Any:
    # amdsmi prints to stdout and raises KeyError when libamd_smi.so is missing (amdsmi 7.0);
    # keep our stdout clean for --format json.
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import amdsmi
    return amdsmi


def _import_pyudev() -> Any:
    import pyudev

    return pyudev


@dataclass(frozen=True)
class ProbeContext:
    """Where and how to look. The default is this machine."""

    root: Path = Path("/")
    system: str = field(default_factory=platform.system)
    machine: str = field(default_factory=platform.machine)
    release: str = field(default_factory=platform.release)
    run: Callable[[tuple[str, ...]], str] = _run_real
    load_nvml: Callable[[], Any] = _import_pynvml
    load_amdsmi: Callable[[], Any] = _import_amdsmi
    load_pyudev: Callable[[], Any] | None = _import_pyudev
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    home: Path = field(default_factory=Path.home)

    @property
    def is_live(self) -> bool:
        """True when reading this machine itself (not a recorded tree)."""
        return self.root == Path("/")

    def path(self, p: str) -> Path:
        """``p`` (an absolute path like ``/proc/cpuinfo``) under this context's root."""
        return self.root / p.lstrip("/")

    def read(self, p: str) -> str | None:
        """The stripped text of a sysfs/procfs file, or None when absent or unreadable."""
        try:
            return self.path(p).read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return None

    def read_int(self, p: str) -> int | None:
        text = self.read(p)
        if text is None:
            return None
        try:
            return int(text.split()[0], 0)
        except (ValueError, IndexError):
            return None

    def glob(self, pattern: str) -> list[Path]:
        """Sorted paths matching an absolute glob pattern under the root."""
        return sorted(self.root.glob(pattern.lstrip("/")))


class Collected:
    """What one backend found: HostProfile fields, GPUs and warnings."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.gpus: list[Any] = []
        self.warnings: list[str] = []


class Backend(Protocol):
    """The three members every probe backend has."""

    name: str

    def available(self, ctx: ProbeContext) -> tuple[bool, str]:
        """Cheap, never raises: (usable, why not)."""
        ...

    def collect(self, ctx: ProbeContext, measure: bool, out: Collected) -> None:
        """Fill ``out``; may raise, and ``detect`` turns that into a warning."""
        ...


def parse_cpu_list(text: str | None) -> list[int]:
    """Parse a sysfs CPU list such as ``0-3,8,10-11`` into CPU numbers."""
    if not text:
        return []
    cpus: list[int] = []
    for part in text.strip().split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            cpus.extend(range(int(lo), int(hi) + 1))
        else:
            cpus.append(int(part))
    return cpus


def parse_size(text: str) -> int | None:
    """Parse a sysfs cache size like ``48K``, ``2048K``, ``32M`` into bytes."""
    text = text.strip().upper()
    mult = {"K": 1024, "M": 1024**2, "G": 1024**3}
    try:
        if text and text[-1] in mult:
            return int(text[:-1]) * mult[text[-1]]
        return int(text)
    except ValueError:
        return None
