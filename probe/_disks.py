"""Disk backend: block devices (pyudev, sysfs fallback), the one holding the Hugging Face cache,
and (opt-in) its honestly measured sequential read speed.

Cross-check with ``lsblk -d -o NAME,MODEL,TRAN,ROTA,SIZE`` and ``findmnt -T ~/.cache/huggingface``.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import re
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from probe._context import Collected, ProbeContext
from probe._records import DiskInfo

name = "disks"

SECTOR = 512
SKIP = re.compile(r"^(loop|ram|zram|sr|fd|md|nbd)\d")
VIRTUAL = {"virtio", "xen"}
BLOCK = 4 * 1024 * 1024  # 4 MiB reads: what llama.cpp's mmap readahead roughly issues
MEASURE_BYTES = 1024**3
TEMP_FILE_BYTES = 256 * 1024 * 1024


def available(ctx: ProbeContext) -> tuple[bool, str]:
    if ctx.system != "Linux":
        return False, "disks are probed on Linux only for now"
    return True, ""


def hf_cache_dir(env: dict[str, str] | Any, home: Path) -> Path:
    """Where huggingface_hub keeps models: HF_HUB_CACHE, HF_HOME/hub, XDG cache, ~/.cache."""
    if env.get("HF_HUB_CACHE"):
        return Path(env["HF_HUB_CACHE"]).expanduser()
    if env.get("HF_HOME"):
        return Path(env["HF_HOME"]).expanduser() / "hub"
    base = (
        Path(env["XDG_CACHE_HOME"]).expanduser() if env.get("XDG_CACHE_HOME") else home / ".cache"
    )
    return base / "huggingface" / "hub"


def collect(ctx: ProbeContext, measure: bool, out: Collected) -> None:
    cache = hf_cache_dir(ctx.env, ctx.home)
    out.fields["hf_cache_dir"] = str(cache)
    disks = list_disks(ctx)
    holder = disk_holding(ctx, cache)
    disks = [replace(d, holds_hf_cache=d.device == holder) for d in disks]
    if holder is None:
        out.warnings.append(f"disks: cannot tell which disk holds {cache}")
    if measure and ctx.is_live and holder is not None:
        idx = next(i for i, d in enumerate(disks) if d.device == holder)
        try:
            rate, method = measure_read_speed(holder, existing_parent(cache))
            disks[idx] = replace(disks[idx], measured_read_bytes_per_s=rate, measure_method=method)
        except OSError as exc:
            out.warnings.append(
                f"disks: read speed of {holder} not measured ({exc.strerror or exc}); "
                "run as a user who can read the device or write to the HF cache"
            )
    out.fields["disks"] = tuple(disks)


def list_disks(ctx: ProbeContext) -> list[DiskInfo]:
    """Whole disks (not partitions, loops or RAM disks) from /sys/block, enriched by udev."""
    udev = _udev_properties(ctx)
    disks = []
    for entry in ctx.glob("/sys/block/*"):
        dev = entry.name
        if SKIP.match(dev):
            continue
        base = f"/sys/block/{dev}"
        props = udev.get(dev, {})
        transport = _transport(ctx, dev, props)
        rota = ctx.read_int(f"{base}/queue/rotational")
        sectors = ctx.read_int(f"{base}/size")
        model = props.get("ID_MODEL", "").replace("_", " ") or ctx.read(f"{base}/device/model")
        disks.append(
            DiskInfo(
                device=dev,
                model=model or None,
                transport=transport,
                nvme=transport == "nvme",
                # A virtual disk's rotational flag describes nothing about the storage behind it.
                rotational=None if transport in VIRTUAL or rota is None else bool(rota),
                size_bytes=sectors * SECTOR if sectors is not None else None,
            )
        )
    return disks


def _udev_properties(ctx: ProbeContext) -> dict[str, dict[str, str]]:
    """ID_MODEL / ID_BUS per disk from udev (live Linux only); empty when pyudev is missing."""
    if not ctx.is_live or ctx.load_pyudev is None:
        return {}
    try:
        pyudev = ctx.load_pyudev()
        context = pyudev.Context()
        return {
            d.sys_name: {k: str(d.properties.get(k, "")) for k in ("ID_MODEL", "ID_BUS")}
            for d in context.list_devices(subsystem="block", DEVTYPE="disk")
        }
    except Exception:  # no libudev in a container: sysfs alone is enough
        return {}


def _transport(ctx: ProbeContext, dev: str, props: dict[str, str]) -> str | None:
    if dev.startswith("nvme"):
        return "nvme"
    if dev.startswith("vd"):
        return "virtio"
    if dev.startswith("xvd"):
        return "xen"
    if dev.startswith("mmcblk"):
        return "mmc"
    bus = props.get("ID_BUS")
    if bus:
        return {"ata": "sata"}.get(bus, bus)
    link = ctx.path(f"/sys/block/{dev}")
    target = os.path.realpath(link) if link.is_symlink() else ""
    target += " " + (ctx.read(f"/sys/block/{dev}/device/uevent") or "")
    if "/usb" in target:
        return "usb"
    if "/ata" in target or "DRIVER=sd" in target:
        return "sata"
    return None


def existing_parent(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (the HF cache may not exist yet)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _mount_source(ctx: ProbeContext, path: Path) -> tuple[str, str] | None:
    """(major:minor, source) of the mount holding ``path``, from /proc/self/mountinfo."""
    best: tuple[int, str, str] | None = None
    target = str(path)
    for line in (ctx.read("/proc/self/mountinfo") or "").splitlines():
        left, _, right = line.partition(" - ")
        fields, rfields = left.split(), right.split()
        if len(fields) < 5 or len(rfields) < 2:
            continue
        mnt = fields[4]
        inside = target == mnt or target.startswith(mnt.rstrip("/") + "/")
        if inside and (best is None or len(mnt) > best[0]):
            best = (len(mnt), fields[2], rfields[1])
    return (best[1], best[2]) if best else None


def disk_holding(ctx: ProbeContext, path: Path) -> str | None:
    """The whole-disk name (``nvme0n1``) under the filesystem that holds ``path``."""
    mount = _mount_source(ctx, existing_parent(path) if ctx.is_live else path)
    if mount is None:
        return None
    majmin, source = mount
    name = None
    if source.startswith("/dev/mapper/"):
        mapped = source.removeprefix("/dev/mapper/")
        for dm in ctx.glob("/sys/block/dm-*"):
            if ctx.read(f"/sys/block/{dm.name}/dm/name") == mapped:
                name = dm.name
    elif source.startswith("/dev/"):
        name = source.removeprefix("/dev/")
    elif ctx.path(f"/sys/dev/block/{majmin}").exists():
        name = os.path.basename(os.path.realpath(ctx.path(f"/sys/dev/block/{majmin}")))
    return _whole_disk(ctx, name) if name else None


def _whole_disk(ctx: ProbeContext, name: str, depth: int = 0) -> str | None:
    """Partition or device-mapper name -> the physical disk under it."""
    if depth > 4:
        return None
    disks = [p.name for p in ctx.glob("/sys/block/*")]
    if name in disks:
        slaves = [p.name for p in ctx.glob(f"/sys/block/{name}/slaves/*")]
        return _whole_disk(ctx, slaves[0], depth + 1) if slaves else name
    for disk in disks:
        if ctx.path(f"/sys/block/{disk}/{name}").is_dir():
            return disk
    return None


def _aligned(size: int) -> mmap.mmap:
    return mmap.mmap(-1, size)  # anonymous maps are page-aligned, as O_DIRECT requires


def _timed_reads(fd: int, limit: int, budget_s: float) -> tuple[int, float]:
    buf = _aligned(BLOCK)
    done = 0
    start = time.perf_counter()
    try:
        while done < limit and time.perf_counter() - start < budget_s:
            n = os.preadv(fd, [buf], done)
            if n <= 0:
                break
            done += n
    finally:
        buf.close()
    return done, time.perf_counter() - start


def measure_read_speed(disk: str, directory: Path, budget_s: float = 3.0) -> tuple[float, str]:
    """Sequential read speed of ``disk`` in bytes/s, and how it was measured.

    First choice: O_DIRECT reads of the raw device (read-only; bypasses the page cache).
    Without permission: write a temporary file in ``directory``, then read it with O_DIRECT, or
    where the filesystem refuses O_DIRECT, after dropping it from the page cache with
    posix_fadvise(DONTNEED).
    """
    o_direct = getattr(os, "O_DIRECT", 0)
    try:
        fd = os.open(f"/dev/{disk}", os.O_RDONLY | o_direct)
    except OSError:
        fd = -1
    if fd >= 0:
        try:
            done, secs = _timed_reads(fd, MEASURE_BYTES, budget_s)
        finally:
            os.close(fd)
        if done > 0:
            return done / secs, f"O_DIRECT read of /dev/{disk}, {done >> 20} MiB"
    return _measure_temp_file(directory, budget_s)


def _measure_temp_file(directory: Path, budget_s: float) -> tuple[float, str]:
    o_direct = getattr(os, "O_DIRECT", 0)
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".rigbench-read-", delete=True) as f:
        chunk = os.urandom(BLOCK)  # incompressible, so a compressing SSD cannot cheat
        for _ in range(TEMP_FILE_BYTES // BLOCK):
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
        try:
            fd = os.open(f.name, os.O_RDONLY | o_direct)
            method = "O_DIRECT read of a 256 MiB temporary file"
        except OSError:
            fd = os.open(f.name, os.O_RDONLY)
            with contextlib.suppress(AttributeError, OSError):
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            method = "read of a 256 MiB temporary file after posix_fadvise(DONTNEED)"
        try:
            done, secs = _timed_reads(fd, TEMP_FILE_BYTES, budget_s)
        except OSError:  # O_DIRECT accepted at open but refused at read (tmpfs, some FUSE)
            os.close(fd)
            fd = os.open(f.name, os.O_RDONLY)
            with contextlib.suppress(AttributeError, OSError):
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            method = "read of a 256 MiB temporary file after posix_fadvise(DONTNEED)"
            done, secs = _timed_reads(fd, TEMP_FILE_BYTES, budget_s)
        finally:
            os.close(fd)
    return done / secs, method
