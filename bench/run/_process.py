"""Run one benchmark cell in its own process: llama-bench, or llama-cpp-python via _pyrunner.

Both return llama-bench-style records (dicts with ``n_prompt``, ``n_gen``, ``avg_ts``,
``samples_ns`` …). A failure raises ``EngineFailed`` carrying the exit status and stderr tail,
so a sweep can classify it and go on.
"""

from __future__ import annotations

import contextlib
import functools
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

# Out-of-memory messages of llama.cpp's CPU, CUDA, ROCm (HIP) and Vulkan backends and of the C++
# runtime. "failed to create context" is not one of them: llama_init_from_model returns NULL for
# bad parameters too (a quantized V cache without flash attention, llama.cpp 0.3.36 vendor tree,
# src/llama-context.cpp), and non-verbose llama-bench hides the log line that says which.
_OOM = re.compile(
    r"out of memory|failed to allocate|cudaMalloc failed|ErrorOutOfDeviceMemory|"
    r"unable to allocate|std::bad_alloc|hipErrorOutOfMemory",
    re.IGNORECASE,
)
_UNSUPPORTED = re.compile(
    r"error: invalid parameter|unknown argument|not supported|"
    r"invalid argument|unrecognized",
    re.IGNORECASE,
)
_NO_CONTEXT = re.compile(r"failed to create context", re.IGNORECASE)
# llama.cpp src/llama-context.cpp: "quantized V cache requires flash_attn to be enabled" (when
# -fa 0 is explicit) and "quantized V cache was requested, but this requires Flash Attention".
_V_NEEDS_FA = re.compile(
    r"quantized V cache (requires flash|was requested, but this requires flash)|"
    r"V cache quantization requires flash",
    re.IGNORECASE,
)
_FLOAT_CACHE_TYPES = ("f32", "f16", "bf16")


def classify(
    returncode: int | None,
    stderr: str,
    timed_out: bool,
    *,
    config: RunConfig | None = None,
    oom_kills: int | None = None,
) -> str:
    """oom | timeout | unsupported | crash, from evidence about a failed run only.

    Args:
        returncode: The exit status (negative: killed by that signal).
        stderr: The tail of the engine's stderr.
        timed_out: Whether the sweep killed it for running past its timeout.
        config: The point it ran, when one: a context llama.cpp refuses to create for a
            quantized V cache without flash attention is ``unsupported``, since llama-bench
            (without -v) prints only "failed to create context".
        oom_kills: How many processes the kernel's OOM killer ended while it ran
            (``/proc/vmstat`` oom_kill; None where unknown). A SIGKILL is ``oom`` only with
            this evidence; without it, it is a ``crash`` (killed from outside).
    """
    if timed_out:
        return "timeout"
    if _OOM.search(stderr):
        return "oom"
    if returncode == -signal.SIGKILL and oom_kills:
        return "oom"
    if _UNSUPPORTED.search(stderr) or _V_NEEDS_FA.search(stderr):
        return "unsupported"
    if _NO_CONTEXT.search(stderr) and config is not None and _v_needs_fa(config):
        return "unsupported"
    return "crash"


def _v_needs_fa(cfg: RunConfig) -> bool:
    return not cfg.flash_attn and cfg.type_v.lower() not in _FLOAT_CACHE_TYPES


def failure_reason(
    returncode: int | None,
    stderr: str,
    timed_out: bool,
    *,
    config: RunConfig | None = None,
    oom_kills: int | None = None,
) -> str:
    """One line on how a failed run ended, for the stored stderr tail and the progress log."""
    if timed_out:
        return "killed by rigbench at its timeout"
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "unknown signal"
        how = f"killed by signal {-returncode} ({name})"
        if returncode == -signal.SIGKILL and not _OOM.search(stderr):
            if oom_kills:
                return f"{how} while the kernel's OOM killer ended {oom_kills} process(es)"
            return f"{how} from outside: no timeout, no out-of-memory message"
        return how
    if _NO_CONTEXT.search(stderr) and config is not None and _v_needs_fa(config):
        return (
            f"exited {returncode}: llama.cpp refuses a quantized V cache ({config.type_v}) "
            "without flash attention"
        )
    return f"exited {returncode}"


def oom_kill_count() -> int | None:
    """The kernel's count of OOM kills since boot (``/proc/vmstat`` oom_kill, Linux 4.13+);
    None where it cannot be read."""
    try:
        with open("/proc/vmstat", encoding="ascii") as f:
            for line in f:
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


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
    oom_kills: int | None = None  # OOM-killer kills on this machine while it ran (None: unknown)


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
    nopo = vals("no_op_offload")
    if nopo != [False]:
        opts["nopo"] = [int(v) for v in nopo]
    if delay:
        opts["delay"] = delay
    return opts


def run_process(
    argv: list[str],
    timeout_s: float,
    on_record: Callable[[dict[str, Any]], None],
    load_nvml: Callable[[], Any] | None = None,
    pidfile: Path | None = None,
) -> RunResult:
    """Run one engine process, passing each JSONL record on as soon as it is printed.

    The engine runs in its own session (a Ctrl-C in the terminal reaches rigbench, which ends
    it, not the engine half-way through a timing) and dies with rigbench: its process group is
    killed on every way out of this function (an exception from ``on_record`` such as a full
    disk, Ctrl-C, SystemExit), and on Linux the kernel kills it when rigbench itself is killed
    (PR_SET_PDEATHSIG), so it never runs on into the next sweep's timings.

    Args:
        argv: The engine command line.
        timeout_s: Seconds before the engine is killed and the run counts as timed out.
        on_record: Called with each JSONL record as the engine prints it.
        load_nvml: Loads pynvml for GPU memory sampling (None: the default loader).
        pidfile: Where to record the engine's pid while it runs (see ``stale_engines``).
    """
    import psutil

    start = time.perf_counter()
    oom_before = oom_kill_count()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_die_with_parent(),
    )
    stderr_lines: list[str] = []
    records: list[dict[str, Any]] = []
    peak = [0]
    fired = threading.Event()
    threads: list[threading.Thread] = []
    timer: threading.Timer | None = None
    try:
        if pidfile is not None:
            _record_engine(pidfile, proc.pid, Path(argv[0]).name)

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

        def on_timeout() -> None:
            fired.set()
            _kill(proc)

        threads += [
            threading.Thread(target=drain_err, daemon=True),
            threading.Thread(target=sample, daemon=True),
        ]
        for t in threads:
            t.start()
        timer = threading.Timer(timeout_s, on_timeout)
        timer.start()
        assert proc.stdout is not None
        for line in proc.stdout:
            for rec in parse_jsonl(line):
                records.append(rec)
                on_record(rec)
        proc.wait()
    finally:
        # Every way out (an exception from on_record, Ctrl-C, SystemExit, or a normal end) kills
        # the engine's whole group: an engine left running would land in the next run's timings.
        if timer is not None:
            timer.cancel()
        _kill(proc)
        proc.wait()
        if pidfile is not None:
            with contextlib.suppress(OSError):
                pidfile.unlink()
        for t in threads:
            t.join(timeout=2)
    oom_after = oom_kill_count()
    return RunResult(
        records,
        proc.returncode,
        "".join(stderr_lines[-20:]),
        fired.is_set() and (proc.returncode or 0) < 0,  # not when it ended just before
        time.perf_counter() - start,
        peak[0] or None,
        gpus.close(),
        None if oom_before is None or oom_after is None else oom_after - oom_before,
    )


def _kill(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


# Linux <sys/prctl.h>: the signal the kernel sends a process when the thread that forked it
# ends. SIGKILL: an engine must not outlive a `bench` killed with SIGKILL (issue 12).
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn asking the kernel to SIGKILL the child when this process dies (Linux);
    None elsewhere, where only the pidfile check at the next sweep's start guards."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        # Runs in the child between fork and exec: no imports, no locks, nothing to allocate
        # beyond the call. PDEATHSIG follows the thread that forked the child (it waits here in
        # run_process while the engine runs) and survives exec of a non-setuid binary.
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up once in the parent (never between fork and exec)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


# -- stale engines ------------------------------------------------------------------------------


def engine_pidfile(db: Path) -> Path:
    """Where this process records the engine it runs for the results store ``db``."""
    return db.with_name(f"{db.name}.engine-{os.getpid()}.pid")


def _record_engine(pidfile: Path, pid: int, name: str) -> None:
    """Best effort: an unwritable directory or a full disk costs only the stale-engine check."""
    import psutil

    try:
        me = psutil.Process()
        child = psutil.Process(pid)
        info = {
            "pid": pid,
            "create_time": child.create_time(),  # exec keeps it: taken before exec is the same
            "name": name,
            "owner_pid": me.pid,
            "owner_create_time": me.create_time(),
        }
    except psutil.Error:
        return
    with contextlib.suppress(OSError):
        pidfile.write_text(json.dumps(info))


@dataclass(frozen=True)
class StaleEngine:
    pid: int
    name: str
    pidfile: Path


def stale_engines(db: Path) -> list[StaleEngine]:
    """Engines that a sweep on the store ``db`` started and that outlived it: still running
    while the sweep process that recorded them is gone. Records of engines that have ended
    are removed. A pid is trusted only with the start time it was recorded with (pid reuse)."""
    import glob

    import psutil

    def alive(pid: Any, created: Any) -> psutil.Process | None:
        try:
            p = psutil.Process(int(pid))
            if abs(p.create_time() - float(created)) >= 0.01:
                return None  # another process that got the pid since
            # A killed engine stays a zombie until something reaps it (in a container, PID 1
            # may never): dead all the same.
            return None if p.status() == psutil.STATUS_ZOMBIE else p
        except (psutil.Error, TypeError, ValueError):
            return None

    stale = []
    for f in db.parent.glob(glob.escape(db.name) + ".engine-*.pid"):
        try:
            info = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(info, dict):
            continue
        engine = alive(info.get("pid"), info.get("create_time"))
        if engine is None:
            with contextlib.suppress(OSError):
                f.unlink()
            continue
        if alive(info.get("owner_pid"), info.get("owner_create_time")) is None:
            stale.append(StaleEngine(engine.pid, str(info.get("name") or "?"), f))
    return stale
