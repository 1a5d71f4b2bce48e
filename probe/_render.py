"""Text rendering of a HostProfile as rich renderables; the CLI prints them."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from probe._records import HostProfile
from probe._units import NA, human_bytes, human_rate
from probe.tables import Column, FitTable

# Key-value tables drawn like FitTable's: no frame, so their width goes to the values.
KV: dict[str, Any] = {"box": box.SIMPLE_HEAD, "show_edge": False, "pad_edge": False}


def _v(value: object, suffix: str = "") -> str:
    return NA if value is None else f"{value}{suffix}"


def render_text(p: HostProfile) -> RenderableType:
    parts: list[RenderableType] = []
    parts.append(Text(f"rigbench host profile (schema {p.schema_version})", style="bold"))

    t = Table(title="CPU", show_header=False, title_justify="left", **KV)
    # Keys never wrap; a long value (the ISA list) wraps at its words, never inside a number.
    t.add_column(style="cyan", no_wrap=True)
    t.add_column()
    if p.cpu:
        c = p.cpu
        cores = f"{_v(c.physical_cores)} physical / {_v(c.logical_cores)} logical"
        if c.performance_cores is not None:
            cores += f" ({c.performance_cores} P + {c.efficiency_cores} E)"
        model = _v(c.model)
        if c.vendor and not model.upper().startswith(c.vendor.upper()):
            model = f"{c.vendor} {model}"
        t.add_row("model", f"{model} ({c.arch})")
        t.add_row("cores", cores)
        t.add_row(
            "clock", f"base {_v(c.base_clock_mhz, ' MHz')}, max {_v(c.max_clock_mhz, ' MHz')}"
        )
        t.add_row(
            "caches",
            f"L1d {human_bytes(c.l1d_cache_bytes)}, L2 {human_bytes(c.l2_cache_bytes)}, "
            f"L3 {human_bytes(c.l3_cache_bytes)}",
        )
        t.add_row("NUMA nodes", _v(c.numa_nodes))
        have = [k for k, v in c.isa_flags.items() if v]
        lack = [k for k, v in c.isa_flags.items() if not v]
        t.add_row("ISA", " ".join(have) or "none")
        if lack:
            t.add_row("missing", Text(" ".join(lack), style="dim"))
    else:
        t.add_row("cpu", NA)
    parts.append(t)

    m = Table(title="Memory", show_header=False, title_justify="left", **KV)
    m.add_column(style="cyan", no_wrap=True)
    m.add_column()
    if p.memory:
        mem = p.memory
        m.add_row("total", human_bytes(mem.total_bytes))
        m.add_row("available", human_bytes(mem.available_bytes))
        m.add_row(
            "swap", f"{human_bytes(mem.swap_total_bytes)} ({human_bytes(mem.swap_free_bytes)} free)"
        )
        if mem.measured_read_bytes_per_s:
            m.add_row(
                "read bandwidth",
                f"{human_rate(mem.measured_read_bytes_per_s)} ({mem.measure_method})",
            )
        else:
            m.add_row("read bandwidth", "not measured (probe detect --measure)")
    parts.append(m)

    gpu_rows: list[list[str]] = []
    for gpu in p.gpus:
        mem_text = human_bytes(gpu.total_bytes)
        if gpu.free_bytes is not None:
            mem_text += f" ({human_bytes(gpu.free_bytes)} free)"
        if gpu.gtt_total_bytes:
            mem_text += f" + GTT {human_bytes(gpu.gtt_total_bytes)}"
        compute = f"sm {gpu.compute_capability}" if gpu.compute_capability else ""
        compute = compute or gpu.gfx_target or ""
        if gpu.multiprocessor_count:
            unit = {"nvidia": "SM", "amd": "CU", "apple": "GPU cores"}.get(gpu.vendor, "units")
            compute = f"{compute} {gpu.multiprocessor_count} {unit}".strip()
        pcie = (
            "unified"
            if gpu.unified_memory
            else (
                f"gen{_v(gpu.pcie_gen_current)} x{_v(gpu.pcie_width_current)} "
                f"(max gen{_v(gpu.pcie_gen_max)} x{_v(gpu.pcie_width_max)})"
            )
        )
        gpu_rows.append(
            [
                f"{gpu.vendor}:{gpu.index}",
                _v(gpu.name),
                mem_text,
                human_bytes(gpu.usable_bytes),
                human_rate(gpu.spec_bandwidth_bytes_per_s),
                compute or NA,
                pcie,
                _v(gpu.power_limit_watts and round(gpu.power_limit_watts), " W"),
            ]
        )
    if not p.gpus:
        gpu_rows.append(["-", "no GPU found", "", "", "", "", "", ""])
    gpu_cols = [
        Column("#"),
        Column("name"),
        Column("memory"),
        Column("usable", drop=2),
        Column("bandwidth", drop=1),
        Column("compute", drop=3),
        Column("PCIe", drop=4),
        Column("power", right=True, drop=5),
    ]
    parts.append(FitTable(gpu_cols, gpu_rows, title="GPUs"))

    disk_rows: list[list[str]] = []
    for disk in p.disks:
        kind = _v(disk.transport)
        if disk.rotational is not None:
            kind += ", HDD" if disk.rotational else ", SSD"
        speed = human_rate(disk.measured_read_bytes_per_s)
        if disk.measure_method:
            speed += f" ({disk.measure_method})"
        disk_rows.append(
            [
                disk.device,
                _v(disk.model),
                kind,
                human_bytes(disk.size_bytes),
                "yes" if disk.holds_hf_cache else "",
                speed
                if disk.measured_read_bytes_per_s
                else ("not measured" if disk.holds_hf_cache else ""),
            ]
        )
    disk_cols = [
        Column("device"),
        Column("model", drop=2),
        Column("type", drop=3),
        Column("size", right=True, drop=1),
        Column("HF cache"),
        Column("read speed"),
    ]
    parts.append(FitTable(disk_cols, disk_rows, title="Disks"))

    lines = [
        f"OS: {p.os.system} {p.os.release} {p.os.machine}; llama.cpp backends usable: "
        f"{', '.join(p.backends)}"
    ]
    if p.nvidia_driver_version:
        lines.append(f"NVIDIA driver {p.nvidia_driver_version}, CUDA {_v(p.cuda_driver_version)}")
    lines.append(f"HF cache: {_v(p.hf_cache_dir)}")
    for disk in p.disks:
        if disk.holds_hf_cache and disk.measured_read_bytes_per_s:
            lines.append(
                f"Model load time = size / read speed: a 10 GB GGUF loads in about "
                f"{10e9 / disk.measured_read_bytes_per_s:.0f} s from {disk.device}"
            )
    parts.append(Text("\n".join(lines)))
    for a in p.advice:
        parts.append(Text(f"advice: {a}", style="green"))
    for w in p.warnings:
        parts.append(Text(f"warning: {w}", style="yellow"))
    return Group(*parts)
