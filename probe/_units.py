"""Numbers for people: bytes and rates as the tables print them (no rich, cheap to import)."""

from __future__ import annotations

NA = "NA"


def human_bytes(n: float | None, binary: bool = True) -> str:
    """1073741824 -> '1.0 GiB'."""
    if n is None:
        return NA
    step, units = (
        (1024.0, ["B", "KiB", "MiB", "GiB", "TiB"])
        if binary
        else (
            1000.0,
            ["B", "kB", "MB", "GB", "TB"],
        )
    )
    value = float(n)
    for unit in units:
        if abs(value) < step or unit == units[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= step
    return f"{value:.1f} {units[-1]}"


def human_rate(n: float | None) -> str:
    """Bytes/s in decimal GB/s as vendors quote bandwidth."""
    return NA if n is None else f"{n / 1e9:.1f} GB/s"
