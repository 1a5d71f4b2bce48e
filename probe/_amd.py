"""AMD backend: amdsmi when ROCm's libamd_smi.so loads, else the amdgpu driver's sysfs files.

APUs (Strix Halo and friends) share system RAM: the GPU can use its BIOS carve-out (VRAM) *and*
the GTT the kernel lets it map, so ``usable_bytes`` is their sum there. Cross-check with
``amd-smi static --asic --vram`` or ``cat /sys/class/drm/card*/device/mem_info_{vram,gtt}_total``.
"""

from __future__ import annotations

import re
from typing import Any

from probe._context import Collected, ProbeContext
from probe._records import GpuInfo

name = "amd"

AMD_VENDOR_ID = 0x1002
GIB = 1024**3

# PCI device id -> (marketing name, is APU, spec memory bandwidth GB/s).
# Sources: the PCI ID repository (pci-ids.ucw.cz, vendor 1002) and AMD product pages.
# APU bandwidth is the platform's RAM bandwidth (Strix Halo: 256-bit LPDDR5X-8000 = 256 GB/s).
DEVICES: dict[int, tuple[str, bool, float | None]] = {
    0x1586: ("Radeon 8060S (Strix Halo)", True, 256.0),
    0x150E: ("Radeon 890M (Strix Point)", True, 120.0),
    0x1114: ("Radeon 860M (Krackan Point)", True, 120.0),
    0x15BF: ("Radeon 780M (Phoenix)", True, 89.6),
    0x15C8: ("Radeon 740M (Phoenix2)", True, 89.6),
    0x1681: ("Radeon 680M (Rembrandt)", True, 76.8),
    0x1636: ("Radeon Vega (Renoir)", True, 68.3),
    0x1638: ("Radeon Vega (Cezanne)", True, 68.3),
    0x164C: ("Radeon Vega (Lucienne)", True, 68.3),
    0x163F: ("Custom GPU 0405 (Van Gogh)", True, 88.0),
    0x164E: ("Radeon Graphics (Raphael)", True, 83.2),
    0x13C0: ("Radeon Graphics (Granite Ridge)", True, 83.2),
    0x1506: ("Radeon 610M (Mendocino)", True, 44.8),
    0x74A0: ("Instinct MI300A", True, 5300.0),
    0x74A1: ("Instinct MI300X", False, 5300.0),
    0x74A5: ("Instinct MI325X", False, 6000.0),
    0x740C: ("Instinct MI250X/MI250", False, 3276.8),
    0x740F: ("Instinct MI210", False, 1638.4),
    0x744C: ("Radeon RX 7900 XTX/XT", False, 960.0),
    0x7448: ("Radeon Pro W7900", False, 864.0),
    0x747E: ("Radeon RX 7800 XT/7700 XT", False, 624.0),
    0x7480: ("Radeon RX 7600/7600 XT", False, 288.0),
    0x7550: ("Radeon RX 9070 XT/9070", False, 640.0),
    0x73BF: ("Radeon RX 6900 XT/6800 XT/6800", False, 512.0),
    0x73DF: ("Radeon RX 6700 XT", False, 384.0),
}
# A GPU whose carve-out is this small is an APU even when its id is not in the table:
# no discrete card worth running a model on has so little VRAM.
APU_VRAM_LIMIT_BYTES = 1 * GIB
PCIE_GEN_BY_GTS = {2.5: 1, 5.0: 2, 8.0: 3, 16.0: 4, 32.0: 5, 64.0: 6}


def available(ctx: ProbeContext) -> tuple[bool, str]:
    if ctx.system != "Linux":
        return False, "AMD GPUs are probed on Linux only"
    return True, ""


def collect(ctx: ProbeContext, measure: bool, out: Collected) -> None:
    reason = ""
    try:
        amdsmi = ctx.load_amdsmi()
    except Exception as exc:  # ImportError, or KeyError('libamd_smi.so') from amdsmi 7.0
        amdsmi = None
        reason = f"amdsmi unusable ({type(exc).__name__}: {exc})"
    if amdsmi is not None:
        try:
            out.gpus.extend(collect_amdsmi(amdsmi, ctx))
            return
        except Exception as exc:
            reason = f"amdsmi failed ({exc})"
    gpus = collect_sysfs(ctx)
    if gpus and reason:
        out.warnings.append(
            f"amd: {reason}; read sysfs instead (install ROCm's amd-smi-lib for more fields)"
        )
    out.gpus.extend(gpus)


def _pcie_gen(text: str | None) -> int | None:
    """``16.0 GT/s PCIe`` -> 4."""
    if not text:
        return None
    m = re.match(r"([\d.]+)\s*GT/s", text)
    return PCIE_GEN_BY_GTS.get(float(m.group(1))) if m else None


def _gfx_from_kfd(version: int) -> str:
    """KFD gfx_target_version 110501 -> ``gfx1151``; 90402 -> ``gfx942``."""
    major, minor, step = version // 10000, version // 100 % 100, version % 100
    return f"gfx{major}{minor:x}{step:x}"


def _kfd_nodes(ctx: ProbeContext) -> dict[int, dict[str, int]]:
    """KFD topology node properties keyed by DRM render minor (renderD128 -> 128)."""
    nodes: dict[int, dict[str, int]] = {}
    for props in ctx.glob("/sys/class/kfd/kfd/topology/nodes/*/properties"):
        values: dict[str, int] = {}
        for line in props.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].lstrip("-").isdigit():
                values[parts[0]] = int(parts[1])
        minor = values.get("drm_render_minor")
        if minor and values.get("gfx_target_version"):
            nodes[minor] = values
    return nodes


def collect_sysfs(ctx: ProbeContext) -> list[GpuInfo]:
    """amdgpu's sysfs: /sys/class/drm/card*/device/{vendor,device,mem_info_*,...}."""
    kfd = _kfd_nodes(ctx)
    gpus: list[GpuInfo] = []
    for card in ctx.glob("/sys/class/drm/card[0-9]*"):
        if not re.fullmatch(r"card\d+", card.name):
            continue  # connectors such as card0-DP-1
        dev = "/" + str(card.relative_to(ctx.root)) + "/device"
        if ctx.read_int(f"{dev}/vendor") != AMD_VENDOR_ID:
            continue
        device_id = ctx.read_int(f"{dev}/device") or 0
        table_name, table_apu, spec_gbs = DEVICES.get(device_id, (None, False, None))
        vram = ctx.read_int(f"{dev}/mem_info_vram_total")
        vram_used = ctx.read_int(f"{dev}/mem_info_vram_used")
        gtt = ctx.read_int(f"{dev}/mem_info_gtt_total")
        apu = table_apu or (vram is not None and vram <= APU_VRAM_LIMIT_BYTES)
        renders = [p.name for p in ctx.glob(f"{dev}/drm/renderD*")]
        node = kfd.get(int(renders[0][len("renderD") :])) if renders else None
        cus = None
        if node and node.get("simd_per_cu"):
            cus = node.get("simd_count", 0) // node["simd_per_cu"] or None
        power_uw = None
        for hw in ctx.glob(f"{dev}/hwmon/hwmon*/power1_cap"):
            power_uw = ctx.read_int("/" + str(hw.relative_to(ctx.root)))
        uevent = ctx.read(f"{dev}/uevent") or ""
        slot = re.search(r"PCI_SLOT_NAME=(\S+)", uevent)
        product = ctx.read(f"{dev}/product_name")
        gpus.append(
            GpuInfo(
                index=len(gpus),
                vendor="amd",
                name=product or table_name or f"AMD GPU {device_id:#06x}",
                source="sysfs",
                uuid=ctx.read(f"{dev}/unique_id"),
                pci_bus_id=slot.group(1) if slot else None,
                total_bytes=vram,
                free_bytes=vram - vram_used if vram is not None and vram_used is not None else None,
                used_bytes=vram_used,
                usable_bytes=(vram or 0) + (gtt or 0) if apu else vram,
                gtt_total_bytes=gtt,
                unified_memory=apu,
                spec_bandwidth_bytes_per_s=spec_gbs * 1e9 if spec_gbs else None,
                gfx_target=_gfx_from_kfd(node["gfx_target_version"]) if node else None,
                multiprocessor_count=cus,
                pcie_gen_current=None if apu else _pcie_gen(ctx.read(f"{dev}/current_link_speed")),
                pcie_gen_max=None if apu else _pcie_gen(ctx.read(f"{dev}/max_link_speed")),
                pcie_width_current=None if apu else ctx.read_int(f"{dev}/current_link_width"),
                pcie_width_max=None if apu else ctx.read_int(f"{dev}/max_link_width"),
                power_limit_watts=power_uw / 1e6 if power_uw else None,
                driver_version=ctx.read("/sys/module/amdgpu/version"),
            )
        )
    return gpus


def _smi(amdsmi: Any, fn: str, *args: Any) -> Any:
    """One gateway for amdsmi calls: "not supported" and friends become NA (None)."""
    try:
        return getattr(amdsmi, fn)(*args)
    except amdsmi.AmdSmiLibraryException:
        return None


def collect_amdsmi(amdsmi: Any, ctx: ProbeContext) -> list[GpuInfo]:
    """The amdsmi path (ROCm 6.2+): richer names, gfx target, VRAM bus width."""
    amdsmi.amdsmi_init(amdsmi.AmdSmiInitFlags.INIT_AMD_GPUS)
    try:
        gpus = []
        for index, h in enumerate(amdsmi.amdsmi_get_processor_handles()):
            asic = _smi(amdsmi, "amdsmi_get_gpu_asic_info", h) or {}
            vram_info = _smi(amdsmi, "amdsmi_get_gpu_vram_info", h) or {}
            vram = _smi(amdsmi, "amdsmi_get_gpu_memory_total", h, amdsmi.AmdSmiMemoryType.VRAM)
            used = _smi(amdsmi, "amdsmi_get_gpu_memory_usage", h, amdsmi.AmdSmiMemoryType.VRAM)
            gtt = _smi(amdsmi, "amdsmi_get_gpu_memory_total", h, amdsmi.AmdSmiMemoryType.GTT)
            pcie = _smi(amdsmi, "amdsmi_get_pcie_info", h) or {}
            power = _smi(amdsmi, "amdsmi_get_power_cap_info", h) or {}
            driver = _smi(amdsmi, "amdsmi_get_gpu_driver_info", h) or {}
            try:
                device_id = int(str(asic.get("device_id", "0")), 16)
            except ValueError:
                device_id = 0
            table_name, table_apu, spec_gbs = DEVICES.get(device_id, (None, False, None))
            apu = table_apu or (isinstance(vram, int) and vram <= APU_VRAM_LIMIT_BYTES)
            market = asic.get("market_name")
            static = pcie.get("pcie_static", {})
            metric = pcie.get("pcie_metric", {})
            cap_uw = _num(power.get("power_cap"))
            bw_gbs = _num(vram_info.get("vram_max_bandwidth")) or spec_gbs
            gpus.append(
                GpuInfo(
                    index=index,
                    vendor="amd",
                    name=market if market and market != "N/A" else table_name,
                    source="amdsmi",
                    uuid=_smi(amdsmi, "amdsmi_get_gpu_device_uuid", h),
                    pci_bus_id=_smi(amdsmi, "amdsmi_get_gpu_device_bdf", h),
                    total_bytes=vram,
                    free_bytes=vram - used
                    if isinstance(vram, int) and isinstance(used, int)
                    else None,
                    used_bytes=used,
                    usable_bytes=(vram or 0) + (gtt or 0) if apu else vram,
                    gtt_total_bytes=gtt,
                    unified_memory=apu,
                    memory_bus_width_bits=_num(vram_info.get("vram_bit_width")),
                    spec_bandwidth_bytes_per_s=bw_gbs * 1e9 if bw_gbs else None,
                    gfx_target=asic.get("target_graphics_version"),
                    multiprocessor_count=_num(asic.get("num_compute_units")),
                    pcie_gen_current=None,
                    pcie_gen_max=None if apu else _num(static.get("pcie_interface_version")),
                    pcie_width_current=None if apu else _num(metric.get("pcie_width")),
                    pcie_width_max=None if apu else _num(static.get("max_pcie_width")),
                    power_limit_watts=cap_uw / 1e6 if cap_uw else None,
                    driver_version=driver.get("driver_version"),
                )
            )
        return gpus
    finally:
        amdsmi.amdsmi_shut_down()


def _num(value: Any) -> int | None:
    """amdsmi writes "N/A" for unknown numbers."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
