"""Recorded machines: one text file holding the procfs/sysfs files and command outputs a probe
reads, so a machine recorded once (``scripts/record_fixture.py``) can be probed anywhere.

Format: ``# comment`` lines at the top, then sections ``@@ /abs/path`` (a file's content) or
``@@ cmd: argv words`` (a command's stdout), each running to the next ``@@`` line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from probe._context import CommandFailed, ProbeContext

# What the Linux probe reads: everything under these, file by file.
LINUX_PATHS = (
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/proc/self/mountinfo",
    "/sys/devices/system/cpu/online",
    "/sys/devices/system/cpu/cpu*/topology/physical_package_id",
    "/sys/devices/system/cpu/cpu*/topology/core_id",
    "/sys/devices/system/cpu/cpu*/topology/cluster_id",
    "/sys/devices/system/cpu/cpu*/cpu_capacity",
    "/sys/devices/system/cpu/cpu*/cpufreq/cpuinfo_max_freq",
    "/sys/devices/system/cpu/cpu*/cpufreq/base_frequency",
    "/sys/devices/system/cpu/cpu*/cache/index*/level",
    "/sys/devices/system/cpu/cpu*/cache/index*/type",
    "/sys/devices/system/cpu/cpu*/cache/index*/size",
    "/sys/devices/system/cpu/cpu*/cache/index*/shared_cpu_list",
    "/sys/devices/cpu_core/cpus",
    "/sys/devices/cpu_atom/cpus",
    "/sys/devices/system/node/node*/cpulist",
    "/sys/block/*/size",
    "/sys/block/*/queue/rotational",
    "/sys/block/*/device/model",
    "/sys/block/*/device/uevent",
    "/sys/block/*/*/partition",
    "/sys/block/*/dm/name",
    "/sys/block/*/slaves/*/partition",
    "/sys/class/drm/card*/device/vendor",
    "/sys/class/drm/card*/device/device",
    "/sys/class/drm/card*/device/product_name",
    "/sys/class/drm/card*/device/unique_id",
    "/sys/class/drm/card*/device/uevent",
    "/sys/class/drm/card*/device/mem_info_vram_total",
    "/sys/class/drm/card*/device/mem_info_vram_used",
    "/sys/class/drm/card*/device/mem_info_gtt_total",
    "/sys/class/drm/card*/device/current_link_speed",
    "/sys/class/drm/card*/device/current_link_width",
    "/sys/class/drm/card*/device/max_link_speed",
    "/sys/class/drm/card*/device/max_link_width",
    "/sys/class/drm/card*/device/drm/renderD*/dev",
    "/sys/class/drm/card*/device/hwmon/hwmon*/power1_cap",
    "/sys/class/kfd/kfd/topology/nodes/*/properties",
    "/sys/module/amdgpu/version",
)
# What the macOS probe runs.
MAC_COMMANDS = (
    ("sysctl", "hw"),
    ("sysctl", "machdep"),
    ("sysctl", "iogpu"),
    ("ioreg", "-rc", "AGXAccelerator", "-d1"),
)


def parse(text: str) -> tuple[list[str], dict[str, str], dict[tuple[str, ...], str]]:
    """(header comments, files by absolute path, command outputs by argv)."""
    header: list[str] = []
    files: dict[str, str] = {}
    commands: dict[tuple[str, ...], str] = {}
    key: str | None = None
    body: list[str] = []

    def flush() -> None:
        if key is None:
            return
        content = "\n".join(body) + ("\n" if body else "")
        if key.startswith("cmd:"):
            commands[tuple(key[4:].split())] = content
        else:
            files[key] = content

    for line in text.splitlines():
        if line.startswith("@@ "):
            flush()
            key, body = line[3:].strip(), []
        elif key is None:
            if line.startswith("#"):
                header.append(line[1:].strip())
        else:
            body.append(line)
    flush()
    return header, files, commands


def render(
    header: Iterable[str], files: dict[str, str], commands: dict[tuple[str, ...], str]
) -> str:
    out = [f"# {h}" for h in header]
    for path, content in files.items():
        out.append(f"@@ {path}")
        out.append(content.rstrip("\n"))
    for argv, content in commands.items():
        out.append(f"@@ cmd: {' '.join(argv)}")
        out.append(content.rstrip("\n"))
    return "\n".join(out) + "\n"


def expand(manifest: Path, root: Path) -> dict[tuple[str, ...], str]:
    """Write the manifest's files under ``root``; return its recorded command outputs."""
    _, files, commands = parse(manifest.read_text(encoding="utf-8"))
    for path, content in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    return commands


def recorded_runner(commands: dict[tuple[str, ...], str]) -> Callable[[tuple[str, ...]], str]:
    """A ProbeContext.run that answers from recorded outputs and fails like a missing command."""

    def run(argv: tuple[str, ...]) -> str:
        if argv not in commands:
            raise CommandFailed(f"{' '.join(argv)}: not recorded")
        return commands[argv]

    return run


def record(ctx: ProbeContext, header: Iterable[str]) -> str:
    """Record what the probe reads on the machine ``ctx`` describes, as manifest text."""
    files: dict[str, str] = {}
    commands: dict[tuple[str, ...], str] = {}
    if ctx.system == "Linux":
        for pattern in LINUX_PATHS:
            for path in ctx.glob(pattern):
                if not path.is_file():
                    continue
                rel = "/" + str(path.relative_to(ctx.root))
                text = ctx.read(rel)
                if text is not None:
                    files[rel] = text
    elif ctx.system == "Darwin":
        for argv in MAC_COMMANDS:
            try:
                commands[argv] = ctx.run(argv)
            except CommandFailed:
                continue
    return render(header, files, commands)
