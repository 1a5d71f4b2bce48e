"""Run one benchmark cell in its own process: llama-bench, or llama-cpp-python via _pyrunner.

Both return llama-bench-style records (dicts with ``n_prompt``, ``n_gen``, ``avg_ts``,
``samples_ns`` …). A failure raises ``EngineFailed`` carrying the exit status and stderr tail,
so a sweep can classify it and go on.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import probe
from bench.records import RunConfig


class EngineFailed(Exception):
    def __init__(self, message: str, returncode: int | None, stderr_tail: str) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr_tail = stderr_tail


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def parse_jsonl(text: str) -> list[dict[str, Any]]:
    """llama-bench ``-o jsonl`` records; lines that are not JSON objects are ignored."""
    records = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                records.append(obj)
    return records


def llama_bench_argv(binary: Path, model: Path, options: dict[str, Any]) -> list[str]:
    """``{"p": 512, "n": 0, "t": 2, "fa": 0}`` -> llama-bench's short flags, JSONL output."""
    argv = [str(binary), "-m", str(model), "-o", "jsonl"]
    for flag, value in options.items():
        values = value if isinstance(value, list | tuple) else [value]
        argv += [f"-{flag}" if len(flag) <= 3 else f"--{flag}", ",".join(str(v) for v in values)]
    return argv


def run_llama_bench(
    binary: Path, model: Path, options: dict[str, Any], timeout_s: float = 600
) -> list[dict[str, Any]]:
    argv = llama_bench_argv(binary, model, options)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        raise EngineFailed(
            f"llama-bench timed out after {timeout_s:.0f} s", None, _tail(err)
        ) from exc
    records = parse_jsonl(done.stdout)
    if done.returncode != 0 or not records:
        raise EngineFailed(
            f"llama-bench exited {done.returncode} with {len(records)} records",
            done.returncode,
            _tail(done.stderr),
        )
    return records


def run_llama_cpp_python(cfg: dict[str, Any], timeout_s: float = 600) -> list[dict[str, Any]]:
    argv = [sys.executable, "-m", "bench.run._pyrunner", json.dumps(cfg)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise EngineFailed(f"llama-cpp-python timed out after {timeout_s:.0f} s", None, "") from exc
    records = parse_jsonl(done.stdout)
    if done.returncode != 0 or not records:
        raise EngineFailed(
            f"llama-cpp-python exited {done.returncode}", done.returncode, _tail(done.stderr)
        )
    return records


# -- failure classification ------------------------------------------------------------------

_OOM = re.compile(
    r"out of memory|failed to allocate|cudaMalloc failed|ErrorOutOfDeviceMemory|"
    r"unable to allocate|std::bad_alloc|hipErrorOutOfMemory|"
    r"failed to create context",
    re.IGNORECASE,
)
_UNSUPPORTED = re.compile(
    r"error: invalid parameter|unknown argument|not supported|"
    r"invalid argument|unrecognized",
    re.IGNORECASE,
)


def classify(returncode: int | None, stderr: str, timed_out: bool) -> str:
    """oom | timeout | unsupported | crash, from the exit status and stderr of a failed run."""
    if timed_out:
        return "timeout"
    if _OOM.search(stderr) or returncode == -signal.SIGKILL:
        return "oom"  # SIGKILL without a timeout: the kernel's OOM killer
    if _UNSUPPORTED.search(stderr):
        return "unsupported"
    return "crash"


# -- running ----------------------------------------------------------------------------------


@dataclass
class RunResult:
    records: list[dict[str, Any]]
    returncode: int | None
    stderr_tail: str
    timed_out: bool
    seconds: float
    peak_rss_bytes: int | None
    peak_gpu_bytes: dict[str, int] = field(default_factory=dict)


def _lb_options(points: list[RunConfig], reps: int, delay: int) -> dict[str, Any]:
    def vals(name: str) -> list[Any]:
        return sorted({getattr(p, name) for p in points}, key=str)

    opts: dict[str, Any] = {
        "p": vals("n_prompt"),
        "n": vals("n_gen"),
        "d": vals("n_depth"),
        "b": vals("n_batch"),
        "ub": vals("n_ubatch"),
        "t": vals("n_threads"),
        "ngl": [99 if v < 0 else v for v in vals("n_gpu_layers")],
        "fa": [int(v) for v in vals("flash_attn")],
        "ctk": vals("type_k"),
        "ctv": vals("type_v"),
        "r": reps,
    }
    moe = vals("n_cpu_moe")
    if moe != [0]:
        opts["ncmoe"] = moe
    if delay:
        opts["delay"] = delay
    return opts


def run_process(
    argv: list[str],
    timeout_s: float,
    on_record: Callable[[dict[str, Any]], None],
    load_nvml: Callable[[], Any] | None = None,
) -> RunResult:
    """Run one engine process, passing each JSONL record on as soon as it is printed."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    stderr_lines: list[str] = []
    records: list[dict[str, Any]] = []
    peak = [0]

    def drain_err() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            stderr_lines.append(line)
            del stderr_lines[:-200]

    gpus = probe.gpu_memory_sampler(load_nvml)

    def sample() -> None:  # peak RSS and GPU memory beside the engine, every 50 ms
        try:
            p = psutil.Process(proc.pid)
            while proc.poll() is None:
                peak[0] = max(peak[0], p.memory_info().rss)
                gpus.sample()
                time.sleep(0.05)
        except psutil.Error:
            pass

    threads = [
        threading.Thread(target=drain_err, daemon=True),
        threading.Thread(target=sample, daemon=True),
    ]
    for t in threads:
        t.start()
    timed_out = False
    timer = threading.Timer(timeout_s, lambda: _kill(proc))
    timer.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            for rec in parse_jsonl(line):
                records.append(rec)
                on_record(rec)
        proc.wait()
    except KeyboardInterrupt:
        _kill(proc)
        raise
    finally:
        timed_out = not timer.is_alive() and proc.returncode is not None and proc.returncode < 0
        timer.cancel()
        for t in threads:
            t.join(timeout=2)
    return RunResult(
        records,
        proc.returncode,
        "".join(stderr_lines[-20:]),
        timed_out,
        time.perf_counter() - start,
        peak[0] or None,
        gpus.close(),
    )


def _kill(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
