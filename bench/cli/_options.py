"""Options and parsers that several bench commands share; the one validation layer for the
numbers users type (a bad value is a click usage error: one line, exit 2)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import click

from bench.records import FA, Axes, parse_axis
from probe.errors import UserError

F = TypeVar("F", bound=Callable[..., Any])

MODEL_HELP = (
    "A .gguf path (any shard), ORG/REPO, ORG/REPO:QUANT, synth:ARCH:PARAMS:QUANT "
    "or shape:NAME:QUANT."
)
KV_TYPES = ("f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "iq4_nl")


def backend_option(f: F) -> F:
    return click.option(
        "--backend",
        type=click.Choice(["cuda", "rocm", "metal", "vulkan", "cpu"]),
        default=None,
        help="llama.cpp backend the GPUs run (cpu: a CPU-only build); default: the machine's own.",
    )(f)


def model_option(f: F) -> F:
    return click.option("--model", "-m", "model", required=True, help=MODEL_HELP)(f)


def kv_type(value: str) -> str:
    """One KV-cache type llama.cpp accepts for -ctk/-ctv."""
    v = value.strip().lower()
    if v not in KV_TYPES:
        raise UserError(
            f"unknown KV cache type {value!r}", hint=f"llama.cpp accepts: {', '.join(KV_TYPES)}"
        )
    return v


def kv_types(text: str) -> list[str]:
    return [kv_type(v) for v in text.split(",") if v.strip()]


def axis(text: str, default: list[int], name: str, minimum: int) -> list[int]:
    """A sweep axis (list or range) whose every value is at least ``minimum``."""
    values = parse_axis(text, default)
    bad = [v for v in values if v < minimum]
    if bad:
        raise UserError(
            f"{name} cannot be {bad[0]}", hint=f"give {name} values of {minimum} or more"
        )
    return values


def positive(name: str, value: float, allow_zero: bool = False) -> float:
    """A finite number above zero (or zero when allowed)."""
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise UserError(f"{name} cannot be {value}", hint=f"give a positive {name}")
    return value


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def duration(text: str) -> float:
    """``60s``, ``2m``, ``90`` (seconds) -> seconds."""
    t = text.strip().lower()
    scale = _UNITS.get(t[-1:])
    try:
        value = float(t[:-1] if scale else t) * (scale or 1.0)
    except ValueError as exc:
        raise UserError(f"cannot read --duration {text!r}", hint="give 60s, 2m or 90") from exc
    return positive("--duration", value)


def fraction(name: str, text: str) -> float:
    """``5%`` or ``0.05`` -> 0.05; a negative or unreadable value is a UserError."""
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError as exc:
        raise UserError(
            f"cannot read {name} {text!r}", hint=f"give {name} like 5% or 0.05"
        ) from exc
    return positive(name, value, allow_zero=True)


def sweep_axes(
    n_prompt: str,
    n_gen: str,
    depth: str,
    batch: str,
    ubatch: str,
    ngl: str,
    threads: str,
    fa: str,
    ctk: str,
    ctv: str,
    n_cpu_moe: str,
) -> Axes:
    """The sweep's axes from its flags, every value checked."""
    fas = []
    for v in fa.split(","):
        if v.strip() not in FA:
            raise UserError(f"cannot read --fa {v!r}", hint="give on, off or on,off")
        fas.append(FA[v.strip()])
    return Axes(
        n_prompt=axis(n_prompt, [512], "-p", 0),
        n_gen=axis(n_gen, [128], "-n", 0),
        n_depth=axis(depth, [0], "--depth", 0),
        n_batch=axis(batch, [2048], "--batch", 1),
        n_ubatch=axis(ubatch, [512], "--ubatch", 1),
        n_threads=axis(threads, [0], "--threads", 0),
        n_gpu_layers=[-1] if ngl == "auto" else axis(ngl, [-1], "--ngl", -1),
        n_cpu_moe=axis(n_cpu_moe, [0], "--n-cpu-moe", 0),
        flash_attn=fas,
        type_k=kv_types(ctk),
        type_v=kv_types(ctv),
    )
