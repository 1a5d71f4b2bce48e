"""Run one benchmark cell in its own process: llama-bench, or llama-cpp-python via _pyrunner.

Both return llama-bench-style records (dicts with ``n_prompt``, ``n_gen``, ``avg_ts``,
``samples_ns`` …). A failure raises ``EngineFailed`` carrying the exit status and stderr tail,
so a sweep can classify it and go on.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


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
    argv = [sys.executable, "-m", "bench._pyrunner", json.dumps(cfg)]
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
